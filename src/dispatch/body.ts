/** Request bodies in (bytes → what a handler sees) and reply data out (handler result → bytes). */
import { joinBytes } from "../wire/index.ts";
import type { RequestBody } from "./types.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The body was declared JSON (or text) but does not parse. */
export class BadBodyError extends Error {
  override name = "BadBodyError";
}

/** True for `application/json` and `+json` mimetypes (parameters ignored). */
export function isJsonMimetype(mimetype: string): boolean {
  const essence = mimetype.split(";", 1)[0]!.trim().toLowerCase();
  return essence === "application/json" || essence.endsWith("+json");
}

function isTextMimetype(mimetype: string): boolean {
  return mimetype.trimStart().toLowerCase().startsWith("text/");
}

/** Decodes an event body for the handler: JSON parsed, text as a string, other bytes as they are. */
export function decodeBody(mimetype: string, data: Uint8Array): RequestBody {
  return withStream(decodeData(mimetype, data), () => streamOf([data]), data.length);
}

/** `body` with `stream()` and `length` added as non-enumerable properties: spreading or comparing a body sees what it always did. */
function withStream(body: { mimetype: string; data: unknown }, stream: () => ReadableStream<Uint8Array>, length: number | undefined): RequestBody {
  Object.defineProperty(body, "stream", { value: stream, enumerable: false });
  if (length !== undefined) Object.defineProperty(body, "length", { value: length, enumerable: false });
  return body as RequestBody;
}

function decodeData(mimetype: string, data: Uint8Array): { mimetype: string; data: unknown } {
  if (data.length === 0 && mimetype === "") return { mimetype: "", data: "" };
  if (isJsonMimetype(mimetype)) {
    if (data.length === 0) return { mimetype, data: "" };
    try {
      return { mimetype, data: JSON.parse(utf8.decode(data)) };
    } catch (cause) {
      throw new BadBodyError(`Cannot decode request body as ${mimetype}: ${(cause as Error).message}`, { cause });
    }
  }
  if (isTextMimetype(mimetype)) {
    try {
      return { mimetype, data: utf8.decode(data) };
    } catch (cause) {
      throw new BadBodyError(`Cannot decode request body as ${mimetype}: not valid UTF-8`, { cause });
    }
  }
  return { mimetype, data };
}

/**
 * A streamed request body for the handler: up to `threshold` bytes are read
 * first, and when the body ends within them it is decoded as `data` exactly
 * like a whole body (so existing handlers keep working); above it `data` is
 * undefined. `stream()` gives every byte either way.
 */
export async function decodeStreamedBody(mimetype: string, source: ReadableStream<Uint8Array>, length: number | undefined, threshold: number): Promise<RequestBody> {
  if (length !== undefined && length > threshold) return withStream({ mimetype, data: undefined }, () => source, length);
  const reader = source.getReader();
  const head: Uint8Array[] = [];
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      reader.releaseLock();
      const data = joinBytes(head, read);
      return withStream(decodeData(mimetype, data), () => streamOf([data]), read);
    }
    head.push(value);
    read += value.length;
    if (read > threshold) break;
  }
  reader.releaseLock();
  const rest = source;
  return withStream({ mimetype, data: undefined }, () => streamOf(head, rest), length);
}

/** A pull-based stream of `chunks`, then of `rest` (when given). */
export function streamOf(chunks: readonly Uint8Array[], rest?: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let next = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (next < chunks.length) return controller.enqueue(chunks[next++]!);
        if (!rest) return controller.close();
        reader ??= rest.getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return (reader ?? rest)?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}


/** Encodes reply data: bytes and strings as they are, anything else as JSON. */
export function encodeData(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof data === "string") return encoder.encode(data);
  return encodeJson(data);
}

/** JSON-encodes a value (`undefined` becomes `null`). */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) ?? "null");
}
