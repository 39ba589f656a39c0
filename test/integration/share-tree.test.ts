/** The file share against a hostile tree on the real file system: links out, loops, FIFOs, sockets, a swap race. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, renameSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerRead, realRoot, ShareRefusal, type ResolvedShare, type ShareAnswer } from "../../src/share/index.ts";

let dir: string;
let shares: Map<string, ResolvedShare>;
let socketServer: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rp-share-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "reports"), { recursive: true });
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "secret.txt"), "SECRET");
  writeFileSync(join(root, "reports", "q3.txt"), "0123456789");
  writeFileSync(join(root, ".hidden"), "h");
  symlinkSync(join(dir, "outside", "secret.txt"), join(root, "link-out"));
  symlinkSync(join(dir, "outside"), join(root, "dir-out"));
  symlinkSync("reports/q3.txt", join(root, "link-in"));
  symlinkSync("loop-b", join(root, "loop-a"));
  symlinkSync("loop-a", join(root, "loop-b"));
  symlinkSync("/dev/null", join(root, "dev-null"));
  execFileSync("mkfifo", [join(root, "fifo")]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(root, "sock"), resolve));
  shares = new Map([["docs", { name: "docs", realRoot: await realRoot(root), hidden: false }]]);
});

afterAll(() => {
  socketServer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function read(path: string, headers: Record<string, string> = {}, query = ""): Promise<ShareAnswer> {
  return answerRead(shares, path.split("/"), headers, new URLSearchParams(query));
}

async function refused(path: string): Promise<ShareRefusal> {
  try {
    const answer = await read(path);
    await answer.file?.handle.close();
  } catch (error) {
    if (error instanceof ShareRefusal) return error;
    throw error;
  }
  throw new Error(`expected ${path} to be refused`);
}

async function bytesOf(answer: ShareAnswer): Promise<string> {
  const file = answer.file!;
  const buffer = Buffer.alloc(file.end - file.start + 1);
  await file.handle.read(buffer, 0, buffer.length, file.start);
  await file.handle.close();
  return buffer.toString();
}

describe("file share on a hostile tree", () => {
  test("a file, with validators, its length and its mimetype", async () => {
    const answer = await read("docs/reports/q3.txt");
    expect(answer.status).toBe(200);
    expect(answer.mimetype).toBe("text/plain; charset=utf-8");
    expect(answer.headers["content-length"]).toBe("10");
    expect(answer.headers.etag).toMatch(/^"/);
    expect(await bytesOf(answer)).toBe("0123456789");
  });

  test("a range (206) and a conditional GET (304)", async () => {
    const partial = await read("docs/reports/q3.txt", { range: "bytes=4-" });
    expect(partial.status).toBe(206);
    expect(partial.headers["content-range"]).toBe("bytes 4-9/10");
    expect(await bytesOf(partial)).toBe("456789");
    const etag = partial.headers.etag!;
    expect((await read("docs/reports/q3.txt", { "if-none-match": etag })).status).toBe(304);
    const stale = await read("docs/reports/q3.txt", { range: "bytes=4-", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    await stale.file?.handle.close();
  });

  test("a link inside the share is followed; links out are refused", async () => {
    expect(await bytesOf(await read("docs/link-in"))).toBe("0123456789");
    for (const path of ["docs/link-out", "docs/dir-out/secret.txt", "docs/dev-null"]) {
      const error = await refused(path);
      expect(error.status).toBe(403);
      expect(error.message).toContain("a symbolic link leads out of the share");
    }
  });

  test("loops, FIFOs, sockets, missing files and hidden files", async () => {
    expect((await refused("docs/loop-a")).message).toContain("symbolic link loop");
    const fifo = await refused("docs/fifo");
    expect(fifo.status).toBe(403);
    expect(fifo.message).toContain("not a regular file or directory");
    expect((await refused("docs/sock")).status).toBe(403);
    expect((await refused("docs/nope.txt")).status).toBe(404);
    expect((await refused("docs/reports/q3.txt/x")).status).toBe(404);
    expect((await refused("docs/.hidden")).message).toContain("--share-hidden");
    expect((await refused("other/x")).message).toBe('Cannot serve files from "other": no such share (shared: docs)');
  });

  test("a directory lists in pages with a cursor; hidden names are left out", async () => {
    const first = await read("docs/", {}, "limit=3");
    expect(first.listing!.entries.map((e) => e.name)).toEqual(["dev-null", "dir-out", "fifo"]);
    const second = await read("docs", {}, `limit=3&cursor=${first.listing!.next}`);
    expect(second.listing!.entries.map((e) => e.name)).toEqual(["link-in", "link-out", "loop-a"]);
    const rest = await read("docs", {}, `limit=100&cursor=${second.listing!.next}`);
    expect(rest.listing!.entries.map((e) => e.name)).toEqual(["loop-b", "reports", "sock"]);
    expect(rest.listing!.next).toBeUndefined();
    const reports = await read("docs/reports");
    expect(reports.listing!.entries).toEqual([{ name: "q3.txt", type: "file", size: 10, mtime: expect.any(String) }]);
  });

  test("a directory swapped for a link out while requests run never serves what is outside", async () => {
    const root = shares.get("docs")!.realRoot;
    mkdirSync(join(root, "swap"));
    writeFileSync(join(root, "swap", "secret.txt"), "inside");
    const parked = join(dir, "parked");
    let swapping = true;
    const swapper = (async () => {
      for (let i = 0; swapping && i < 20_000; i++) {
        renameSync(join(root, "swap"), parked);
        symlinkSync(join(dir, "outside"), join(root, "swap"));
        await Promise.resolve();
        rmSync(join(root, "swap"));
        renameSync(parked, join(root, "swap"));
        if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const seen = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      try {
        const answer = await read("docs/swap/secret.txt");
        const text = await bytesOf(answer);
        seen.set(text, (seen.get(text) ?? 0) + 1);
      } catch (error) {
        if (!(error instanceof ShareRefusal)) throw error;
        seen.set(error.status === 403 ? "refused" : "missing", (seen.get(error.status === 403 ? "refused" : "missing") ?? 0) + 1);
      }
    }
    swapping = false;
    await swapper;
    console.log("swap race outcomes:", Object.fromEntries(seen));
    expect(seen.get("SECRET") ?? 0).toBe(0);
    expect(seen.get("inside") ?? 0).toBeGreaterThan(0);
    expect(readFileSync(join(root, "swap", "secret.txt"), "utf8")).toBe("inside");
  }, 30_000);
});
