/**
 * Hand-written encode and decode of Event and EventReply, the two messages
 * on every request's path (the profile showed protobuf-ts's BinaryWriter and
 * BinaryReader, with their per-call option objects, DataViews and chunk
 * lists, as about a fifth of the answering node's samples).
 *
 * The generated code stays the reference (in tests only): encoding gives the
 * same bytes (tests compare both on the reference vectors and on random
 * messages), and decoding returns undefined for anything unusual (non-ASCII
 * text, unknown fields or wire types, long varints, lengths past the end) so
 * that the caller hands the body to the general codec (_general-codec.ts),
 * which reads it as the generated code does, errors included.
 */
import type { Event, EventReply, HttpHead } from "./gen/restpipe.ts";
import { delimitedSize, putDelimited, putVarint, putVarint64, text, uint32, uint64, varintSize } from "./_write.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** An HttpHead's own bytes (its headers, each a nested HttpHeader of name 1 and value 2), to be written as one delimited field. */
function encodeHead(head: HttpHead): Uint8Array {
  const entries = head.headers.map((header) => {
    const name = header.name === undefined ? undefined : text(header.name);
    const value = header.value === undefined ? undefined : text(header.value);
    return { name, value, size: (name === undefined ? 0 : delimitedSize(name.length)) + (value === undefined ? 0 : delimitedSize(value.length)) };
  });
  let size = 0;
  for (const entry of entries) size += delimitedSize(entry.size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    out[at++] = 0x0a; // HttpHead field 1, length-delimited
    at = putVarint(out, at, entry.size);
    if (entry.name !== undefined) at = putDelimited(out, at, 0x0a, entry.name);
    if (entry.value !== undefined) at = putDelimited(out, at, 0x12, entry.value);
  }
  return out;
}

/** Event → bytes, exactly as `Event.toBinary(event, { writeUnknownFields: false })`. */
export function encodeEvent(event: Event): Uint8Array {
  const version = event.version === undefined ? undefined : uint32(event.version);
  const verb = event.verb === undefined ? undefined : text(event.verb);
  const noun = event.noun === undefined ? undefined : text(event.noun);
  const mimetype = event.mimetype === undefined ? undefined : text(event.mimetype);
  const { data } = event;
  const query = event.query === undefined ? undefined : text(event.query);
  const deadline = event.deadlineMs === undefined ? undefined : uint32(event.deadlineMs);
  const stream = event.bodyStream;
  const length = event.bodyLength === undefined ? undefined : uint64(event.bodyLength);
  // Fields 24-26 (policy and trace context): two-byte tags 0xc2/0xca/0xd2 0x01.
  const extras = [event.caller, event.traceparent, event.tracestate].map((value) => (value === undefined ? undefined : text(value)));
  const head = event.head ? encodeHead(event.head) : undefined; // the generated code tests the field for truthiness too
  // Fields 40-42 (fleet forwarding): two-byte tags 0xc2 0x02, 0xc8 0x02, 0xd2 0x02.
  const target = event.fleetTarget === undefined ? undefined : text(event.fleetTarget);
  const epoch = event.fleetEpoch === undefined ? undefined : uint64(event.fleetEpoch);
  const fleet = event.fleetName === undefined ? undefined : text(event.fleetName);
  const takeover = event.fleetTakeover;
  const sender = event.fleetSender === undefined ? undefined : text(event.fleetSender);
  let size = 0;
  if (version !== undefined) size += 1 + varintSize(version);
  if (verb !== undefined) size += delimitedSize(verb.length);
  if (noun !== undefined) size += delimitedSize(noun.length);
  if (mimetype !== undefined) size += delimitedSize(mimetype.length);
  if (data !== undefined) size += delimitedSize(data.length);
  if (query !== undefined) size += 1 + delimitedSize(query.length); // two-byte tag
  if (deadline !== undefined) size += 2 + varintSize(deadline);
  if (stream !== undefined) size += 3;
  if (length !== undefined) size += 2 + varintSize(length);
  for (const extra of extras) if (extra !== undefined) size += 1 + delimitedSize(extra.length);
  if (head !== undefined) size += 1 + delimitedSize(head.length);
  if (target !== undefined) size += 1 + delimitedSize(target.length);
  if (epoch !== undefined) size += 2 + varintSize(epoch);
  if (fleet !== undefined) size += 1 + delimitedSize(fleet.length);
  if (takeover !== undefined) size += 3;
  if (sender !== undefined) size += 1 + delimitedSize(sender.length);
  const out = new Uint8Array(size);
  let at = 0;
  if (version !== undefined) {
    out[at++] = 0x08; // field 1, varint
    at = putVarint(out, at, version);
  }
  if (verb !== undefined) at = putDelimited(out, at, 0x12, verb);
  if (noun !== undefined) at = putDelimited(out, at, 0x1a, noun);
  if (mimetype !== undefined) at = putDelimited(out, at, 0x22, mimetype);
  if (data !== undefined) at = putDelimited(out, at, 0x2a, data);
  if (query !== undefined) {
    out[at++] = 0x82; // field 16, length-delimited: tag 130 as a varint
    at = putDelimited(out, at, 0x01, query);
  }
  if (deadline !== undefined) {
    out[at++] = 0x88; // field 17, varint: tag 136 as a varint
    out[at++] = 0x01;
    at = putVarint(out, at, deadline);
  }
  if (stream !== undefined) {
    out[at++] = 0x90; // field 18, varint: tag 144
    out[at++] = 0x01;
    out[at++] = stream ? 1 : 0;
  }
  if (length !== undefined) {
    out[at++] = 0x98; // field 19, varint: tag 152
    out[at++] = 0x01;
    at = putVarint64(out, at, length);
  }
  for (let i = 0; i < extras.length; i++) {
    if (extras[i] === undefined) continue;
    out[at++] = 0xc2 + 8 * i;
    at = putDelimited(out, at, 0x01, extras[i]!);
  }
  if (head !== undefined) {
    out[at++] = 0x82; // field 32, length-delimited: tag 258 as a varint
    at = putDelimited(out, at, 0x02, head);
  }
  if (target !== undefined) {
    out[at++] = 0xc2; // field 40, length-delimited: tag 322
    at = putDelimited(out, at, 0x02, target);
  }
  if (epoch !== undefined) {
    out[at++] = 0xc8; // field 41, varint: tag 328
    out[at++] = 0x02;
    at = putVarint64(out, at, epoch);
  }
  if (fleet !== undefined) {
    out[at++] = 0xd2; // field 42, length-delimited: tag 338
    at = putDelimited(out, at, 0x02, fleet);
  }
  if (takeover !== undefined) {
    out[at++] = 0xd8; // field 43, varint: tag 344
    out[at++] = 0x02;
    out[at++] = takeover ? 1 : 0;
  }
  if (sender !== undefined) {
    out[at++] = 0xe2; // field 44, length-delimited: tag 354
    at = putDelimited(out, at, 0x02, sender);
  }
  return out;
}

