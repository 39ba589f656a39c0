/**
 * ArrayBuffer.transfer(0) of a buffer Bun itself still refers to (a
 * response chunk Bun.serve has not written yet, a buffer just given to
 * socket.write) does not crash the process: Bun then sees an empty chunk (a
 * response loses bytes), nothing worse. The pipe frees only buffers that are
 * ours alone (SocketTransport.release), so this is the worst case should
 * that ever be wrong. Run in a child process, so that a crash is this test's
 * failure and not the test runner's.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

test("freeing buffers Bun still holds (Bun.serve chunks, socket writes) leaves the process running", async () => {
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../fixtures/transfer-held.ts")], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect({ code, signal: child.signalCode, err: err.slice(0, 2_000) }).toEqual({ code: 0, signal: null, err: "" });
  const lines = out.trim().split("\n");
  expect(lines.at(-1)).toBe("alive");
  const got = JSON.parse(lines[0]!) as Record<string, number>;
  expect(got["serve-sync"]).toBe(0); // detached before Bun.serve took it: an empty chunk, each time
  for (const mode of ["microtask", "timer"]) expect(got[`serve-${mode}`]).toBeLessThanOrEqual(16 * 4 * 1024 * 1024); // some chunks empty, or none
  expect(got["socket-received"]).toBe(got["socket-written"]); // what socket.write took was sent whole
}, 60_000);
