/**
 * Deep equality as bun:test (and Jest) define it for `toEqual` and
 * `toMatchObject`: properties whose value is undefined are ignored, classes
 * are not compared (only the built-in kind: array, typed array, Date, ...),
 * and asymmetric matchers such as expect.stringMatching match in place.
 */

/** A value that decides for itself whether it matches (expect.stringMatching, expect.any, ...). */
export interface AsymmetricMatcher {
  asymmetricMatch(actual: unknown): boolean;
  toString(): string;
}

/** True for asymmetric matchers. */
export function isAsymmetric(value: unknown): value is AsymmetricMatcher {
  return typeof value === "object" && value !== null && typeof (value as Partial<AsymmetricMatcher>).asymmetricMatch === "function";
}

const kind = (value: unknown) => Object.prototype.toString.call(value);

/** `toEqual`: recursive equality; `subset` makes it `toMatchObject` (extra actual properties are allowed). */
export function deepEqual(actual: unknown, expected: unknown, subset = false): boolean {
  if (isAsymmetric(expected)) return expected.asymmetricMatch(actual);
  if (Object.is(actual, expected)) return true;
  if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) return false;
  if (kind(actual) !== kind(expected)) return false;
  if (actual instanceof Date) return actual.getTime() === (expected as Date).getTime();
  if (actual instanceof RegExp) return String(actual) === String(expected);
  if (ArrayBuffer.isView(actual)) return bytesEqual(actual, expected as ArrayBufferView);
  if (actual instanceof Map) return mapsEqual(actual, expected as Map<unknown, unknown>, subset);
  if (actual instanceof Set) return [...(expected as Set<unknown>)].every((item) => [...actual].some((other) => deepEqual(other, item, subset))) && actual.size === (expected as Set<unknown>).size;
  if (Array.isArray(actual)) {
    const list = expected as unknown[];
    return actual.length === list.length && list.every((item, index) => deepEqual(actual[index], item, subset));
  }
  if (actual instanceof Error && (actual.message !== (expected as Error).message || actual.name !== (expected as Error).name)) return false;
  return objectsEqual(actual as Record<string, unknown>, expected as Record<string, unknown>, subset);
}

function objectsEqual(actual: Record<string, unknown>, expected: Record<string, unknown>, subset: boolean): boolean {
  const defined = (object: Record<string, unknown>) => Object.keys(object).filter((key) => object[key] !== undefined);
  const wanted = defined(expected);
  if (!subset && defined(actual).length !== wanted.length) return false;
  return wanted.every((key) => Object.hasOwn(actual, key) && deepEqual(actual[key], expected[key], subset));
}

function bytesEqual(actual: ArrayBufferView, expected: ArrayBufferView): boolean {
  const a = new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function mapsEqual(actual: Map<unknown, unknown>, expected: Map<unknown, unknown>, subset: boolean): boolean {
  if (!subset && actual.size !== expected.size) return false;
  return [...expected].every(([key, value]) => actual.has(key) && deepEqual(actual.get(key), value, subset));
}