/** EventReply → bytes, exactly as `EventReply.toBinary(reply, { writeUnknownFields: false })`. */
export function encodeEventReply(reply: EventReply): Uint8Array {
  const version = reply.version === undefined ? undefined : uint32(reply.version);
  const mimetype = reply.mimetype === undefined ? undefined : text(reply.mimetype);
  const code = reply.code === undefined ? undefined : uint32(reply.code);
  const { data } = reply;
  const stream = reply.bodyStream;
  const length = reply.bodyLength === undefined ? undefined : uint64(reply.bodyLength);
  const denied = reply.deniedByRule === undefined ? undefined : uint32(reply.deniedByRule);
  const status = reply.httpStatus === undefined ? undefined : uint32(reply.httpStatus);
  const head = reply.head ? encodeHead(reply.head) : undefined;
  const refusal = reply.fleetRefusal === undefined ? undefined : text(reply.fleetRefusal);
  const fleetStatus = reply.fleetStatus === undefined ? undefined : uint32(reply.fleetStatus);
  let size = 0;
  if (version !== undefined) size += 1 + varintSize(version);
  if (mimetype !== undefined) size += delimitedSize(mimetype.length);
  if (code !== undefined) size += 1 + varintSize(code);
  if (data !== undefined) size += delimitedSize(data.length);
  if (stream !== undefined) size += 3;
  if (length !== undefined) size += 2 + varintSize(length);
  if (denied !== undefined) size += 2 + varintSize(denied);
  if (status !== undefined) size += 2 + varintSize(status);
  if (head !== undefined) size += 1 + delimitedSize(head.length);
  if (refusal !== undefined) size += 1 + delimitedSize(refusal.length);
  if (fleetStatus !== undefined) size += 2 + varintSize(fleetStatus);
  const out = new Uint8Array(size);
  let at = 0;
  if (version !== undefined) {
    out[at++] = 0x08; // field 1, varint
    at = putVarint(out, at, version);
  }
  if (mimetype !== undefined) at = putDelimited(out, at, 0x12, mimetype);
  if (code !== undefined) {
    out[at++] = 0x18; // field 3, varint
    at = putVarint(out, at, code);
  }
  if (data !== undefined) at = putDelimited(out, at, 0x22, data);
  if (stream !== undefined) {
    out[at++] = 0x80; // field 16, varint: tag 128
    out[at++] = 0x01;
    out[at++] = stream ? 1 : 0;
  }
  if (length !== undefined) {
    out[at++] = 0x88; // field 17, varint: tag 136
    out[at++] = 0x01;
    at = putVarint64(out, at, length);
  }
  if (denied !== undefined) {
    out[at++] = 0xc0; // field 24, varint: tag 192 as a varint
    out[at++] = 0x01;
    at = putVarint(out, at, denied);
  }
  if (status !== undefined) {
    out[at++] = 0x80; // field 32, varint: tag 256 as a varint
    out[at++] = 0x02;
    at = putVarint(out, at, status);
  }
  if (head !== undefined) {
    out[at++] = 0x8a; // field 33, length-delimited: tag 266 as a varint
    at = putDelimited(out, at, 0x02, head);
  }
  if (refusal !== undefined) {
    out[at++] = 0xc2; // field 40, length-delimited: tag 322
    at = putDelimited(out, at, 0x02, refusal);
  }
  if (fleetStatus !== undefined) {
    out[at++] = 0xc8; // field 41, varint: tag 328
    out[at++] = 0x02;
    at = putVarint(out, at, fleetStatus);
  }
  return out;
}

