/**
 * The benchmark's handler module (RP_EVENT_HANDLER of the answering node):
 * `GET time` answers like the seed's example on a client, `GET blob//<n>`
 * answers n bytes from a cached buffer, so that a benchmark measures the
 * pipe, not the making of the bytes. The blob's bytes are the ones the peers
 * harness's origin.ts sends, so that its integrity check passes.
 */
import type { HandlerContext, RequestBody } from "../../src/dispatch/index.ts";

/** Largest blob served: the default body limit (16 MiB). */
export const MAX_BLOB_BYTES = 16 * 1024 * 1024;

const blobs = new Map<number, Uint8Array>();

/** n pseudo-random (incompressible) bytes, made once per size: origin.ts's xorshift pattern. */
export function blobBytes(n: number): Uint8Array {
  let bytes = blobs.get(n);
  if (bytes) return bytes;
  bytes = new Uint8Array(n);
  let x = 2463534242 >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  if (blobs.size > 16) blobs.clear();
  blobs.set(n, bytes);
  return bytes;
}

/** `GET /client/<cn>/time` → `{"time_from_client": <epoch seconds>}`. */
export function get_time(_ctx: HandlerContext, _body: RequestBody) {
  return { time_from_client: (performance.timeOrigin + performance.now()) / 1000 };
}

/** `GET /client/<cn>/blob//<n>` → n bytes of application/octet-stream. */
export function get_blob(ctx: HandlerContext, _body: RequestBody, size = "0") {
  const n = Number(size);
  if (!Number.isInteger(n) || n < 0 || n > MAX_BLOB_BYTES) throw new RangeError(`blob size must be an integer in [0, ${MAX_BLOB_BYTES}], got ${size}`);
  return ctx.reply("application/octet-stream", 0, blobBytes(n));
}

/** `GET /client/<cn>/gen//<n>` → n bytes of application/octet-stream as a stream (any size), 1 MiB views of one cached blob. */
export function get_gen(ctx: HandlerContext, _body: RequestBody, size = "0") {
  const n = Number(size);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`gen size must be a non-negative integer, got ${size}`);
  return ctx.reply("application/octet-stream", 0, generated(n));
}

/** A pull-based stream of n bytes (views of one 1 MiB blob: the pipe is measured, not the making of bytes). */
export function generated(n: number): ReadableStream<Uint8Array> {
  const block = blobBytes(1024 * 1024);
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= n) return controller.close();
        const piece = Math.min(block.length, n - sent);
        controller.enqueue(block.subarray(0, piece));
        sent += piece;
      },
    },
    { highWaterMark: 0 },
  );
}
