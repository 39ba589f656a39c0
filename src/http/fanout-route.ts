/**
 * The server front's fan-out route, `ANY /clients/<selector>/<noun>`: one
 * request to every matched client, one answer with each client's outcome
 * (JSON, or NDJSON lines as they arrive with `Accept: application/x-ndjson`).
 * The body is read once (bounded by the body limit) and sent to each.
 */
import {
  droppedEntry,
  errorEntry,
  FanoutDocument,
  FanoutTooLargeError,
  ndjsonEntry,
  ndjsonSummary,
  parseFanoutQuery,
  parseSelector,
  replyEntry,
  runFanout,
  type ClientDirectory,
  type EntryMaker,
  type FanoutEntry,
  type FanoutLimiter,
  type FanoutRun,
  type FanoutTarget,
  type FanoutTiming,
} from "../fanout/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";
import { systemClock, type Clock } from "../pipe/index.ts";
import type { EventReply } from "../wire/index.ts";
import { bearerTokenCheck } from "./auth.ts";
import { readBody } from "./body.ts";
import { MethodNotAllowedError, NotFoundError } from "./errors.ts";
import { checkNoun, splitUrl } from "./path.ts";
import { outcomeForError, statusForCode } from "./status.ts";

/** Path prefix of fan-out requests. */
export const FANOUT_PREFIX = "/clients/";

/** Media type of the streamed answer. */
export const NDJSON = "application/x-ndjson";

/** A fan-out takes no HEAD: it would run every client's handler for an answer without a body. */
const FANOUT_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const EVENT_METHODS: ReadonlySet<string> = new Set(FANOUT_METHODS);

/** What the fan-out route needs from the server. */
export interface FanoutRouteOptions {
  readonly directory: ClientDirectory;
  readonly limiter: FanoutLimiter;
  /** Most clients one fan-out may select (RP_SERVER_MAX_FANOUT); more is 413. */
  readonly maxFanout: number;
  /** Reply data one answer may hold in all (RP_SERVER_FANOUT_MAX_ANSWER_BYTES); later replies are listed without data. */
  readonly maxAnswerBytes: number;
  readonly maxBodyBytes: number;
  /** The per-client deadline when `?timeout=` does not say. */
  readonly requestTimeoutMs: number;
  readonly token?: string | undefined;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Called once per matched client with the verb, raw noun, its entry's code and ms since the fan-out began (metrics count each as an event sent). */
  readonly onSent?: (verb: string, noun: string, code: number, ms: number) => void;
}

/** The fan-out as a request → response function (its errors answered like the event route's). */
export function fanoutHandler(options: FanoutRouteOptions): (request: Request) => Promise<Response> {
  const log = options.log ?? silentLogger;
  const checkToken = options.token === undefined ? undefined : bearerTokenCheck(options.token);
  const clock = options.clock ?? systemClock;
  return async (request) => {
    const received = clock.now();
    if (checkToken) await checkToken(request);
    if (!EVENT_METHODS.has(request.method)) throw new MethodNotAllowedError(request.method, FANOUT_METHODS);
    const { selectorText, selector, noun, controls } = parseFanoutUrl(request.url);
    const selection = await options.directory.select(selector, { includeOffline: controls.includeOffline, limit: options.maxFanout });
    if (selection.matched > options.maxFanout) throw new FanoutTooLargeError(selection.matched, options.maxFanout);
    const data = await readBody(request, options.maxBodyBytes);
    const timeoutMs = controls.timeoutMs ?? options.requestTimeoutMs;
    const event = {
      verb: request.method.toLowerCase(),
      noun,
      mimetype: request.headers.get("content-type") ?? (data.length > 0 ? "application/octet-stream" : ""),
      data,
      query: controls.query,
    };
    const entries = entryMaker(options.maxAnswerBytes);
    const streaming = (request.headers.get("accept") ?? "").toLowerCase().includes(NDJSON);
    const started = clock.now();
    const logDone = (answered: number) =>
      log.debug("fan-out answered", { selector: selectorText, noun, matched: selection.matched, answered, ms: Math.round(clock.now() - started) });
    const onSent = options.onSent;
    const count = onSent ? (entry: FanoutEntry) => onSent(request.method, noun, entry.code, clock.now() - started) : undefined;
    const base = { event, timeoutMs, clock, limiter: options.limiter, entries };
    if (!streaming) {
      const document = new FanoutDocument();
      const onEntry = (name: string, entry: FanoutEntry) => {
        count?.(entry);
        document.add(name, entry);
      };
      const result = await runFanout(selection.targets, { ...base, signal: request.signal, onEntry });
      logDone(result.answered);
      const beforeText = clock.now();
      const text = document.text(result);
      const headers = { "content-type": "application/json", "x-event-return-code": "0", "server-timing": serverTiming(started - received, result.timing, clock.now() - beforeText) };
      return new Response(text, { headers });
    }
    return streamedAnswer(selection.targets, { ...base, signal: request.signal, ...(count ? { onCount: count } : {}) }, logDone);
  };
}

