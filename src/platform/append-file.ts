/**
 * Append-only text destinations for the audit log: a file (opened for
 * appending, 0640, reopened on demand so that logrotate can move it away),
 * or standard error. Errors carry the OS reason, e.g. "EACCES: permission denied".
 */
import { Buffer } from "node:buffer";
import { open, type FileHandle } from "node:fs/promises";

/** A place lines are appended to. */
export interface AppendTarget {
  /** The path, or "standard error". */
  readonly name: string;
  /** Appends text, or bytes (which stay the caller's: they are not copied, so they must not change until this resolves). */
  write(data: string | Uint8Array): Promise<void>;
  /** Opens the path again (the old file was renamed); on failure the current file stays in use. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for appending (created 0640 when missing); rejects with the OS reason. */
export async function openAppendFile(path: string): Promise<AppendTarget> {
  let handle: FileHandle = await open(path, "a", 0o640);
  // The last write started: the old file is closed only after it (a reopen may come while one is in flight).
  let last: Promise<void> = Promise.resolve();
  return {
    name: path,
    write: (data) => (last = writeAll(handle, typeof data === "string" ? Buffer.from(data, "utf8") : data)),
    async reopen() {
      const next = await open(path, "a", 0o640);
      const [old, inFlight] = [handle, last];
      handle = next;
      await inFlight.catch(() => undefined);
      await old.close().catch(() => undefined);
    },
    close: () => handle.close(),
  };
}

/** Writes all of `bytes` (O_APPEND: at the end); FileHandle.appendFile cost several times more per byte in Bun 1.4.4. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) {
    const { bytesWritten } = await handle.write(bytes);
    bytes = bytes.subarray(bytesWritten);
  }
}

/** Standard error as an append target (reopen does nothing). */
export function stderrTarget(): AppendTarget {
  return {
    name: "standard error",
    write: (data) => new Promise((resolve, reject) => process.stderr.write(data, (error) => (error ? reject(error) : resolve()))),
    reopen: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
