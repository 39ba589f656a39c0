/**
 * The fan-out's own query parameters: `timeout` (the per-client deadline,
 * `2s`, `500ms`, `1m` or plain seconds) and `include=offline`. They are
 * taken out of the query string the handlers see; the rest is passed on.
 */
import { FanoutRequestError } from "./errors.ts";

/** Longest per-client deadline a fan-out may ask for. */
export const MAX_FANOUT_TIMEOUT_MS = 3_600_000;

/** The fan-out controls of one request. */
export interface FanoutOptions {
  /** Per-client deadline, undefined for the front's request deadline. */
  readonly timeoutMs: number | undefined;
  /** List the recently seen clients that are not connected, as 503. */
  readonly includeOffline: boolean;
  /** The query string without the fan-out's own parameters, for the handlers. */
  readonly query: string;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, "": 1000 };

/** Parses a duration: `2s`, `1.5s`, `500ms`, `1m`, or plain seconds (`2`). FanoutRequestError when it is not one, or out of range. */
export function parseTimeout(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * UNITS[match[2] ?? ""]!) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_FANOUT_TIMEOUT_MS)) {
    throw new FanoutRequestError(
      `Cannot accept timeout ${JSON.stringify(text)}: use a duration from 1ms to ${MAX_FANOUT_TIMEOUT_MS / 1000}s such as ?timeout=2s, 500ms or 1m`,
    );
  }
  return ms;
}

/** Reads and removes `timeout` and `include` from a raw query string. */
export function parseFanoutQuery(query: string): FanoutOptions {
  if (query === "") return { timeoutMs: undefined, includeOffline: false, query };
  const params = new URLSearchParams(query);
  const timeouts = params.getAll("timeout");
  const includes = params.getAll("include");
  if (timeouts.length > 1) throw new FanoutRequestError("Cannot accept the query: timeout is given more than once; give it once, e.g. ?timeout=2s");
  for (const include of includes) {
    if (include !== "offline") throw new FanoutRequestError(`Cannot accept include=${JSON.stringify(include)}: the only value is include=offline`);
  }
  if (timeouts.length === 0 && includes.length === 0) return { timeoutMs: undefined, includeOffline: false, query };
  // Keep the rest exactly as sent (URLSearchParams would re-encode it).
  const rest = query.split("&").filter((part) => !/^(timeout|include)(=|$)/.test(part));
  return { timeoutMs: timeouts.length === 1 ? parseTimeout(timeouts[0]!) : undefined, includeOffline: includes.length > 0, query: rest.join("&") };
}
