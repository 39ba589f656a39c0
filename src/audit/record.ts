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

/** The second whose `{"time":"…T…:SS.` prefix is cached, and that prefix as bytes (copied into each line of that second). */
let prefixSecond = Number.NaN;
let prefix = new Uint8Array(0);

/** `{"time":"<ISO 8601 up to the seconds' dot>` for `second` (epoch): one Date per second, not per line. */
function timePrefix(second: number): Uint8Array {
  if (second !== prefixSecond) {
    prefixSecond = second;
    const iso = new Date(second * 1000).toISOString(); // ends with ".000Z"
    prefix = textEncoder.encode(`{"time":"${iso.slice(0, -4)}`);
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

/**
 * Parts of a line a node repeats (the same few peers, nouns, codes and
 * sizes): each way, the last RECENT_PARTS of each kind are kept as bytes with
 * what they were made of, and copied when a line repeats one. A part seen
 * for the first time is written straight into the line and then copied out
 * (`slice`): a scratch array per new part, viewed with `subarray`, cost more
 * than the copy saved (JavaScriptCore gives a small typed array an
 * ArrayBuffer the first time it is viewed), and a reply whose length changes
 * (a float in JSON) missed on every other line.
 */
export const RECENT_PARTS = 4;

/** Bytes of a line's part and what they were made of. */
interface Part<K> {
  readonly key: K;
  readonly bytes: Uint8Array;
}

/** The parts kept for one way, and where the next one goes once it holds RECENT_PARTS. */
interface Recent<K> {
  readonly parts: Array<Part<K>>;
  next: number;
}

const recent = <K>(): Record<Direction, Recent<K>> => ({ in: { parts: [], next: 0 }, out: { parts: [], next: 0 } });

/** Keeps out[from, to) as the bytes of `key`, in place of the oldest part kept when full. */
function keep<K>(kept: Recent<K>, key: K, out: Uint8Array, from: number, to: number): void {
  const part = { key, bytes: out.slice(from, to) };
  if (kept.parts.length < RECENT_PARTS) kept.parts.push(part);
  else {
    kept.parts[kept.next] = part;
    kept.next = (kept.next + 1) % RECENT_PARTS;
  }
}

/** Copies `part` at `at`; returns the end. */
function copy(out: Uint8Array, at: number, part: Part<unknown>): number {
  out.set(part.bytes, at);
  return at + part.bytes.length;
}

interface Who {
  readonly cn: string;
  readonly verb: string;
  readonly noun: string;
  readonly caller: string | undefined;
}
const recentWho = recent<Who>();

/** Writes `Z","direction":…,"caller":…` (direction, CN, verb, noun, caller). */
function putWho(out: Uint8Array, at: number, record: AuditRecord, noun: string): number {
  const kept = recentWho[record.direction];
  for (const part of kept.parts) {
    const who = part.key;
    if (who.cn === record.cn && who.verb === record.verb && who.noun === noun && who.caller === record.caller) return copy(out, at, part);
  }
  const start = at;
  at = putAscii(out, at, `Z","direction":"`);
  at = putAscii(out, at, record.direction);
  at = putAscii(out, at, `","cn":`);
  at = putString(out, at, record.cn);
  at = putAscii(out, at, `,"verb":`);
  at = putString(out, at, clip(record.verb));
  at = putAscii(out, at, `,"noun":`);
  at = putString(out, at, clip(noun));
  at = putAscii(out, at, `,"caller":`);
  at = putOptional(out, at, record.caller);
  keep(kept, { cn: record.cn, verb: record.verb, noun, caller: record.caller }, out, start, at);
  return at;
}

interface Counts {
  readonly code: number;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}
const recentCounts = recent<Counts>();

/** Writes `,"code":…,"duration_ms":` (code, status, bytes in and out). */
function putCounts(out: Uint8Array, at: number, record: AuditRecord): number {
  const kept = recentCounts[record.direction];
  for (const part of kept.parts) {
    const counts = part.key;
    if (counts.bytesOut === record.bytesOut && counts.bytesIn === record.bytesIn && counts.code === record.code && counts.status === record.status) return copy(out, at, part);
  }
  const start = at;
  at = putAscii(out, at, `,"code":`);
  at = putNumber(out, at, record.code);
  at = putAscii(out, at, `,"status":`);
  at = putNumber(out, at, record.status);
  at = putAscii(out, at, `,"bytes_in":`);
  at = putNumber(out, at, record.bytesIn);
  at = putAscii(out, at, `,"bytes_out":`);
  at = putNumber(out, at, record.bytesOut);
  at = putAscii(out, at, `,"duration_ms":`);
  keep(kept, { code: record.code, status: record.status, bytesIn: record.bytesIn, bytesOut: record.bytesOut }, out, start, at);
  return at;
}

const recentRules = recent<number | undefined>();

/** Writes `,"rule":…,"traceparent":` (the rule, or null). */
function putRule(out: Uint8Array, at: number, record: AuditRecord): number {
  const kept = recentRules[record.direction];
  for (const part of kept.parts) if (part.key === record.rule) return copy(out, at, part);
  const start = at;
  at = putAscii(out, at, `,"rule":`);
  at = putNumber(out, at, record.rule);
  at = putAscii(out, at, `,"traceparent":`);
  keep(kept, record.rule, out, start, at);
  return at;
}

/**
 * Writes the JSON line of a record (with its trailing newline) into `out` at
 * `at`, at `epochMs`, in a fixed key order; returns the end. `out` must hold
 * maxLineBytes(record) from `at`. Written byte by byte: a string per line,
 * joined and encoded per batch, was 12 % of the server's CPU profile and
 * 19 % of the client's at c=64 (the join and the re-encode half of it);
 * this way 2 % and 8 %. The direction-to-caller part, the code-to-bytes part
 * and the rule part are copied when they repeat a recent line's (see
 * RECENT_PARTS; test/bench/audit-lines.ts: 0.50 → 0.41 µs a line in this
 * process alone for the first, 0.36 → 0.25 µs for the other two).
 */
export function encodeAuditLine(record: AuditRecord, epochMs: number, showArgs: boolean, out: Uint8Array, at: number): number {
  const second = Math.floor(epochMs / 1000);
  const ms = epochMs - second * 1000;
  const time = timePrefix(second);
  out.set(time, at);
  at += time.length;
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
