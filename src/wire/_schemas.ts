/**
 * The v1 messages as field tables (proto/restpipe.proto): what the general
 * codec reads and writes. A test checks each table against the generated
 * code's own field list, so that a field added to the .proto and not here fails.
 */

/** How one field is read and written. `strings` and `messages` are repeated (unpacked, as proto2 writes them). */
export type FieldKind = "uint32" | "uint64" | "bool" | "string" | "bytes" | "strings" | "message" | "messages";

/** One field: its number, its name in the TypeScript message, its kind, and for message kinds the nested schema. */
export interface Field {
  readonly no: number;
  readonly name: string;
  readonly kind: FieldKind;
  readonly schema?: Schema;
}

/** One message: its short name (as error messages print it) and its fields in number order. */
export interface Schema {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Field by number (sparse: numbers go up to 44). */
  readonly byNo: readonly (Field | undefined)[];
  /** Names of the repeated fields, created empty with every message. */
  readonly repeated: readonly string[];
}

function schema(name: string, fields: readonly Field[]): Schema {
  const byNo: (Field | undefined)[] = [];
  for (const field of fields) byNo[field.no] = field;
  const repeated = fields.filter((f) => f.kind === "strings" || f.kind === "messages").map((f) => f.name);
  return { name, fields, byNo, repeated };
}

const f = (no: number, name: string, kind: FieldKind, nested?: Schema): Field => (nested ? { no, name, kind, schema: nested } : { no, name, kind });

/** restpipe.v1.HttpHeader. */
export const HTTP_HEADER = schema("HttpHeader", [f(1, "name", "string"), f(2, "value", "string")]);

/** restpipe.v1.HttpHead. */
export const HTTP_HEAD = schema("HttpHead", [f(1, "headers", "messages", HTTP_HEADER)]);

/** restpipe.v1.Event. */
export const EVENT = schema("Event", [
  f(1, "version", "uint32"),
  f(2, "verb", "string"),
  f(3, "noun", "string"),
  f(4, "mimetype", "string"),
  f(5, "data", "bytes"),
  f(16, "query", "string"),
  f(17, "deadlineMs", "uint32"),
  f(18, "bodyStream", "bool"),
  f(19, "bodyLength", "uint64"),
  f(24, "caller", "string"),
  f(25, "traceparent", "string"),
  f(26, "tracestate", "string"),
  f(32, "head", "message", HTTP_HEAD),
  f(40, "fleetTarget", "string"),
  f(41, "fleetEpoch", "uint64"),
  f(42, "fleetName", "string"),
  f(43, "fleetTakeover", "bool"),
  f(44, "fleetSender", "string"),
]);

/** restpipe.v1.EventReply. */
export const EVENT_REPLY = schema("EventReply", [
  f(1, "version", "uint32"),
  f(2, "mimetype", "string"),
  f(3, "code", "uint32"),
  f(4, "data", "bytes"),
  f(16, "bodyStream", "bool"),
  f(17, "bodyLength", "uint64"),
  f(24, "deniedByRule", "uint32"),
  f(32, "httpStatus", "uint32"),
  f(33, "head", "message", HTTP_HEAD),
  f(40, "fleetRefusal", "string"),
  f(41, "fleetStatus", "uint32"),
]);

const heartbeatFields = [f(1, "version", "uint32"), f(16, "capabilities", "strings"), f(17, "maxFrameBytes", "uint32")];

/** restpipe.v1.Heartbeat. */
export const HEARTBEAT = schema("Heartbeat", heartbeatFields);

/** restpipe.v1.HeartbeatReply. */
export const HEARTBEAT_REPLY = schema("HeartbeatReply", heartbeatFields);

/** restpipe.v1.GoAway. */
export const GO_AWAY = schema("GoAway", [f(1, "version", "uint32"), f(2, "retryAfterMs", "uint32"), f(3, "reason", "string")]);

/** restpipe.v1.StreamCredit. */
export const STREAM_CREDIT = schema("StreamCredit", [f(1, "version", "uint32"), f(2, "credit", "uint32")]);

/** restpipe.v1.StreamReset. */
export const STREAM_RESET = schema("StreamReset", [f(1, "version", "uint32"), f(2, "reason", "string")]);
