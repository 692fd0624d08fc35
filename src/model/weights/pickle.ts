/**
 * A small, safe unpickler for what `torch.save` writes (pickle protocol 2, plus the protocol 3-4
 * opcodes newer writers may emit). It never executes anything: a GLOBAL is looked up in a
 * whitelist the caller passes and an unknown one is an Error. Every length is checked against the
 * bytes left before anything is allocated, and the machine is a plain loop (no recursion), so
 * malformed input ends in an Error quickly.
 *
 * Values: dict -> Map, list -> Array, tuple -> frozen Array, str -> string, bytes -> Uint8Array,
 * int -> number (bigint past 2^53), float -> number, None -> null, bool -> boolean.
 */

/** A whitelisted callable: what GLOBAL pushes and REDUCE / NEWOBJ call. */
export class PickleGlobal {
  constructor(
    readonly qualifiedName: string,
    private readonly fn: (args: readonly unknown[]) => unknown,
  ) {}

  call(args: readonly unknown[]): unknown {
    return this.fn(args);
  }
}

/** Objects that accept BUILD (`__setstate__`). */
export interface PickleBuildable {
  setState(state: unknown): void;
}

export type PickleGlobals = ReadonlyMap<string, (args: readonly unknown[]) => unknown>;

export interface UnpickleOptions {
  /** Allowed globals keyed 'module.name'; anything else is refused. */
  globals?: PickleGlobals;
  /** Resolves BINPERSID ids (torch storages). Without it BINPERSID is an error. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** collections.OrderedDict: a Map (its attributes, like a state dict's _metadata, are dropped by BUILD). */
export const BASE_GLOBALS: PickleGlobals = new Map([
  [
    'collections.OrderedDict',
    (args: readonly unknown[]) => {
      if (args.length !== 0) throw new Error('pickle: OrderedDict with constructor arguments is not supported');
      return new Map();
    },
  ],
]);

/** Longer ints than this are refused: torch never writes them and decoding them is quadratic. */
const MAX_LONG_BYTES = 1024;

const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO', 0x95: 'FRAME', 0x7d: 'EMPTY_DICT', 0x5d: 'EMPTY_LIST', 0x29: 'EMPTY_TUPLE',
  0x28: 'MARK', 0x58: 'BINUNICODE', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8',
  0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8e: 'BINBYTES8', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2', 0x8a: 'LONG1',
  0x8b: 'LONG4', 0x47: 'BINFLOAT', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x4e: 'NONE',
  0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x73: 'SETITEM',
  0x75: 'SETITEMS', 0x61: 'APPEND', 0x65: 'APPENDS', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x68: 'BINGET', 0x6a: 'LONG_BINGET', 0x94: 'MEMOIZE', 0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE', 0x62: 'BUILD', 0x51: 'BINPERSID', 0x81: 'NEWOBJ', 0x2e: 'STOP',
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function describeByte(op: number): string {
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  const name = OPCODE_NAMES[op];
  if (name) return `${name} (${hex})`;
  return op >= 0x20 && op < 0x7f ? `${hex} ('${String.fromCharCode(op)}')` : hex;
}

function isTuple(x: unknown): x is readonly unknown[] {
  return Array.isArray(x) && Object.isFrozen(x);
}

function isBuildable(x: unknown): x is PickleBuildable {
  return typeof x === 'object' && x !== null && typeof (x as PickleBuildable).setState === 'function';
}

/** Unpickles `bytes` and returns the value at STOP. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  const globals = options.globals ?? BASE_GLOBALS;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opStart = 0;
  let op = 0;

  const fail = (message: string): never => {
    throw new Error(`pickle: ${message} (opcode ${describeByte(op)} at byte ${opStart})`);
  };
  const need = (n: number): number => {
    if (n > bytes.length - pos) fail(`truncated: needs ${n} bytes, ${bytes.length - pos} left`);
    const at = pos;
    pos += n;
    return at;
  };
  const readU8 = () => bytes[need(1)];
  const readU16 = () => view.getUint16(need(2), true);
  const readU32 = () => view.getUint32(need(4), true);
  const readU64 = () => {
    const at = need(8);
    return view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
  };
  const readBytes = (n: number) => bytes.subarray(need(n), pos);
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated: newline-terminated argument never ends');
    const line = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return line;
  };
  const readUtf8 = (n: number): string => {
    const raw = readBytes(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const readLong = (n: number): number | bigint => {
    if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too large`);
    const raw = readBytes(n);
    if (n === 0) return 0;
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw[n - 1] & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  const floor = () => (marks.length ? marks[marks.length - 1] : 0);
  const pop = (): unknown => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('no MARK to pop to');
    return stack.splice(mark as number);
  };
  const memoGet = (key: number): unknown => {
    if (!memo.has(key)) fail(`memo key ${key} was never stored`);
    return memo.get(key);
  };
  const memoPut = (key: number) => {
    memo.set(key, top());
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    const fn = globals.get(qualified);
    if (!fn) fail(`global '${qualified}' is not allowed: only known torch and collections names are loaded, nothing is executed`);
    return new PickleGlobal(qualified, fn as (args: readonly unknown[]) => unknown);
  };
  const callGlobal = (func: unknown, args: unknown, what: string): unknown => {
    if (!(func instanceof PickleGlobal)) fail(`${what} target is not a whitelisted global`);
    if (!isTuple(args)) fail(`${what} arguments are not a tuple`);
    return (func as PickleGlobal).call(args as readonly unknown[]);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('target is not a dict');
    if (items.length % 2 !== 0) fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail('target is not a list');
    for (const item of items) (target as unknown[]).push(item);
  };

  while (pos < bytes.length) {
    opStart = pos;
    op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const version = readU8();
        if (version > 5) fail(`unsupported protocol ${version}`);
        break;
      }
      case 0x95: { // FRAME: a length prefix for buffering; the opcodes inside are read as usual
        const length = readU64();
        if (length > bytes.length - pos) fail(`truncated: frame of ${length} bytes, ${bytes.length - pos} left`);
        break;
      }
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x58: stack.push(readUtf8(readU32())); break; // BINUNICODE
      case 0x8c: stack.push(readUtf8(readU8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(readUtf8(readU64())); break; // BINUNICODE8
      case 0x54: { // BINSTRING (python 2 str, signed length)
        const length = view.getInt32(need(4), true);
        if (length < 0) fail('negative string length');
        stack.push(latin1.decode(readBytes(length)));
        break;
      }
      case 0x55: stack.push(latin1.decode(readBytes(readU8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(readBytes(readU32()).slice()); break; // BINBYTES
      case 0x43: stack.push(readBytes(readU8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(readBytes(readU64()).slice()); break; // BINBYTES8
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(readU8()); break; // BININT1
      case 0x4d: stack.push(readU16()); break; // BININT2
      case 0x8a: stack.push(readLong(readU8())); break; // LONG1
      case 0x8b: { // LONG4
        const length = view.getInt32(need(4), true);
        if (length < 0) fail('negative integer length');
        stack.push(readLong(length));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4e: stack.push(null); break; // NONE
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: { // TUPLE1
        const a = pop();
        stack.push(Object.freeze([a]));
        break;
      }
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b, c]));
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71: memoPut(readU8()); break; // BINPUT
      case 0x72: memoPut(readU32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: stack.push(memoGet(readU8())); break; // BINGET
      case 0x6a: stack.push(memoGet(readU32())); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = readLine();
        const name = readLine();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('module and name are not strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: { // NEWOBJ: only whitelisted classes, built like REDUCE
        const args = pop();
        const func = pop();
        stack.push(callGlobal(func, args, op === 0x52 ? 'REDUCE' : 'NEWOBJ'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (isBuildable(target)) target.setState(state);
        else if (!(target instanceof Map)) fail('BUILD on an object that takes no state');
        // A Map is an OrderedDict: its state is attributes (a state dict's _metadata), not items.
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('persistent id without a loader');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x2e: // STOP
        return pop();
      default:
        throw new Error(
          `pickle: unsupported opcode ${describeByte(op)} at byte ${opStart} (only the binary protocols torch.save writes are read)`,
        );
    }
  }
  throw new Error(`pickle: truncated: ended after ${bytes.length} bytes without STOP`);
}