/**
 * The answer's Server-Timing header (ms): selecting and reading the body,
 * then from the run's start the last send, the last reply and the run's end,
 * and building the document: where a slow fan-out spent its time.
 */
function serverTiming(selectMs: number, timing: FanoutTiming, answerMs: number): string {
  const ms = (value: number) => value.toFixed(1);
  return `select;dur=${ms(selectMs)}, send;dur=${ms(timing.lastSendMs)}, reply;dur=${ms(timing.lastReplyMs)}, run;dur=${ms(timing.doneMs)}, answer;dur=${ms(answerMs)}`;
}

/** `/clients/<selector>/<noun>?<query>` → the parsed selector, the checked raw noun and the fan-out's controls. */
function parseFanoutUrl(url: string) {
  const { path, query } = splitUrl(url);
  const rest = path.slice(FANOUT_PREFIX.length);
  const slash = rest.indexOf("/");
  if (!path.startsWith(FANOUT_PREFIX) || slash <= 0) throw new NotFoundError(`No route for ${path}: fan-outs go to /clients/<selector>/<noun>`);
  const selectorText = rest.slice(0, slash);
  return { selectorText, selector: parseSelector(selectorText), noun: checkNoun(rest.slice(slash + 1)), controls: parseFanoutQuery(query) };
}

/**
 * The NDJSON answer: a line per client as its entry is known, the summary
 * last; a reader that goes away ends the run. Lines that arrive in one turn
 * of the event loop go out as one chunk (one write, not one per client).
 */
function streamedAnswer(targets: readonly FanoutTarget[], run: FanoutRun & { readonly onCount?: (entry: FanoutEntry) => void }, done: (answered: number) => void): Response {
  const caller = new AbortController();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      let lines: string[] = [];
      let flushScheduled = false;
      const flush = () => {
        flushScheduled = false;
        if (caller.signal.aborted || lines.length === 0) return;
        const text = lines.join("");
        lines = [];
        try {
          stream.enqueue(encoder.encode(text));
        } catch {
          caller.abort(); // the stream is gone: nobody reads the rest
        }
      };
      const push = (text: string) => {
        if (caller.signal.aborted) return;
        lines.push(text);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      };
      const signal = run.signal ? AbortSignal.any([run.signal, caller.signal]) : caller.signal;
      const onEntry = (name: string, entry: FanoutEntry) => {
        run.onCount?.(entry);
        push(ndjsonEntry(name, entry));
      };
      void runFanout(targets, { ...run, signal, onEntry }).then((result) => {
        done(result.answered);
        lines.push(ndjsonSummary(result));
        flush();
        if (!caller.signal.aborted) stream.close();
      });
    },
    cancel() {
      caller.abort();
    },
  });
  return new Response(body, { headers: { "content-type": NDJSON, "x-event-return-code": "0", "cache-control": "no-store" } });
}

/** Entries with the front's status table, and the answer's byte budget for reply data. */
function entryMaker(maxAnswerBytes: number): EntryMaker {
  let held = 0;
  return {
    reply(_name: string, reply: EventReply) {
      const status = statusForCode(reply.code ?? 0);
      const size = reply.data?.length ?? 0;
      if (held + size > maxAnswerBytes) {
        return droppedEntry(
          reply,
          status,
          `Cannot include the reply data (${size} bytes): this answer already holds ${held} of its ${maxAnswerBytes} bytes; ` +
            "ask fewer clients or set RP_SERVER_FANOUT_MAX_ANSWER_BYTES",
        );
      }
      held += size;
      return replyEntry(reply, status);
    },
    error(_name: string, error: unknown) {
      return errorEntry(outcomeForError(error));
    },
  };
}
