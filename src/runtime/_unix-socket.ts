/** Unix-socket housekeeping shared by the HTTP servers of every runtime adapter. */
import { lstatSync, unlinkSync } from "node:fs";
import { createConnection } from "node:net";
import { inUseMessage, ListenError } from "./errors.ts";

/** How long a probe of an existing socket file may take before the socket counts as alive (a full backlog). */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * A socket file left by a previous run would make listening fail, so it is
 * removed, but only when nothing answers on it: a live one belongs to another
 * process (removing it would steal that process's address). A regular file is
 * never removed.
 */
export async function clearStaleSocket(path: string, fix?: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // absent: nothing to remove
  }
  const where = `unix:${path}`;
  if (!isSocket) throw new ListenError(`Cannot listen on ${where}: the path exists and is not a socket; remove it or choose another path`, "in-the-way");
  const answer = await probe(path);
  if (answer === "alive") throw new ListenError(`${inUseMessage(where)}${fix ? `; ${fix}` : ""}`, "in-use");
  if (answer === "refused") return unlinkSync(path);
  throw new ListenError(`Cannot listen on ${where}: a socket file is there and cannot be probed (${answer.code}); remove it if no process uses it`, "in-the-way");
}

function probe(path: string): Promise<"alive" | "refused" | { code: string }> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    const done = (answer: "alive" | "refused" | { code: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done("alive"), PROBE_TIMEOUT_MS);
    socket.once("connect", () => done("alive"));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code === "ECONNREFUSED" || error.code === "ENOENT" ? "refused" : { code: error.code ?? error.message }));
  });
}
