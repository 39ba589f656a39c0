/**
 * The built-in `files` noun: GET and HEAD of `files//<share>/<path>` are
 * answered from the configured shares (streamed, with ranges, validators,
 * 304 and listings); every other event goes to the handler module. With no
 * share configured nothing changes: a module's own `get_files` answers.
 */
import { BadArgumentError, handlerNameFor, routeFor, streamOf, type DispatchContext, type Dispatcher, type DispatchReply } from "../dispatch/index.ts";
import { requestHeaders } from "../replies/index.ts";
import type { Event, HttpHead } from "../wire/index.ts";
import { ShareRefusal } from "./errors.ts";
import { fileStream } from "./file-stream.ts";
import { ListingCache } from "./_listing.ts";
import { parseSharePath, refuseHidden } from "./_path.ts";
import { deleteFile, storeFile } from "./writes.ts";
import { answerRead, type ResolvedShare, type ShareAnswer } from "./serve.ts";

/** What the share dispatcher reports besides the reply. */
export interface ShareDispatchOptions {
  /** A refused share request (status and reason), for this node's log. `share` is "" for a name that is not shared (it came from the network). */
  readonly onRefused?: (share: string, status: number, reason: string) => void;
  /** Every answered share request, refusals included (status, body bytes to send), for metrics; `share` as above. */
  readonly onServed?: (share: string, status: number, bytes: number) => void;
  /** A file stored or deleted in a writable share, by the calling peer (its CN): for this node's log. */
  readonly onWritten?: (change: { readonly verb: "PUT" | "DELETE"; readonly share: string; readonly path: string; readonly bytes: number; readonly peer: string }) => void;
  /** Called after each share event with its handler name (get_files, head_files, put_files, delete_files), reply code and duration, as the dispatcher reports its own. */
  readonly onHandled?: (handlerName: string, code: number, ms: number) => void;
    /** Largest file one PUT may store, and the setting that says so (named in the 413). */
  readonly maxPutBytes?: number;
  readonly maxPutSetting?: string;
}

const VERBS: ReadonlySet<string> = new Set(["get", "head", "put", "delete"]);

const JSON_TYPE = "application/json";
const encoder = new TextEncoder();

/** Wraps `inner` so that GET|HEAD files//... are answered from `shares` (when there is at least one). */
export function shareDispatcher(inner: Dispatcher, shares: ReadonlyMap<string, ResolvedShare>, options: ShareDispatchOptions = {}): Dispatcher {
  if (shares.size === 0) return inner;
  const cache = new ListingCache();
  return async (event, context) => {
    const verb = event.verb ?? "";
    const noun = event.noun ?? "";
    if (!VERBS.has(verb) || handlerNameFor(verb, noun) !== `${verb}_files`) return inner(event, context);
    const started = performance.now();
    const reply = verb === "put" || verb === "delete" ? await write(event, context, verb, shares, options) : await answer(event, verb === "head", shares, options, cache);
    options.onHandled?.(`${verb}_files`, reply.code ?? 0, performance.now() - started);
    return reply;
  };
}

async function answer(event: Event, head: boolean, shares: ReadonlyMap<string, ResolvedShare>, options: ShareDispatchOptions, cache: ListingCache): Promise<DispatchReply> {
  let args: readonly string[];
  try {
    args = routeFor("get", event.noun ?? "").args;
  } catch (error) {
    if (!(error instanceof BadArgumentError)) throw error;
    return refused(new ShareRefusal("bad-path", `Cannot serve files: ${error.message}`), "", options);
  }
  if (args.length === 0 || (args.length === 1 && args[0] === "")) {
    // `files` or `files//`: which shares there are.
    return json(200, { shares: [...shares.keys()] }, head);
  }
  const given = args[0] ?? "";
  const name = shares.has(given) ? given : "";
  try {
    const query = new URLSearchParams(event.query ?? "");
    const found = await answerRead(shares, args, requestHeaders(event.head), query, cache);
    const reply = replyOf(found, [given, ...args.slice(1)].join("/"), head);
    options.onServed?.(name, found.status, reply.stream ? (reply.bodyLength ?? 0) : (reply.data?.length ?? 0));
    return reply;
  } catch (error) {
    if (error instanceof ShareRefusal) return refused(error, name, options);
    if (error instanceof RangeError && error.message.startsWith("Cannot list")) return refused(new ShareRefusal("bad-path", error.message), name, options);
    throw error;
  }
}

