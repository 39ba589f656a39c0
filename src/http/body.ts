/** Reads a request body without ever holding more than the limit. */
import { readBytes } from "../wire/index.ts";
import { BodyTooLargeError } from "./errors.ts";

const EMPTY = new Uint8Array(0);

/** The whole body, or BodyTooLargeError as soon as it passes `limit` (checked against Content-Length first). */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (Number.isFinite(length) && length > limit) throw new BodyTooLargeError(limit, length);
    if (length === 0) return EMPTY;
  }
  if (request.body === null) return EMPTY;
  if (declared !== null) return new Uint8Array(await request.arrayBuffer());
  // Chunked: count as we go.
  const body = await readBytes(request.body, limit);
  if (body === undefined) throw new BodyTooLargeError(limit);
  return body;
}
