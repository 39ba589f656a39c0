/**
 * The settings tables: one row per setting, per role. Everything else in
 * config/ (loading, help, `config check`) is driven by these rows.
 */
import { DEFAULT_MAX_IN_FLIGHT } from "../pipe/index.ts";
import * as p from "./_parsers.ts";
import type { Parser } from "./_parsers.ts";
import type { Listen } from "./listen.ts";
import { ALLOW_ALL } from "../policy/index.ts";
import type { ClientConfig, CommonConfig, Role, ServerConfig } from "./types.ts";

/** A default computed from the other settings, e.g. maxFrameBytes from maxBodyBytes. */
export class Derived<T> {
  constructor(
    /** Shown in --help as "(default: …)". */
    readonly text: string,
    /** Undefined when an input is itself invalid (its own error is reported). */
    readonly compute: (values: Readonly<Record<string, unknown>>) => T | undefined,
  ) {}
}

/** One setting: where it is read from, how it is parsed, its default and its description. */
export interface Setting<T> {
  /** Environment names; the first is canonical and wins over the aliases. Also the config-file keys. */
  readonly env: readonly [string, ...string[]];
  /** Flag name without dashes, when the setting has a flag. */
  readonly flag?: string;
  readonly parser: Parser<T>;
  readonly default: T | Derived<T>;
  /** One line, for --help and `config check`. */
  readonly description: string;
  /** The flag may be given more than once: every value counts (the parser reads them as a JSON list), not the last. */
  readonly repeatable?: true;
}

/** One row per key of the config. */
export type Table<C> = { readonly [K in keyof C]-?: Setting<C[K]> };

/** Frame overhead allowed above maxBodyBytes by default: protobuf fields besides the body. */
const FRAME_OVERHEAD_BYTES = 64 * 1024;
/** The frame length field is a u32. */
const MAX_FRAME_BYTES = 0xffff_ffff;

const LOCALHOST = (port: number): Listen => Object.freeze({ kind: "tcp", host: "127.0.0.1", port });

type Prefix = "RP_SERVER" | "RP_CLIENT";

type FrontKeys = "http" | "httpToken" | "httpIdleTimeoutMs" | "httpSocketMode" | "identityDir" | "keyPassphrase" | "certWarnDays" | "identityPollMs" | "eventHandler" | "debug" | "logFormat";

function front(prefix: Prefix, httpPort: number): Table<Pick<CommonConfig, FrontKeys>> {
  return {
    http: {
      env: [`${prefix}_HTTP_BIND`],
      flag: "http",
      parser: p.listen(),
      default: LOCALHOST(httpPort),
      description: "where the local HTTP front listens (HOST:PORT, [IPV6]:PORT or unix:PATH)",
    },
    httpToken: {
      env: [`${prefix}_HTTP_TOKEN`],
      parser: p.optional(p.secret(true)),
      default: undefined,
      description: "bearer token the HTTP front requires; needed when it listens beyond loopback",
    },
    httpIdleTimeoutMs: {
      env: [`${prefix}_HTTP_IDLE_TIMEOUT_S`],
      // Bun takes whole seconds up to 255 and checks them every 4 s or so.
      parser: p.wholeSeconds(1, 255),
      default: 30_000,
      description: "seconds an HTTP connection to the front may sit idle (keep-alive, or a stalled body) before it is closed",
    },
    httpSocketMode: {
      env: [`${prefix}_HTTP_SOCKET_MODE`],
      parser: p.fileMode(),
      default: 0o600,
      description: "mode of the front's unix socket (who may connect): 0600 the owner only, 0660 also its group (e.g. nginx)",
    },
    identityDir: {
      env: [`${prefix}_CERT_PATH`],
      flag: "identity-dir",
      parser: p.text("DIR"),
      default: "/var/lib/restpipe",
      description: "directory holding this node's key, certificate and CA certificate",
    },
    keyPassphrase: {
      env: [`${prefix}_KEY_PASSPHRASE`],
      parser: p.optional(p.secret(false)),
      default: undefined,
      description: "passphrase of the private key, when it is encrypted",
    },
    certWarnDays: {
      env: [`${prefix}_CERT_WARN_DAYS`],
      parser: p.integer(0, 3650),
      default: 30,
      description: "days before this node's or its CA's certificate expires from which the log warns (at start, then daily)",
    },
    identityPollMs: {
      env: [`${prefix}_IDENTITY_POLL_S`],
      parser: p.seconds(0),
      default: 2_000,
      description: "seconds between looks at the identity files, which are reloaded when they change; 0: only on SIGHUP",
    },
    eventHandler: {
      env: ["RP_EVENT_HANDLER", "RP_EVENT_HANDLER_FQ_CLASS"],
      flag: "handler",
      parser: p.optional(p.modulePath()),
      default: undefined,
      description: "handler module (.ts/.js/.mjs/.mts); unset = the example handlers time and cat",
    },
    debug: { env: ["DEBUG"], flag: "debug", parser: p.boolean(), default: false, description: "verbose logs, and stack traces in handler-error replies" },
    logFormat: {
      env: ["RP_LOG_FORMAT"],
      flag: "log-format",
      parser: p.oneOf(["auto", "json", "text"]),
      default: "auto",
      description: "log format: text on a terminal, JSON otherwise when auto",
    },
  };
}

