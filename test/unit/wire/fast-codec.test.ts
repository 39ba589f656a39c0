/**
 * The hand-written Event/EventReply codec against the generated protobuf-ts
 * code, the reference: same bytes on the reference vectors and on random
 * messages; same messages (or the same errors) on decode, garbage included.
 */
import { describe, expect, test } from "bun:test";
import { isDeepStrictEqual } from "node:util"; // not Bun.deepEquals: these tests run under Deno too
import { decodeEvent, decodeEventReply, encodeEvent, encodeEventReply } from "../../../src/wire/_fast-codec.ts";
import { decodeGeneral } from "../../../src/wire/_general-codec.ts";
import { EVENT, EVENT_REPLY } from "../../../src/wire/_schemas.ts";
import { Event, EventReply, type HttpHead } from "../../../src/wire/gen/restpipe.ts";
import { fromHex, messageFields, seededRandom } from "../../support/index.ts";
import { toHex, VECTOR_CASES } from "../../support/vectors.ts";

const WRITE = { writeUnknownFields: false } as const;
const READ = { readUnknownField: false } as const;
const U32 = [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, 0xffff_ffff];
const U53 = [0, 1, 127, 128, 0xffff_ffff, 0x1_0000_0000, 2 ** 35, 2 ** 42 + 7, 2 ** 49, Number.MAX_SAFE_INTEGER];
const TEXTS = ["", "get", "time", "cat//hello%20/world", "application/json; charset=utf-8", "x".repeat(200), "héllo", "日本", "🙂", "a\ud800b", "q=1&r=%20"];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomBytes(random: () => number, large = true): Uint8Array {
  const length = pick(random, large ? [0, 1, 5, 127, 128, 300, 70_000] : [0, 1, 5, 127, 128, 300]);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** An HttpHead of 0-3 headers, each with or without a name and a value. */
function randomHead(random: () => number): HttpHead {
  const count = pick(random, [0, 1, 2, 3]);
  return {
    headers: Array.from({ length: count }, () => {
      const header: { name?: string; value?: string } = {};
      if (random() < 0.9) header.name = pick(random, ["range", "etag", "if-none-match", "", "héllo"]);
      if (random() < 0.9) header.value = pick(random, TEXTS);
      return header;
    }),
  };
}

function randomEvent(random: () => number, large = true): Event {
  const event: Event = {};
  if (random() < 0.9) event.version = pick(random, U32);
  if (random() < 0.9) event.verb = pick(random, TEXTS);
  if (random() < 0.9) event.noun = pick(random, TEXTS);
  if (random() < 0.8) event.mimetype = pick(random, TEXTS);
  if (random() < 0.8) event.data = randomBytes(random, large);
  if (random() < 0.5) event.query = pick(random, TEXTS);
  if (random() < 0.5) event.deadlineMs = pick(random, U32);
  if (random() < 0.3) event.bodyStream = random() < 0.5;
  if (random() < 0.3) event.bodyLength = pick(random, U53);
  if (random() < 0.3) event.caller = pick(random, TEXTS);
  if (random() < 0.3) event.traceparent = pick(random, TEXTS);
  if (random() < 0.3) event.tracestate = pick(random, TEXTS);
  if (random() < 0.3) event.head = randomHead(random);
  if (random() < 0.3) event.fleetTarget = pick(random, TEXTS);
  if (random() < 0.3) event.fleetEpoch = pick(random, U53);
  if (random() < 0.3) event.fleetName = pick(random, TEXTS);
  if (random() < 0.3) event.fleetTakeover = random() < 0.5;
  if (random() < 0.3) event.fleetSender = pick(random, TEXTS);
  return event;
}

function randomReply(random: () => number, large = true): EventReply {
  const reply: EventReply = {};
  if (random() < 0.9) reply.version = pick(random, U32);
  if (random() < 0.9) reply.mimetype = pick(random, TEXTS);
  if (random() < 0.9) reply.code = pick(random, U32);
  if (random() < 0.8) reply.data = randomBytes(random, large);
  if (random() < 0.3) reply.bodyStream = random() < 0.5;
  if (random() < 0.3) reply.bodyLength = pick(random, U53);
  if (random() < 0.3) reply.deniedByRule = pick(random, U32);
  if (random() < 0.3) reply.httpStatus = pick(random, U32);
  if (random() < 0.3) reply.head = randomHead(random);
  if (random() < 0.3) reply.fleetRefusal = pick(random, TEXTS);
  if (random() < 0.3) reply.fleetStatus = pick(random, U32);
  return reply;
}

/** What a decode gives: the message's own fields, or the error message. */
function outcome(decode: () => unknown): object {
  try {
    return { ok: { ...(decode() as object) } };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The decode path messages.ts takes: the fast decoder, else the general one. */
const ours = {
  event: (body: Uint8Array) => decodeEvent(body) ?? decodeGeneral(EVENT, body),
  reply: (body: Uint8Array) => decodeEventReply(body) ?? decodeGeneral(EVENT_REPLY, body),
};
const reference = {
  event: (body: Uint8Array) => Event.fromBinary(body, READ),
  reply: (body: Uint8Array) => EventReply.fromBinary(body, READ),
};

describe("hand-written Event/EventReply codec", () => {
  const bodies = VECTOR_CASES.filter((v) => v.message === "Event" || v.message === "EventReply");
  const checked = new Set<string>();
  test("the reference vectors hold 4 events and 3 event replies", () => {
    expect(bodies.map((c) => c.message)).toEqual(["Event", "Event", "Event", "Event", "EventReply", "EventReply", "EventReply"]);
  });

  for (const c of bodies) {
    test(`${c.name}: the same body as the reference vector, and back`, () => {
      checked.add(c.name);
      const fields = messageFields(c);
      const body = fromHex(c.hex).subarray(10);
      const encoded = c.message === "Event" ? encodeEvent(fields as Event) : encodeEventReply(fields as EventReply);
      expect(toHex(encoded)).toBe(toHex(body));
      const decoded = c.message === "Event" ? decodeEvent(body) : decodeEventReply(body);
      expect({ ...decoded }).toEqual(fields);
    });
  }

  test("all 7 reference bodies were checked", () => {
    expect(checked.size).toBe(7);
  });

  test("2,000 random Events and EventReplies encode to the generated code's bytes and decode alike", () => {
    const random = seededRandom(7);
    for (let i = 0; i < 1_000; i++) {
      const event = randomEvent(random);
      const body = Event.toBinary(event, WRITE);
      const sameBytes = (a: Uint8Array, b: Uint8Array) => isDeepStrictEqual(a, b) || expect({ i, hex: toHex(a) }).toEqual({ i, hex: toHex(b) });
      sameBytes(encodeEvent(event), body);
      const headTexts = (event.head?.headers ?? []).flatMap((h) => [h.name, h.value]);
      const ascii = [event.verb, event.noun, event.mimetype, event.query, event.caller, event.traceparent, event.tracestate, event.fleetTarget, event.fleetName, event.fleetSender, ...headTexts].every((t) => t === undefined || /^[\x00-\x7f]*$/.test(t));
      if (ascii) expect({ i, fast: decodeEvent(body) !== undefined }).toEqual({ i, fast: true }); // the common shapes never fall back
      expect({ i, ...outcome(() => ours.event(body)) }).toEqual({ i, ...outcome(() => reference.event(body)) });
      const reply = randomReply(random);
      const replyBody = EventReply.toBinary(reply, WRITE);
      sameBytes(encodeEventReply(reply), replyBody);
      expect({ i, ...outcome(() => ours.reply(replyBody)) }).toEqual({ i, ...outcome(() => reference.reply(replyBody)) });
    }
  });

  test("truncated, corrupted and random bodies decode exactly as the generated code does, or fail alike", () => {
    const random = seededRandom(11);
    const check = (kind: "event" | "reply", body: Uint8Array) => {
      const [got, want] = [outcome(() => ours[kind](body)), outcome(() => reference[kind](body))];
      if (!isDeepStrictEqual(got, want)) expect({ hex: toHex(body), ...got }).toEqual({ hex: toHex(body), ...want });
    };
    for (let i = 0; i < 2_000; i++) {
      const good = i % 2 === 0 ? Event.toBinary(randomEvent(random, false), WRITE) : EventReply.toBinary(randomReply(random, false), WRITE);
      const type = i % 2 === 0 ? "event" : "reply";
      check(type, good.subarray(0, Math.floor(random() * (good.length + 1))));
      const corrupted = good.slice();
      if (corrupted.length > 0) corrupted[Math.floor(random() * corrupted.length)] = Math.floor(random() * 256);
      check(type, corrupted);
      check(type, Uint8Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256)));
    }
  });

  test("the HTTP head fields (Event 32, EventReply 32 and 33) encode as the generated code does and decode without falling back", () => {
    const head = { headers: [{ name: "range", value: "bytes=0-99" }, { name: "if-none-match", value: '"1-2-3"' }] };
    const event: Event = { version: 1, verb: "get", noun: "files//docs/a.txt", head };
    expect(toHex(encodeEvent(event))).toBe(toHex(Event.toBinary(event, WRITE)));
    expect(toHex(encodeEvent(event))).toContain("8202"); // field 32's two-byte tag
    expect({ ...decodeEvent(encodeEvent(event)) }).toEqual(event);
    const reply: EventReply = { version: 1, code: 0, httpStatus: 206, head: { headers: [{ name: "content-range", value: "bytes 0-99/1000" }] } };
    expect(toHex(encodeEventReply(reply))).toBe(toHex(EventReply.toBinary(reply, WRITE)));
    expect(toHex(encodeEventReply(reply))).toContain("8002ce01"); // field 32 = 206
    expect({ ...decodeEventReply(encodeEventReply(reply)) }).toEqual(reply);
  });

  test("a head field given twice merges its headers, as the generated decoder does", () => {
    const one = encodeEvent({ head: { headers: [{ name: "range", value: "bytes=1-" }] } });
    const two = encodeEvent({ head: { headers: [{ name: "if-range", value: "x" }] } });
    const body = new Uint8Array([...one, ...two]);
    const fast = decodeEvent(body);
    expect(fast?.head?.headers).toEqual([{ name: "range", value: "bytes=1-" }, { name: "if-range", value: "x" }]);
    expect(fast?.head?.headers).toEqual(Event.fromBinary(body, READ).head!.headers);
  });

  test("an invalid uint32 fails with the generated code's message", () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      const message = (encode: () => unknown) => outcome(encode);
      expect(message(() => encodeEvent({ version: bad }))).toEqual(message(() => Event.toBinary({ version: bad }, WRITE)));
      expect(message(() => encodeEventReply({ code: bad }))).toEqual(message(() => EventReply.toBinary({ code: bad }, WRITE)));
    }
  });
});
