import { describe, expect, test } from "bun:test";
import {
  BadArgumentError,
  createDispatcher,
  exampleHandlers,
  findHandler,
  reply,
  routeFor,
  type HandlerContext,
  type RequestBody,
} from "../../../src/dispatch/index.ts";
import { ReplyCode, type Event, type EventReply } from "../../../src/wire/index.ts";

const text = new TextEncoder();
const untext = new TextDecoder();
const peer = { name: "client-1", remoteAddress: "127.0.0.1:5555" };

function event(verb: string, noun: string, extra: Partial<Event> = {}): Event {
  return { version: 1, verb, noun, mimetype: "", data: new Uint8Array(0), ...extra };
}

async function call(handlers: object, e: Event, debug = false): Promise<EventReply> {
  return createDispatcher(handlers, { debug })(e, { peer, signal: new AbortController().signal });
}

function json(reply: EventReply): unknown {
  return JSON.parse(untext.decode(reply.data));
}

describe("routeFor", () => {
  test.each([
    ["get", "time", "get_time", []],
    ["get", "time/utc", "get_time_utc", []],
    ["get", "cat//hello%20/world", "get_cat", ["hello ", "world"]],
    ["post", "files/upload//a%2Fb", "post_files_upload", ["a/b"]],
    ["get", "cat//", "get_cat", [""]],
    ["delete", "x//%E2%9C%93//y", "delete_x", ["✓", "", "y"]],
  ])("%s %s → %s %j", (verb, noun, name, args) => {
    expect(routeFor(verb, noun)).toEqual({ handlerName: name, args });
  });

  test("bad percent-encoding in an argument is a BadArgumentError", () => {
    expect(() => routeFor("get", "cat//%zz")).toThrow(new BadArgumentError('Cannot decode argument "%zz": invalid percent-encoding'));
  });
});

describe("findHandler", () => {
  class Handlers {
    get_time() {
      return 1;
    }
  }
  test("finds own functions of a module object and methods of a class", () => {
    expect(findHandler({ get_x: () => 1 }, "get_x")).toBeFunction();
    expect(findHandler(new Handlers(), "get_time")).toBeFunction();
  });

  test.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf", "then", "connect_success"])(
    "never %s",
    (name) => {
      expect(findHandler(new Handlers(), name)).toBeUndefined();
      expect(findHandler({}, name)).toBeUndefined();
      expect(findHandler(Object.create(null), name)).toBeUndefined();
    },
  );

  test("getters and non-functions are not handlers", () => {
    let ran = false;
    const module = {
      get get_secret() {
        ran = true;
        return () => 1;
      },
      get_value: 42,
    };
    expect(findHandler(module, "get_secret")).toBeUndefined();
    expect(findHandler(module, "get_value")).toBeUndefined();
    expect(ran).toBe(false);
  });
});