function timing(prefix: Prefix): Table<Pick<CommonConfig, "requestTimeoutMs" | "heartbeatIntervalMs" | "heartbeatTimeoutMs" | "drainTimeoutMs">> {
  return {
    requestTimeoutMs: {
      env: [`${prefix}_REQUEST_TIMEOUT_S`],
      flag: "request-timeout",
      parser: p.seconds(0.001),
      default: 60_000,
      description: "deadline of one event in seconds; the front answers 504 after it",
    },
    heartbeatIntervalMs: {
      env: [`${prefix}_HEARTBEAT_INTERVAL_S`],
      flag: "heartbeat-interval",
      parser: p.seconds(0),
      default: 5_000,
      description: "seconds between heartbeats; 0 disables them",
    },
    heartbeatTimeoutMs: {
      env: [`${prefix}_HEARTBEAT_TIMEOUT_S`],
      flag: "heartbeat-timeout",
      parser: p.seconds(0.001),
      default: 10_000,
      description: "seconds of silence after a heartbeat before the peer is declared dead",
    },
    drainTimeoutMs: {
      env: [`${prefix}_DRAIN_TIMEOUT_S`],
      parser: p.seconds(0),
      default: 30_000,
      description: "seconds a graceful shutdown waits for in-flight requests",
    },
  };
}

function limits(prefix: Prefix): Table<Pick<CommonConfig, "maxBodyBytes" | "maxFrameBytes" | "maxInFlight" | "maxWriteQueueBytes" | "slowConsumerTimeoutMs" | "maxStreamBytes" | "bufferBodyBytes">> {
  return {
    maxBodyBytes: {
      env: [`${prefix}_MAX_BODY_BYTES`],
      parser: p.byteSize(1, MAX_FRAME_BYTES - FRAME_OVERHEAD_BYTES),
      default: 16 * 1024 * 1024,
      description: "largest body sent whole (to an original v1 peer, or a small one); streamed bodies have RP_X_MAX_STREAM_BYTES",
    },
    maxStreamBytes: {
      env: [`${prefix}_MAX_STREAM_BYTES`],
      parser: p.optional(p.byteSize(1, Number.MAX_SAFE_INTEGER)),
      default: undefined,
      description: "largest body streamed through the pipe, each way (unset: no limit); the front answers 413 above it",
    },
    bufferBodyBytes: {
      env: [`${prefix}_BUFFER_BODY_BYTES`],
      parser: p.byteSize(0, MAX_FRAME_BYTES),
      default: 1024 * 1024,
      description: "a streamed request body up to this size is also given to handlers whole as body.data (above it, only body.stream())",
    },
    maxFrameBytes: {
      env: [`${prefix}_MAX_FRAME_BYTES`],
      parser: p.byteSize(1, MAX_FRAME_BYTES),
      default: new Derived(`${prefix}_MAX_BODY_BYTES + 64 KiB`, (values) =>
        typeof values["maxBodyBytes"] === "number" ? values["maxBodyBytes"] + FRAME_OVERHEAD_BYTES : undefined,
      ),
      description: "largest frame accepted from the peer; must exceed the body limit",
    },
    maxInFlight: { env: [`${prefix}_MAX_IN_FLIGHT`], parser: p.integer(1, 1_000_000), default: DEFAULT_MAX_IN_FLIGHT, description: "requests in flight per pipe" },
    maxWriteQueueBytes: {
      env: [`${prefix}_MAX_WRITE_QUEUE_BYTES`],
      parser: p.byteSize(64 * 1024, MAX_FRAME_BYTES),
      default: 4 * 1024 * 1024,
      description: "bytes that may wait to be written to a peer; past it the pipe stops reading from that peer and refuses new requests to it (503)",
    },
    slowConsumerTimeoutMs: {
      env: [`${prefix}_SLOW_CONSUMER_TIMEOUT_S`],
      parser: p.seconds(0),
      default: 20_000,
      description: "seconds a pipe may stay over its write-queue limit with the peer taking nothing before it is closed as a slow consumer (0: never)",
    },
  };
}

