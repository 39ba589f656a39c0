/**
 * Fuzzed names: handler names built from hostile verbs and nouns never reach
 * anything but the handler module's own functions; front paths are either
 * refused with 400/404 or carry no dot segment that any URL parser would
 * resolve, no control character, and no slash in a client name.
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createDispatcher, routeFor } from "../../src/dispatch/index.ts";
import { BadRequestError, MAX_NOUN_LENGTH, NotFoundError, parseEventPath } from "../../src/http/index.ts";
import { ReplyCode } from "../../src/wire/index.ts";
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally } from "../support/index.ts";

const tally = new FuzzTally("names");
afterAll(() => tally.report());

const PIECES = ["_", "__", "proto", "constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "then", "prototype", "get", "time", "/", "//", "%2F", "%zz", "a"];
const nameArb = fc.oneof(fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((parts) => parts.join("")), fc.string({ maxLength: 12 }));

class ClassHandlers {
  get_time() {
    return { time: 1 };
  }
}

describe("handler names", () => {
  test("only the module's own get_time answers; every other name is 255 (or 252 for bad arguments), whatever the verb and noun", async () => {
    const dispatchers = [createDispatcher(new ClassHandlers()), createDispatcher({ get_time: () => ({ time: 1 }) })];
    const context = { peer: { name: "fuzz", remoteAddress: "memory" }, signal: new AbortController().signal };
    await tally.checkAsync(
      fc.asyncProperty(nameArb, nameArb, fc.nat({ max: 1 }), async (verb, noun, which) => {
        const reply = await dispatchers[which]!({ version: 1, verb, noun }, context);
        let route: ReturnType<typeof routeFor> | undefined;
        try {
          route = routeFor(verb, noun);
        } catch {
          expect(reply.code).toBe(ReplyCode.BadRequest);
          return;
        }
        expect(reply.code).toBe(route.handlerName === "get_time" ? ReplyCode.Ok : ReplyCode.NoHandler);
      }),
      20_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);
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
