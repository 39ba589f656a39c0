/**
 * The general codec against the generated protobuf-ts code, its oracle: the
 * field tables match the generated field lists; every message decodes as the
 * generated code decodes it (or fails with the same error), on random
 * messages and on bodies made unusual on purpose (unknown fields of every
 * wire type, groups, fields given twice, wrong wire types, long varints,
 * truncation, random bytes); the flat control messages encode to the same bytes.
 */
import { describe, expect, test } from "bun:test";
import { decodeGeneral, encodeFlat } from "../../../src/wire/_general-codec.ts";
import * as schemas from "../../../src/wire/_schemas.ts";
import type { Schema } from "../../../src/wire/_schemas.ts";
import * as gen from "../../../src/wire/gen/restpipe.ts";
import { seededRandom } from "../../support/index.ts";
import { toHex } from "../../support/vectors.ts";

const READ = { readUnknownField: false } as const;
const WRITE = { writeUnknownFields: false } as const;

interface Generated {
  readonly typeName: string;
  readonly fields: readonly { no: number; localName: string; kind: string; T: unknown; repeat: number }[];
  fromBinary(bytes: Uint8Array, options: typeof READ): object;
  toBinary(message: object, options: typeof WRITE): Uint8Array;
}

/** Each table with the generated type it stands for. */
const PAIRS: [Schema, Generated][] = [
  [schemas.HTTP_HEADER, gen.HttpHeader],
  [schemas.HTTP_HEAD, gen.HttpHead],
  [schemas.EVENT, gen.Event],
  [schemas.EVENT_REPLY, gen.EventReply],
  [schemas.HEARTBEAT, gen.Heartbeat],
  [schemas.HEARTBEAT_REPLY, gen.HeartbeatReply],
  [schemas.GO_AWAY, gen.GoAway],
  [schemas.STREAM_CREDIT, gen.StreamCredit],
  [schemas.STREAM_RESET, gen.StreamReset],
] as unknown as [Schema, Generated][];

const FLAT = [schemas.HEARTBEAT, schemas.HEARTBEAT_REPLY, schemas.GO_AWAY, schemas.STREAM_CREDIT, schemas.STREAM_RESET];

/** protobuf-ts's scalar type numbers (ScalarType) for the kinds the tables use. */
const SCALAR: Record<number, string> = { 13: "uint32", 4: "uint64", 8: "bool", 9: "string", 12: "bytes" };

/** A generated field described in the tables' terms. */
function kindOf(field: Generated["fields"][number]): string {
  if (field.kind === "message") return field.repeat ? "messages" : "message";
  const scalar = SCALAR[field.T as number] ?? `scalar ${String(field.T)}`;
  return field.repeat ? `${scalar}s` : scalar;
}

const U32 = [0, 1, 127, 128, 300, 16_384, 2_097_152, 268_435_456, 0xffff_ffff];
const U53 = [0, 1, 128, 0xffff_ffff, 2 ** 35, 2 ** 49, Number.MAX_SAFE_INTEGER];
const TEXTS = ["", "get", "stream", "goaway", "cat//hello%20/world", "x".repeat(130), "héllo", "日本", "🙂", "a\ud800b"];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A random message of `schema`: each field present or not, repeated ones 0-3 times. */
function randomMessage(random: () => number, schema: Schema, depth = 0): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const count = field.kind === "strings" || field.kind === "messages" ? pick(random, [0, 1, 2, 3]) : random() < 0.6 ? 1 : 0;
    const values = Array.from({ length: count }, () => {
      switch (field.kind) {
        case "uint32":
          return pick(random, U32);
        case "uint64":
          return pick(random, U53);
        case "bool":
          return random() < 0.5;
        case "string":
        case "strings":
          return pick(random, TEXTS);
        case "bytes":
          return Uint8Array.from({ length: pick(random, [0, 1, 5, 200]) }, () => Math.floor(random() * 256));
        case "message":
        case "messages":
          return randomMessage(random, field.schema!, depth + 1);
      }
    });
    if (field.kind === "strings" || field.kind === "messages") message[field.name] = values;
    else if (values.length > 0) message[field.name] = values[0];
  }
  return message;
}

