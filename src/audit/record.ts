/** One audit line: what was called, by whom, with what outcome; JSON, one per line. */

/** Which way the event went, seen from this node: `out` sent by this front, `in` handled here. */
export type Direction = "in" | "out";

/** The fields of one audit line. */
export interface AuditRecord {
  readonly direction: Direction;
  /** The peer's CN: who called (in), or who was called (out); "" when the request never reached a pipe. */
  readonly cn: string;
  readonly verb: string;
  /** The raw noun; its arguments are redacted unless configured otherwise. */
  readonly noun: string;
  readonly caller: string | undefined;
  /** The reply code (X-Event-Return-Code). */
  readonly code: number;
  /** The HTTP status the front answered (out), or that the code maps to (in). */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  /** The policy rule that decided (in; 0: the default), undefined when no policy judged. */
  readonly rule: number | undefined;
  readonly traceparent: string | undefined;
}

/** What replaces the arguments of a noun (after `//`) unless they are shown. */
export const REDACTED_ARGS = "<redacted>";

/** Longest verb or noun an audit line holds; a peer may send longer ones (the front refuses nouns over 2048 bytes). */
export const MAX_AUDIT_TEXT = 2_048;

/** `text`, or its first MAX_AUDIT_TEXT characters and how many more there were. */
function clip(text: string): string {
  return text.length <= MAX_AUDIT_TEXT ? text : `${text.slice(0, MAX_AUDIT_TEXT)}...(${text.length - MAX_AUDIT_TEXT} more)`;
}

/** `files//a.txt` → `files//<redacted>`; a noun without arguments as it is. */
export function redactNoun(noun: string): string {
  const at = noun.indexOf("//");
  return at < 0 ? noun : `${noun.slice(0, at + 2)}${REDACTED_ARGS}`;
}

/** Text a line's JSON is made of, as bytes: lines are written into byte chunks, never built as strings. */
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Bytes of a line besides its texts: the keys, the time, five numbers (at most 24 characters each) and the newline. */
const FIXED_LINE_BYTES = 400;

/**
 * Most bytes the line of `record` can take: JSON escapes a UTF-16 unit in at
 * most 6 bytes (`\u001f`), UTF-8 in at most 3; verb and noun are clipped first.
 */
export function maxLineBytes(record: AuditRecord): number {
  const texts = record.cn.length + Math.min(record.verb.length, MAX_AUDIT_TEXT + 32) + Math.min(record.noun.length, MAX_AUDIT_TEXT + 32) + REDACTED_ARGS.length;
  return FIXED_LINE_BYTES + 6 * (texts + (record.caller?.length ?? 4) + (record.traceparent?.length ?? 4));
}

/** The second whose `{"time":"…T…:SS.` prefix is cached, and that prefix (ASCII). */
let prefixSecond = Number.NaN;
let prefix = "";

/** `{"time":"<ISO 8601 up to the seconds' dot>` for the second of `epochMs`: one Date per second, not per line. */
function timePrefix(second: number): string {
  if (second !== prefixSecond) {
    prefixSecond = second;
    const iso = new Date(second * 1000).toISOString(); // ends with ".000Z"
    prefix = `{"time":"${iso.slice(0, -4)}`;
  }
  return prefix;
}

/** Writes ASCII `text` (the line's own keys and numbers) at `at`; returns the end. */
function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** Writes `text` as a JSON string literal at `at`: plain printable ASCII (the usual CN, verb, noun) byte by byte, anything else through JSON.stringify. */
function putString(out: Uint8Array, at: number, text: string): number {
  const start = at;
  out[at++] = 0x22;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return start + textEncoder.encodeInto(JSON.stringify(text), out.subarray(start)).written;
    out[at++] = c;
  }
  out[at++] = 0x22;
  return at;
}

function putOptional(out: Uint8Array, at: number, text: string | undefined): number {
  return text === undefined ? putAscii(out, at, "null") : putString(out, at, text);
}

/** Writes a whole number (or `null` when absent) at `at`: digits by hand below 2^53, String() beyond (number to text was a third of a line's cost). */
function putNumber(out: Uint8Array, at: number, value: number | undefined): number {
  if (value === undefined) return putAscii(out, at, "null");
  if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value))) return putAscii(out, at, Number.isFinite(value) ? String(value) : "0");
  return putDigits(out, at, value);
}

