/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent`
 * and `tracestate` as received are checked; one that does not parse is
 * treated as absent, as the recommendation says (a new trace is started and
 * its tracestate dropped), so a bad header never refuses a request.
 */

// A traceparent is `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; later versions may append `-...`.

/** Longest tracestate kept (the recommendation asks for at least 512 characters to be propagated). */
export const MAX_TRACESTATE_LENGTH = 512;
/** Most list members in a tracestate. */
export const MAX_TRACESTATE_MEMBERS = 32;

const TRACESTATE_KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** True for the character codes of 0-9 and a-f. */
function isLowerHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66);
}

/** True when value[from, to) is lower-case hex and not all zeros. */
function hexRun(value: string, from: number, to: number, zerosAllowed: boolean): boolean {
  let nonZero = zerosAllowed;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    if (!isLowerHex(code)) return false;
    if (code !== 0x30) nonZero = true;
  }
  return nonZero;
}

/**
 * True when `value` is a traceparent this implementation passes on. Checked
 * by hand (the regular expression was 6 % of an answering node's samples).
 */
export function isValidTraceparent(value: string): boolean {
  if (value.length < 55 || value.charCodeAt(2) !== 0x2d || value.charCodeAt(35) !== 0x2d || value.charCodeAt(52) !== 0x2d) return false;
  if (!hexRun(value, 0, 2, true) || !hexRun(value, 3, 35, false) || !hexRun(value, 36, 52, false) || !hexRun(value, 53, 55, true)) return false;
  const version = value.slice(0, 2);
  if (version === "ff") return false;
  if (version === "00") return value.length === 55;
  return value.length === 55 || value.charCodeAt(55) === 0x2d; // a later version may append "-..."
}

/** True when `value` is a well-formed tracestate list (bounded in length and members). */
export function isValidTracestate(value: string): boolean {
  if (value.length > MAX_TRACESTATE_LENGTH) return false;
  const members = value.split(",").map((member) => member.trim()).filter((member) => member !== "");
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return false;
  return members.every((member) => {
    const eq = member.indexOf("=");
    return eq > 0 && TRACESTATE_KEY.test(member.slice(0, eq)) && TRACESTATE_VALUE.test(member.slice(eq + 1));
  });
}

/** The trace id of a valid traceparent. */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

/**
 * A new traceparent, not sampled (RestPipe records no spans). The ids come
 * from version-4 UUIDs (122 random bits for the trace id; never all zeros):
 * `crypto.randomUUID` is native in Bun and Deno and cost a third of a
 * hand-made hex string per request.
 */
export function newTraceparent(uuid: () => string = () => crypto.randomUUID()): string {
  const a = uuid();
  const b = uuid();
  return `00-${a.slice(0, 8)}${a.slice(9, 13)}${a.slice(14, 18)}${a.slice(19, 23)}${a.slice(24, 36)}-${b.slice(0, 8)}${b.slice(9, 13)}${b.slice(14, 18)}-00`;
}

/** The trace context to carry: the given one when valid, else a new traceparent and no tracestate. */
export function traceContext(traceparent: string | undefined, tracestate: string | undefined): { traceparent: string; tracestate: string | undefined } {
  if (traceparent === undefined || !isValidTraceparent(traceparent)) return { traceparent: newTraceparent(), tracestate: undefined };
  return { traceparent, tracestate: tracestate !== undefined && isValidTracestate(tracestate) ? tracestate : undefined };
}
