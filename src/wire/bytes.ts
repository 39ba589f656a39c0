/** Byte chunks: joined into one array, or a stream read whole under a byte bound. Runtime-neutral. */

/** The chunks as one array (the chunk itself when there is only one); `length` is their total when the caller knows it. */
export function joinBytes(chunks: readonly Uint8Array[], length = totalLength(chunks)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The whole stream, or undefined as soon as it passes `limit` bytes: then the rest is cancelled with `reason`, so a
 * caller never holds more than the limit (plus one chunk) whatever the stream's length.
 */
export async function readBytes(source: ReadableStream<Uint8Array>, limit: number, reason = "too large for a whole body"): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = source.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel(reason).catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return chunks.length === 0 ? new Uint8Array(0) : joinBytes(chunks, length);
}

function totalLength(chunks: readonly Uint8Array[]): number {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  return length;
}
