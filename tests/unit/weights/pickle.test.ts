import { describe, expect, it } from 'vitest';
import { BASE_GLOBALS, PickleGlobal, unpickle } from '../../../src/model/weights';
import { PickleWriter } from './builders';

const load = (p: PickleWriter, options?: Parameters<typeof unpickle>[1]) => unpickle(p.stop().bytes(), options);

describe('unpickle values', () => {
  it('reads scalars of every width', () => {
    const p = new PickleWriter().proto(2).mark();
    p.int(7).int(300).int(70000).int(-5).long1(2n ** 40n).long1(-(2n ** 70n)).long1(0n).raw(0x8a, 1, 0xff);
    p.float(-1.25).bool(true).bool(false).none().str('héllo').shortStr('k');
    p.raw(0x55, 2, 0x61, 0xe9).raw(0x54, 1, 0, 0, 0, 0x62).raw(0x43, 2, 1, 2).raw(0x42, 1, 0, 0, 0, 3);
    p.raw(0x8b, 2, 0, 0, 0, 0x00, 0x01); // LONG4 256
    expect(load(p.tuple(99))).toEqual([7, 300, 70000, -5, 2 ** 40, -(2n ** 70n), 0, -1, -1.25, true, false, null, 'héllo', 'k', 'aé', 'b', new Uint8Array([1, 2]), new Uint8Array([3]), 256]);
  });

  it('builds dicts, lists and tuples (tuples frozen)', () => {
    const p = new PickleWriter().proto(2).emptyDict().put(0);
    p.str('a').emptyList().put(1).int(1).append().mark().int(2).int(3).appends().setitem();
    p.mark().str('b').int(1).int(2).tuple(2).str('c').get(1).setitems();
    const d = load(p) as Map<string, unknown>;
    expect([...d.keys()]).toEqual(['a', 'b', 'c']);
    expect(d.get('a')).toEqual([1, 2, 3]);
    expect(d.get('c')).toBe(d.get('a')); // memo shares the object
    expect(Object.isFrozen(d.get('b'))).toBe(true);
    expect(Object.isFrozen(d.get('a'))).toBe(false);
  });

  it('handles FRAME, MEMOIZE, STACK_GLOBAL, NEWOBJ and BUILD on an OrderedDict (protocol 4 shapes)', () => {
    const p = new PickleWriter().proto(4).raw(0x95, 30, 0, 0, 0, 0, 0, 0, 0);
    p.shortStr('collections').memoize().shortStr('OrderedDict').memoize().raw(0x93).memoize();
    p.emptyTuple().newobj().memoize();
    p.shortStr('x').int(1).setitem();
    p.emptyDict().shortStr('_metadata').none().setitem().build();
    const d = load(p);
    expect(d).toBeInstanceOf(Map);
    expect([...(d as Map<string, unknown>)]).toEqual([['x', 1]]);
  });

  it('memo indices past 255 use LONG_BINPUT / LONG_BINGET', () => {
    const p = new PickleWriter().proto(2).emptyList().put(0);
    for (let i = 1; i <= 300; i++) p.int(i).put(i).append();
    p.get(299).append().get(255).append();
    const list = load(p) as number[];
    expect(list.length).toBe(302);
    expect(list.slice(-2)).toEqual([299, 255]);
    expect(new PickleWriter().put(300).bytes()[0]).toBe(0x72);
  });

  it('calls whitelisted globals with REDUCE and hands persistent ids to the loader', () => {
    const p = new PickleWriter().proto(2).global('my', 'fn').int(1).int(2).tuple(2).reduce();
    const calls: unknown[] = [];
    const globals = new Map([['my.fn', (args: readonly unknown[]) => (calls.push(args), 'made')]]);
    expect(load(p, { globals })).toBe('made');
    expect(calls).toEqual([[1, 2]]);
    const q = new PickleWriter().proto(2).mark().str('storage').global('my', 'fn').str('0').tuple(3).binpersid();
    const pid = load(q, { globals, persistentLoad: (id) => ({ loaded: id }) }) as { loaded: unknown[] };
    expect(pid.loaded[0]).toBe('storage');
    expect(pid.loaded[1]).toBeInstanceOf(PickleGlobal);
    expect((pid.loaded[1] as PickleGlobal).qualifiedName).toBe('my.fn');
  });
});