describe("createDispatcher", () => {
  test("GET cat//hello%20/world calls get_cat(ctx, body, 'hello ', 'world')", async () => {
    const calls: unknown[][] = [];
    const handlers = {
      get_cat(ctx: HandlerContext, body: RequestBody, ...args: string[]) {
        calls.push([ctx.verb, ctx.noun, ctx.peer.name, body, args]);
        return { ok: true };
      },
    };
    const r = await call(handlers, event("get", "cat//hello%20/world"));
    expect(calls).toEqual([["get", "cat//hello%20/world", "client-1", { mimetype: "", data: "" }, ["hello ", "world"]]]);
    expect(r).toEqual({ mimetype: "application/json", code: 0, data: text.encode('{"ok":true}') });
  });

  test("plain data → application/json, code 0", async () => {
    const r = await call({ get_list: () => [1, "a", null] }, event("get", "list"));
    expect([r.mimetype, r.code, json(r)]).toEqual(["application/json", 0, [1, "a", null]]);
  });

  test("undefined → JSON null", async () => {
    const r = await call({ get_nothing: () => undefined }, event("get", "nothing"));
    expect(untext.decode(r.data)).toBe("null");
  });

  test("reply(mimetype, code, string) and reply(mimetype, code, bytes)", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const handlers = {
      get_text: (ctx: HandlerContext) => ctx.reply("text/plain", 7, "hi"),
      get_bytes: () => reply("application/octet-stream", 3, bytes),
      get_json: () => reply("application/json", 0, { a: 1 }),
    };
    expect(await call(handlers, event("get", "text"))).toEqual({ mimetype: "text/plain", code: 7, data: text.encode("hi") });
    expect(await call(handlers, event("get", "bytes"))).toEqual({ mimetype: "application/octet-stream", code: 3, data: bytes });
    expect(json(await call(handlers, event("get", "json")))).toEqual({ a: 1 });
  });

  test("a plain array of three is data, not a reply", async () => {
    const r = await call({ get_triple: () => ["text/plain", 1, "x"] }, event("get", "triple"));
    expect([r.mimetype, r.code, json(r)]).toEqual(["application/json", 0, ["text/plain", 1, "x"]]);
  });

  test("plain bytes → application/octet-stream", async () => {
    const r = await call({ get_raw: () => Uint8Array.of(0, 255) }, event("get", "raw"));
    expect(r).toEqual({ mimetype: "application/octet-stream", code: 0, data: Uint8Array.of(0, 255) });
  });

  test("async handlers are awaited", async () => {
    const r = await call({ get_later: async () => (await Promise.resolve(5)) * 2 }, event("get", "later"));
    expect(json(r)).toBe(10);
  });

  test("JSON bodies arrive decoded; text as a string; other bytes as bytes", async () => {
    const seen: unknown[] = [];
    const handlers = { post_x: (_c: HandlerContext, body: RequestBody) => void seen.push(body) };
    await call(handlers, event("post", "x", { mimetype: "application/json", data: text.encode('{"name":"a.txt","size":3}') }));
    await call(handlers, event("post", "x", { mimetype: "text/plain; charset=utf-8", data: text.encode("héllo") }));
    await call(handlers, event("post", "x", { mimetype: "application/octet-stream", data: Uint8Array.of(1, 2) }));
    await call(handlers, event("post", "x", { mimetype: "application/vnd.api+json", data: text.encode("[1]") }));
    expect(seen).toEqual([
      { mimetype: "application/json", data: { name: "a.txt", size: 3 } },
      { mimetype: "text/plain; charset=utf-8", data: "héllo" },
      { mimetype: "application/octet-stream", data: Uint8Array.of(1, 2) },
      { mimetype: "application/vnd.api+json", data: [1] },
    ]);
  });

  test("an invalid JSON body is answered 252 without running the handler", async () => {
    let ran = false;
    const r = await call({ post_x: () => (ran = true) }, event("post", "x", { mimetype: "application/json", data: text.encode("{nope") }));
    expect(r.code).toBe(ReplyCode.BadRequest);
    expect((json(r) as { error: string }).error).toStartWith("Cannot decode request body as application/json: ");
    expect(ran).toBe(false);
  });

  test("no handler → 255, text/plain, empty (as the original)", async () => {
    expect(await call({}, event("get", "missing"))).toEqual({ mimetype: "text/plain", code: 255, data: new Uint8Array(0) });
  });

  test.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])("noun %s → 255", async (noun) => {
    class Handlers {
      get_time() {
        return 1;
      }
    }
    expect((await call(new Handlers(), event("get", noun))).code).toBe(255);
    // A hostile peer can choose the verb too: "__proto" + "_" + "_" is "__proto__".
    const [verb, rest] = noun === "__proto__" ? ["_", "_proto__"] : [noun.slice(0, 2), noun.slice(3)];
    expect((await call(new Handlers(), event(verb!, rest!))).code).toBe(255);
  });

  test("a handler that throws → 251 with message and class; stack only in debug", async () => {
    const handlers = {
      get_boom() {
        throw new RangeError("out of range");
      },
    };
    const plain = await call(handlers, event("get", "boom"));
    expect([plain.code, plain.mimetype, json(plain)]).toEqual([
      251,
      "application/json",
      { exception: { message: "out of range", class: "RangeError" } },
    ]);
    const debug = json(await call(handlers, event("get", "boom"), true)) as { exception: { stack: string } };
    expect(debug.exception.stack).toContain("RangeError: out of range");
  });

  test.each([
    ["ENOENT: no such file or directory, open '/srv/files/a b.txt'", "ENOENT: no such file or directory, open '<path>'"],
    ['Cannot find module "/home/u/app/h.ts" from "/app"', 'Cannot find module "<path>" from "<path>"'],
    ["failed at file:///app/x.ts:3:4", "failed at <path>"],
    ["C:\\Users\\x\\y.txt is missing", "<path> is missing"],
    ["path=/etc/passwd, again", "path=<path>, again"],
    ["a/b and 1/2 are not absolute", "a/b and 1/2 are not absolute"],
  ])("without debug, paths in a handler error are redacted: %j", async (message, redacted) => {
    const handlers = {
      get_boom() {
        throw new Error(message);
      },
    };
    expect(json(await call(handlers, event("get", "boom")))).toEqual({ exception: { message: redacted, class: "Error" } });
    expect(json(await call(handlers, event("get", "boom"), true))).toMatchObject({ exception: { message } });
  });

  test("a rejected promise and a thrown non-Error are 251 too", async () => {
    const handlers = { get_a: async () => Promise.reject(new Error("nope")), get_b: () => { throw "text"; } };
    expect(json(await call(handlers, event("get", "a")))).toEqual({ exception: { message: "nope", class: "Error" } });
    expect(json(await call(handlers, event("get", "b")))).toEqual({ exception: { message: "text", class: "string" } });
  });

  test("the query string reaches the handler", async () => {
    const r = await call({ get_q: (ctx: HandlerContext) => ctx.query.get("x") }, event("get", "q", { query: "x=1%202&y=3" }));
    expect(json(r)).toBe("1 2");
  });

  test("class handlers keep `this`", async () => {
    class Counter {
      count = 41;
      get_next() {
        return ++this.count;
      }
    }
    expect(json(await call(new Counter(), event("get", "next")))).toBe(42);
  });
});

describe("example handlers", () => {
  test("time and cat for both roles, as the seed", async () => {
    for (const role of ["server", "client"] as const) {
      const before = Date.now() / 1000;
      const time = json(await call(exampleHandlers(role), event("get", "time"))) as Record<string, number>;
      expect(Object.keys(time)).toEqual([`time_from_${role}`]);
      expect(time[`time_from_${role}`]!).toBeGreaterThanOrEqual(before - 1);
      expect(time[`time_from_${role}`]! % 1).not.toBe(0); // float seconds
      expect(json(await call(exampleHandlers(role), event("get", "cat//hello%20/world")))).toEqual({
        [`result_from_${role}`]: "hello world",
      });
    }
  });
});
