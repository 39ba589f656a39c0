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
  FrameFlag,
  decodeMessage,
  encodeMessage,
  FrameDecoder,
  FrameTooLargeError,
  FrameType,
  HEADER_LENGTH,
  MalformedMessageError,
  WIRE_VERSION,
  readBytes,
  varintSize,
  type Event,
  type EventReply,
  type Frame,
  type Message,
} from "../wire/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";
import { handlerErrorReply, unavailableReply } from "../replies/index.ts";
import { capabilitySet } from "./_capability-sets.ts";
import { systemClock, type Clock, type TimerHandle } from "./clock.ts";
import {
  HeartbeatTimeoutError,
  PeerClosedError,
  PipeClosedError,
  PeerReplyError,
  PipeDrainingError,
  RequestAbortedError,
  SlowConsumerError,
  StreamResetError,
  StreamsUnsupportedError,
  TooManyInFlightError,
  WriteQueueFullError,
} from "./errors.ts";
import { HeartbeatMonitor } from "./_heartbeat.ts";
import { LARGE_BODY, Outbox, type OutboundFrame } from "./_outbox.ts";
import { ReadLeases, SMALL_READ_BYTES } from "./_read-leases.ts";
import { CONNECTION_WINDOW, INITIAL_STREAM_WINDOW, InboundStream, OutboundBody, STREAM_WINDOW_BUDGET } from "./_streams.ts";
import { PendingRequests } from "./_pending.ts";
import { CONNECTION_CREDIT_BATCH, PacedCredit } from "./_paced-credit.ts";
import type { PreparedEvent } from "./prepared-event.ts";
import type {
  IncomingReply,
  InboundContext,
  OutboundEvent,
  OutgoingReply,
  PipeOptions,
  PipePeer,
  PipeStats,
  PipeStatus,
  ReplySink,
  RequestOptions,
} from "./pipe-types.ts";
import type { Transport } from "./transport.ts";

/** Default outbound and inbound in-flight limits per pipe; also the default of RP_X_MAX_IN_FLIGHT (config/ takes it from here). */
export const DEFAULT_MAX_IN_FLIGHT = 1024;

/** Default bound of the bytes waiting to be written to the peer (4 MiB). */
export const DEFAULT_MAX_WRITE_QUEUE_BYTES = 4 * 1024 * 1024;

/** Default time a pipe may stay over its write-queue bound with the peer taking nothing before it is closed. */
export const DEFAULT_SLOW_CONSUMER_TIMEOUT_MS = 20_000;

const OUR_CAPABILITIES = [Capability.GoAway, Capability.EventExtensions, Capability.Stream, Capability.CallerContext, Capability.ReplyHead];

/** How long the smallest heartbeat round trip stands for the path's (a path may change). */
const MIN_RTT_WINDOW_MS = 60_000;

/** Whole replies larger than this are sent as streams to peers that take them. */
const STREAM_REPLY_BYTES = 256 * 1024;

/** Stream pumps queue chunks while fewer bytes than this wait in the outbox (one at a time each: round-robin). */
const STREAM_QUEUE_BYTES = 512 * 1024;

/** Frame types whose handling keeps no view of the bytes read (Data views are copied out by their streams). */
const KEEPS_NO_VIEW: ReadonlySet<number> = new Set([FrameType.Data, FrameType.Credit, FrameType.Reset]);
const EMPTY = new Uint8Array(0);

/**
 * One inbound event being handled, and the context its handler gets (peer,
 * signal, body): one object per event, not a context, four closures and a
 * promise chain besides. Its AbortController and deadline timer are made only
 * when the handler reads `signal` (most never do: the profile showed them as
 * 12% of an answering node's samples); a signal read after the deadline or
 * the pipe's end is born aborted.
 */
class Inbound implements InboundContext {
  controller: AbortController | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  /** Why the event was aborted before anyone read its signal. */
  abortedBy: Error | undefined = undefined;
  /** Its request body, when streamed. */
  stream: InboundStream | undefined = undefined;
  /** The request body as the handler reads it, when streamed (absent otherwise). */
  declare body?: ReadableStream<Uint8Array>;

  constructor(
    readonly id: number,
    readonly peer: PipePeer,
    readonly deadlineAt: number | undefined,
    /** The pipe's signal maker (one function per pipe). */
    readonly signalOf: (inbound: Inbound) => AbortSignal,
  ) {}

