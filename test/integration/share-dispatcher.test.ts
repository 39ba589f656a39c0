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

describe("writes", () => {
  const put = (dispatch: ReturnType<typeof shareDispatcher>, noun: string, data: string) =>
    dispatch({ verb: "put", noun, mimetype: "application/octet-stream", data: new TextEncoder().encode(data) }, context);

  test("PUT stores a file atomically (201, then 200 over it), DELETE removes it; both only where writable", async () => {
    const writable = await openShares([{ name: "up", root: join(dir, "docs"), writable: true }], false, "RP_CLIENT_SHARES (--share)");
    const written: string[] = [];
    const dispatch = shareDispatcher(createDispatcher({}), writable, { maxPutBytes: 16, maxPutSetting: "RP_CLIENT_SHARE_MAX_PUT_BYTES", onWritten: (c) => written.push(`${c.verb} ${c.path} ${c.bytes} ${c.peer}`) });
    const created = await put(dispatch, "files//up/sub-new.txt", "first");
    expect({ code: created.code, status: created.httpStatus, body: text(created) }).toEqual({ code: 0, status: 201, body: '{"stored":"up/sub-new.txt","bytes":5}' });
    const replaced = await put(dispatch, "files//up/sub-new.txt", "second");
    expect(replaced.httpStatus).toBe(200);
    expect(await Bun.file(join(dir, "docs/sub-new.txt")).text()).toBe("second");
    const tooLarge = await put(dispatch, "files//up/big.txt", "x".repeat(17));
    expect({ status: tooLarge.httpStatus, body: text(tooLarge) }).toEqual({ status: 413, body: '{"error":"Cannot store up/big.txt: the body is over the limit of 16 bytes; set RP_CLIENT_SHARE_MAX_PUT_BYTES to allow more"}' });
    expect(await Bun.file(join(dir, "docs/big.txt")).exists()).toBe(false);
    const overDir = await put(dispatch, "files//up/list", "x");
    expect({ status: overDir.httpStatus, body: text(overDir) }).toEqual({ status: 409, body: '{"error":"Cannot store up/list: it is a directory; only files are written"}' });
    const slash = await put(dispatch, "files//up/newdir/", "x");
    expect({ status: slash.httpStatus, body: text(slash) }).toEqual({ status: 400, body: '{"error":"Cannot store up/newdir/: the path names a directory (a trailing /); name a file"}' });
    const hidden = await put(dispatch, "files//up/.env", "x");
    expect(hidden.httpStatus).toBe(403);
    const deleted = await dispatch({ verb: "delete", noun: "files//up/sub-new.txt" }, context);
    expect({ status: deleted.httpStatus, body: text(deleted) }).toEqual({ status: 200, body: '{"deleted":"up/sub-new.txt"}' });
    expect((await dispatch({ verb: "delete", noun: "files//up/list" }, context)).httpStatus).toBe(409);
    expect((await dispatch({ verb: "delete", noun: "files//up/none" }, context)).httpStatus).toBe(404);
    expect(written).toEqual(["PUT up/sub-new.txt 5 peer", "PUT up/sub-new.txt 6 peer", "DELETE up/sub-new.txt 0 peer"]);
    const leftovers = [...new Bun.Glob(".rp-upload-*").scanSync({ cwd: join(dir, "docs"), dot: true })];
    expect(leftovers).toEqual([]);
  });

  test("a read-only share refuses PUT and DELETE with 403 naming --share-writable", async () => {
    const dispatch = shareDispatcher(createDispatcher({}), shares);
    const refused = await put(dispatch, "files//docs/a.txt", "x");
    expect({ status: refused.httpStatus, body: text(refused) }).toEqual({ status: 403, body: '{"error":"Cannot store docs/a.txt: the share docs is read-only; start the node with --share-writable docs"}' });
    expect((await dispatch({ verb: "delete", noun: "files//docs/a.txt" }, context)).httpStatus).toBe(403);
    expect(await Bun.file(join(dir, "docs/a.txt")).text()).toBe("0123456789");
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

  test("a directory too large to read whole is listed by streaming, page by page, in the same order", async () => {
    const path = join(dir, "docs/list");
    const cache = new ListingCache(100);
    const names: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await listPage(path, { limit: 2, hidden: false, cache, key: "huge", dirBytes: 1_000_000, ...(cursor === undefined ? {} : { cursor }) });
      names.push(...page.entries.map((e) => e.name));
      cursor = page.next;
      if (cursor === undefined) break;
    }
    const whole = await listPage(path, { limit: 100, hidden: false });
    expect(names).toEqual(whole.entries.map((e) => e.name));
  });

  test("a directory over the bound is listed without being kept", async () => {
    const cache = new ListingCache(100);
    const page = await listPage(join(dir, "docs/list"), { limit: 10, hidden: false, cache, key: "big" });
    expect(page.entries.length).toBe(4);
    writeFileSync(join(dir, "docs/list", "d"), "x");
    expect((await listPage(join(dir, "docs/list"), { limit: 10, hidden: false, cache, key: "big" })).entries.length).toBe(5);
  });
});
