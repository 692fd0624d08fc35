/**
 * A short description of an untrusted value for an error message. JSON.stringify and
 * Array#toString recurse, so a value nested a few hundred thousand levels deep (cheap to write in
 * JSON or a pickle) overflows the stack with a RangeError; this looks at most a few levels down
 * and a few items across.
 */
const MAX_DEPTH = 3;
const MAX_ITEMS = 6;
const MAX_STRING = 60;

export function describeValue(x: unknown, depth = 0): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'string') return JSON.stringify(x.length > MAX_STRING ? `${x.slice(0, MAX_STRING)}…` : x);
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return String(x);
  if (typeof x === 'object' && 'qualifiedName' in x && typeof x.qualifiedName === 'string') return x.qualifiedName;
  if (x instanceof Uint8Array) return `bytes(${x.length})`;
  if (x instanceof Map) return `dict(${x.size})`;
  if (Array.isArray(x)) {
    if (depth >= MAX_DEPTH) return x.length === 0 ? '[]' : '[…]';
    const items = x.slice(0, MAX_ITEMS).map((item) => describeValue(item, depth + 1));
    if (x.length > MAX_ITEMS) items.push('…');
    return `[${items.join(',')}]`;
  }
  if (typeof x === 'object') {
    if (depth >= MAX_DEPTH) return '{…}';
    const keys = Object.keys(x);
    const items = keys.slice(0, MAX_ITEMS).map((k) => `${JSON.stringify(k)}:${describeValue((x as Record<string, unknown>)[k], depth + 1)}`);
    if (keys.length > MAX_ITEMS) items.push('…');
    return `{${items.join(',')}}`;
  }
  return typeof x;
}
