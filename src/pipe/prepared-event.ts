/**
 * An event encoded once for many pipes (a fan-out's): the Event body is the
 * same for every target but for its deadline (what is left of the fan-out's)
 * and the fields a peer's capabilities allow, so it is kept as two encoded
 * parts around the deadline field (field 17: the parts are the fields
 * numbered below and above it), per variant of capabilities. A target's body
 * is then the parts copied around its deadline: the same bytes `Pipe.request`
 * encodes for that peer (an original v1 peer gets its old bytes), without a
 * protobuf encode per target. The parts are never handed out, only copied.
 */
import { Capability, encodeMessage, FrameType, joinAtDeadline, WIRE_VERSION, type Event } from "../wire/index.ts";
import type { OutboundEvent } from "./pipe-types.ts";

const EMPTY = new Uint8Array(0);

/** The capabilities that change an event's bytes, as the bits of a variant. */
const CALLER = 1;
const HEAD = 2;
const FLEET = 4;

/** One variant's encoded parts: the fields numbered below the deadline's, and above it. */
interface Parts {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/** A whole-body event (no streamed body), encoded once per variant of peer capabilities. */
export class PreparedEvent {
  readonly event: OutboundEvent;
  /** Which capabilities matter to this event's bytes (a bit each): none for a fan-out without caller, head or fleet fields. */
  readonly #relevant: number;
  readonly #variants: Array<Parts | undefined> = [];

  constructor(event: OutboundEvent) {
    if (event.body !== undefined) throw new TypeError("Cannot prepare an event with a streamed body: it is sent to one pipe at a time");
    this.event = event;
    const caller = event.caller !== undefined || event.traceparent !== undefined || event.tracestate !== undefined;
    this.#relevant = (caller ? CALLER : 0) | (event.head ? HEAD : 0) | (event.fleet !== undefined ? FLEET : 0);
  }

  /** The variant of a peer with these capabilities (0 when none matters: no Set lookup at all). */
  variant(capabilities: ReadonlySet<string>): number {
    const relevant = this.#relevant;
    if (relevant === 0) return 0;
    let variant = 0;
    if ((relevant & CALLER) !== 0 && capabilities.has(Capability.CallerContext)) variant |= CALLER;
    if ((relevant & HEAD) !== 0 && capabilities.has(Capability.ReplyHead)) variant |= HEAD;
    if ((relevant & FLEET) !== 0 && capabilities.has(Capability.Fleet)) variant |= FLEET;
    return variant;
  }

  /** The Event body for a peer of `variant` with `deadlineMs` (whole ms, > 0; undefined: none), in a new buffer. */
  body(variant: number, deadlineMs: number | undefined): Uint8Array {
    const parts = (this.#variants[variant] ??= this.#encode(variant));
    const deadline = deadlineMs === undefined ? 0 : Math.min(deadlineMs, 0xffff_ffff);
    return joinAtDeadline(parts.before, parts.after, deadline);
  }

  /** The parts of one variant: the message `Pipe.request` builds, split at the deadline field (the encoder writes fields in number order). */
  #encode(variant: number): Parts {
    const event = this.event;
    const before: Event = { version: WIRE_VERSION, verb: event.verb, noun: event.noun, mimetype: event.mimetype ?? "", data: event.data ?? EMPTY };
    if (event.query) before.query = event.query;
    const after: Event = {};
    if ((variant & CALLER) !== 0) {
      if (event.caller !== undefined) after.caller = event.caller;
      if (event.traceparent !== undefined) after.traceparent = event.traceparent;
      if (event.tracestate !== undefined) after.tracestate = event.tracestate;
    }
    if ((variant & HEAD) !== 0 && event.head) after.head = event.head;
    if ((variant & FLEET) !== 0 && event.fleet !== undefined) {
      after.fleetTarget = event.fleet.target;
      after.fleetEpoch = event.fleet.epoch;
      after.fleetName = event.fleet.fleet;
      if (event.fleet.takeover) after.fleetTakeover = true;
      if (event.fleet.sender !== undefined) after.fleetSender = event.fleet.sender;
    }
    return { before: encodeMessage({ type: FrameType.Event, message: before }), after: encodeMessage({ type: FrameType.Event, message: after }) };
  }
}
