/**
 * One connection: request/reply correlation in both directions, heartbeats,
 * write coalescing, and a clean end for everything in flight.
 *
 * A frame is a reply because of its type, never because its id happens to be
 * pending: both sides originate requests with their own ids, so the same id
 * can be in use in each direction at once.
 */
import {
  Capability,
  decodeMessage,
  encodeMessage,
  FrameDecoder,
  FrameTooLargeError,
  FrameType,
  HEADER_LENGTH,
  MalformedMessageError,
  WIRE_VERSION,
  type Event,
  type EventReply,
  type Frame,
  type Message,
} from "../wire/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";
import { handlerErrorReply, unavailableReply } from "../replies/index.ts";
import { systemClock, type Clock, type TimerHandle } from "./clock.ts";
import {
  HeartbeatTimeoutError,
  PeerClosedError,
  PipeClosedError,
  PeerReplyError,
  PipeDrainingError,
  RequestAbortedError,
  TooManyInFlightError,
} from "./errors.ts";
import { HeartbeatMonitor } from "./_heartbeat.ts";
import { Outbox } from "./_outbox.ts";
import { PendingRequests } from "./_pending.ts";
import type { InboundContext, OutboundEvent, PipeOptions, PipePeer, PipeStats, PipeStatus, RequestOptions } from "./pipe-types.ts";
import type { Transport } from "./transport.ts";

/** Default outbound and inbound in-flight limits per pipe; also the default of RP_X_MAX_IN_FLIGHT (config/ takes it from here). */
export const DEFAULT_MAX_IN_FLIGHT = 1024;

const OUR_CAPABILITIES = [Capability.GoAway, Capability.EventExtensions];
const EMPTY = new Uint8Array(0);

/**
 * One inbound event being handled. Its AbortController and deadline timer
 * are made only when the handler reads `signal` (most never do: the profile
 * showed them as 12% of an answering node's samples); a signal read after
 * the deadline or the pipe's end is born aborted.
 */
interface Inbound {
  readonly deadlineAt: number | undefined;
  controller: AbortController | undefined;
  timer: TimerHandle | undefined;
  /** Why the event was aborted before anyone read its signal. */
  abortedBy: Error | undefined;
}

