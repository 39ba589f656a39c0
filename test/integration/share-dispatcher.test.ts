/**
 * The files noun's dispatcher on a real directory: precedence over a handler
 * module's own get_files, replies with status and head, the file stream
 * (ranges, the handle closed on cancel), and the listing cache that follows
 * a changed directory and stays within its bound.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDispatcher, type DispatchReply } from "../../src/dispatch/index.ts";
import { fileStream, openShares, shareDispatcher, type ResolvedShare } from "../../src/share/index.ts";
import { ListingCache, listPage } from "../../src/share/_listing.ts";

let dir: string;
let shares: ReadonlyMap<string, ResolvedShare>;
const context = { peer: { name: "peer", remoteAddress: "memory" }, signal: new AbortController().signal };
const text = (reply: DispatchReply) => new TextDecoder().decode(reply.data);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rp-share-dispatch-"));
  mkdirSync(join(dir, "docs/list"), { recursive: true });
  writeFileSync(join(dir, "docs/a.txt"), "0123456789");
  for (const name of ["c", "a", "b", ".h"]) writeFileSync(join(dir, "docs/list", name), name);
  shares = await openShares([{ name: "docs", root: join(dir, "docs") }], false, "RP_CLIENT_SHARES (--share)");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function body(reply: DispatchReply): Promise<string> {
  return reply.stream ? await new Response(reply.stream).text() : text(reply);
}

describe("precedence", () => {
  const module = { get_files: () => "the module's own", get_time: () => "time" };

  test("with no share configured, the module's get_files answers", async () => {
    const dispatch = shareDispatcher(createDispatcher(module), new Map());
    expect(text(await dispatch({ verb: "get", noun: "files//docs/a.txt" }, context))).toBe('"the module\'s own"');
  });

  test("with a share, the built-in answers GET and HEAD of files//; other nouns and verbs go to the module", async () => {
    const dispatch = shareDispatcher(createDispatcher(module), shares);
    const got = await dispatch({ verb: "get", noun: "files//docs/a.txt" }, context);
    expect({ body: await body(got), status: got.httpStatus, length: got.bodyLength, type: got.mimetype }).toEqual({ body: "0123456789", status: 200, length: 10, type: "text/plain; charset=utf-8" });
    const head = await dispatch({ verb: "head", noun: "files//docs/a.txt" }, context);
    expect({ stream: head.stream, length: head.head?.headers.find((h) => h.name === "content-length")?.value }).toEqual({ stream: undefined, length: "10" });
    expect(text(await dispatch({ verb: "get", noun: "time" }, context))).toBe('"time"');
    expect((await dispatch({ verb: "post", noun: "files//docs/a.txt" }, context)).code).toBe(255);
  });

  test("a range, and refusals with their status as code and status", async () => {
    const dispatch = shareDispatcher(createDispatcher({}), shares);
    const part = await dispatch({ verb: "get", noun: "files//docs/a.txt", head: { headers: [{ name: "range", value: "bytes=2-4" }] } }, context);
    expect({ body: await body(part), status: part.httpStatus, range: part.head?.headers.find((h) => h.name === "content-range")?.value }).toEqual({ body: "234", status: 206, range: "bytes 2-4/10" });
    const missing = await dispatch({ verb: "get", noun: "files//docs/none" }, context);
    expect({ code: missing.code, status: missing.httpStatus, body: text(missing) }).toEqual({ code: 404, status: 404, body: '{"error":"Cannot serve docs/none: no such file"}' });
    const badEncoding = await dispatch({ verb: "get", noun: "files//docs/%zz" }, context);
    expect({ code: badEncoding.code, body: text(badEncoding) }).toEqual({ code: 400, body: '{"error":"Cannot serve files: Cannot decode argument \\"%zz\\": invalid percent-encoding"}' });
  });
});

describe("the file stream", () => {
  test("bytes start..end, in chunks, then the handle is closed; cancel closes it too", async () => {
    const handle = await open(join(dir, "docs/a.txt"), "r");
    expect(await new Response(fileStream(handle, 3, 6, "a.txt")).text()).toBe("3456");
    expect(await handle.stat().then(() => "open", () => "closed")).toBe("closed");
    const other = await open(join(dir, "docs/a.txt"), "r");
    const stream = fileStream(other, 0, 9, "a.txt");
    await stream.cancel("gone");
    expect(await other.stat().then(() => "open", () => "closed")).toBe("closed");
  });
});

describe("the listing cache", () => {
  test("pages come from one read of the directory; a changed directory is read again", async () => {
    const cache = new ListingCache();
    const path = join(dir, "docs/list");
    const first = await listPage(path, { limit: 2, hidden: false, cache, key: "k1" });
    expect({ names: first.entries.map((e) => e.name), next: first.next !== undefined }).toEqual({ names: ["a", "b"], next: true });
    writeFileSync(join(path, "b2"), "x"); // same key: the cached names hold
    const second = await listPage(path, { limit: 2, hidden: false, cache, key: "k1", cursor: first.next });
    expect({ names: second.entries.map((e) => e.name), next: second.next }).toEqual({ names: ["c"], next: undefined });
    const changed = await listPage(path, { limit: 10, hidden: true, cache, key: "k2" });
    expect(changed.entries.map((e) => e.name)).toEqual([".h", "a", "b", "b2", "c"]);
  });

  test("a directory over the bound is listed without being kept", async () => {
    const cache = new ListingCache(100);
    const page = await listPage(join(dir, "docs/list"), { limit: 10, hidden: false, cache, key: "big" });
    expect(page.entries.length).toBe(4);
    writeFileSync(join(dir, "docs/list", "d"), "x");
    expect((await listPage(join(dir, "docs/list"), { limit: 10, hidden: false, cache, key: "big" })).entries.length).toBe(5);
  });
});
