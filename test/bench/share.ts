/**
 * The built-in file share against a user handler returning `Bun.file(path)`
 * (issue 16's targets), through the same compiled binaries, in one run:
 *
 *   1. MB/s of a 1 GiB file through the share and through the handler,
 *      interleaved (BENCH_SHARE_REPS rounds, medians), and their ratio
 *      (target ≥ 0.90);
 *   2. a `curl -C -` resume of that file interrupted at 50 %: the bytes the
 *      second curl transferred, and the SHA-256 of the result;
 *   3. a directory of 100,000 files (BENCH_LIST_FILES) listed page by page
 *      (1,000 a page), with the sharing client's RSS growth (target ≤ 32 MiB).
 *
 *   bun run bench:share        (or, after a build: bun test/bench/share.ts)
 *
 * Loopback only; every loop is bounded; the files are removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeTestPki, startClientProcess, startServerProcess, type NodeProcess } from "../support/index.ts";
import { percentile } from "./_load.ts";
import { rssKiB } from "./_proc.ts";

const MiB = 1024 * 1024;
const FILE_BYTES = Number(process.env["BENCH_SHARE_BYTES"] ?? 1024 * MiB);
const REPS = Number(process.env["BENCH_SHARE_REPS"] ?? 3);
const LIST_FILES = Number(process.env["BENCH_LIST_FILES"] ?? 100_000);
const CN = "bench";

/** Writes `bytes` of generated data to `path`; resolves with its SHA-256. */
async function writeGenerated(path: string, bytes: number): Promise<string> {
  const hash = new Bun.CryptoHasher("sha256");
  const file = await open(path, "w");
  const block = new Uint8Array(4 * MiB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + (i >>> 10)) & 0xff;
  for (let written = 0, k = 0; written < bytes; k++) {
    const n = Math.min(block.length, bytes - written);
    block[0] = k & 0xff;
    const part = block.subarray(0, n);
    hash.update(part);
    await file.write(part);
    written += n;
  }
  await file.close();
  return hash.digest("hex");
}

/** One curl run: HTTP code, bytes transferred, MB/s. */
async function curl(args: readonly string[]): Promise<{ code: string; bytes: number; mbps: number }> {
  const proc = Bun.spawn(["curl", "-s", "--max-time", "300", "-w", "%{http_code} %{size_download} %{time_total}", ...args], { stdout: "pipe" });
  const [code = "", size = "0", total = "1"] = (await new Response(proc.stdout).text()).trim().split(" ");
  await proc.exited;
  return { code, bytes: Number(size), mbps: Number(size) / Number(total) / 1e6 };
}

async function sha256Of(path: string): Promise<string> {
  const hash = new Bun.CryptoHasher("sha256");
  const reader = Bun.file(path).stream().getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) hash.update(next.value);
  return hash.digest("hex");
}

async function stop(proc: NodeProcess): Promise<void> {
  await proc.stop("SIGTERM").catch(() => {});
}

const dir = mkdtempSync(join(tmpdir(), "rp-bench-share-"));
const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
try {
  const docs = join(dir, "docs");
  mkdirSync(join(docs, "many"), { recursive: true });
  const sha = await writeGenerated(join(docs, "big.bin"), FILE_BYTES);
  for (let i = 0; i < LIST_FILES; i++) writeFileSync(join(docs, "many", `file-${String(i).padStart(6, "0")}.txt`), "");

  const pki = await makeTestPki();
  cleanups.push(() => pki.cleanup());
  const server = await startServerProcess(pki.server.dir);
  cleanups.push(() => stop(server.proc));
  const client = await startClientProcess((await pki.client(CN)).dir, server.pipePort, { RP_EVENT_HANDLER: resolve(import.meta.dir, "share-handlers.ts"), BENCH_SHARE_DIR: docs }, [
    "--share",
    `docs=${docs}`,
  ]);
  cleanups.push(() => stop(client.proc));
  const base = `${server.http}/client/${CN}`;
  const first = await fetch(`${base}/time`, { signal: AbortSignal.timeout(15_000) });
  if (first.status !== 200) throw new Error(`Cannot use the pipe: ${first.status} ${await first.text()}`);

  // 1. Throughput, interleaved.
  const urls = { share: `${base}/files//docs/big.bin`, handler: `${base}/bunfile//big.bin` };
  const rates: Record<keyof typeof urls, number[]> = { share: [], handler: [] };
  for (const [name, url] of Object.entries(urls)) await curl(["-o", "/dev/null", url]).then((r) => void (r.code === "200" || console.error(`warm-up ${name}: ${r.code}`)));
  for (let round = 0; round < REPS; round++) {
    for (const name of ["share", "handler"] as const) {
      const run = await curl(["-o", "/dev/null", urls[name]]);
      if (run.code !== "200" || run.bytes !== FILE_BYTES) throw new Error(`${name}: ${run.code}, ${run.bytes} bytes`);
      rates[name].push(run.mbps);
    }
  }
  const [share, handler] = [percentile(rates.share, 50), percentile(rates.handler, 50)];

  // 2. Resume at 50 %.
  const out = join(dir, "resumed.bin");
  const half = Math.floor(FILE_BYTES / 2);
  const part = await curl(["-o", out, "-r", `0-${half - 1}`, urls.share]);
  const rest = await curl(["-C", "-", "-o", out, urls.share]);
  const intact = (await sha256Of(out)) === sha;
  rmSync(out);

  // 3. 100,000 files, page by page, with the sharing client's RSS.
  const rssBase = rssKiB(client.proc.pid);
  let rssPeak = rssBase;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKiB(client.proc.pid))), 20);
  const listStarted = performance.now();
  let pages = 0;
  let listed = 0;
  let cursor: string | undefined;
  do {
    const page = (await (await fetch(`${base}/files//docs/many/?limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`)).json()) as { entries: unknown[]; next?: string };
    listed += page.entries.length;
    cursor = page.next;
    pages++;
  } while (cursor !== undefined && pages <= LIST_FILES / 1000 + 1);
  clearInterval(sampler);
  const listSeconds = (performance.now() - listStarted) / 1000;

  const gib = (FILE_BYTES / 1024 / MiB).toFixed(2);
  console.log(`\n### File share (test/bench/share.ts)\n`);
  console.log(`| measure | value | target |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| ${gib} GiB through the share, MB/s (median of ${REPS}) | ${share.toFixed(0)} (runs ${rates.share.map((r) => r.toFixed(0)).join(", ")}) | |`);
  console.log(`| ${gib} GiB through a handler returning Bun.file(), MB/s | ${handler.toFixed(0)} (runs ${rates.handler.map((r) => r.toFixed(0)).join(", ")}) | |`);
  console.log(`| share / Bun.file() handler | ${(share / handler).toFixed(2)} | ≥ 0.90 |`);
  console.log(`| resume at 50 %: first part, then curl -C - | ${part.code} ${part.bytes} B, then ${rest.code} ${rest.bytes} B; SHA-256 ${intact ? "intact" : "MISMATCH"} | the rest only, intact |`);
  console.log(`| ${LIST_FILES.toLocaleString("en-US")} files listed, 1,000 a page | ${listed.toLocaleString("en-US")} in ${pages} pages, ${listSeconds.toFixed(1)} s | |`);
  console.log(`| sharing client's RSS growth while listing, MiB | ${((rssPeak - rssBase) / 1024).toFixed(1)} | ≤ 32 |`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
