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

/** The entry of a client that replied; `status` comes from the front's code → status table. */
export function replyEntry(reply: EventReply, status: number): FanoutEntry {
  const code = reply.code ?? 0;
  const mimetype = reply.mimetype ?? "";
  return { status, code, mimetype, ...dataOf(mimetype, reply.data ?? new Uint8Array(0)) };
}

/** The entry of a client that replied but whose data is left out (`error` says why). */
export function droppedEntry(reply: EventReply, status: number, error: string): FanoutEntry {
  return { status, code: reply.code ?? 0, mimetype: reply.mimetype ?? "", error };
}

/** The entry of a client that gave no reply. */
export function errorEntry(outcome: { readonly status: number; readonly code: number; readonly message: string }): FanoutEntry {
  return { status: outcome.status, code: outcome.code, error: outcome.message };
}

/** The whole answer as one JSON document, results sorted by CN. */
export function fanoutDocument(summary: FanoutSummary, results: ReadonlyMap<string, FanoutEntry>): string {
  const names = [...results.keys()].sort();
  // Built by hand: a CN such as "__proto__" must stay a plain key.
  const body = names.map((name) => `${JSON.stringify(name)}:${JSON.stringify(results.get(name))}`).join(",");
  return `{"matched":${summary.matched},"answered":${summary.answered},"results":{${body}}}`;
}

/** One NDJSON line of a client's entry: `{"client": "<cn>", ...entry}`. */
export function ndjsonEntry(name: string, entry: FanoutEntry): string {
  return `${JSON.stringify({ client: name, ...entry })}\n`;
}

/** The last NDJSON line: `{"matched": n, "answered": k}`. */
export function ndjsonSummary(summary: FanoutSummary): string {
  return `${JSON.stringify({ matched: summary.matched, answered: summary.answered })}\n`;
}

function dataOf(mimetype: string, data: Uint8Array): { data: unknown; encoding?: "base64" } {
  if (data.length === 0) return { data: null };
  const text = utf8(data);
  if (text !== undefined && JSON_MIME.test(mimetype)) {
    try {
      return { data: JSON.parse(text) as unknown };
    } catch {
      // Not JSON after all: shown as text below.
    }
  }
  if (text !== undefined && (TEXT_MIME.test(mimetype) || JSON_MIME.test(mimetype))) return { data: text };
  return { data: base64(data), encoding: "base64" };
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