  get signal(): AbortSignal {
    return this.signalOf(this);
  }
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
  peerCapabilities: ReadonlySet<string> = NO_CAPABILITIES;
  /** The largest frame body the peer accepts, when it said so in a heartbeat (peers of this implementation). */
  peerMaxFrameBytes: number | undefined;
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
  /** Inbound events by id, for resets from the requester. */
  readonly #inboundById = new Map<number, Inbound>();
  /** Streams, by message id and role: bodies of our requests and replies going out, of the peer's coming in. */
  readonly #requestBodiesOut = new Map<number, OutboundBody>();
  readonly #replyBodiesOut = new Map<number, OutboundBody>();
  readonly #replyBodiesIn = new Map<number, InboundStream>();
  readonly #requestBodiesIn = new Map<number, InboundStream>();
  /** What we may send of stream data in all; paced once the peer returns it in small batches (see _paced-credit.ts). Made at the first stream: an idle pipe does without. */
  #credit: PacedCredit | undefined;
  get #connectionCredit(): PacedCredit {
    return (this.#credit ??= new PacedCredit(CONNECTION_WINDOW, () => this.#clock.now()));
  }
  /** The windows of the inbound streams, in all (window growth stays within STREAM_WINDOW_BUDGET). */
  #inboundWindows = 0;
  /** Inbound streams that kept views of the last read's bytes: detached (copied out) before the next read. */
  #holding: InboundStream[] = [];
  /** The reads still viewed, freed when nobody does (_read-leases.ts). */
  readonly #leases: ReadLeases;
  #connectionUnacked = 0;
  /** The smallest heartbeat round trip lately, and when it was seen (see #pathRttMs). */
  #minRttMs = Infinity;
  #minRttAt = 0;
  #writableWaiters: Array<() => void> = [];
  readonly #maxWriteQueueBytes: number;
  readonly #slowConsumerTimeoutMs: number;
  /** Armed while the write queue is over its bound; re-armed each time the transport drains. */
  #slowTimer: TimerHandle | undefined;
  #fullSince = 0;
  #status: PipeStatus = OPEN;
  #peerDraining = false;
  /** Why the peer said it is going away (its last GoAway's reason), if it said. */
  #peerReason: string | undefined;
  #resolveClosed!: (error: Error | undefined) => void;
  #idleWaiters: Array<() => void> = [];
  #beatBodies: HeartbeatBodies | undefined;

