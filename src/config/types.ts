/** The shapes of a loaded configuration and of what it is loaded from. */
import type { ProxyEndpoint } from "../proxy/index.ts";
import type { Listen } from "./listen.ts";
import type { Policy } from "../policy/index.ts";
import type { NoProxy } from "./no-proxy.ts";
import type { ShareConfig } from "./shares.ts";

/** Which program a configuration is for. */
export type Role = "server" | "client";

/** How log records are written: `auto` is text on a terminal, JSON otherwise. */
export type LogFormat = "auto" | "json" | "text";

/** Where a value came from, in precedence order: flag > env > file > default. */
export type ConfigSource = "flag" | "env" | "file" | "default";

/** Settings both programs have. Durations in ms, sizes in bytes; `undefined` means unset. */
export interface CommonConfig {
  /** Directories served read-only by the built-in `files` noun (none: nothing is shared). */
  readonly shares: readonly ShareConfig[];
  /** Serve and list hidden files (names starting with ".") in the shares. */
  readonly shareHidden: boolean;
  /** Names of shares that also take PUT and DELETE. */
  readonly shareWritable: readonly string[];
  /** Largest file one PUT may store. */
  readonly shareMaxPutBytes: number;
  /** Where the local HTTP front listens. */
  readonly http: Listen;
  /** Directory holding this node's key, certificate and CA certificate. */
  readonly identityDir: string;
  /** Passphrase of the private key, when it is encrypted. */
  readonly keyPassphrase: string | undefined;
  /** The log warns when this node's or its CA's certificate expires within this many days. */
  readonly certWarnDays: number;
  /** How often the identity files are looked at (reloaded when they change); 0: only on SIGHUP. */
  readonly identityPollMs: number;
  /** Path of the user's handler module (.ts/.js/.mjs/.mts) as given; undefined = the example handlers. */
  readonly eventHandler: string | undefined;
  /** Verbose logs and stack traces in handler-error replies. */
  readonly debug: boolean;
  /** Log record format. */
  readonly logFormat: LogFormat;
  /** Heartbeat period; 0 disables heartbeats. */
  readonly heartbeatIntervalMs: number;
  /** A heartbeat unanswered (and nothing received) for this long declares the peer dead. */
  readonly heartbeatTimeoutMs: number;
  /** Deadline of one event; the front answers 504 after it. */
  readonly requestTimeoutMs: number;
  /** Largest request or reply body; the front answers 413 above it. */
  readonly maxBodyBytes: number;
  /** Largest frame body the decoder accepts; always greater than maxBodyBytes. */
  readonly maxFrameBytes: number;
  /** Requests in flight per pipe. */
  readonly maxInFlight: number;
  /** Largest streamed body, each way; undefined: no limit. */
  readonly maxStreamBytes: number | undefined;
  /** A streamed request body up to this size is also given to handlers as `body.data`. */
  readonly bufferBodyBytes: number;
  /** Bytes that may wait to be written to a peer before its pipe stops reading from it and refuses new requests. */
  readonly maxWriteQueueBytes: number;
  /** Over the write-queue limit with the peer taking nothing this long: the pipe is closed (0: never). */
  readonly slowConsumerTimeoutMs: number;
  /** How long a graceful shutdown waits for in-flight requests. */
  readonly drainTimeoutMs: number;
  /** Bearer token the HTTP front requires; required when it listens beyond loopback. */
  readonly httpToken: string | undefined;
  /** An HTTP connection to the front idle this long (whole seconds, at most 255 s) is closed. */
  readonly httpIdleTimeoutMs: number;
  /** Mode of the front's unix socket: who may connect (0o600: the owner only). */
  readonly httpSocketMode: number;
  /** statsd host; statsd is off while both it and statsdPort are unset. */
  readonly statsdHost: string | undefined;
  /** statsd UDP port; 8125 when only the host is set. */
  readonly statsdPort: number | undefined;
  /** Prefix of every statsd name (joined with a dot). */
  readonly statsdPrefix: string | undefined;
  /** Who may call what on this node (server: each client; client: the server); reloaded on SIGHUP and file change. */
  readonly policy: Policy;
  /** Where the audit log goes: a file path, "-" for standard error, undefined for none. */
  readonly auditLog: string | undefined;
  /** Audit lines show the noun's arguments (else they are redacted). */
  readonly auditArgs: boolean;
  /** Bytes of audit lines queued for writing; past it lines are dropped and counted. */
  readonly auditQueueBytes: number;
}