describe('unpickle refuses malformed input with clear errors', () => {
  it('unknown global (never executes anything)', () => {
    const p = new PickleWriter().proto(2).global('os', 'system').str('rm -rf /').tuple(1).reduce();
    expect(() => load(p)).toThrow(/global 'os.system' is not allowed.*nothing is executed \(opcode GLOBAL \(0x63\) at byte 2\)/);
    const q = new PickleWriter().proto(4).shortStr('builtins').shortStr('eval').raw(0x93);
    expect(() => load(q)).toThrow(/global 'builtins.eval' is not allowed/);
    // only own entries count, not Object.prototype's
    expect(() => load(new PickleWriter().proto(2).global('', 'constructor'), { globals: BASE_GLOBALS })).toThrow(/not allowed/);
  });

  it('unknown opcode', () => {
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x49, 0x31, 0x0a, 0x2e]))).toThrow(/unsupported opcode 0x49 \('I'\) at byte 2/);
    expect(() => unpickle(new Uint8Array([0xff]))).toThrow(/unsupported opcode 0xff at byte 0/);
  });

  it('stack underflow, also below a MARK', () => {
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x85, 0x2e]))).toThrow(/stack underflow \(opcode TUPLE1 \(0x85\) at byte 2\)/);
    expect(() => load(new PickleWriter().int(1).mark().raw(0x86))).toThrow(/stack underflow/);
    expect(() => unpickle(new Uint8Array([0x2e]))).toThrow(/stack underflow \(opcode STOP/);
    expect(() => load(new PickleWriter().int(1).raw(0x74))).toThrow(/no MARK to pop to/);
  });

  it('memo miss', () => {
    expect(() => load(new PickleWriter().proto(2).get(3))).toThrow(/memo key 3 was never stored \(opcode BINGET/);
    expect(() => load(new PickleWriter().proto(2).get(70000))).toThrow(/memo key 70000 was never stored \(opcode LONG_BINGET/);
  });

  it('lengths beyond the input, without allocating them', () => {
    expect(() => unpickle(new Uint8Array([0x58, 0xff, 0xff, 0xff, 0x7f, 0x61]))).toThrow(/truncated: needs 2147483647 bytes, 1 left \(opcode BINUNICODE/);
    expect(() => unpickle(new Uint8Array([0x8e, 0, 0, 0, 0, 0, 0, 0, 0x40]))).toThrow(/truncated: needs 4611686018427388000 bytes/);
    expect(() => unpickle(new Uint8Array([0x95, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x2e]))).toThrow(/frame of 255 bytes, 1 left/);
    expect(() => unpickle(new Uint8Array([0x4a, 1, 2]))).toThrow(/truncated: needs 4 bytes, 2 left \(opcode BININT/);
    expect(() => unpickle(new Uint8Array([0x63, 0x61, 0x0a, 0x62]))).toThrow(/newline-terminated argument never ends/);
    expect(() => unpickle(new Uint8Array([0x8b, 0, 0, 1, 0, 0]))).toThrow(/integer of 65536 bytes is too large/);
  });

  it('wrong targets', () => {
    expect(() => load(new PickleWriter().emptyList().str('k').int(1).setitem())).toThrow(/target is not a dict/);
    expect(() => load(new PickleWriter().emptyTuple().int(1).append())).toThrow(/target is not a list/);
    expect(() => load(new PickleWriter().int(1).emptyTuple().reduce())).toThrow(/REDUCE target is not a whitelisted global/);
    expect(() => load(new PickleWriter().global('collections', 'OrderedDict').emptyList().reduce())).toThrow(/REDUCE arguments are not a tuple/);
    expect(() => load(new PickleWriter().emptyList().emptyDict().build())).toThrow(/BUILD on an object that takes no state/);
    expect(() => load(new PickleWriter().str('pid').binpersid())).toThrow(/persistent id without a loader/);
    expect(() => load(new PickleWriter().raw(0x8c, 2, 0xc3, 0x28))).toThrow(/not valid UTF-8/);
  });

  it('input that never reaches STOP', () => {
    expect(() => unpickle(new PickleWriter().proto(2).emptyDict().bytes())).toThrow(/ended after 3 bytes without STOP/);
    expect(() => unpickle(new Uint8Array(0))).toThrow(/without STOP/);
  });
});
