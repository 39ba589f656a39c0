/**
 * The fan-out's answer: one entry per matched client with its own outcome,
 * as one JSON document or as NDJSON lines. Reply data is shown as JSON when
 * its mimetype says JSON and it parses, as text when its mimetype is textual
 * and it is UTF-8, else as base64 with `"encoding": "base64"`.
 */
import type { EventReply } from "../wire/index.ts";

/** One client's outcome. */
export interface FanoutEntry {
  /** The HTTP status a single request to this client would have had. */
  readonly status: number;
  /** X-Event-Return-Code of that request. */
  readonly code: number;
  readonly mimetype?: string;
  readonly data?: unknown;
  readonly encoding?: "base64";
  /** Why there is no reply (503, 504, 502, ...) or why its data is left out. */
  readonly error?: string;
}

/** How many were asked and how many replied (handler errors included: they are replies). */
export interface FanoutSummary {
  readonly matched: number;
  readonly answered: number;
}

const TEXT_MIME = /^(text\/|application\/(xml|javascript|x-www-form-urlencoded)\b)|\+xml\b|;\s*charset=/i;
const JSON_MIME = /^application\/(json|[\w.+-]+\+json)\b/i;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The JSON text of entries' data, when it is the reply's own bytes: a JSON
 * reply that parsed is embedded as it came (JSON.parse checked it is one
 * JSON value) instead of being stringified again, which was most of what
 * building an answer cost. Only text without line breaks, so that an NDJSON
 * line stays one line.
 */
const rawJson = new WeakMap<FanoutEntry, string>();

/** The entry of a client that replied; `status` comes from the front's code → status table. */
export function replyEntry(reply: EventReply, status: number): FanoutEntry {
  const code = reply.code ?? 0;
  const mimetype = reply.mimetype ?? "";
  const data = reply.data ?? new Uint8Array(0);
  if (data.length === 0) return { status, code, mimetype, data: null };
  const text = utf8(data);
  if (text !== undefined && JSON_MIME.test(mimetype)) {
    try {
      const entry: FanoutEntry = { status, code, mimetype, data: JSON.parse(text) as unknown };
      if (text.indexOf("\n") < 0 && text.indexOf("\r") < 0) rawJson.set(entry, text);
      return entry;
    } catch {
      // Not JSON after all: shown as text below.
    }
  }
  if (text !== undefined && (TEXT_MIME.test(mimetype) || JSON_MIME.test(mimetype))) return { status, code, mimetype, data: text };
  return { status, code, mimetype, data: base64(data), encoding: "base64" };
}

/** The entry of a client that replied but whose data is left out (`error` says why). */
export function droppedEntry(reply: EventReply, status: number, error: string): FanoutEntry {
  return { status, code: reply.code ?? 0, mimetype: reply.mimetype ?? "", error };
}

/** The entry of a client that gave no reply. */
export function errorEntry(outcome: { readonly status: number; readonly code: number; readonly message: string }): FanoutEntry {
  return { status: outcome.status, code: outcome.code, error: outcome.message };
}

/** An entry as a JSON object, built by hand in the order JSON.stringify would give (its data as it came, when it can be). */
export function entryJson(entry: FanoutEntry): string {
  let json = `"status":${number(entry.status)},"code":${number(entry.code)}`;
  if (entry.mimetype !== undefined) json += `,"mimetype":${jsonString(entry.mimetype)}`;
  if (entry.data !== undefined) json += `,"data":${rawJson.get(entry) ?? JSON.stringify(entry.data)}`;
  if (entry.encoding !== undefined) json += `,"encoding":${JSON.stringify(entry.encoding)}`;
  if (entry.error !== undefined) json += `,"error":${JSON.stringify(entry.error)}`;
  return `{${json}}`;
}

/** A number as JSON (what JSON.stringify writes: null for NaN and infinities). */
const number = (value: number) => (Number.isFinite(value) ? String(value) : "null");

/** A JSON string literal; plain printable ASCII (the usual CN or mimetype) without calling JSON.stringify. */
function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/**
 * The JSON answer, built as entries are known: each entry's JSON is made
 * when it arrives, so that the end of a fan-out only sorts and joins (the
 * whole document at the end was the server's largest fan-out cost after the
 * sockets).
 */
export class FanoutDocument {
  readonly #parts = new Map<string, string>();

  /** Adds (or replaces) the entry of `name`. */
  add(name: string, entry: FanoutEntry): void {
    this.#parts.set(name, entryJson(entry));
  }

  /** The document, results sorted by CN. Built by hand: a CN such as "__proto__" must stay a plain key. */
  text(summary: FanoutSummary): string {
    const names = [...this.#parts.keys()].sort();
    const body = names.map((name) => `${jsonString(name)}:${this.#parts.get(name)!}`).join(",");
    return `{"matched":${summary.matched},"answered":${summary.answered},"results":{${body}}}`;
  }
}

/** The whole answer as one JSON document, results sorted by CN. */
export function fanoutDocument(summary: FanoutSummary, results: ReadonlyMap<string, FanoutEntry>): string {
  const document = new FanoutDocument();
  for (const [name, entry] of results) document.add(name, entry);
  return document.text(summary);
}

/** One NDJSON line of a client's entry: `{"client": "<cn>", ...entry}`. */
export function ndjsonEntry(name: string, entry: FanoutEntry): string {
  return `{"client":${jsonString(name)},${entryJson(entry).slice(1)}\n`;
}

/** The last NDJSON line: `{"matched": n, "answered": k}`. */
export function ndjsonSummary(summary: FanoutSummary): string {
  return `${JSON.stringify({ matched: summary.matched, answered: summary.answered })}\n`;
}

function utf8(data: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(data);
  } catch {
    return undefined;
  }
}

/** Standard base64 (web-standard btoa, so that it runs on every runtime), in chunks that fit fromCharCode's arguments. */
export function base64(data: Uint8Array): string {
  let binary = "";
  for (let at = 0; at < data.length; at += 0x8000) binary += String.fromCharCode(...data.subarray(at, at + 0x8000));
  return btoa(binary);
}
