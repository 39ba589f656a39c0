/**
 * Fuzzed names: handler names built from hostile verbs and nouns never reach
 * anything but the handler module's own functions; front paths are either
 * refused with 400/404 or carry no dot segment that any URL parser would
 * resolve, no control character, and no slash in a client name.
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { BadRequestError, MAX_NOUN_LENGTH, NotFoundError, parseEventPath } from "../../src/http/index.ts";
import { ReplyCode } from "../../src/wire/index.ts";
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally } from "../support/index.ts";

const tally = new FuzzTally("names");
afterAll(() => tally.report());

const PIECES = ["_", "__", "proto", "constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "then", "prototype", "get", "time", "/", "//", "%2F", "%zz", "%C3%A9", "%E2%9C", "%ff", "%e2%82%ac", "a"];
const nameArb = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((parts) => parts.join("")),
  fc.string({ maxLength: 12 }),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }).map((parts) => `time//${parts.join("")}`),
  fc.constantFrom("get", "time"),
);

class ClassHandlers {
  get_time() {
    return { time: 1 };
  }
}

/** The percent-escapes of `segment` make valid UTF-8: each % starts two hex digits, each run of escapes decodes strictly. */
function argumentDecodes(segment: string): boolean {
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const run of segment.match(/(?:%[\s\S]{0,2})+/g) ?? []) {
    if (!/^(?:%[0-9A-Fa-f]{2})+$/.test(run)) return false;
    const bytes = Uint8Array.from(run.slice(1).split("%"), (hex) => parseInt(hex, 16));
    try {
      strict.decode(bytes);
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * What the seed's rules (DESIGN.md) say the dispatcher must answer, written
 * without the router: the only handler is get_time, reached by verb "get" and
 * a noun whose part before the first "//" is "time"; the part after it is
 * "/"-separated arguments, and an argument that is not valid percent-encoded
 * UTF-8 makes the event malformed (252) whatever the handler.
 */
function expectedCode(verb: string, noun: string): number {
  const split = /^([\s\S]*?)\/\/([\s\S]*)$/.exec(noun);
  const head = split ? split[1]! : noun;
  if (split && !split[2]!.split("/").every(argumentDecodes)) return ReplyCode.BadRequest;
  return verb === "get" && head === "time" ? ReplyCode.Ok : ReplyCode.NoHandler;
}

describe("handler names", () => {
  test("only the module's own get_time answers; every other name is 255 (or 252 for bad arguments), whatever the verb and noun", async () => {
    const dispatchers = [createDispatcher(new ClassHandlers()), createDispatcher({ get_time: () => ({ time: 1 }) })];
    const context = { peer: { name: "fuzz", remoteAddress: "memory" }, signal: new AbortController().signal };
    const seen = new Map<number, number>();
    await tally.checkAsync(
      fc.asyncProperty(nameArb, nameArb, fc.nat({ max: 1 }), async (verb, noun, which) => {
        const reply = await dispatchers[which]!({ version: 1, verb, noun }, context);
        seen.set(reply.code ?? 0, (seen.get(reply.code ?? 0) ?? 0) + 1);
        expect({ verb, noun, code: reply.code }).toEqual({ verb, noun, code: expectedCode(verb, noun) });
      }),
      20_000,
    );
    // Each outcome was reached often enough that the model was tested on it.
    const counts = { ok: seen.get(ReplyCode.Ok) ?? 0, badRequest: seen.get(ReplyCode.BadRequest) ?? 0, noHandler: seen.get(ReplyCode.NoHandler) ?? 0 };
    expect(Math.min(counts.ok, counts.badRequest, counts.noHandler), JSON.stringify(counts)).toBeGreaterThan(50);
    expect([...seen.keys()].sort()).toEqual([ReplyCode.Ok, ReplyCode.BadRequest, ReplyCode.NoHandler].sort());
  }, FUZZ_TEST_TIMEOUT_MS);

  test("the model's argument check agrees on known cases", () => {
    expect(["", "a", "%41", "%C3%A9", "%e2%82%ac", "a%20b"].map(argumentDecodes)).toEqual([true, true, true, true, true, true]);
    expect(["%", "%4", "%zz", "%ff", "%E2%9C", "%C3", "%C0%80", "%ED%A0%80"].map(argumentDecodes)).toEqual([false, false, false, false, false, false, false, false]);
    expect([expectedCode("get", "time"), expectedCode("get", "time//x/%41"), expectedCode("get", "time/x"), expectedCode("GET", "time"), expectedCode("put", "a//%zz")]).toEqual([
      ReplyCode.Ok,
      ReplyCode.Ok,
      ReplyCode.NoHandler,
      ReplyCode.NoHandler,
      ReplyCode.BadRequest,
    ]);
  });
});

const SEGMENT_PIECES = ["a", "b", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "%0a", "%20", "%41", "_", "-", "~", "%", "%e2%9c%93", "\\"];
const segmentArb = fc.array(fc.constantFrom(...SEGMENT_PIECES), { maxLength: 4 }).map((parts) => parts.join(""));
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 6 }).map((segments) => segments.join("/"));

/** What a WHATWG URL parser (Bun's server, fetch, Deno's Request) makes of a path, backslashes read as slashes. */
function asUrlParserSeesIt(path: string): string {
  return new URL(path, "http://localhost").pathname;
}

describe("front paths", () => {
  test("an accepted noun or client name holds nothing a URL parser would resolve, no control character, no slash in the name", () => {
    tally.check(
      fc.property(fc.constantFrom("server" as const, "client" as const), pathArb, segmentArb, (role, noun, name) => {
        const path = role === "client" ? `/server/${noun}` : `/client/${name}/${noun}`;
        let target: ReturnType<typeof parseEventPath>;
        try {
          target = parseEventPath(role, path);
        } catch (error) {
          expect(error instanceof BadRequestError || error instanceof NotFoundError).toBe(true);
          return;
        }
        expect(asUrlParserSeesIt(path.replaceAll("\\", "/"))).toBe(path.replaceAll("\\", "/"));
        expect(target.noun.length).toBeLessThanOrEqual(MAX_NOUN_LENGTH);
        const decoded = decodeURIComponent(target.noun);
        expect(decoded).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(decoded.split(/[/\\]/).filter((part) => part === "." || part === "..")).toEqual([]);
        if (role === "server") expect(target.peer).not.toMatch(/[/\\\u0000-\u001f\u007f]|^\.\.?$/);
      }),
      20_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);
});