/** statsd (the seed's RP_STATSD_HOST / RP_STATSD_PORT, shared by both roles): off unless one of them is set. */
function statsd(): Table<Pick<CommonConfig, "statsdHost" | "statsdPort" | "statsdPrefix">> {
  return {
    statsdHost: {
      env: ["RP_STATSD_HOST"],
      parser: p.optional(p.host()),
      default: undefined,
      description: "statsd host; when it or RP_STATSD_PORT is set, counters and timings go there over UDP",
    },
    statsdPort: { env: ["RP_STATSD_PORT"], parser: p.optional(p.port(1)), default: undefined, description: "statsd UDP port (8125 when only the host is set)" },
    statsdPrefix: {
      env: ["RP_STATSD_PREFIX"],
      parser: p.optional(p.text("PREFIX")),
      default: undefined,
      description: "prefix for every statsd name, e.g. restpipe.web1 (no trailing dot)",
    },
  };
}

/** Policy and audit: who may call what on this node, and the trail of what was called. */
function access(prefix: Prefix): Table<Pick<CommonConfig, "policy" | "auditLog" | "auditArgs" | "auditQueueBytes">> {
  const who = prefix === "RP_SERVER" ? "what each client may call on this server" : "what the server may call on this client";
  return {
    policy: {
      env: [`${prefix}_POLICY`],
      parser: p.policy(),
      default: ALLOW_ALL,
      description: `${who}: rules {cn, verbs, noun|handler, action} and a default (file: a table; env: JSON); reloaded on SIGHUP`,
    },
    auditLog: {
      env: [`${prefix}_AUDIT_LOG`],
      parser: p.optional(p.text("PATH")),
      default: undefined,
      description: "audit log: one JSON line per event, both directions (a file path, reopened on SIGHUP, or - for standard error)",
    },
    auditArgs: { env: [`${prefix}_AUDIT_ARGS`], parser: p.boolean(), default: false, description: "show the noun's arguments in audit lines (redacted otherwise)" },
    auditQueueBytes: {
      env: [`${prefix}_AUDIT_QUEUE_BYTES`],
      parser: p.byteSize(4096, 1024 ** 3),
      default: 4 * 1024 * 1024,
      description: "audit lines waiting to be written, in bytes; past it lines are dropped and counted (logged once a minute)",
    },
  };
}

/** The built-in file share: directories served read-only as GET|HEAD .../files//<name>/<path>. */
function sharing(prefix: Prefix): Table<Pick<CommonConfig, "shares" | "shareHidden" | "shareWritable" | "shareMaxPutBytes">> {
  return {
    shares: {
      env: [`${prefix}_SHARES`],
      flag: "share",
      repeatable: true,
      parser: p.shareList(),
      default: Object.freeze([]),
      description: "directories served read-only as GET|HEAD .../files//NAME/PATH (--share NAME=DIR, repeatable; env: a comma list); none by default",
    },
    shareHidden: {
      env: [`${prefix}_SHARE_HIDDEN`],
      flag: "share-hidden",
      parser: p.boolean(),
      default: false,
      description: "also serve and list hidden files (names starting with \".\") in the shares",
    },
    shareWritable: {
      env: [`${prefix}_SHARE_WRITABLE`],
      flag: "share-writable",
      repeatable: true,
      parser: p.shareNames(),
      default: Object.freeze([]),
      description: "shares that also take PUT (a file, written atomically) and DELETE (a file) (--share-writable NAME, repeatable)",
    },
    shareMaxPutBytes: {
      env: [`${prefix}_SHARE_MAX_PUT_BYTES`],
      parser: p.byteSize(1, Number.MAX_SAFE_INTEGER),
      default: 1024 ** 3,
      description: "largest file a PUT may store in a writable share; past it the upload is refused (413) and nothing is stored",
    },
  };
}

