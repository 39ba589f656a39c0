/**
 * Append-only text destinations for the audit log: a file (opened for
 * appending, 0640, reopened on demand so that logrotate can move it away),
 * or standard error. Errors carry the OS reason, e.g. "EACCES: permission denied".
 */
import { open, type FileHandle } from "node:fs/promises";

/** A place lines are appended to. */
export interface AppendTarget {
  /** The path, or "standard error". */
  readonly name: string;
  write(text: string): Promise<void>;
  /** Opens the path again (the old file was renamed); on failure the current file stays in use. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for appending (created 0640 when missing); rejects with the OS reason. */
export async function openAppendFile(path: string): Promise<AppendTarget> {
  let handle: FileHandle = await open(path, "a", 0o640);
  return {
    name: path,
    write: (text) => handle.appendFile(text, "utf8"),
    async reopen() {
      const next = await open(path, "a", 0o640);
      const old = handle;
      handle = next;
      await old.close().catch(() => undefined);
    },
    close: () => handle.close(),
  };
}

/** Standard error as an append target (reopen does nothing). */
export function stderrTarget(): AppendTarget {
  return {
    name: "standard error",
    write: (text) => new Promise((resolve, reject) => process.stderr.write(text, (error) => (error ? reject(error) : resolve()))),
    reopen: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
