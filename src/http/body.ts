/** Reads a request body without ever holding more than the limit. */
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
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