/** A value as plain data (prototypes and byte views left out), so that two decodes compare by content. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${toHex(value)}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** What a decode gives: the message as plain data, or the error's class and message. */
function outcome(decode: () => unknown): object {
  try {
    return { ok: plain(decode()) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** One field of any wire type (valid or not) with a random payload: for unknown fields, groups and wrong wire types. */
function randomField(random: () => number, no: number): number[] {
  const wireType = pick(random, [0, 1, 2, 3, 4, 5, 6, 7]);
  const out = varint(no * 8 + wireType);
  if (wireType === 0) out.push(...varint(pick(random, [0, 1, 300, 0xffff_ffff, 2 ** 40])));
  else if (wireType === 1) out.push(1, 2, 3, 4, 5, 6, 7, 8);
  else if (wireType === 5) out.push(1, 2, 3, 4);
  else if (wireType === 2) out.push(3, 0x61, 0x62, 0x63);
  else if (wireType === 3) out.push(0x08, 0x01, ...varint(no * 8 + 4)); // a group holding one varint, then its end
  if (random() < 0.2) out.push(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01); // an over-long varint
  return out;
}

/** `body` made unusual: fields inserted (known numbers with any wire type, unknown ones), bytes changed, cut, doubled. */
function mutate(random: () => number, schema: Schema, body: Uint8Array): Uint8Array {
  const bytes = [...body];
  const known = schema.fields.map((f) => f.no);
  for (let n = pick(random, [1, 1, 2, 3]); n > 0; n--) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (pick(random, ["insert-known", "insert-unknown", "set", "cut", "double", "delete"])) {
      case "insert-known":
        bytes.splice(at, 0, ...randomField(random, pick(random, known)));
        break;
      case "insert-unknown":
        bytes.splice(at, 0, ...randomField(random, pick(random, [6, 7, 15, 20, 45, 100, 536_870_911])));
        break;
      case "set":
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
        break;
      case "cut":
        bytes.length = at;
        break;
      case "double":
        bytes.push(...body);
        break;
      case "delete":
        bytes.splice(at, 1);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

describe("the general codec against the generated code", () => {
  for (const [schema, generated] of PAIRS) {
    test(`${schema.name}: the table lists the generated code's fields, numbers, names and kinds`, () => {
      expect(generated.typeName).toBe(`restpipe.v1.${schema.name}`);
      const want = generated.fields.map((f) => ({ no: f.no, name: f.localName, kind: kindOf(f) }));
      expect(schema.fields.map((f): { no: number; name: string; kind: string } => ({ no: f.no, name: f.name, kind: f.kind }))).toEqual(want);
    });
  }

  for (const [schema, generated] of PAIRS) {
    test(`${schema.name}: 600 random messages and 3,000 unusual bodies decode as the generated code does, or fail with its error`, () => {
      const random = seededRandom(schema.name.length * 7919 + schema.fields.length);
      const check = (body: Uint8Array) => {
        const got = outcome(() => decodeGeneral(schema, body));
        const want = outcome(() => generated.fromBinary(body, READ));
        if (JSON.stringify(got) !== JSON.stringify(want)) expect({ hex: toHex(body), ...got }).toEqual({ hex: toHex(body), ...want });
      };
      const seen = { ok: 0, error: 0 };
      for (let i = 0; i < 600; i++) {
        const body = generated.toBinary(randomMessage(random, schema), WRITE);
        check(body);
        for (let j = 0; j < 5; j++) {
          const unusual = mutate(random, schema, body);
          check(unusual);
          seen["error" in outcome(() => decodeGeneral(schema, unusual)) ? "error" : "ok"]++;
        }
      }
      for (let i = 0; i < 200; i++) check(Uint8Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256)));
      // The mutations reach both outcomes often: a mutator that only broke bodies (or never did) would test little.
      expect(seen.ok).toBeGreaterThan(300);
      expect(seen.error).toBeGreaterThan(300);
    });
  }

  test("the unusual cases one by one: an unknown field skipped, a scalar given twice keeps the last, a message given twice merges, a wrong wire type read by number", () => {
    const cases: [Schema, number[]][] = [
      [schemas.HEARTBEAT, [0x08, 0x01, 0x30, 0x05, 0x82, 0x01, 0x01, 0x61]], // field 6 (unknown varint) skipped
      [schemas.HEARTBEAT, [0x08, 0x01, 0x08, 0x02]], // version twice: 2
      [schemas.HEARTBEAT, [0x0b, 0x08, 0x01, 0x0c, 0x08, 0x03]], // field 1 as a group start: read as a varint (11 → field 1, then 8 → …)
      [schemas.STREAM_CREDIT, [0x12, 0x05]], // credit with wire type 2: read as a varint anyway
      [schemas.STREAM_CREDIT, [0x3b, 0x08, 0x01, 0x3c, 0x10, 0x07]], // an unknown group (field 7) skipped
      [schemas.STREAM_CREDIT, [0x3c]], // an end-group with no start
      [schemas.STREAM_CREDIT, [0x0e]], // wire type 6
      [schemas.STREAM_CREDIT, [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]], // an 11-byte varint
      [schemas.STREAM_CREDIT, [0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]], // a 5-byte varint keeps its low 32 bits
      [schemas.EVENT, [0x82, 0x02, 0x04, 0x0a, 0x02, 0x0a, 0x00, 0x82, 0x02, 0x02, 0x0a, 0x00]], // head twice: headers appended
      [schemas.EVENT, [0x98, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]], // body length 2^64-1: not a safe number
      [schemas.EVENT, [0x98, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]], // 2^63 reads negative, as protobuf-ts reads it
      [schemas.EVENT, [0x12, 0x02, 0xc3, 0x28]], // invalid UTF-8
      [schemas.EVENT, [0x2a, 0x05, 0x01]], // bytes past the end
      [schemas.EVENT_REPLY, [0x8a, 0x02, 0x09, 0x0a, 0x02, 0x0a, 0x00]], // head longer than the body
    ];
    for (const [schema, bytes] of cases) {
      const generated = PAIRS.find(([s]) => s === schema)![1];
      const body = Uint8Array.from(bytes);
      expect({ hex: toHex(body), ...outcome(() => decodeGeneral(schema, body)) }).toEqual({ hex: toHex(body), ...outcome(() => generated.fromBinary(body, READ)) });
    }
    expect(plain(decodeGeneral(schemas.HEARTBEAT, Uint8Array.from([0x08, 0x01, 0x08, 0x02])))).toEqual({ capabilities: [], version: 2 });
  });

  for (const schema of FLAT) {
    test(`${schema.name}: 1,000 random messages encode to the generated code's bytes`, () => {
      const generated = PAIRS.find(([s]) => s === schema)![1];
      const random = seededRandom(schema.fields.length * 31 + schema.name.length);
      for (let i = 0; i < 1_000; i++) {
        const message = randomMessage(random, schema);
        expect({ i, hex: toHex(encodeFlat(schema, message)) }).toEqual({ i, hex: toHex(generated.toBinary(message, WRITE)) });
      }
    });
  }

  test("an invalid uint32 fails to encode with the generated code's message", () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN, "7"]) {
      const want = outcome(() => gen.StreamCredit.toBinary({ credit: bad as number }, WRITE));
      expect(outcome(() => encodeFlat(schemas.STREAM_CREDIT, { credit: bad }))).toEqual(want);
      expect("error" in want).toBe(true);
    }
  });
});