/** The settings of rp-server, in --help order. */
export const SERVER_SETTINGS: Table<ServerConfig> = {
  bindInterface: {
    env: ["RP_SERVER_BIND_INTERFACE", "BIND_IP"],
    flag: "bind",
    parser: p.host(),
    default: "0.0.0.0",
    description: "interface the pipe (mTLS) port listens on",
  },
  bindPort: {
    env: ["RP_SERVER_BIND_PORT", "BIND_PORT"],
    flag: "port",
    parser: p.port(0),
    default: 1234,
    description: "port of the pipe (mTLS) listener; 0 picks a free one",
  },
  ...front("RP_SERVER", 8080),
  clientWaitMs: {
    env: ["RP_SERVER_CLIENT_WAIT_S"],
    parser: p.seconds(0),
    default: 20_000,
    description: "seconds a request waits for a client that is not connected before 503",
  },
  idleHookIntervalMs: {
    env: ["RP_SERVER_IDLE_INTERVAL_S"],
    parser: p.seconds(0.001),
    default: 60_000,
    description: "seconds between `idle` hook calls (and log lines) while no client is connected",
  },
  ...timing("RP_SERVER"),
  handshakeTimeoutMs: {
    env: ["RP_SERVER_HANDSHAKE_TIMEOUT_S"],
    parser: p.seconds(0.001),
    default: 10_000,
    description: "seconds a new connection has to finish the TLS handshake",
  },
  ...limits("RP_SERVER"),
  maxPendingHandshakes: {
    env: ["RP_SERVER_MAX_PENDING_HANDSHAKES"],
    parser: p.integer(1, 1_000_000),
    default: 256,
    description: "connections allowed mid-handshake at once; more are refused",
  },
  maxFanout: {
    env: ["RP_SERVER_MAX_FANOUT"],
    parser: p.integer(1, 1_000_000),
    default: 10_000,
    description: "most clients one fan-out (/clients/<selector>/<noun>) may select; more is 413",
  },
  fanoutConcurrency: {
    env: ["RP_SERVER_FANOUT_CONCURRENCY"],
    parser: p.integer(1, 1_000_000),
    // Measured (bench:fanout, 1,000 clients, one run of each cap): single requests' p99 during fan-outs rose 11x at a cap
    // of 1,000, 2.3-2.9x at 512, 2.2-2.3x at 128, 1.3-1.5x at 64; fan-out p50 49-59 ms at 64, 51-54 at 128, 49 at 512.
    default: 64,
    description: "fan-out requests in flight at once, over all fan-outs; the rest wait (single requests never do)",
  },
  fanoutSlowMs: {
    env: ["RP_SERVER_FANOUT_SLOW_S"],
    parser: p.seconds(0),
    // Without it, as many silent clients as the cap held every slot until the deadline: the rest were never asked and listed as 504.
    default: 200,
    description: "a fan-out request unanswered this long (or 4x its fan-out's average reply time, if longer) stops counting against RP_SERVER_FANOUT_CONCURRENCY (it stays in flight); 0: it counts until it ends",
  },
  fanoutMaxAnswerBytes: {
    env: ["RP_SERVER_FANOUT_MAX_ANSWER_BYTES"],
    parser: p.byteSize(1, MAX_FRAME_BYTES),
    default: 64 * 1024 * 1024,
    description: "reply data one fan-out answer may hold; later replies are listed without their data",
  },
  ...fleet(),
  ...statsd(),
  ...access("RP_SERVER"),
  ...sharing("RP_SERVER"),
};

type FleetKeys = "natsUrls" | "fleet" | "natsCredsFile" | "natsCaFile" | "natsCertFile" | "natsKeyFile" | "fleetAddress" | "fleetExpiryMs";

