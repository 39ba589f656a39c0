/** Unix-socket housekeeping shared by the HTTP servers of every runtime adapter. */
import { statSync, unlinkSync } from "node:fs";

/** A socket file left by a previous run would make listening fail; a regular file is never removed. */
export function removeStaleSocket(path: string): void {
  try {
    if (statSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