  constructor(transport: Transport, options: PipeOptions) {
    this.#transport = transport;
    this.#options = options;
    this.peer = options.peer;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLogger).with({ peer: options.peer.name });
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#maxInboundInFlight = options.maxInboundInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#decoder = new FrameDecoder(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes });
    this.#leases = new ReadLeases(transport.release === undefined ? undefined : (chunk) => transport.release!(chunk), (buffer) => this.#decoder.holds(buffer), SMALL_READ_BYTES);
    this.#maxWriteQueueBytes = options.maxWriteQueueBytes ?? DEFAULT_MAX_WRITE_QUEUE_BYTES;
    this.#slowConsumerTimeoutMs = options.slowConsumerTimeoutMs ?? DEFAULT_SLOW_CONSUMER_TIMEOUT_MS;
    this.#outbox = new Outbox(transport, {
      maxBytes: this.#maxWriteQueueBytes,
      now: () => this.#clock.now(),
      events: { full: () => this.#writeQueueFull(), room: () => this.#writeQueueRoom(), wrote: () => this.#wakeWritable() },
    });
    this.#pending = new PendingRequests(this.#clock, options.peer.name, () => {
      // A request that settled without being written (deadline, caller gone) must not keep its bytes queued.
      if (this.#outbox.full) this.#outbox.purge();
      this.#notifyIfIdle();
    });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#heartbeat = new HeartbeatMonitor(
      { intervalMs: options.heartbeatIntervalMs ?? 5_000, timeoutMs: options.heartbeatTimeoutMs ?? 10_000 },
      this.#clock,
      {
        send: (id) => this.#sendBody(FrameType.Heartbeat, id, this.#heartbeatBodies().beat),
        dead: (silentMs) => this.#shutdown(new HeartbeatTimeoutError(silentMs, this.peer.name), true),
        // While we do not read (our write queue is full), the peer's silence is ours: the slow-consumer timer judges.
        excused: () => this.#outbox.full,
      },
    );
    transport.start({
      data: (chunk) => this.#receive(chunk),
      drain: () => {
        if (this.#outbox.full) this.#armSlowConsumerTimer(); // the peer took something: it is slow, not stuck
        this.#outbox.drained();
      },
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

  /** True when the peer takes streamed bodies (it listed "stream"); an original v1 peer takes only whole ones. */
  get streams(): boolean {
    return this.peerCapabilities.has(Capability.Stream);
  }

  /** True when the peer reads request heads and sends reply heads (it listed "reply-head"): ranges, conditional requests, HEAD. */
  get replyHead(): boolean {
    return this.peerCapabilities.has(Capability.ReplyHead);
  }

  /** True after the peer sent GoAway: new requests must go to a new pipe. */
  get peerDraining(): boolean {
    return this.#peerDraining;
  }

  /** Sends an event and resolves with the peer's reply. */
  request(event: OutboundEvent, options: RequestOptions = {}): Promise<IncomingReply> {
    if (this.#status.state === "closed") return Promise.reject(new PipeClosedError(this.peer.name, { cause: this.#status.error }));
    if (this.#peerDraining) return Promise.reject(new PipeDrainingError(this.peer.name));
    const { signal, deadlineMs } = options;
    if (signal?.aborted) return Promise.reject(new RequestAbortedError(this.peer.name, { cause: signal.reason }));
    if (this.#pending.size >= this.#maxInFlight) return Promise.reject(new TooManyInFlightError(this.#maxInFlight, this.peer.name));
    if (this.#outbox.full) {
      return Promise.reject(new WriteQueueFullError(this.#outbox.queuedBytes, this.#maxWriteQueueBytes, this.peer.name));
    }

    const message: Event = {
      version: WIRE_VERSION,
      verb: event.verb,
      noun: event.noun,
      mimetype: event.mimetype ?? "",
      data: event.data ?? EMPTY,
    };
    if (event.query) message.query = event.query;
    if (event.body) {
      if (!this.streams) return Promise.reject(new StreamsUnsupportedError(this.peer.name, this.#decoder.maxFrameBytes));
      message.bodyStream = true;
      if (event.bodyLength !== undefined) message.bodyLength = event.bodyLength;
    }
    if (deadlineMs !== undefined && deadlineMs > 0) message.deadlineMs = Math.min(Math.ceil(deadlineMs), 0xffff_ffff);
    // Caller and trace context only to peers of this implementation that read them: a v1 peer sees its old bytes.
    if (this.peerCapabilities.has(Capability.CallerContext)) addCallerContext(message, event);
    if (event.head && this.replyHead) message.head = event.head;
    if (event.fleet !== undefined && this.peerCapabilities.has(Capability.Fleet)) {
      message.fleetTarget = event.fleet.target;
      message.fleetEpoch = event.fleet.epoch;
      message.fleetName = event.fleet.fleet;
      if (event.fleet.takeover) message.fleetTakeover = true;
      if (event.fleet.sender !== undefined) message.fleetSender = event.fleet.sender;
    }
    const body = encodeMessage({ type: FrameType.Event, message });
    if (body.length > this.#decoder.maxFrameBytes) {
      return Promise.reject(new FrameTooLargeError(body.length, this.#decoder.maxFrameBytes, "send event"));
    }
    // Refused here rather than by the peer, which would close the whole pipe as a protocol error.
    if (this.peerMaxFrameBytes !== undefined && body.length > this.peerMaxFrameBytes) {
      return Promise.reject(new FrameTooLargeError(body.length, this.peerMaxFrameBytes, "send event", this.#peerLimitDetail()));
    }

    const id = this.#pending.allocate();
    const reply = this.#pending.track(id, deadlineMs, signal);
    this.stats.requestsSent++;
    // An event whose request settled before it was written (deadline, caller gone) is dropped unwritten.
    this.#sendBody(FrameType.Event, id, body, this.#stillPending);
    if (event.body) this.#pumpRequestBody(id, event.body, event.ownChunks === true);
    // A request that fails here (deadline, caller gone) is reset, so that the peer's handler stops too.
    reply.catch((error: unknown) => this.#requestFailed(id, error));
    return reply;
  }

  /**
   * Sends a prepared event (see PreparedEvent: encoded once for all the pipes
   * a fan-out asks) and reports its outcome once to `sink` under `token`: no
   * promise per request. Refused as `request` refuses (the error returned, the
   * sink not called); otherwise returns the request's id, for `abortRequest`.
   */
  requestPrepared(prepared: PreparedEvent, deadlineMs: number | undefined, sink: ReplySink, token: number): number | Error {
    if (this.#status.state === "closed") return new PipeClosedError(this.peer.name, { cause: this.#status.error });
    if (this.#peerDraining) return new PipeDrainingError(this.peer.name);
    if (this.#pending.size >= this.#maxInFlight) return new TooManyInFlightError(this.#maxInFlight, this.peer.name);
    if (this.#outbox.full) return new WriteQueueFullError(this.#outbox.queuedBytes, this.#maxWriteQueueBytes, this.peer.name);
    const timed = deadlineMs !== undefined && deadlineMs > 0;
    const body = prepared.body(prepared.variant(this.peerCapabilities), timed ? Math.ceil(deadlineMs) : undefined);
    if (body.length > this.#decoder.maxFrameBytes) return new FrameTooLargeError(body.length, this.#decoder.maxFrameBytes, "send event");
    if (this.peerMaxFrameBytes !== undefined && body.length > this.peerMaxFrameBytes) {
      return new FrameTooLargeError(body.length, this.peerMaxFrameBytes, "send event", this.#peerLimitDetail());
    }
    const id = this.#pending.allocate();
    this.#pending.trackFor(id, deadlineMs, sink, token);
    this.stats.requestsSent++;
    this.#sendBody(FrameType.Event, id, body, this.#stillPending);
    return id;
  }

  /** Aborts request `id` sent with `requestPrepared` (its caller left): its sink hears RequestAbortedError, the peer a reset. */
  abortRequest(id: number): void {
    if (this.#isClosed() || !this.#pending.has(id)) return;
    const error = new RequestAbortedError(this.peer.name);
    this.#pending.settle(id, error);
    this.#sendReset(id, false, error.message); // to a peer with streams: its handler's signal aborts
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

  #stillPendingFn: ((frame: OutboundFrame) => boolean) | undefined;
  /** An event frame is wanted while its request is pending: one function for all requests, made at the first (an idle pipe does without). */
  get #stillPending(): (frame: OutboundFrame) => boolean {
    return (this.#stillPendingFn ??= (frame) => this.#pending.has(frame.id));
  }

  /** `live` or `until` (clock time): when the frame stops being wanted, see OutboundFrame. */
  #sendBody(type: FrameType, id: number, body: Uint8Array | (() => Uint8Array), live?: (frame: OutboundFrame) => boolean, size?: number, until?: number): void {
    if (this.#status.state === "closed") return;
    const length = size ?? (body as Uint8Array).length;
    this.stats.bytesOut += length + HEADER_LENGTH;
    const frame: { -readonly [K in keyof OutboundFrame]: OutboundFrame[K] } = { type, id, size: length, body };
    if (live !== undefined) frame.live = live;
    if (until !== undefined) frame.until = until;
    this.#outbox.push(frame);
  }

  /** The write queue went over its bound: stop reading from the peer (no new events) until it has room. */
  #writeQueueFull(): void {
    if (this.#isClosed()) return;
    this.#fullSince = this.#clock.now();
    this.#transport.pauseReading();
    this.#log.debug("write queue full: reading from the peer paused", { queuedBytes: this.#outbox.queuedBytes });
    this.#armSlowConsumerTimer();
  }

  #writeQueueRoom(): void {
    if (this.#slowTimer !== undefined) this.#clock.clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
    if (this.#isClosed()) return;
    this.#transport.resumeReading();
    this.#heartbeat.received(); // the silence while paused was ours
    this.#log.debug("write queue has room: reading from the peer resumed", { pausedMs: Math.round(this.#clock.now() - this.#fullSince) });
  }

  #armSlowConsumerTimer(): void {
    if (this.#slowTimer !== undefined) this.#clock.clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
    if (this.#slowConsumerTimeoutMs <= 0) return;
    this.#slowTimer = this.#clock.setTimeout(() => {
      this.#slowTimer = undefined;
      if (!this.#outbox.full || this.#isClosed()) return;
      const error = new SlowConsumerError(this.#outbox.queuedBytes, this.#maxWriteQueueBytes, this.#slowConsumerTimeoutMs, this.peer.name);
      this.#log.warn("closing pipe: slow consumer", { reason: error.message });
      this.#shutdown(error, true);
    }, this.#slowConsumerTimeoutMs);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#status.state === "closed") return;
    this.stats.bytesIn += chunk.length;
    this.#heartbeat.received();
    if (this.#holding.length > 0) this.#detachHeld();
    this.#leases.begin(chunk);
    try {
      for (const frame of this.#decoder.push(chunk)) {
        if (!KEEPS_NO_VIEW.has(frame.type)) this.#leases.pin(); // its body may go to a handler: the read is not freed
        this.#handleFrame(frame);
        if (this.#isClosed()) return; // a frame may have closed the pipe
      }
    } catch (error) {
      this.#log.warn("closing pipe: protocol error from peer", { reason: (error as Error).message });
      this.#shutdown(error as Error, true);
      return;
    }
    const freeing = this.#leases.freeing;
    if (freeing !== undefined && this.#holding.length > 0) this.#detachHeld(freeing);
    this.#leases.end();
  }

  /** The streams whose readers did not take the read's bytes copy them (every view of `buffer`, a read to be freed), so that the read buffer can go. */
  #detachHeld(buffer?: ArrayBufferLike): void {
    const held = this.#holding;
    this.#holding = [];
    for (const stream of held) if (stream.detach(buffer)) this.#holding.push(stream);
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
        this.#learnCapabilities(decoded.message);
        return this.#sendBody(FrameType.HeartbeatReply, frame.id, this.#heartbeatBodies().reply);
      case FrameType.HeartbeatReply:
        this.#learnCapabilities(decoded.message);
        if (!this.#heartbeat.answered(frame.id)) this.stats.unknownReplies++;
        else this.#heartbeatAnswered(this.#heartbeat.lastRttMs ?? 0);
        return;
      case FrameType.GoAway:
        this.#peerDraining = true;
        if (decoded.message.reason) this.#peerReason = decoded.message.reason;
        if (decoded.message.retryAfterMs) this.#log.info("peer is draining", { retryAfterMs: decoded.message.retryAfterMs });
        else this.#log.info("peer is closing the pipe", { reason: decoded.message.reason ?? "" });
        this.#options.onGoAway?.(decoded.message.retryAfterMs ?? 0, decoded.message.reason ?? "");
        return;
      case FrameType.Data:
        return this.#handleData(frame.id, (frame.flags & FrameFlag.Reply) !== 0, decoded.message.data, (frame.flags & FrameFlag.End) !== 0);
      case FrameType.Credit:
        return this.#handleCredit(frame.id, (frame.flags & FrameFlag.Reply) !== 0, decoded.message.credit ?? 0);
      case FrameType.Reset:
        return this.#handleReset(frame.id, (frame.flags & FrameFlag.Reply) !== 0, decoded.message.reason ?? "");
    }
  }

  #handleReply(id: number, reply: EventReply): void {
    if (reply.bodyStream === true) return this.#handleStreamedReply(id, reply);
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
    const inbound = new Inbound(id, this.peer, deadlineAt, this.#signalFor);
    this.#inbound.add(inbound);
    this.#inboundById.set(id, inbound);
    if (event.bodyStream === true) {
      const stream = (inbound.stream = this.#receiveRequestBody(id, inbound));
      stream.widen(event.bodyLength);
      inbound.body = stream.readable;
    }
    void this.#answer(inbound, event);
  }

  /** Runs the handler and sends its answer, exactly once, whether it returns, throws synchronously or rejects. */
  async #answer(inbound: Inbound, event: Event): Promise<void> {
    let reply: OutgoingReply;
    try {
      reply = await this.#options.onEvent(event, inbound);
    } catch (error) {
      reply = handlerErrorReply(error, false);
    }
    const id = inbound.id;
    try {
      if (this.#isClosed()) return;
      if (reply.stream) return await this.#sendStreamedReply(id, reply, reply.stream, inbound);
      // A large whole reply goes as a stream too when the peer takes one: no head-of-line blocking, the reader's pace.
      const data = reply.data;
      if (data !== undefined && data.length > STREAM_REPLY_BYTES && this.streams) {
        return await this.#sendStreamedReply(id, { ...reply, data: EMPTY, bodyLength: data.length }, sliced(data), inbound);
      }
      this.#sendReply(id, reply, inbound.deadlineAt);
    } finally {
      // Answered without reading the whole request body: the rest is dropped, its credit returned (a streamed
      // reply may still be reading it, an echo for one: only once it is sent).
      inbound.stream?.discardRest();
      if (inbound.timer !== undefined) this.#clock.clearTimeout(inbound.timer);
      this.#inbound.delete(inbound);
      if (this.#inboundById.get(id) === inbound) this.#inboundById.delete(id);
      this.#notifyIfIdle();
    }
  }

  /** Makes an inbound event's signal (one function for the pipe: no closure per event). */
  #signalForFn: ((inbound: Inbound) => AbortSignal) | undefined;
  /** One function per pipe, made at its first inbound event. */
  get #signalFor(): (inbound: Inbound) => AbortSignal {
    return (this.#signalForFn ??= (inbound) => this.#signalOf(inbound));
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

  /**
   * Sends a reply; one too large for a frame is replaced by an error reply
   * saying so. A large reply is encoded only when it is written (it waits as
   * a reference to the handler's data, not as a copy), and is dropped if the
   * sender's deadline passes first (nobody waits for it any more).
   */
  #sendReply(id: number, reply: EventReply, deadlineAt?: number): void {
    const message = { ...reply, version: WIRE_VERSION };
    // Only fields the reply has are deleted (the usual reply has none of them): a delete can turn the object into a slower dictionary.
    if (message.deniedByRule !== undefined && !this.peerCapabilities.has(Capability.CallerContext)) delete message.deniedByRule;
    if ((message.httpStatus !== undefined || message.head !== undefined) && !this.replyHead) {
      // An original peer (or one before reply-head) gets the bytes it always got.
      delete message.httpStatus;
      delete message.head;
    }
    if ((message.fleetRefusal !== undefined || message.fleetStatus !== undefined) && !this.peerCapabilities.has(Capability.Fleet)) {
      delete message.fleetRefusal;
      delete message.fleetStatus;
    }
    const data = reply.data ?? EMPTY;
    let size: number;
    let body: Uint8Array | (() => Uint8Array);
    try {
      if (!isWireCode(reply.code)) throw new RangeError(`code ${String(reply.code)} is not a whole number from 0 to 4294967295`);
      if (data.length < LARGE_BODY) {
        body = encodeMessage({ type: FrameType.EventReply, message });
        size = body.length;
      } else {
        // Encoding the head validates every field now; the data field adds tag, length and bytes.
        size = encodeMessage({ type: FrameType.EventReply, message: { ...message, data: EMPTY } }).length - 1 + varintSize(data.length) + data.length;
        body = () => encodeMessage({ type: FrameType.EventReply, message });
      }
    } catch (error) {
      // A code or field the wire cannot hold (-1, 1.5, NaN, 2^32, missing): the request still gets its one answer.
      this.#log.warn("reply cannot be encoded", { id, reason: (error as Error).message });
      body = encodeMessage({ type: FrameType.EventReply, message: { ...handlerErrorReply(unencodable(error), false), version: WIRE_VERSION } });
      size = body.length;
    }
    const peerMax = this.peerMaxFrameBytes ?? Infinity;
    if (size <= this.#decoder.maxFrameBytes && size <= peerMax) {
      return this.#sendBody(FrameType.EventReply, id, body, undefined, size, deadlineAt);
    }
    const error =
      size > this.#decoder.maxFrameBytes
        ? new FrameTooLargeError(size, this.#decoder.maxFrameBytes, "send reply")
        : new FrameTooLargeError(size, peerMax, "send reply", this.#peerLimitDetail());
    this.#log.warn("reply too large for a frame", { id, bytes: size });
    this.#sendMessage(id, { type: FrameType.EventReply, message: { ...handlerErrorReply(error, false), version: WIRE_VERSION } });
  }

  // ---- streams -------------------------------------------------------------

  /** Resolves when the outbox can take another stream chunk; waiters are served one at a time, in turn. */
  #writable(): Promise<void> {
    if (this.#writableWaiters.length === 0 && this.#outbox.queuedBytes < STREAM_QUEUE_BYTES) return Promise.resolve();
    return new Promise((wake) => {
      this.#writableWaiters.push(wake);
      this.#wakeWritable();
    });
  }

  #wakeWritable(all = false): void {
    if (this.#writableWaiters.length === 0) return;
    if (all || this.#isClosed()) {
      const waiters = this.#writableWaiters;
      this.#writableWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    if (this.#outbox.queuedBytes < STREAM_QUEUE_BYTES) this.#writableWaiters.shift()!();
  }

  #sendStreamFrame(type: FrameType, id: number, flags: number, body: Uint8Array, live?: () => boolean, written?: () => void): void {
    if (this.#isClosed()) return;
    this.stats.bytesOut += body.length + HEADER_LENGTH;
    const bulk = type === FrameType.Data;
    if (written !== undefined) this.#outbox.push({ type, id, size: body.length, body, flags, bulk, ...(live === undefined ? {} : { live }), written });
    else this.#outbox.push(live === undefined ? { type, id, size: body.length, body, flags, bulk } : { type, id, size: body.length, body, flags, bulk, live });
    if (bulk) this.#wakeWritable();
  }

  #sendCredit(id: number, reply: boolean, credit: number): void {
    const body = encodeMessage({ type: FrameType.Credit, message: { version: WIRE_VERSION, credit } });
    this.#sendStreamFrame(FrameType.Credit, id, reply ? FrameFlag.Reply : 0, body);
  }

  #sendReset(id: number, reply: boolean, reason: string): void {
    if (!this.streams) return;
    const body = encodeMessage({ type: FrameType.Reset, message: { version: WIRE_VERSION, reason } });
    this.#sendStreamFrame(FrameType.Reset, id, reply ? FrameFlag.Reply : 0, body);
  }

  /**
   * Bytes of some stream arrived (accepted or dropped): connection credit goes
   * back in small batches (it was a quarter of the window), so that the
   * sender can pace what it has in flight (_paced-credit.ts).
   */
  #consumed(bytes: number): void {
    this.#connectionUnacked += bytes;
    if (this.#connectionUnacked < CONNECTION_CREDIT_BATCH) return;
    const credit = this.#connectionUnacked;
    this.#connectionUnacked = 0;
    this.#sendCredit(0, false, credit);
  }

  #inboundStream(id: number, reply: boolean, map: Map<number, InboundStream>, onCancel: (reason: string) => void): InboundStream {
    let windowHeld = INITIAL_STREAM_WINDOW;
    this.#inboundWindows += windowHeld;
    const stream = new InboundStream(
      this.#clock,
      {
        credit: (bytes) => this.#sendCredit(id, !reply, bytes),
        consumed: (bytes) => this.#consumed(bytes),
        grow: (bytes) => {
          if (windowHeld === 0 || this.#inboundWindows + bytes > STREAM_WINDOW_BUDGET) return false;
          this.#inboundWindows += bytes;
          windowHeld += bytes;
          return true;
        },
        cancel: onCancel,
        done: () => {
          this.#inboundWindows -= windowHeld;
          windowHeld = 0;
          if (map.get(id) === stream) map.delete(id);
          this.#notifyIfIdle();
        },
        rttMs: () => this.#pathRttMs(),
        holding: (held) => this.#holding.push(held),
        kept: (view) => this.#leases.kept(view),
        returned: (view, free) => this.#leases.returned(view, free),
      },
      this.#options.maxStreamBytes,
    );
    map.set(id, stream);
    return stream;
  }

  /** The request body of inbound event `id`: cancelling it only drops the rest (the handler still answers). */
  #receiveRequestBody(id: number, inbound: Inbound): InboundStream {
    const stream: InboundStream = this.#inboundStream(id, false, this.#requestBodiesIn, () => {});
    const cancel = stream.cancel.bind(stream);
    stream.cancel = () => (inbound.stream === stream ? stream.discardRest() : cancel(""));
    return stream;
  }

  /** A reply head whose body follows as a stream: the requester gets the head with the stream at once. */
  #handleStreamedReply(id: number, reply: EventReply): void {
    if (!this.#pending.has(id)) {
      this.stats.unknownReplies++;
      this.#sendReset(id, false, "nobody waits for this reply any more");
      return;
    }
    const stream = this.#inboundStream(id, true, this.#replyBodiesIn, (reason) => {
      this.#requestBodiesOut.get(id)?.stop(new Error(reason));
      this.#sendReset(id, false, reason || "the caller left");
    });
    stream.widen(reply.bodyLength);
    this.stats.repliesReceived++;
    this.#pending.settle(id, { ...reply, data: EMPTY, stream: stream.readable, lend: () => stream.lend() });
  }

  #pumpRequestBody(id: number, source: ReadableStream<Uint8Array>, ownChunks: boolean): void {
    const body = this.#outboundBody(source, id, false, ownChunks);
    this.#requestBodiesOut.set(id, body);
    body.run().then(
      () => this.#forget(this.#requestBodiesOut, id, body),
      (error: Error) => {
        this.#forget(this.#requestBodiesOut, id, body);
        if (body.stopped) return;
        this.#sendReset(id, false, `the request body failed: ${error.message}`);
        this.#pending.settle(id, error);
        this.#replyBodiesIn.get(id)?.fail(error);
      },
    );
  }

  /** A pump of `source` into stream `id`; `ownChunks`: its chunks are freed once written (OutgoingReply.ownChunks). */
  #outboundBody(source: ReadableStream<Uint8Array>, id: number, reply: boolean, ownChunks = false): OutboundBody {
    const flags = reply ? FrameFlag.Reply : 0;
    let body: OutboundBody | undefined;
    const live = () => body?.stopped !== true;
    const release = ownChunks ? this.#transport.release?.bind(this.#transport) : undefined;
    body = new OutboundBody(
      source,
      {
        send: (chunk, end, written) => this.#sendStreamFrame(FrameType.Data, id, end ? flags | FrameFlag.End : flags, chunk, live, written),
        writable: () => this.#writable(),
        connection: this.#connectionCredit,
        ...(release === undefined ? {} : { free: release }),
      },
      this.#options.maxStreamBytes,
    );
    return body;
  }

  #forget<T>(map: Map<number, T>, id: number, value: T): void {
    if (map.get(id) === value) map.delete(id);
    this.#notifyIfIdle();
  }

  /** Our request `id` failed before its reply (deadline, caller gone, pipe closed): stop its body, reset it at the peer. */
  #requestFailed(id: number, error: unknown): void {
    const body = this.#requestBodiesOut.get(id);
    body?.stop(error as Error);
    // Only a caller that left needs telling: the peer keeps the same deadline (its handler's signal aborts on its own).
    if (!this.#isClosed() && (error instanceof RequestAbortedError || body !== undefined)) this.#sendReset(id, false, (error as Error).message);
  }

  /**
   * Sends a handler's streamed reply: to a peer with streams as a head and
   * Data frames (a small body of known length inline); to an original v1
   * peer read whole, up to the frame limit.
   */
  async #sendStreamedReply(id: number, reply: OutgoingReply, source: ReadableStream<Uint8Array>, inbound: Inbound): Promise<void> {
    const { stream: _stream, ownChunks, ...head } = reply;
    const inline = !this.streams || (reply.bodyLength !== undefined && reply.bodyLength < LARGE_BODY);
    if (inline) {
      const limit = Math.min(this.#decoder.maxFrameBytes, this.peerMaxFrameBytes ?? Infinity) - 1024;
      try {
        const data = await readBytes(source, limit);
        if (data === undefined) {
          const error = new StreamsUnsupportedError(this.peer.name, limit);
          return this.#sendReply(id, handlerErrorReply(error, false), inbound.deadlineAt);
        }
        const { bodyLength: _length, ...rest } = head;
        return this.#sendReply(id, { ...rest, data }, inbound.deadlineAt);
      } catch (error) {
        return this.#sendReply(id, handlerErrorReply(error, false), inbound.deadlineAt);
      }
    }
    this.#sendReply(id, { ...head, data: EMPTY, bodyStream: true }, inbound.deadlineAt);
    const body = this.#outboundBody(source, id, true, ownChunks === true);
    this.#replyBodiesOut.set(id, body);
    try {
      await body.run();
    } catch (error) {
      if (!body.stopped) {
        this.#log.warn("reply body failed: resetting the stream", { id, reason: (error as Error).message });
        this.#sendReset(id, true, `the reply body failed: ${(error as Error).message}`);
      }
    } finally {
      this.#forget(this.#replyBodiesOut, id, body);
    }
  }

  #handleData(id: number, reply: boolean, data: Uint8Array, end: boolean): void {
    const stream = (reply ? this.#replyBodiesIn : this.#requestBodiesIn).get(id);
    if (!stream) {
      this.#consumed(data.length); // the sender spent connection credit on it all the same
      return;
    }
    const lending = stream.lending;
    if (lending) this.#leases.lending(data);
    const refused = stream.push(data, end);
    if (lending) this.#leases.lent(data);
    if (refused === undefined) return;
    // Past the window or the limit: this stream's error, never the connection's.
    this.#log.warn("resetting a stream", { id, reason: refused });
    const error = new StreamResetError(this.peer.name, refused);
    stream.fail(error);
    this.#consumed(data.length);
    if (reply) {
      this.#requestBodiesOut.get(id)?.stop(error);
      this.#sendReset(id, false, refused);
    } else {
      this.#abortInbound(id, error);
      this.#replyBodiesOut.get(id)?.stop(error);
      this.#sendReset(id, true, refused);
    }
  }

  #handleCredit(id: number, reply: boolean, credit: number): void {
    if (id === 0 && !reply) return this.#connectionCredit.add(credit);
    (reply ? this.#requestBodiesOut : this.#replyBodiesOut).get(id)?.credit.add(credit);
  }

  #handleReset(id: number, reply: boolean, reason: string): void {
    const error = new StreamResetError(this.peer.name, reason);
    if (reply) {
      // The responder gave up: our request fails (or its reply body breaks off), our body stops.
      this.#pending.settle(id, error);
      this.#replyBodiesIn.get(id)?.fail(error);
      this.#requestBodiesOut.get(id)?.stop(error);
    } else {
      // The requester gave up (its caller left): the handler's signal aborts, its streams stop.
      this.#requestBodiesIn.get(id)?.fail(error);
      this.#replyBodiesOut.get(id)?.stop(error);
      this.#abortInbound(id, error);
    }
  }

  #abortInbound(id: number, error: Error): void {
    const inbound = this.#inboundById.get(id);
    if (!inbound) return;
    inbound.abortedBy ??= error;
    inbound.controller?.abort(error);
  }

  #heartbeatAnswered(rttMs: number): void {
    const now = this.#clock.now();
    if (rttMs <= this.#minRttMs || now - this.#minRttAt > MIN_RTT_WINDOW_MS) {
      this.#minRttMs = rttMs;
      this.#minRttAt = now;
    }
    this.#options.onHeartbeat?.(rttMs);
  }

  /**
   * The round trip of the path, for stream windows: the smallest heartbeat round trip of the last minute, not the
   * last one, which a busy pipe or a loaded machine inflates (windows then grew to 16 MiB in front of a 2 MB/s
   * caller again); the last one until a heartbeat was answered.
   */
  #pathRttMs(): number | undefined {
    return Number.isFinite(this.#minRttMs) ? this.#minRttMs : this.#heartbeat.lastRttMs;
  }

  #learnCapabilities(heartbeat: { readonly capabilities: readonly string[]; readonly maxFrameBytes?: number }): void {
    // Every heartbeat repeats them: a new Set only when they changed.
    if (heartbeat.capabilities.length > 0 && !sameMembers(this.peerCapabilities, heartbeat.capabilities)) this.peerCapabilities = capabilitySet(heartbeat.capabilities);
    if (heartbeat.maxFrameBytes !== undefined) this.peerMaxFrameBytes = heartbeat.maxFrameBytes;
    if (heartbeat.capabilities.includes(Capability.SmallRecords)) this.#transport.preferSmallRecords?.();
  }

  /**
   * Our heartbeat and its reply, encoded: capabilities, and the largest frame we accept, so that the peer refuses
   * larger ones itself. The same bytes every time (the id is in the frame header), shared by the pipes alike.
   */
  #heartbeatBodies(): HeartbeatBodies {
    return (this.#beatBodies ??= heartbeatBodies(this.#options.capabilities, this.#decoder.maxFrameBytes));
  }

  #peerLimitDetail(): string {
    const setting = this.#options.peerFrameSetting ?? "the peer's RP_X_MAX_FRAME_BYTES";
    return `that ${this.peer.name} accepts; set ${setting} (and its MAX_BODY_BYTES) to allow more`;
  }

  #isClosed(): boolean {
    return this.#status.state === "closed";
  }

  #isIdle(): boolean {
    return this.#pending.size === 0 && this.#inbound.size === 0 && this.#replyBodiesIn.size === 0 && this.#requestBodiesOut.size === 0;
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
    if (this.#slowTimer !== undefined) this.#clock.clearTimeout(this.#slowTimer);
    const closedError = new PipeClosedError(this.peer.name, { cause: error });
    this.#pending.rejectAll(closedError);
    for (const inbound of this.#inbound) {
      if (inbound.timer !== undefined) this.#clock.clearTimeout(inbound.timer);
      inbound.abortedBy = closedError;
      inbound.controller?.abort(closedError);
    }
    this.#inbound.clear();
    this.#inboundById.clear();
    for (const stream of [...this.#replyBodiesIn.values(), ...this.#requestBodiesIn.values()]) stream.fail(closedError);
    for (const body of [...this.#requestBodiesOut.values(), ...this.#replyBodiesOut.values()]) body.stop(closedError);
    this.#replyBodiesIn.clear();
    this.#requestBodiesIn.clear();
    this.#requestBodiesOut.clear();
    this.#replyBodiesOut.clear();
    this.#wakeWritable(true);
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

/** `bytes` as a pull-based stream of 1 MiB views (no copy). */
function sliced(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        const end = Math.min(bytes.length, at + 1024 * 1024);
        controller.enqueue(bytes.subarray(at, end));
        at = end;
      },
    },
    { highWaterMark: 0 },
  );
}


function addCallerContext(message: Event, event: OutboundEvent): void {
  if (event.caller !== undefined) message.caller = event.caller;
  if (event.traceparent !== undefined) message.traceparent = event.traceparent;
  if (event.tracestate !== undefined) message.tracestate = event.tracestate;
}

/** The empty capability set of a peer not heard from yet (shared: one per pipe would be 50,000 on a busy server). */
const NO_CAPABILITIES: ReadonlySet<string> = new Set();
/** The status every pipe starts in: one object for all (statuses are replaced, never changed). */
const OPEN: PipeStatus = Object.freeze({ state: "open" });

/** The encoded Heartbeat and HeartbeatReply bodies of one configuration. */
interface HeartbeatBodies {
  readonly beat: Uint8Array;
  readonly reply: Uint8Array;
}

/** Encoded heartbeat bodies by configuration (a node has one or two; bounded all the same). */
const HEARTBEAT_BODIES = new Map<string, HeartbeatBodies>();

function heartbeatBodies(extra: readonly string[] = [], maxFrameBytes: number): HeartbeatBodies {
  const key = `${maxFrameBytes} ${extra.join(" ")}`;
  let bodies = HEARTBEAT_BODIES.get(key);
  if (!bodies) {
    const message = { version: WIRE_VERSION, capabilities: extra.length === 0 ? OUR_CAPABILITIES : [...OUR_CAPABILITIES, ...extra], maxFrameBytes };
    bodies = { beat: encodeMessage({ type: FrameType.Heartbeat, message }), reply: encodeMessage({ type: FrameType.HeartbeatReply, message }) };
    if (HEARTBEAT_BODIES.size >= 64) HEARTBEAT_BODIES.clear();
    HEARTBEAT_BODIES.set(key, bodies);
  }
  return bodies;
}

function sameMembers(set: ReadonlySet<string>, items: readonly string[]): boolean {
  if (set.size !== items.length) return false;
  for (const item of items) if (!set.has(item)) return false;
  return true;
}

function isWireCode(code: unknown): boolean {
  return typeof code === "number" && Number.isInteger(code) && code >= 0 && code <= 0xffff_ffff;
}

function unencodable(error: unknown): Error {
  return new Error(`Cannot send the reply: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