/** Read position of the decoder below (module state: decoding is synchronous and never re-entered). */
let pos = 0;

/** A varint of at most 32 bits at `pos`, or -1 when it is longer, truncated or wider. */
function readVarint(body: Uint8Array): number {
  let result = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (pos >= body.length) return -1;
    const byte = body[pos++]!;
    if (shift === 28 && byte > 0x0f) return -1;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) return result >>> 0;
  }
  return -1;
}

/** A varint of at most 53 bits at `pos` (a uint64 a number holds exactly), or -1. */
function readVarint64(body: Uint8Array): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= body.length) return -1;
    const byte = body[pos++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return Number.isSafeInteger(result) ? result : -1;
    scale *= 0x80;
  }
  return -1;
}

/** Start of the length-delimited payload at `pos` (pos moves past it), or -1 when it runs past the end. */
function readDelimited(body: Uint8Array): number {
  const length = readVarint(body);
  if (length < 0 || pos + length > body.length) return -1;
  const start = pos;
  pos += length;
  return start;
}

/** ASCII text of body[start, pos), or undefined when a byte is not ASCII. */
function readAscii(body: Uint8Array, start: number): string | undefined {
  for (let i = start; i < pos; i++) if (body[i]! > 0x7f) return undefined;
  if (pos - start > 32) return decoder.decode(body.subarray(start, pos)); // a 55-byte traceparent: 100 ns decoded, 250 ns by the loop
  let out = "";
  for (let i = start; i < pos; i++) out += String.fromCharCode(body[i]!);
  return out;
}

/**
 * The HttpHead in `bytes` (a field's payload) merged into `into`, as the
 * generated code merges a repeated occurrence; undefined for anything unusual.
 */
function decodeHead(bytes: Uint8Array, into: HttpHead | undefined): HttpHead | undefined {
  const saved = pos;
  pos = 0;
  const head: HttpHead = into ?? { headers: [] };
  while (pos < bytes.length) {
    if (readVarint(bytes) !== 0x0a) return undefined;
    const start = readDelimited(bytes);
    if (start < 0) return undefined;
    const end = pos;
    const header: { name?: string; value?: string } = {};
    pos = start;
    const entry = bytes.subarray(0, end);
    while (pos < end) {
      const tag = readVarint(entry);
      if (tag !== 0x0a && tag !== 0x12) return undefined;
      const from = readDelimited(entry);
      if (from < 0) return undefined;
      const value = readAscii(entry, from);
      if (value === undefined) return undefined;
      if (tag === 0x0a) header.name = value;
      else header.value = value;
    }
    head.headers.push(header);
  }
  pos = saved;
  return head;
}

/**
 * An Event body from its fields encoded apart, those numbered below the
 * deadline (field 17) and those above it, with the deadline between them
 * (none when 0): the bytes encodeEvent gives for the whole message, since it
 * writes fields in number order. A fan-out encodes the parts once and joins
 * them per target (pipe/prepared-event.ts).
 */