/** Writes the decimal digits of a whole number 0 ≤ value ≤ 2^53. */
function putDigits(out: Uint8Array, at: number, value: number): number {
  if (value < 10) {
    out[at] = 0x30 + value;
    return at + 1;
  }
  if (value < 100) {
    out[at] = 0x30 + Math.floor(value / 10);
    out[at + 1] = 0x30 + (value % 10);
    return at + 2;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let end = at + digits;
  for (let rest = value; end > at; rest = Math.floor(rest / 10)) out[--end] = 0x30 + (rest % 10);
  return at + digits;
}

/** Writes milliseconds rounded to three decimals, as the shortest JSON number (`1.235`, `9`, `0.5`). */
function putMillis(out: Uint8Array, at: number, ms: number): number {
  const thousandths = Math.round(ms * 1000);
  if (!(thousandths >= 0 && thousandths <= Number.MAX_SAFE_INTEGER)) return putAscii(out, at, Number.isFinite(ms) ? String(Math.round(ms * 1000) / 1000) : "0");
  at = putDigits(out, at, Math.floor(thousandths / 1000));
  let fraction = thousandths % 1000;
  if (fraction === 0) return at;
  out[at++] = 0x2e;
  out[at++] = 0x30 + Math.floor(fraction / 100);
  fraction %= 100;
  if (fraction === 0) return at;
  out[at++] = 0x30 + Math.floor(fraction / 10);
  fraction %= 10;
  if (fraction !== 0) out[at++] = 0x30 + fraction;
  return at;
}

/** The last noun redacted, and how (a node sees the same few nouns again and again). */
let lastNoun = "";
let lastRedacted = "";

function redacted(noun: string): string {
  if (noun !== lastNoun) {
    lastNoun = noun;
    lastRedacted = redactNoun(noun);
  }
  return lastRedacted;
}

/** The bytes from `Z","direction"` to the caller of the last line each way, and what they were made of: a node repeats the same few. */
interface Who {
  cn: string;
  verb: string;
  noun: string;
  caller: string | undefined;
  bytes: Uint8Array;
}
const lastWho: Record<Direction, Who | undefined> = { in: undefined, out: undefined };

/** Writes `Z","direction":…,"caller":…` (direction, CN, verb, noun, caller): copied when the same as the last line's that way. */
function putWho(out: Uint8Array, at: number, record: AuditRecord, noun: string): number {
  let who = lastWho[record.direction];
  if (who === undefined || who.cn !== record.cn || who.verb !== record.verb || who.noun !== noun || who.caller !== record.caller) {
    const scratch = new Uint8Array(64 + 6 * (record.cn.length + Math.min(record.verb.length, MAX_AUDIT_TEXT + 32) + Math.min(noun.length, MAX_AUDIT_TEXT + 32) + (record.caller?.length ?? 4)));
    let end = putAscii(scratch, 0, `Z","direction":"`);
    end = putAscii(scratch, end, record.direction);
    end = putAscii(scratch, end, `","cn":`);
    end = putString(scratch, end, record.cn);
    end = putAscii(scratch, end, `,"verb":`);
    end = putString(scratch, end, clip(record.verb));
    end = putAscii(scratch, end, `,"noun":`);
    end = putString(scratch, end, clip(noun));
    end = putAscii(scratch, end, `,"caller":`);
    end = putOptional(scratch, end, record.caller);
    who = { cn: record.cn, verb: record.verb, noun, caller: record.caller, bytes: scratch.subarray(0, end) };
    lastWho[record.direction] = who;
  }
  out.set(who.bytes, at);
  return at + who.bytes.length;
}

/** The bytes from `,"code":` to `"duration_ms":` of the last line each way, and the numbers they hold: a node answers the same few. */
interface Counts {
  code: number;
  status: number;
  bytesIn: number;
  bytesOut: number;
  bytes: Uint8Array;
}
const lastCounts: Record<Direction, Counts | undefined> = { in: undefined, out: undefined };

/** Writes `,"code":…,"duration_ms":` (code, status, bytes in and out): copied when the same as the last line's that way. */
function putCounts(out: Uint8Array, at: number, record: AuditRecord): number {
  let counts = lastCounts[record.direction];
  if (counts === undefined || counts.code !== record.code || counts.status !== record.status || counts.bytesIn !== record.bytesIn || counts.bytesOut !== record.bytesOut) {
    const scratch = new Uint8Array(160); // four numbers of at most 24 characters and the keys
    let end = putAscii(scratch, 0, `,"code":`);
    end = putNumber(scratch, end, record.code);
    end = putAscii(scratch, end, `,"status":`);
    end = putNumber(scratch, end, record.status);
    end = putAscii(scratch, end, `,"bytes_in":`);
    end = putNumber(scratch, end, record.bytesIn);
    end = putAscii(scratch, end, `,"bytes_out":`);
    end = putNumber(scratch, end, record.bytesOut);
    end = putAscii(scratch, end, `,"duration_ms":`);
    counts = { code: record.code, status: record.status, bytesIn: record.bytesIn, bytesOut: record.bytesOut, bytes: scratch.subarray(0, end) };
    lastCounts[record.direction] = counts;
  }
  out.set(counts.bytes, at);
  return at + counts.bytes.length;
}

/** `,"rule":N,"traceparent":` of the last line each way, and its rule (undefined: null). */
const lastRule: Record<Direction, { rule: number | undefined; bytes: Uint8Array } | undefined> = { in: undefined, out: undefined };

/** Writes `,"rule":…,"traceparent":`: copied when the rule is the last line's that way. */
function putRule(out: Uint8Array, at: number, record: AuditRecord): number {
  let last = lastRule[record.direction];
  if (last === undefined || last.rule !== record.rule) {
    const scratch = new Uint8Array(64);
    let end = putAscii(scratch, 0, `,"rule":`);
    end = putNumber(scratch, end, record.rule);
    end = putAscii(scratch, end, `,"traceparent":`);
    last = { rule: record.rule, bytes: scratch.subarray(0, end) };
    lastRule[record.direction] = last;
  }
  out.set(last.bytes, at);
  return at + last.bytes.length;
}

/**
 * Writes the JSON line of a record (with its trailing newline) into `out` at
 * `at`, at `epochMs`, in a fixed key order; returns the end. `out` must hold
 * maxLineBytes(record) from `at`. Written byte by byte: a string per line,
 * joined and encoded per batch, was 12 % of the server's CPU profile and
 * 19 % of the client's at c=64 (the join and the re-encode half of it);
 * this way 2 % and 8 %. The direction-to-caller part of the last line each
 * way is copied when it repeats (test/bench/audit-lines.ts: 0.50 → 0.41 µs a
 * line in this process alone), and so are the code-to-bytes part and the
 * rule part (0.36 → 0.25 µs a line in a tight loop).
 */
export function encodeAuditLine(record: AuditRecord, epochMs: number, showArgs: boolean, out: Uint8Array, at: number): number {
  const second = Math.floor(epochMs / 1000);
  const ms = epochMs - second * 1000;
  at = putAscii(out, at, timePrefix(second));
  out[at++] = 0x30 + Math.floor(ms / 100);
  out[at++] = 0x30 + (Math.floor(ms / 10) % 10);
  out[at++] = 0x30 + (ms % 10);
  at = putWho(out, at, record, showArgs ? record.noun : redacted(record.noun));
  at = putCounts(out, at, record);
  at = putMillis(out, at, record.durationMs);
  at = putRule(out, at, record);
  at = putOptional(out, at, record.traceparent);
  out[at++] = 0x7d;
  out[at++] = 0x0a;
  return at;
}

/** The JSON line of a record (with a trailing newline), at `epochMs`: what encodeAuditLine writes, as text. */
export function auditLine(record: AuditRecord, epochMs: number, showArgs: boolean): string {
  const out = new Uint8Array(maxLineBytes(record));
  return textDecoder.decode(out.subarray(0, encodeAuditLine(record, Math.floor(epochMs), showArgs, out, 0)));
}