/** PUT or DELETE of files//<share>/<path>: only in a share made writable. */
async function write(event: Event, context: DispatchContext, verb: "put" | "delete", shares: ReadonlyMap<string, ResolvedShare>, options: ShareDispatchOptions): Promise<DispatchReply> {
  const body = context.body ?? streamOf([event.data ?? new Uint8Array(0)]);
  let name = "";
  try {
    const args = routeFor(verb, event.noun ?? "").args;
    const path = parseSharePath(args);
    const shown = [path.share, ...path.segments].join("/");
    if (args.length > 1 && args[args.length - 1] === "") throw new ShareRefusal("bad-path", `Cannot ${verb === "put" ? "store" : "delete"} ${shown}/: the path names a directory (a trailing /); name a file`);
    const share = shares.get(path.share);
    if (!share) throw new ShareRefusal("not-found", `Cannot change files in "${path.share}": no such share (shared: ${[...shares.keys()].join(", ")})`);
    name = share.name;
    if (!share.writable) throw new ShareRefusal("forbidden", `Cannot ${verb === "put" ? "store" : "delete"} ${shown}: the share ${share.name} is read-only; start the node with --share-writable ${share.name}`);
    if (!share.hidden) refuseHidden(path);
    if (verb === "delete") {
      await deleteFile(share, path.segments, shown);
      options.onWritten?.({ verb: "DELETE", share: share.name, path: shown, bytes: 0, peer: context.peer.name });
      options.onServed?.(share.name, 200, 0);
      return json(200, { deleted: shown }, false);
    }
    const stored = await storeFile(share, path.segments, shown, body, event.bodyLength ?? (context.body ? undefined : event.data?.length), options.maxPutBytes ?? Number.MAX_SAFE_INTEGER, options.maxPutSetting ?? "the share's upload limit");
    options.onWritten?.({ verb: "PUT", share: share.name, path: shown, bytes: stored.bytes, peer: context.peer.name });
    const status = stored.created ? 201 : 200;
    options.onServed?.(share.name, status, 0);
    return json(status, { stored: shown, bytes: stored.bytes }, false);
  } catch (error) {
    await body.cancel("refused").catch(() => {});
    if (error instanceof BadArgumentError) return refused(new ShareRefusal("bad-path", `Cannot change files: ${error.message}`), name, options);
    if (error instanceof ShareRefusal) return refused(error, name, options);
    throw error;
  }
}

function replyOf(found: ShareAnswer, shown: string, head: boolean): DispatchReply {
  const headers: HttpHead = { headers: Object.entries(found.headers).map(([name, value]) => ({ name, value })) };
  if (found.listing) return json(200, found.listing, head, headers);
  const code = 0;
  if (found.status === 304 || !found.file) return { mimetype: found.mimetype, code, data: new Uint8Array(0), httpStatus: found.status, head: withoutLength(headers) };
  const { handle, start, end } = found.file;
  if (head) {
    void handle.close().catch(() => {});
    return { mimetype: found.mimetype, code, data: new Uint8Array(0), httpStatus: found.status, head: headers };
  }
  // The front sets Content-Length from the body's length; the head keeps the validators and the range.
  return { mimetype: found.mimetype, code, data: new Uint8Array(0), stream: fileStream(handle, start, end, shown), bodyLength: end - start + 1, httpStatus: found.status, head: withoutLength(headers) };
}

function withoutLength(head: HttpHead): HttpHead {
  return { headers: head.headers.filter((header) => header.name !== "content-length") };
}

/** A refusal as a reply: JSON `{"error": ...}`, its HTTP status as both the code and the status (a v1 caller sees the code). */
function refused(refusal: ShareRefusal, share: string, options: ShareDispatchOptions): DispatchReply {
  options.onRefused?.(share, refusal.status, refusal.message);
  options.onServed?.(share, refusal.status, 0);
  const headers: HttpHead | undefined = refusal.size === undefined ? undefined : { headers: [{ name: "content-range", value: `bytes */${refusal.size}` }] };
  return json(refusal.status, { error: refusal.message }, false, headers);
}

function json(status: number, value: unknown, head: boolean, headers?: HttpHead): DispatchReply {
  const data = encoder.encode(JSON.stringify(value));
  const code = status < 300 ? 0 : status; // 200, 201: success, code 0; a refusal carries its status
  const base = { mimetype: JSON_TYPE, code, httpStatus: status };
  if (head) return { ...base, data: new Uint8Array(0), head: { headers: [...(headers?.headers ?? []), { name: "content-length", value: String(data.length) }] } };
  return headers === undefined ? { ...base, data } : { ...base, data, head: withoutLength(headers) };
}
