/**
 * Refreshes build/bytecode-order/rp-server.order and rp-client.order: builds both binaries, runs them as a
 * connected pair on loopback (one request each way, as test/bench/idle-memory.ts measures them) with
 * BUN_BYTECODE_ORDER_OUT set, keeps the order each wrote, and builds again with it (build/compile.ts passes
 * `--bytecode-order` when the file exists). Run after larger changes to what a node runs at start:
 *
 *   bun build/bytecode-order.ts
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeTestPki, startConnectedPair } from "../test/support/index.ts";
import { bytecodeOrderPath, compileAll } from "./compile.ts";

/** Runs the pair once and returns the order files its two processes wrote at exit. */
async function recordOrder(dir: string): Promise<{ server: string; client: string }> {
  const files = { server: join(dir, "rp-server.order"), client: join(dir, "rp-client.order") };
  const pki = await makeTestPki();
  try {
    const client = await pki.client("order");
    const pair = await startConnectedPair(pki.server.dir, { dir: client.dir, cn: "order" }, {
      serverEnv: { BUN_BYTECODE_ORDER_OUT: files.server },
      clientEnv: { BUN_BYTECODE_ORDER_OUT: files.client },
    });
    try {
      for (const url of [`${pair.client.http}/server/time`, `${pair.server.http}/client/order/time`]) {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`Cannot record the bytecode order: ${url} answered ${response.status}`);
      }
    } finally {
      await pair.client.proc.stop();
      await pair.server.proc.stop();
    }
  } finally {
    await pki.cleanup();
  }
  return files;
}

if (import.meta.main) {
  compileAll();
  const scratch = mkdtempSync(join(tmpdir(), "restpipe-order-"));
  try {
    const files = await recordOrder(scratch);
    mkdirSync(dirname(bytecodeOrderPath("rp-server")), { recursive: true });
    copyFileSync(files.server, bytecodeOrderPath("rp-server"));
    copyFileSync(files.client, bytecodeOrderPath("rp-client"));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const { path, bytes } of compileAll()) console.log(`${path}  ${(bytes / 1024 / 1024).toFixed(1)} MiB (bytecode ordered)`);
}
