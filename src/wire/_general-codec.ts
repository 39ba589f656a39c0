/**
 * The general codec: any v1 message read from its field table exactly as the
 * generated protobuf-ts code reads it (the field chosen by number whatever
 * its wire type, unknown fields skipped, a repeated optional field's last
 * value kept, a repeated message field merged, repeated fields appended), and
 * the flat control messages (Heartbeat, HeartbeatReply, GoAway, StreamCredit,
 * StreamReset) written as it writes them. It replaces the generated code on
 * the serving path (that code and @protobuf-ts/runtime cost ~3.5 MiB of RSS a
 * process); Event and EventReply are read here only when the fast codec
 * declines a body.
 */
import { Reader } from "./_reader.ts";
import type { Schema } from "./_schemas.ts";
import { putVarint, text, uint32, varintSize } from "./_write.ts";

type Fields = Record<string, unknown>;

function create(schema: Schema): Fields {
  const message: Fields = {};
  for (const name of schema.repeated) message[name] = [];
  return message;
}

/** Reads `length` bytes from the reader's position as one message of `schema`, merged into `target` when given. */
function read(reader: Reader, length: number, schema: Schema, target?: Fields): Fields {
  const message = target ?? create(schema);
  const end = reader.pos + length;
  while (reader.pos < end) {
    const [no, wireType] = reader.tag();
    const field = schema.byNo[no];
    if (field === undefined) {
      reader.skip(wireType);
      continue;
    }
    const { name } = field;
    switch (field.kind) {
      case "uint32":
        message[name] = reader.uint32();
        break;
      case "uint64":
        message[name] = reader.uint64();
        break;
      case "bool":
        message[name] = reader.bool();
        break;
      case "string":
        message[name] = reader.string();
        break;
      case "bytes":
        message[name] = reader.bytes();
        break;
      case "strings":
        (message[name] as string[]).push(reader.string());
        break;
      case "message":
        message[name] = read(reader, reader.uint32(), field.schema!, message[name] as Fields | undefined);
        break;
      case "messages":
        (message[name] as Fields[]).push(read(reader, reader.uint32(), field.schema!));
        break;
    }
  }
  return message;
}

/** The message of `schema` in `body`. Throws protobuf-ts's errors (RangeError "premature EOF", "invalid varint", …). */
export function decodeGeneral(schema: Schema, body: Uint8Array): Fields {
  return read(new Reader(body), body.length, schema);
}

/** A field's tag as a varint value. */
function tagOf(no: number, wireType: number): number {
  return ((no << 3) | wireType) >>> 0;
}

/**
 * A flat message (uint32, string and repeated string fields only) to bytes,
 * exactly as the generated `toBinary(message, { writeUnknownFields: false })`.
 */
export function encodeFlat(schema: Schema, message: object): Uint8Array {
  const fields = message as Fields;
  const parts: { tag: number; value: number | string | Uint8Array }[] = [];
  for (const field of schema.fields) {
    const value = fields[field.name];
    if (field.kind === "strings") {
      for (const item of value as string[]) parts.push({ tag: tagOf(field.no, 2), value: text(item) });
      continue;
    }
    if (value === undefined) continue;
    if (field.kind === "uint32") parts.push({ tag: tagOf(field.no, 0), value: uint32(value as number) });
    else if (field.kind === "string") parts.push({ tag: tagOf(field.no, 2), value: text(value as string) });
    else throw new TypeError(`Cannot encode ${schema.name}: field ${field.name} is of kind ${field.kind}, which encodeFlat does not write`);
  }
  let size = 0;
  for (const part of parts) {
    size += varintSize(part.tag);
    size += typeof part.value === "number" ? varintSize(part.value) : varintSize(part.value.length) + part.value.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    at = putVarint(out, at, part.tag);
    const { value } = part;
    if (typeof value === "number") {
      at = putVarint(out, at, value);
      continue;
    }
    at = putVarint(out, at, value.length);
    if (typeof value === "string") for (let i = 0; i < value.length; i++) out[at++] = value.charCodeAt(i);
    else {
      out.set(value, at);
      at += value.length;
    }
  }
  return out;
}