/** One multiplexed request/reply connection over a Transport. */
export class Pipe {
  readonly peer: PipePeer;
  readonly stats: PipeStats = {
    requestsSent: 0,
    repliesReceived: 0,
    eventsReceived: 0,
    unknownReplies: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  /** Capabilities the peer announced in its heartbeats (empty for original v1 peers). */
  peerCapabilities: ReadonlySet<string> = new Set();
  /** Resolves when the pipe has closed, with the error that closed it, if any. */
  readonly closed: Promise<Error | undefined>;
  /**
   * Resolves true at the first frame from the peer (a GoAway aside), false
   * when the pipe closes before one: under TLS 1.3 a server that refuses our
   * certificate closes after a seemingly good handshake, and only this tells
   * (with the server's reason when it sent one in a GoAway).
   */
  readonly ready: Promise<boolean>;
  #resolveReady!: (ready: boolean) => void;

  readonly #transport: Transport;
  readonly #options: PipeOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #decoder: FrameDecoder;
  readonly #outbox: Outbox;
  readonly #heartbeat: HeartbeatMonitor;
  readonly #maxInFlight: number;
  readonly #maxInboundInFlight: number;
  readonly #pending: PendingRequests;
  readonly #inbound = new Set<Inbound>();
  #status: PipeStatus = { state: "open" };
  #peerDraining = false;
  /** Why the peer said it is going away (its last GoAway's reason), if it said. */
  #peerReason: string | undefined;
  #resolveClosed!: (error: Error | undefined) => void;
  #idleWaiters: Array<() => void> = [];

  constructor(transport: Transport, options: PipeOptions) {
    this.#transport = transport;
    this.#options = options;
    this.peer = options.peer;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLogger).with({ peer: options.peer.name });
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#maxInboundInFlight = options.maxInboundInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#decoder = new FrameDecoder(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes });
    this.#outbox = new Outbox(transport);
    this.#pending = new PendingRequests(this.#clock, options.peer.name, () => this.#notifyIfIdle());
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#heartbeat = new HeartbeatMonitor(
      { intervalMs: options.heartbeatIntervalMs ?? 5_000, timeoutMs: options.heartbeatTimeoutMs ?? 10_000 },
      this.#clock,
      {
        send: (id) => this.#sendMessage(id, { type: FrameType.Heartbeat, message: heartbeat(options.capabilities) }),
        dead: (silentMs) => this.#shutdown(new HeartbeatTimeoutError(silentMs, this.peer.name), true),
      },
    );
    transport.start({
      data: (chunk) => this.#receive(chunk),
      drain: () => this.#outbox.drained(),
      closed: (error) => this.#transportClosed(error),
      closeRequested: (reason) => this.#shutdown(reason, true),
    });
    this.#heartbeat.start();
  }

  /** Current life-cycle state. */
  get status(): PipeStatus {
    return this.#status;
  }

  /** Outbound requests waiting for a reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Inbound events being handled. */
  get inboundInFlight(): number {
    return this.#inbound.size;
  }

  /** Round-trip time of the last answered heartbeat, in ms. */
  get lastRttMs(): number | undefined {
    return this.#heartbeat.lastRttMs;
  }

  /** True after the peer sent GoAway: new requests must go to a new pipe. */
  get peerDraining(): boolean {
    return this.#peerDraining;
  }

  /** Sends an event and resolves with the peer's reply. */
  request(event: OutboundEvent, options: RequestOptions = {}): Promise<EventReply> {
    if (this.#status.state === "closed") return Promise.reject(new PipeClosedError(this.peer.name, { cause: this.#status.error }));
    if (this.#peerDraining) return Promise.reject(new PipeDrainingError(this.peer.name));
    const { signal, deadlineMs } = options;
    if (signal?.aborted) return Promise.reject(new RequestAbortedError(this.peer.name, { cause: signal.reason }));
    if (this.#pending.size >= this.#maxInFlight) return Promise.reject(new TooManyInFlightError(this.#maxInFlight, this.peer.name));

    const message: Event = {
      version: WIRE_VERSION,
      verb: event.verb,
      noun: event.noun,
      mimetype: event.mimetype ?? "",
      data: event.data ?? EMPTY,
    };
    if (event.query) message.query = event.query;
    if (deadlineMs !== undefined && deadlineMs > 0) message.deadlineMs = Math.min(Math.ceil(deadlineMs), 0xffff_ffff);
    const body = encodeMessage({ type: FrameType.Event, message });
    if (body.length > this.#decoder.maxFrameBytes) {
      return Promise.reject(new FrameTooLargeError(body.length, this.#decoder.maxFrameBytes, "send event"));
    }

    const id = this.#pending.allocate();
    const reply = this.#pending.track(id, deadlineMs, signal);
    this.stats.requestsSent++;
    this.#sendBody(FrameType.Event, id, body);
    return reply;
  }

  /**
   * Starts draining: the peer is told (GoAway, when it understands it) to send
   * nothing new and to reconnect after `retryAfterMs`; new inbound events are
   * answered "unavailable". Requests already in flight finish. See `idle()`.
   */
  drain(retryAfterMs: number, reason = "shutting down"): void {
    if (this.#status.state !== "open") return;
    this.#setStatus({ state: "draining" });
    if (this.peerCapabilities.has(Capability.GoAway)) {
      this.#sendMessage(0, { type: FrameType.GoAway, message: { version: WIRE_VERSION, retryAfterMs, reason } });
    }
  }

  /** Resolves when nothing is in flight in either direction (or the pipe is closed). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Closes the pipe: queued frames are flushed, pending requests rejected with PipeClosedError. */
  close(error?: Error): void {
    this.#shutdown(error, true);
  }

  #sendMessage(id: number, message: Message): void {
    if (this.#status.state === "closed") return;
    this.#sendBody(message.type, id, encodeMessage(message));
  }

  #sendBody(type: FrameType, id: number, body: Uint8Array): void {
    if (this.#status.state === "closed") return;
    this.stats.bytesOut += body.length + HEADER_LENGTH;
    this.#outbox.push(type, id, body);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#status.state === "closed") return;
    this.stats.bytesIn += chunk.length;
    this.#heartbeat.received();
    try {
      for (const frame of this.#decoder.push(chunk)) {
        this.#handleFrame(frame);
        if (this.#isClosed()) return; // a frame may have closed the pipe
      }
    } catch (error) {
      this.#log.warn("closing pipe: protocol error from peer", { reason: (error as Error).message });
      this.#shutdown(error as Error, true);
    }
  }

  /** The connection ended; a clean end in the middle of a frame is the peer's protocol error. */
  #transportClosed(error: Error | undefined): void {
    if (error === undefined && !this.#isClosed()) {
      try {
        this.#decoder.end();
      } catch (truncated) {
        this.#log.warn("closing pipe: protocol error from peer", { reason: (truncated as Error).message });
        return this.#shutdown(truncated as Error, false);
      }
    }
    // A peer of this implementation said why before it closed (GoAway with a reason): that is the truth to report.
    this.#shutdown(error ?? new PeerClosedError(this.#peerReason), false);
  }

  #handleFrame(frame: Frame): void {
    let decoded: Message;
    try {
      decoded = decodeMessage(frame);
    } catch (error) {
      // A well-framed reply to a pending request with a bad body (no code, ...) fails that request, not the pipe.
      if (!(frame.type === FrameType.EventReply && error instanceof MalformedMessageError && this.#pending.has(frame.id))) throw error;
      this.#resolveReady(true);
      this.#log.warn("peer sent an invalid reply", { id: frame.id, reason: error.message });
      this.#pending.settle(frame.id, new PeerReplyError(this.peer.name, `an invalid reply (${error.message})`, { cause: error }));
      return;
    }
    // A GoAway alone does not make the pipe ready: a server that refuses us after the handshake says why in one.
    if (decoded.type !== FrameType.GoAway) this.#resolveReady(true);
    switch (decoded.type) {
      case FrameType.Event:
        return this.#handleEvent(frame.id, decoded.message);
      case FrameType.EventReply:
        return this.#handleReply(frame.id, decoded.message);
      case FrameType.Heartbeat:
        this.#learnCapabilities(decoded.message.capabilities);
        return this.#sendMessage(frame.id, { type: FrameType.HeartbeatReply, message: heartbeat(this.#options.capabilities) });
      case FrameType.HeartbeatReply:
        this.#learnCapabilities(decoded.message.capabilities);
        if (!this.#heartbeat.answered(frame.id)) this.stats.unknownReplies++;
        else this.#options.onHeartbeat?.(this.#heartbeat.lastRttMs ?? 0);
        return;
      case FrameType.GoAway:
        this.#peerDraining = true;
        if (decoded.message.reason) this.#peerReason = decoded.message.reason;
        if (decoded.message.retryAfterMs) this.#log.info("peer is draining", { retryAfterMs: decoded.message.retryAfterMs });
        else this.#log.info("peer is closing the pipe", { reason: decoded.message.reason ?? "" });
        this.#options.onGoAway?.(decoded.message.retryAfterMs ?? 0, decoded.message.reason ?? "");
        return;
    }
  }

  #handleReply(id: number, reply: EventReply): void {
    if (this.#pending.settle(id, reply)) {
      this.stats.repliesReceived++;
      return;
    }
    this.stats.unknownReplies++;
    this.#log.debug("dropped a reply with no pending request", { id });
  }

  #handleEvent(id: number, event: Event): void {
    this.stats.eventsReceived++;
    if (this.#status.state === "draining" || this.#inbound.size >= this.#maxInboundInFlight) {
      const why = this.#status.state === "draining" ? "draining" : `${this.#maxInboundInFlight} events already in flight`;
      this.#sendReply(id, unavailableReply(why));
      return;
    }
    const deadlineAt = event.deadlineMs !== undefined && event.deadlineMs > 0 ? this.#clock.now() + event.deadlineMs : undefined;
    const inbound: Inbound = { deadlineAt, controller: undefined, timer: undefined, abortedBy: undefined };
    this.#inbound.add(inbound);
    const finish = (reply: EventReply): void => {
      if (inbound.timer !== undefined) this.#clock.clearTimeout(inbound.timer);
      this.#inbound.delete(inbound);
      this.#sendReply(id, reply);
      this.#notifyIfIdle();
    };
    const signalOf = () => this.#signalOf(inbound);
    const context: InboundContext = {
      peer: this.peer,
      get signal() {
        return signalOf();
      },
    };
    // A handler that throws synchronously or rejects is still answered, exactly once.
    new Promise<EventReply>((resolve) => resolve(this.#options.onEvent(event, context))).then(finish, (error: unknown) =>
      finish(handlerErrorReply(error, false)),
    );
  }

  /** The inbound event's signal, made on first use: aborted already, or armed for its deadline. */
  #signalOf(inbound: Inbound): AbortSignal {
    if (inbound.controller) return inbound.controller.signal;
    const controller = (inbound.controller = new AbortController());
    if (inbound.abortedBy) {
      controller.abort(inbound.abortedBy);
    } else if (inbound.deadlineAt !== undefined) {
      const passed = () => controller.abort(new Error("the sender's deadline passed"));
      const left = inbound.deadlineAt - this.#clock.now();
      if (left <= 0) passed();
      else if (this.#inbound.has(inbound)) inbound.timer = this.#clock.setTimeout(passed, left);
    }
    return controller.signal;
  }

  /** Sends a reply; one too large for a frame is replaced by an error reply saying so. */
  #sendReply(id: number, reply: EventReply): void {
    let body: Uint8Array;
    try {
      if (!isWireCode(reply.code)) throw new RangeError(`code ${String(reply.code)} is not a whole number from 0 to 4294967295`);
      body = encodeMessage({ type: FrameType.EventReply, message: { ...reply, version: WIRE_VERSION } });
    } catch (error) {
      // A code or field the wire cannot hold (-1, 1.5, NaN, 2^32, missing): the request still gets its one answer.
      this.#log.warn("reply cannot be encoded", { id, reason: (error as Error).message });
      body = encodeMessage({ type: FrameType.EventReply, message: { ...handlerErrorReply(unencodable(error), false), version: WIRE_VERSION } });
    }
    if (body.length <= this.#decoder.maxFrameBytes) return this.#sendBody(FrameType.EventReply, id, body);
    const error = new FrameTooLargeError(body.length, this.#decoder.maxFrameBytes, "send reply");
    this.#log.warn("reply too large for a frame", { id, bytes: body.length });
    this.#sendMessage(id, { type: FrameType.EventReply, message: { ...handlerErrorReply(error, false), version: WIRE_VERSION } });
  }

  #learnCapabilities(capabilities: readonly string[]): void {
    if (capabilities.length > 0) this.peerCapabilities = new Set(capabilities);
    if (capabilities.includes(Capability.SmallRecords)) this.#transport.preferSmallRecords?.();
  }

  #isClosed(): boolean {
    return this.#status.state === "closed";
  }

  #isIdle(): boolean {
    return this.#pending.size === 0 && this.#inbound.size === 0;
  }

  #notifyIfIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #setStatus(status: PipeStatus): void {
    this.#status = status;
  }

  /** Ends the pipe once: rejects pending requests, aborts inbound handlers, stops timers. */
  #shutdown(error: Error | undefined, closeTransport: boolean): void {
    if (this.#status.state === "closed") return;
    // Closing for a reason (replaced, revoked, a protocol error, a heartbeat timeout): the peer hears it first, as in yamux.
    if (closeTransport && error !== undefined && this.peerCapabilities.has(Capability.GoAway)) {
      this.#sendMessage(0, { type: FrameType.GoAway, message: { version: WIRE_VERSION, retryAfterMs: 0, reason: error.message } });
    }
    this.#setStatus(error ? { state: "closed", error } : { state: "closed" });
    this.#heartbeat.stop();
    const closedError = new PipeClosedError(this.peer.name, { cause: error });
    this.#pending.rejectAll(closedError);
    for (const inbound of this.#inbound) {
      if (inbound.timer !== undefined) this.#clock.clearTimeout(inbound.timer);
      inbound.abortedBy = closedError;
      inbound.controller?.abort(closedError);
    }
    this.#inbound.clear();
    if (closeTransport) {
      this.#outbox.flushNow();
      this.#transport.close();
    }
    this.#outbox.close();
    this.#notifyIfIdle();
    this.#options.onClose?.(error);
    this.#resolveReady(false);
    this.#resolveClosed(error);
  }
}

function heartbeat(extra: readonly string[] = []): { version: number; capabilities: string[] } {
  return { version: WIRE_VERSION, capabilities: extra.length === 0 ? OUR_CAPABILITIES : [...OUR_CAPABILITIES, ...extra] };
}

function isWireCode(code: unknown): boolean {
  return typeof code === "number" && Number.isInteger(code) && code >= 0 && code <= 0xffff_ffff;
}

function unencodable(error: unknown): Error {
  return new Error(`Cannot send the reply: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
