/**
 * The file share with one node on Deno: a Deno rp-client (from source)
 * shares a directory with the Bun-built dist/rp-server, and reads the
 * server's share through its own front (Deno.serve): files, ranges, 304,
 * HEAD, listings and a link out refused, in both directions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { denoLauncher, makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const MiB = 1024 * 1024;
let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
let tree: string;
let body: Uint8Array;

beforeAll(async () => {
  tree = mkdtempSync(join(tmpdir(), "rp-deno-share-"));
  for (const dir of ["docs", "pub", "outside"]) mkdirSync(join(tree, dir));
  body = new Uint8Array(8 * MiB).map((_, i) => (i * 13 + (i >>> 8)) & 0xff);
  for (const dir of ["docs", "pub"]) writeFileSync(join(tree, dir, "data.bin"), body);
  writeFileSync(join(tree, "outside/secret.txt"), "no");
  symlinkSync(join(tree, "outside/secret.txt"), join(tree, "docs/out"));
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir, {}, ["--share", `pub=${join(tree, "pub")}`]);
  const identity = await pki.client("deno-share");
  client = await startClientProcess(identity.dir, server.pipePort, {}, ["--share", `docs=${join(tree, "docs")}`, "--share-writable", "docs"], denoLauncher("rp-client"));
  await server.proc.waitForMessage("client connected", { client: "deno-share" });
  await (await fetch(`${server.http}/client/deno-share/time`)).arrayBuffer(); // heartbeats exchanged: both know reply-head
}, 60_000);

afterAll(async () => {
  await client?.proc.stop("SIGKILL");
  await server?.proc.stop("SIGKILL");
  await pki?.cleanup();
  if (tree) rmSync(tree, { recursive: true, force: true });
});

const sha = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** GET, Range, 304 and HEAD of data.bin at `base` (…/files//<share>/). */
async function semantics(base: string) {
  const whole = await fetch(`${base}data.bin`);
  const bytes = new Uint8Array(await whole.arrayBuffer());
  const etag = whole.headers.get("etag")!;
  const part = await fetch(`${base}data.bin`, { headers: { range: "bytes=1000-1999" } });
  const partBytes = new Uint8Array(await part.arrayBuffer());
  const cached = await fetch(`${base}data.bin`, { headers: { "if-none-match": etag } });
  await cached.arrayBuffer();
  const head = await fetch(`${base}data.bin`, { method: "HEAD" });
  return {
    whole: { status: whole.status, sha: sha(bytes) },
    part: { status: part.status, range: part.headers.get("content-range"), same: sha(partBytes) === sha(body.subarray(1000, 2000)) },
    cached: cached.status,
    head: { status: head.status, length: head.headers.get("content-length"), body: (await head.text()).length },
  };
}

const expected = () => ({
  whole: { status: 200, sha: sha(body) },
  part: { status: 206, range: `bytes 1000-1999/${8 * MiB}`, same: true },
  cached: 304,
  head: { status: 200, length: String(8 * MiB), body: 0 },
});

describe("Bun dist/rp-server ↔ Deno rp-client: the file share", () => {
  test("the Deno client's share, read through the Bun server's front", async () => {
    expect(await semantics(`${server.http}/client/deno-share/files//docs/`)).toEqual(expected());
    const listing = (await (await fetch(`${server.http}/client/deno-share/files//docs/`)).json()) as { entries: Array<{ name: string }> };
    expect(listing.entries.map((entry) => entry.name)).toEqual(["data.bin", "out"]);
    const out = await fetch(`${server.http}/client/deno-share/files//docs/out`);
    expect({ status: out.status, body: await out.json() }).toEqual({ status: 403, body: { error: "Cannot serve docs/out: a symbolic link leads out of the share" } });
  }, 60_000);

  test("PUT and DELETE in the Deno client's writable share", async () => {
    const url = `${server.http}/client/deno-share/files//docs/up.bin`;
    const put = await fetch(url, { method: "PUT", body: body.slice(0, 3 * MiB) });
    expect({ status: put.status, body: await put.json() }).toEqual({ status: 201, body: { stored: "docs/up.bin", bytes: 3 * MiB } });
    expect(sha(new Uint8Array(await (await fetch(url)).arrayBuffer()))).toBe(sha(body.subarray(0, 3 * MiB)));
    const deleted = await fetch(url, { method: "DELETE" });
    expect({ status: deleted.status, after: (await fetch(url)).status }).toEqual({ status: 200, after: 404 });
  }, 60_000);

  test("the Bun server's share, read through the Deno client's front", async () => {
    expect(await semantics(`${client.http}/server/files//pub/`)).toEqual(expected());
  }, 60_000);
});