export function joinAtDeadline(before: Uint8Array, after: Uint8Array, deadline: number): Uint8Array {
  const field = deadline > 0 ? 2 + varintSize(deadline) : 0;
  const out = new Uint8Array(before.length + field + after.length);
  out.set(before, 0);
  let at = before.length;
  if (field > 0) {
    out[at++] = 0x88; // field 17, varint: tag 136 as a varint
    out[at++] = 0x01;
    at = putVarint(out, at, deadline);
  }
  out.set(after, at);
  return out;
}

/** The Event in `body`, or undefined when the generated decoder must judge it. */
export function decodeEvent(body: Uint8Array): Event | undefined {
  const event: Event = {};
  pos = 0;
  while (pos < body.length) {
    const tag = readVarint(body);
    if (tag === 0x08 || tag === 0x88) {
      const value = readVarint(body);
      if (value < 0) return undefined;
      if (tag === 0x08) event.version = value;
      else event.deadlineMs = value;
      continue;
    }
    if (tag === 0x90 || tag === 344) {
      const value = readVarint(body);
      if (value < 0) return undefined;
      if (tag === 0x90) event.bodyStream = value !== 0;
      else event.fleetTakeover = value !== 0;
      continue;
    }
    if (tag === 0x98 || tag === 328) {
      const value = readVarint64(body);
      if (value < 0) return undefined;
      if (tag === 0x98) event.bodyLength = value;
      else event.fleetEpoch = value;
      continue;
    }
    if (tag !== 0x12 && tag !== 0x1a && tag !== 0x22 && tag !== 0x2a && tag !== 0x82 && tag !== 0xc2 && tag !== 0xca && tag !== 0xd2 && tag !== 0x102 && tag !== 322 && tag !== 338 && tag !== 354) return undefined;
    const start = readDelimited(body);
    if (start < 0) return undefined;
    if (tag === 0x102) {
      const head = decodeHead(body.subarray(start, pos), event.head);
      if (head === undefined) return undefined;
      event.head = head;
      continue;
    }
    if (tag === 0x2a) {
      event.data = body.subarray(start, pos);
      continue;
    }
    const value = readAscii(body, start);
    if (value === undefined) return undefined;
    if (tag === 0x12) event.verb = value;
    else if (tag === 0x1a) event.noun = value;
    else if (tag === 0x22) event.mimetype = value;
    else if (tag === 0x82) event.query = value;
    else if (tag === 0xc2) event.caller = value;
    else if (tag === 0xca) event.traceparent = value;
    else if (tag === 0xd2) event.tracestate = value;
    else if (tag === 322) event.fleetTarget = value;
    else if (tag === 338) event.fleetName = value;
    else event.fleetSender = value;
  }
  return event;
}

/** The EventReply in `body`, or undefined when the generated decoder must judge it. */
export function decodeEventReply(body: Uint8Array): EventReply | undefined {
  const reply: EventReply = {};
  pos = 0;
  while (pos < body.length) {
    const tag = readVarint(body);
    if (tag === 0x08 || tag === 0x18 || tag === 0xc0 || tag === 0x100 || tag === 328) {
      const value = readVarint(body);
      if (value < 0) return undefined;
      if (tag === 0x08) reply.version = value;
      else if (tag === 0x18) reply.code = value;
      else if (tag === 0xc0) reply.deniedByRule = value;
      else if (tag === 0x100) reply.httpStatus = value;
      else reply.fleetStatus = value;
      continue;
    }
    if (tag === 0x80) {
      const value = readVarint(body);
      if (value < 0) return undefined;
      reply.bodyStream = value !== 0;
      continue;
    }
    if (tag === 0x88) {
      const value = readVarint64(body);
      if (value < 0) return undefined;
      reply.bodyLength = value;
      continue;
    }
    if (tag !== 0x12 && tag !== 0x22 && tag !== 0x10a && tag !== 322) return undefined;
    const start = readDelimited(body);
    if (start < 0) return undefined;
    if (tag === 0x10a) {
      const head = decodeHead(body.subarray(start, pos), reply.head);
      if (head === undefined) return undefined;
      reply.head = head;
      continue;
    }
    if (tag === 0x22) {
      reply.data = body.subarray(start, pos);
      continue;
    }
    const value = readAscii(body, start);
    if (value === undefined) return undefined;
    if (tag === 0x12) reply.mimetype = value;
    else reply.fleetRefusal = value;
  }
  return reply;
}