/** A fleet of servers coordinated by NATS (README "Running several servers"). */
function fleet(): Table<Pick<ServerConfig, FleetKeys>> {
  return {
    natsUrls: {
      env: ["RP_SERVER_NATS_URL"],
      parser: p.natsUrls(),
      default: Object.freeze([]),
      description: "NATS servers (JetStream on) holding the fleet's presence, comma-separated; with RP_SERVER_FLEET it turns the fleet on",
    },
    fleet: {
      env: ["RP_SERVER_FLEET"],
      parser: p.optional(p.fleetName()),
      default: undefined,
      description: "name of the fleet this server joins (the same on every server of it)",
    },
    natsCredsFile: {
      env: ["RP_SERVER_NATS_CREDS"],
      parser: p.optional(p.text("FILE")),
      default: undefined,
      description: "NATS credentials file (.creds: JWT and NKey seed) for the NATS connection",
    },
    natsCaFile: {
      env: ["RP_SERVER_NATS_CA"],
      parser: p.optional(p.text("FILE")),
      default: undefined,
      description: "CA certificate (PEM) NATS servers are checked against, for tls:// URLs",
    },
    natsCertFile: {
      env: ["RP_SERVER_NATS_CERT"],
      parser: p.optional(p.text("FILE")),
      default: undefined,
      description: "client certificate (PEM) for NATS servers that verify clients (tls { verify: true }); with RP_SERVER_NATS_KEY",
    },
    natsKeyFile: {
      env: ["RP_SERVER_NATS_KEY"],
      parser: p.optional(p.text("FILE")),
      default: undefined,
      description: "private key (PEM) of RP_SERVER_NATS_CERT",
    },
    fleetAddress: {
      env: ["RP_SERVER_FLEET_ADDRESS"],
      parser: p.optional(p.hostPort()),
      default: undefined,
      description: "HOST:PORT the other servers dial to reach this one's pipe port (default: the bind interface, or the certificate's first IP or DNS name, and the pipe port)",
    },
    fleetExpiryMs: {
      env: ["RP_SERVER_FLEET_EXPIRY_S"],
      parser: p.seconds(0.001),
      default: 3_000,
      description: "seconds after which a server that stopped refreshing its presence is taken as gone, with its clients (it refreshes 4 times as often)",
    },
  };
}

/** The settings of rp-client, in --help order. */
export const CLIENT_SETTINGS: Table<ClientConfig> = {
  targetHostname: {
    env: ["RP_CLIENT_TARGET_HOSTNAME"],
    flag: "server-host",
    parser: p.targetList(),
    default: "localhost",
    description: "the server, or servers to fail over between: HOST[:PORT] entries separated by commas (IPv6 as [ADDRESS]:PORT; a name is dialled at each of its addresses)",
  },
  targetPort: { env: ["RP_CLIENT_TARGET_PORT"], flag: "server-port", parser: p.port(1), default: 1234, description: "port of the server's pipe listener (for entries of RP_CLIENT_TARGET_HOSTNAME without one)" },
  serverName: {
    env: ["RP_CLIENT_SERVER_NAME"],
    flag: "server-name",
    parser: p.optional(p.host()),
    default: undefined,
    description: "name the server certificate must carry, when it differs from the server host",
  },
  ...front("RP_CLIENT", 8081),
  serverWaitMs: {
    env: ["RP_CLIENT_SERVER_WAIT_S"],
    parser: p.seconds(0),
    default: 20_000,
    description: "seconds a request waits while the pipe is down before 503",
  },
  ...timing("RP_CLIENT"),
  reconnectBaseMs: {
    env: ["RP_CLIENT_RECONNECT_BASE_S"],
    parser: p.seconds(0.001),
    default: 100,
    description: "ceiling of the first reconnect delay in seconds (then quick retries, then doubling with jitter)",
  },
  reconnectCapMs: { env: ["RP_CLIENT_RECONNECT_CAP_S"], parser: p.seconds(0.001), default: 2_500, description: "largest reconnect delay in seconds" },
  connectTimeoutMs: {
    env: ["RP_CLIENT_CONNECT_TIMEOUT_S"],
    parser: p.seconds(0.001),
    default: 10_000,
    description: "seconds one connection attempt (TCP + TLS handshake) may take",
  },
  proxy: {
    // The conventional variables too (lower case first, as curl reads them); RP_CLIENT_PROXY="" ignores them.
    env: ["RP_CLIENT_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
    flag: "proxy",
    parser: p.optional(p.proxyUrl()),
    default: undefined,
    description: "HTTP proxy to dial the server through with CONNECT: http://[USER:PASSWORD@]HOST:PORT (Basic auth); unset: dial directly",
  },
  noProxy: {
    env: ["RP_CLIENT_NO_PROXY", "no_proxy", "NO_PROXY"],
    flag: "no-proxy",
    parser: p.noProxyList(),
    default: Object.freeze({ text: "", rules: [] }),
    description: "servers dialled directly despite the proxy: host names, .domains, IPs, CIDRs (optionally :PORT), or *",
  },
  ...limits("RP_CLIENT"),
  ...statsd(),
  ...access("RP_CLIENT"),
  ...sharing("RP_CLIENT"),
};

/** A role's table as rows, in --help order. */
export function settingsOf(role: Role): ReadonlyArray<readonly [key: string, setting: Setting<unknown>]> {
  return Object.entries(role === "server" ? SERVER_SETTINGS : CLIENT_SETTINGS) as Array<[string, Setting<unknown>]>;
}