/** The validated, frozen configuration of rp-server. */
export interface ServerConfig extends CommonConfig {
  /** Interface the pipe (mTLS) port listens on: an IP literal or host name. */
  readonly bindInterface: string;
  /** Port of the pipe (mTLS) listener; 0 picks a free one. */
  readonly bindPort: number;
  /** How long the front holds a request for a client that is not connected before answering 503. */
  readonly clientWaitMs: number;
  /** While no client is connected, the `idle` hook runs (and a line is logged) this often. */
  readonly idleHookIntervalMs: number;
  /** A connection that has not finished the TLS handshake within this is closed. */
  readonly handshakeTimeoutMs: number;
  /** Connections allowed to be mid-handshake at once; more are refused. */
  readonly maxPendingHandshakes: number;
  /** Most clients one fan-out (`/clients/<selector>/...`) may select; more is 413. */
  readonly maxFanout: number;
  /** Requests of all fan-outs in flight at once; the rest wait their turn (single requests never do). */
  readonly fanoutConcurrency: number;
  /** A fan-out request unanswered this long gives its slot of the cap back (0: never). */
  readonly fanoutSlowMs: number;
  /** Reply data one fan-out answer may hold; later replies are listed without their data. */
  readonly fanoutMaxAnswerBytes: number;
  /** NATS servers holding the fleet's presence; empty: no fleet. */
  readonly natsUrls: readonly string[];
  /** The fleet's name; undefined: no fleet. */
  readonly fleet: string | undefined;
  /** NATS credentials file (JWT + NKey seed). */
  readonly natsCredsFile: string | undefined;
  /** CA (PEM file) for tls:// NATS URLs. */
  readonly natsCaFile: string | undefined;
  /** Client certificate (PEM file) shown to NATS servers that verify clients (`tls { verify: true }`); with natsKeyFile. */
  readonly natsCertFile: string | undefined;
  /** Private key (PEM file) of natsCertFile. */
  readonly natsKeyFile: string | undefined;
  /** "host:port" the fleet's other servers dial to reach this one; undefined: derived. */
  readonly fleetAddress: string | undefined;
  /** A server silent this long is taken as gone (its presence refreshes 4 times as often). */
  readonly fleetExpiryMs: number;
}

/** The validated, frozen configuration of rp-client. */
export interface ClientConfig extends CommonConfig {
  /** The server(s) to dial, as normalised text: `host` or `host[:port],...` (clientTargets reads it). */
  readonly targetHostname: string;
  /** Port of the server's pipe listener. */
  readonly targetPort: number;
  /** Name the server certificate must carry, when it differs from targetHostname. */
  readonly serverName: string | undefined;
  /** How long the front holds a request while the pipe is down before answering 503. */
  readonly serverWaitMs: number;
  /** First reconnect delay; it doubles per failed attempt (with jitter). */
  readonly reconnectBaseMs: number;
  /** Largest reconnect delay. */
  readonly reconnectCapMs: number;
  /** One connection attempt (TCP connect + TLS handshake) gives up after this long. */
  readonly connectTimeoutMs: number;
  /** HTTP proxy the client dials through (CONNECT); undefined: dial directly. */
  readonly proxy: ProxyEndpoint | undefined;
  /** Servers dialled directly despite the proxy. */
  readonly noProxy: NoProxy;
}

/** Raw inputs of a load, each optional. */
export interface ConfigSources {
  /** The process environment (the CLI passes it; config/ never reads it itself). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed command-line flags keyed by name without dashes: `{ port: "1234", debug: true }`. A repeated flag may come as an array; the last wins. */
  readonly flags?: Readonly<Record<string, string | boolean | readonly string[]>>;
  /** The config file's object, keyed by environment variable names: `{ "RP_SERVER_BIND_PORT": 1234 }`. */
  readonly file?: Readonly<Record<string, unknown>>;
}
