/** Request bodies in (bytes → what a handler sees) and reply data out (handler result → bytes). */
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
