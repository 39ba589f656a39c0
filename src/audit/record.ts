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

let isoMs = -1;
let isoText = "";

/** `epochMs` as ISO 8601, remembered for the last millisecond asked (lines come in bursts). */
function isoTime(epochMs: number): string {
  if (epochMs !== isoMs) {
    isoMs = epochMs;
    isoText = new Date(epochMs).toISOString();
  }
  return isoText;
}

/** A JSON string literal; plain printable ASCII (the usual CN, verb, noun) without calling JSON.stringify. */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

const optional = (text: string | undefined) => (text === undefined ? "null" : quote(text));

/**
 * The JSON line of a record (with a trailing newline), at `epochMs`. Built
 * by hand, in a fixed key order: JSON.stringify of the object was a third
 * of an audit line's cost.
 */
export function auditLine(record: AuditRecord, epochMs: number, showArgs: boolean): string {
  const noun = clip(showArgs ? record.noun : redactNoun(record.noun));
  const ms = Math.round(record.durationMs * 1000) / 1000;
  return (
    `{"time":"${isoTime(epochMs)}","direction":"${record.direction}","cn":${quote(record.cn)},"verb":${quote(clip(record.verb))},` +
    `"noun":${quote(noun)},"caller":${optional(record.caller)},"code":${record.code},"status":${record.status},` +
    `"bytes_in":${record.bytesIn},"bytes_out":${record.bytesOut},"duration_ms":${Number.isFinite(ms) ? ms : 0},` +
    `"rule":${record.rule ?? "null"},"traceparent":${optional(record.traceparent)}}\n`
  );
}
