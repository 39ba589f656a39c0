/**
 * Bytes start..end of an opened file as a pull-based stream: one read per
 * pull, so the file is read only as fast as the caller takes it (the pipe's
 * credit reaches here), and nothing is buffered beyond one chunk. The handle
 * is closed at the end, on cancel and on error, once.
 */
import type { FileHandle } from "node:fs/promises";

/** Bytes read per pull: what the runtime's own file stream yields on Bun 1.4.4 (512 KiB), so the pipe sees the chunks a handler returning a file Blob gives it. */
export const FILE_CHUNK_BYTES = 512 * 1024;

/** Streams bytes `start` to `end` (inclusive) of `handle`, then closes it; `shown` names the file in errors. */
export function fileStream(handle: FileHandle, start: number, end: number, shown: string): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const want = Math.min(FILE_CHUNK_BYTES, end + 1 - position);
        if (want <= 0) {
          await close();
          return controller.close();
        }
        try {
          const buffer = new Uint8Array(want);
          const { bytesRead } = await handle.read(buffer, 0, want, position);
          if (bytesRead === 0) throw new Error(`Cannot serve ${shown}: the file shrank to ${position} bytes while it was sent`);
          position += bytesRead;
          controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        } catch (error) {
          await close();
          controller.error(error);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}
