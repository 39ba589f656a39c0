/** Small file helpers over node:fs/promises (Bun and Deno's node compat), with readable errors. */
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A file operation failed; the message is "<path>: <reason>" ("no such file", "permission denied", ...). */
export class FileError extends Error {
  override name = "FileError";
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** Joins path segments with the platform's separator (node:path join). */
export function joinPath(...segments: string[]): string {
  return join(...segments);
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory, not a file",
  ENOTDIR: "a parent is not a directory",
  EEXIST: "already exists",
  ENOSPC: "no space left on the device",
  EROFS: "read-only file system",
};

/** Reads a whole file as UTF-8. */
export async function readText(path: string): Promise<string> {
  try {
    const handle = await open(path, "r");
    try {
      return await handle.readFile({ encoding: "utf8" });
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw translate(path, cause);
  }
}

/** Writes a file atomically: a temp file in the same directory with `mode`, fsync'd, then renamed over `path`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await writeFilesAtomic([{ path, data, mode }]);
}

/** Writes several files: all temp files first, then all renames; when a write fails, no file is replaced. */
export async function writeFilesAtomic(
  files: readonly { readonly path: string; readonly data: string | Uint8Array; readonly mode: number }[],
): Promise<void> {
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = join(dirname(file.path), `.${basename(file.path)}.${crypto.randomUUID()}.tmp`);
      temps.push(temp);
      await writeTemp(temp, file.path, file.data, file.mode);
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => rm(temp, { force: true })));
    throw error;
  }
  for (const [index, file] of files.entries()) {
    try {
      await rename(temps[index]!, file.path);
    } catch (cause) {
      await Promise.all(temps.slice(index).map((temp) => rm(temp, { force: true })));
      throw translate(file.path, cause);
    }
  }
}

/** Creates a directory (and parents) if missing: a new one gets exactly `mode`, an existing one is left alone. */
export async function ensureDir(path: string, mode: number): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(path, { recursive: true, mode });
  } catch (cause) {
    if (codeOf(cause) === "EEXIST") throw new FileError(path, "exists and is not a directory", { cause });
    throw translate(path, cause);
  }
  try {
    if (created !== undefined) await chmod(path, mode);
  } catch (cause) {
    throw translate(path, cause);
  }
}

/** The permission bits of a file (e.g. 0o600), or undefined if it does not exist. */
export async function fileMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (cause) {
    if (codeOf(cause) === "ENOENT") return undefined;
    throw translate(path, cause);
  }
}

/** A short text that changes when the file is replaced or written: inode, size and mtime; "missing" if it does not exist. */
export async function fileStamp(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch (cause) {
    if (codeOf(cause) === "ENOENT") return "missing";
    throw translate(path, cause);
  }
}

async function writeTemp(temp: string, target: string, data: string | Uint8Array, mode: number): Promise<void> {
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode); // the umask may have narrowed the mode given to open
  } catch (cause) {
    throw translate(target, cause);
  }
}

function translate(path: string, cause: unknown): FileError {
  const code = codeOf(cause);
  const reason = (code && REASONS[code]) ?? (cause instanceof Error ? cause.message : String(cause));
  return new FileError(path, reason, { cause });
}

function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** A lock file older than this is taken to be left by a crashed process. */
const STALE_LOCK_MS = 60_000;

/**
 * Runs `work` while holding the lock file `lockPath` (created exclusively,
 * removed after): two processes updating the same files take turns. Waits
 * up to `timeoutMs` for the lock; a lock left by a crashed process is broken
 * once it is a minute old.
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw translate(lockPath, cause);
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await rm(lockPath, { force: true });
      else if (performance.now() > deadline) throw new FileError(lockPath, `locked by another process for over ${timeoutMs} ms`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
