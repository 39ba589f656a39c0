import { settingsOf } from "../../../src/config/_settings.ts";
import { describe, expect, test } from "bun:test";
import { ConfigError, describeConfig, loadClientConfig, loadServerConfig, type ClientConfig, type ServerConfig } from "../../../src/config/index.ts";
import { problemsOf } from "./_support.ts";

describe("defaults", () => {
  test("server", () => {
    expect(loadServerConfig({})).toEqual({
      bindInterface: "0.0.0.0",
      bindPort: 1234,
      http: { kind: "tcp", host: "127.0.0.1", port: 8080 },
      httpToken: undefined,
      httpIdleTimeoutMs: 30_000,
      httpSocketMode: 0o600,
      identityDir: "/var/lib/restpipe",
      keyPassphrase: undefined,
      certWarnDays: 30,
      identityPollMs: 2_000,
      eventHandler: undefined,
      debug: false,
      logFormat: "auto",
      clientWaitMs: 20_000,
      idleHookIntervalMs: 60_000,
      requestTimeoutMs: 60_000,
      heartbeatIntervalMs: 5_000,
      heartbeatTimeoutMs: 10_000,
      drainTimeoutMs: 30_000,
      handshakeTimeoutMs: 10_000,
      maxBodyBytes: 16_777_216,
      maxFrameBytes: 16_777_216 + 65_536,
      maxInFlight: 1024,
      maxWriteQueueBytes: 4_194_304,
      maxStreamBytes: undefined,
      bufferBodyBytes: 1_048_576,
      slowConsumerTimeoutMs: 20_000,
      maxPendingHandshakes: 256,
      maxFanout: 10_000,
      fanoutConcurrency: 64,
      fanoutSlowMs: 200,
      fanoutMaxAnswerBytes: 64 * 1024 * 1024,
      natsUrls: [],
      fleet: undefined,
      natsCredsFile: undefined,
      natsCaFile: undefined,
      natsCertFile: undefined,
      natsKeyFile: undefined,
      fleetAddress: undefined,
      fleetExpiryMs: 3_000,
      statsdHost: undefined,
      statsdPort: undefined,
      statsdPrefix: undefined,
      policy: { default: "allow", rules: [] },
      auditLog: undefined,
      auditArgs: false,
      auditQueueBytes: 4_194_304,
      shares: [],
      shareHidden: false,
      shareWritable: [],
      shareMaxPutBytes: 1_073_741_824,
    } satisfies ServerConfig);
  });

  test("client", () => {
    expect(loadClientConfig({})).toEqual({
      targetHostname: "localhost",
      targetPort: 1234,
      serverName: undefined,
      http: { kind: "tcp", host: "127.0.0.1", port: 8081 },
      httpToken: undefined,
      httpIdleTimeoutMs: 30_000,
      httpSocketMode: 0o600,
      identityDir: "/var/lib/restpipe",
      keyPassphrase: undefined,
      certWarnDays: 30,
      identityPollMs: 2_000,
      eventHandler: undefined,
      debug: false,
      logFormat: "auto",
      serverWaitMs: 20_000,
      requestTimeoutMs: 60_000,
      heartbeatIntervalMs: 5_000,
      heartbeatTimeoutMs: 10_000,
      drainTimeoutMs: 30_000,
      reconnectBaseMs: 100,
      reconnectCapMs: 2_500,
      connectTimeoutMs: 10_000,
      proxy: undefined,
      noProxy: { text: "", rules: [] },
      maxBodyBytes: 16_777_216,
      maxFrameBytes: 16_777_216 + 65_536,
      maxInFlight: 1024,
      maxWriteQueueBytes: 4_194_304,
      maxStreamBytes: undefined,
      bufferBodyBytes: 1_048_576,
      slowConsumerTimeoutMs: 20_000,
      statsdHost: undefined,
      statsdPort: undefined,
      statsdPrefix: undefined,
      policy: { default: "allow", rules: [] },
      auditLog: undefined,
      auditArgs: false,
      auditQueueBytes: 4_194_304,
      shares: [],
      shareHidden: false,
      shareWritable: [],
      shareMaxPutBytes: 1_073_741_824,
    } satisfies ClientConfig);
  });

  test("optional settings are present as undefined, so every key is listed", () => {
    expect(Object.keys(loadServerConfig({}))).toContain("httpToken");
    expect(Object.keys(loadClientConfig({}))).toContain("serverName");
  });
});

describe("the environment", () => {
  test("server settings", () => {
    const config = loadServerConfig({
      env: {
        RP_SERVER_BIND_INTERFACE: "::",
        RP_SERVER_BIND_PORT: "0",
        RP_SERVER_HTTP_BIND: "unix:/run/rp.sock",
        RP_SERVER_CERT_PATH: "/etc/rp",
        RP_SERVER_KEY_PASSPHRASE: "pass word",
        RP_SERVER_CERT_WARN_DAYS: "14",
        RP_SERVER_IDENTITY_POLL_S: "0",
        RP_EVENT_HANDLER: "./handlers.ts",
        DEBUG: "1",
        RP_LOG_FORMAT: "json",
        RP_SERVER_CLIENT_WAIT_S: "3",
        RP_SERVER_IDLE_INTERVAL_S: "1.5",
        RP_SERVER_HEARTBEAT_INTERVAL_S: "0",
        RP_SERVER_HEARTBEAT_TIMEOUT_S: "2",
        RP_SERVER_REQUEST_TIMEOUT_S: "90",
        RP_SERVER_MAX_BODY_BYTES: "1MiB",
        RP_SERVER_MAX_FRAME_BYTES: "2MiB",
        RP_SERVER_MAX_IN_FLIGHT: "7",
        RP_SERVER_MAX_WRITE_QUEUE_BYTES: "128KiB",
        RP_SERVER_MAX_STREAM_BYTES: "1GiB",
        RP_SERVER_BUFFER_BODY_BYTES: "64KiB",
        RP_SERVER_SLOW_CONSUMER_TIMEOUT_S: "2.5",
        RP_SERVER_DRAIN_TIMEOUT_S: "0",
        RP_SERVER_HANDSHAKE_TIMEOUT_S: "4",
        RP_SERVER_MAX_PENDING_HANDSHAKES: "9",
        RP_SERVER_MAX_FANOUT: "50",
        RP_SERVER_FANOUT_CONCURRENCY: "8",
        RP_SERVER_FANOUT_SLOW_S: "1.5",
        RP_SERVER_FANOUT_MAX_ANSWER_BYTES: "1MiB",
        RP_SERVER_NATS_URL: "nats://a:4222, tls://user:pw@b.example:4223,c",
        RP_SERVER_FLEET: "eu-west_1",
        RP_SERVER_NATS_CREDS: "/etc/rp/nats.creds",
        RP_SERVER_NATS_CA: "/etc/rp/nats-ca.pem",
        RP_SERVER_NATS_CERT: "/etc/rp/nats-client.crt",
        RP_SERVER_NATS_KEY: "/etc/rp/nats-client.key",
        RP_SERVER_FLEET_ADDRESS: "[::1]:7443",
        RP_SERVER_FLEET_EXPIRY_S: "5",
        RP_SERVER_HTTP_TOKEN: "t0ken",
        RP_SERVER_HTTP_IDLE_TIMEOUT_S: "5",
        RP_SERVER_HTTP_SOCKET_MODE: "0660",
        RP_STATSD_HOST: "127.0.0.1",
        RP_STATSD_PORT: "8125",
        RP_STATSD_PREFIX: "restpipe.web1",
        RP_SERVER_POLICY: '{"default": "deny", "rules": [{"cn": "edge-*", "verbs": ["post"], "noun": "telemetry", "action": "allow"}]}',
        RP_SERVER_AUDIT_LOG: "-",
        RP_SERVER_AUDIT_ARGS: "1",
        RP_SERVER_AUDIT_QUEUE_BYTES: "64KiB",
        RP_SERVER_SHARES: "docs=/srv/docs, logs=/var/log/app",
        RP_SERVER_SHARE_HIDDEN: "1",
        RP_SERVER_SHARE_WRITABLE: "logs",
        RP_SERVER_SHARE_MAX_PUT_BYTES: "2GiB",
      },
    });
    expect({ ...config }).toEqual({
      bindInterface: "::",
      bindPort: 0,
      http: { kind: "unix", path: "/run/rp.sock" },
      identityDir: "/etc/rp",
      keyPassphrase: "pass word",
      certWarnDays: 14,
      identityPollMs: 0,
      eventHandler: "./handlers.ts",
      debug: true,
      logFormat: "json",
      clientWaitMs: 3_000,
      idleHookIntervalMs: 1_500,
      heartbeatIntervalMs: 0,
      heartbeatTimeoutMs: 2_000,
      requestTimeoutMs: 90_000,
      maxBodyBytes: 1_048_576,
      maxFrameBytes: 2_097_152,
      maxInFlight: 7,
      maxWriteQueueBytes: 131_072,
      maxStreamBytes: 1_073_741_824,
      bufferBodyBytes: 65_536,
      slowConsumerTimeoutMs: 2_500,
      drainTimeoutMs: 0,
      handshakeTimeoutMs: 4_000,
      maxPendingHandshakes: 9,
      maxFanout: 50,
      fanoutConcurrency: 8,
      fanoutSlowMs: 1_500,
      fanoutMaxAnswerBytes: 1_048_576,
      natsUrls: ["nats://a:4222", "tls://user:pw@b.example:4223", "c"],
      fleet: "eu-west_1",
      natsCredsFile: "/etc/rp/nats.creds",
      natsCaFile: "/etc/rp/nats-ca.pem",
      natsCertFile: "/etc/rp/nats-client.crt",
      natsKeyFile: "/etc/rp/nats-client.key",
      fleetAddress: "[::1]:7443",
      fleetExpiryMs: 5_000,
      httpToken: "t0ken",
      httpIdleTimeoutMs: 5_000,
      httpSocketMode: 0o660,
      statsdHost: "127.0.0.1",
      statsdPort: 8125,
      statsdPrefix: "restpipe.web1",
      policy: { default: "deny", rules: [{ cn: "edge-*", verbs: ["POST"], noun: "telemetry", handler: undefined, action: "allow" }] },
      auditLog: "-",
      auditArgs: true,
      auditQueueBytes: 65_536,
      shares: [
        { name: "docs", root: "/srv/docs", writable: false, hidden: false },
        { name: "logs", root: "/var/log/app", writable: false, hidden: false },
      ],
      shareHidden: true,
      shareWritable: ["logs"],
      shareMaxPutBytes: 2_147_483_648,
    });
  });

  test("shares: --share is repeatable and wins over the env; the file takes a list; a bad one names the fix", () => {
    const flagged = loadClientConfig({ flags: { share: ["a=/x", "b=/y"] }, env: { RP_CLIENT_SHARES: "c=/z" } });
    expect(flagged.shares.map((share) => `${share.name}=${share.root}`)).toEqual(["a=/x", "b=/y"]);
    expect(loadServerConfig({ file: { RP_SERVER_SHARES: ["docs=/srv/docs"] } }).shares.map((share) => share.name)).toEqual(["docs"]);
    expect(() => loadServerConfig({ env: { RP_SERVER_SHARES: "docs=/a,docs=/b" } })).toThrow('RP_SERVER_SHARES="docs=/a,docs=/b": Cannot share "docs=/b": the name docs is given twice');
    expect(() => loadServerConfig({ env: { RP_SERVER_SHARES: "/srv/docs" } })).toThrow('Cannot share "/srv/docs": expected NAME=DIR');
    expect(loadClientConfig({ flags: { share: ["a=/x"], "share-writable": ["a"] } }).shareWritable).toEqual(["a"]);
    expect(() => loadClientConfig({ flags: { share: ["a=/x"], "share-writable": ["b"] } })).toThrow('--share-writable=["b"]: Cannot make share b writable: no share of that name; add --share b=DIR');
  });

  test("a policy in the config file is a table; a bad one is a problem naming the rule", () => {
    const config = loadClientConfig({ file: { RP_CLIENT_POLICY: { rules: [{ cn: "srv", verb: "GET", handler: "get_files", action: "allow" }], default: "deny" } } });
    expect(config.policy).toEqual({ default: "deny", rules: [{ cn: "srv", verbs: ["GET"], noun: undefined, handler: "get_files", action: "allow" }] });
    expect(problemsOf(() => loadClientConfig({ file: { RP_CLIENT_POLICY: { rules: [{ cn: "srv" }] } } }))).toEqual([
      'RP_CLIENT_POLICY={"rules":[{"cn":"srv"}]} in the config file: rule 1: action must be "allow" or "deny" (got nothing)',
    ]);
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_POLICY: "rules" } }))).toEqual([
      'RP_SERVER_POLICY="rules": must be a policy as JSON: {"default": "allow"|"deny", "rules": [{"cn", "verbs", "noun", "handler", "action"}]}',
    ]);
  });

  test("the fleet needs both NATS and a name; bad URLs, names and addresses are problems", () => {
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_NATS_URL: "nats://127.0.0.1:4222" } }))).toEqual([
      'RP_SERVER_NATS_URL="nats://127.0.0.1:4222": a fleet needs its name too; set RP_SERVER_FLEET',
    ]);
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_FLEET: "one" } }))).toEqual(['RP_SERVER_FLEET="one": a fleet needs NATS; set RP_SERVER_NATS_URL (nats://HOST:4222)']);
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_NATS_URL: "nats://rp:s3cret@n1:4222,bad url", RP_SERVER_FLEET: "f" } }))).toEqual([
      'RP_SERVER_NATS_URL="nats://***@n1:4222,bad url": must be NATS URLs separated by commas, such as nats://127.0.0.1:4222 (not "bad url")',
    ]);
    expect(JSON.stringify(describeConfig(loadServerConfig({ env: { RP_SERVER_NATS_URL: "nats://rp:s3cret@n1:4222", RP_SERVER_FLEET: "f" } }), "server"))).not.toContain("s3cret");
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_NATS_URL: "http://x/y", RP_SERVER_FLEET: "a.b", RP_SERVER_FLEET_ADDRESS: "host" } }))).toEqual([
      'RP_SERVER_NATS_URL="http://x/y": must be NATS URLs separated by commas, such as nats://127.0.0.1:4222 (not "http://x/y")',
      'RP_SERVER_FLEET="a.b": must be 1-64 letters, digits, "-" or "_"',
      'RP_SERVER_FLEET_ADDRESS="host": must be HOST:PORT (a port from 1 to 65535)',
    ]);
  });

  test("a NATS client certificate needs its key, and a key its certificate", () => {
    const fleet = { RP_SERVER_NATS_URL: "tls://127.0.0.1:4222", RP_SERVER_FLEET: "f" };
    expect(problemsOf(() => loadServerConfig({ env: { ...fleet, RP_SERVER_NATS_CERT: "/etc/rp/nats.crt" } }))).toEqual([
      'RP_SERVER_NATS_CERT="/etc/rp/nats.crt": Cannot show NATS a client certificate without its key; set RP_SERVER_NATS_KEY too',
    ]);
    expect(problemsOf(() => loadServerConfig({ env: { ...fleet, RP_SERVER_NATS_KEY: "/etc/rp/nats.key" } }))).toEqual([
      'RP_SERVER_NATS_KEY="/etc/rp/nats.key": Cannot show NATS a client certificate without the certificate; set RP_SERVER_NATS_CERT too',
    ]);
    const config = loadServerConfig({ env: { ...fleet, RP_SERVER_NATS_CERT: "/etc/rp/nats.crt", RP_SERVER_NATS_KEY: "/etc/rp/nats.key" } });
    expect([config.natsCertFile, config.natsKeyFile]).toEqual(["/etc/rp/nats.crt", "/etc/rp/nats.key"]);
  });

  test("client settings", () => {
    const config = loadClientConfig({
      env: {
        RP_CLIENT_TARGET_HOSTNAME: "rp.example.com",
        RP_CLIENT_TARGET_PORT: "4443",
        RP_CLIENT_SERVER_NAME: "server.internal",
        RP_CLIENT_HTTP_BIND: "[::1]:9000",
        RP_CLIENT_CERT_PATH: "ids",
        RP_CLIENT_SERVER_WAIT_S: "1.5",
        RP_CLIENT_RECONNECT_BASE_S: "0.25",
        RP_CLIENT_RECONNECT_CAP_S: "30",
        RP_CLIENT_CONNECT_TIMEOUT_S: "2.5",
        RP_CLIENT_HEARTBEAT_INTERVAL_S: "1",
        RP_CLIENT_MAX_IN_FLIGHT: "1",
        RP_CLIENT_HTTP_IDLE_TIMEOUT_S: "255",
      },
    });
    expect(config).toMatchObject({
      targetHostname: "rp.example.com",
      targetPort: 4443,
      serverName: "server.internal",
      http: { kind: "tcp", host: "::1", port: 9000 },
      identityDir: "ids",
      serverWaitMs: 1_500,
      reconnectBaseMs: 250,
      reconnectCapMs: 30_000,
      connectTimeoutMs: 2_500,
      heartbeatIntervalMs: 1_000,
      maxInFlight: 1,
      httpIdleTimeoutMs: 255_000,
    });
  });

  test("server settings are not read by the client, and the reverse", () => {
    expect(loadClientConfig({ env: { RP_SERVER_HTTP_BIND: "127.0.0.1:1" } }).http).toEqual({ kind: "tcp", host: "127.0.0.1", port: 8081 });
    expect(loadServerConfig({ env: { RP_CLIENT_HTTP_BIND: "127.0.0.1:1" } }).http).toEqual({ kind: "tcp", host: "127.0.0.1", port: 8080 });
  });

  test("an unset variable (undefined) is ignored", () => {
    expect(loadServerConfig({ env: { RP_SERVER_BIND_PORT: undefined } }).bindPort).toBe(1234);
  });

  test("an empty optional variable means unset, even over the file", () => {
    const config = loadServerConfig({ env: { RP_EVENT_HANDLER: "" }, file: { RP_EVENT_HANDLER: "h.ts" } });
    expect(config.eventHandler).toBeUndefined();
    expect(describeConfig(config, "server").find((row) => row.key === "eventHandler")?.source).toBe("env");
  });
});

describe("aliases", () => {
  test.each([
    ["BIND_IP", "10.1.2.3", "bindInterface", "10.1.2.3"],
    ["BIND_PORT", "4000", "bindPort", 4000],
    ["RP_EVENT_HANDLER_FQ_CLASS", "my/handler.mjs", "eventHandler", "my/handler.mjs"],
  ] as const)("%s in the environment", (name, value, key, expected) => {
    expect(loadServerConfig({ env: { [name]: value } })[key]).toBe(expected);
  });

  test.each([
    ["BIND_IP", "10.1.2.3", "bindInterface", "10.1.2.3"],
    ["BIND_PORT", 4000, "bindPort", 4000],
    ["RP_EVENT_HANDLER_FQ_CLASS", "my/handler.mjs", "eventHandler", "my/handler.mjs"],
  ] as const)("%s in the config file", (name, value, key, expected) => {
    expect(loadServerConfig({ file: { [name]: value } })[key]).toBe(expected);
  });

  test("RP_EVENT_HANDLER_FQ_CLASS works for the client too", () => {
    expect(loadClientConfig({ env: { RP_EVENT_HANDLER_FQ_CLASS: "h.js" } }).eventHandler).toBe("h.js");
  });

  test("the canonical name wins over an alias in the environment", () => {
    const config = loadServerConfig({
      env: { BIND_IP: "10.0.0.1", RP_SERVER_BIND_INTERFACE: "10.0.0.2", BIND_PORT: "1", RP_SERVER_BIND_PORT: "2", RP_EVENT_HANDLER_FQ_CLASS: "a.ts", RP_EVENT_HANDLER: "b.ts" },
    });
    expect([config.bindInterface, config.bindPort, config.eventHandler]).toEqual(["10.0.0.2", 2, "b.ts"]);
  });

  test("the canonical name wins over an alias in the config file", () => {
    const config = loadServerConfig({ file: { BIND_PORT: 1, RP_SERVER_BIND_PORT: 2 } });
    expect(config.bindPort).toBe(2);
  });

  test("an alias in the environment beats the canonical name in the file (env > file)", () => {
    expect(loadServerConfig({ env: { BIND_PORT: "1" }, file: { RP_SERVER_BIND_PORT: 2 } }).bindPort).toBe(1);
  });
});

describe("precedence: flags > env > file > defaults", () => {
  test("all four sources at once", () => {
    const config = loadServerConfig({
      flags: { port: "3333" },
      env: { RP_SERVER_BIND_PORT: "2222", RP_SERVER_BIND_INTERFACE: "10.0.0.2" },
      file: { RP_SERVER_BIND_PORT: 1111, RP_SERVER_BIND_INTERFACE: "10.0.0.1", RP_SERVER_CERT_PATH: "/from/file" },
    });
    expect([config.bindPort, config.bindInterface, config.identityDir, config.logFormat]).toEqual([3333, "10.0.0.2", "/from/file", "auto"]);
    const sources = Object.fromEntries(describeConfig(config, "server").map((row) => [row.key, row.source]));
    expect([sources["bindPort"], sources["bindInterface"], sources["identityDir"], sources["logFormat"]]).toEqual(["flag", "env", "file", "default"]);
  });

  test("only the winning value is parsed: a bad value under a flag is not an error", () => {
    expect(loadServerConfig({ flags: { port: "1" }, env: { RP_SERVER_BIND_PORT: "abc" } }).bindPort).toBe(1);
  });
});

describe("flags", () => {
  test("every flag of the server", () => {
    const config = loadServerConfig({
      flags: {
        bind: "::1",
        port: "0",
        http: "127.0.0.5:1",
        "identity-dir": "/ids",
        handler: "h.mts",
        debug: true,
        "log-format": "text",
        "heartbeat-interval": "2.5",
        "heartbeat-timeout": "7",
        "request-timeout": "0.25",
      },
    });
    expect(config).toMatchObject({
      bindInterface: "::1",
      bindPort: 0,
      http: { kind: "tcp", host: "127.0.0.5", port: 1 },
      identityDir: "/ids",
      eventHandler: "h.mts",
      debug: true,
      logFormat: "text",
      heartbeatIntervalMs: 2_500,
      heartbeatTimeoutMs: 7_000,
      requestTimeoutMs: 250,
    });
  });

  test("every client-only flag", () => {
    const config = loadClientConfig({ flags: { "server-host": "10.9.8.7", "server-port": "443", "server-name": "rp.example.com" } });
    expect([config.targetHostname, config.targetPort, config.serverName]).toEqual(["10.9.8.7", 443, "rp.example.com"]);
  });

  test("a boolean flag given false overrides DEBUG=1; given as text it is parsed", () => {
    expect(loadServerConfig({ flags: { debug: false }, env: { DEBUG: "1" } }).debug).toBe(false);
    expect(loadServerConfig({ flags: { debug: "off" }, env: { DEBUG: "1" } }).debug).toBe(false);
    expect(loadServerConfig({ flags: { debug: "yes" } }).debug).toBe(true);
  });

  test("a repeated flag: the last value wins; an empty list is as if absent", () => {
    expect(loadServerConfig({ flags: { port: ["1", "2"] } }).bindPort).toBe(2);
    expect(loadServerConfig({ flags: { port: [] }, env: { RP_SERVER_BIND_PORT: "5" } }).bindPort).toBe(5);
  });

  test("a value flag without a value, unknown flags, dashed names and the other role's flags", () => {
    expect(problemsOf(() => loadServerConfig({ flags: { port: true, nope: "1", "--bind": "x", "server-host": "h" } }))).toEqual([
      "unknown flag --nope",
      'unknown flag name "--bind": flag names are given without dashes',
      "unknown flag --server-host",
      "--port: needs a value",
    ]);
  });
});

describe("the config file", () => {
  test("JSON numbers, booleans and strings", () => {
    const config = loadServerConfig({
      file: { RP_SERVER_BIND_PORT: "4321", DEBUG: true, RP_SERVER_CLIENT_WAIT_S: 0.5, RP_SERVER_MAX_BODY_BYTES: "2MiB", RP_SERVER_MAX_IN_FLIGHT: 3, RP_LOG_FORMAT: "text" },
    });
    expect(config).toMatchObject({ bindPort: 4321, debug: true, clientWaitMs: 500, maxBodyBytes: 2_097_152, maxInFlight: 3, logFormat: "text" });
  });

  test("DEBUG may be 0 or 1 in the file", () => {
    expect(loadServerConfig({ file: { DEBUG: 1 } }).debug).toBe(true);
    expect(loadServerConfig({ file: { DEBUG: 0 }, env: {} }).debug).toBe(false);
  });

  test("null unsets an optional setting; a key holding undefined is as if absent", () => {
    expect(loadServerConfig({ file: { RP_EVENT_HANDLER: null } }).eventHandler).toBeUndefined();
    expect(loadServerConfig({ file: { RP_SERVER_BIND_PORT: undefined } }).bindPort).toBe(1234);
  });

  test("unknown keys are errors, with a hint when the key belongs to the other role", () => {
    expect(problemsOf(() => loadServerConfig({ file: { RP_SERVER_BIND_PROT: 1, RP_CLIENT_TARGET_PORT: 2, bindPort: 3 } }))).toEqual([
      "unknown setting RP_SERVER_BIND_PROT in the config file",
      "unknown setting RP_CLIENT_TARGET_PORT in the config file (it is an rp-client setting)",
      "unknown setting bindPort in the config file",
    ]);
    expect(problemsOf(() => loadClientConfig({ file: { BIND_IP: "1.2.3.4" } }))).toEqual([
      "unknown setting BIND_IP in the config file (it is an rp-server setting)",
    ]);
  });

  test("wrong JSON types", () => {
    expect(
      problemsOf(() =>
        loadServerConfig({
          file: { RP_SERVER_BIND_PORT: true, RP_SERVER_CERT_PATH: 7, DEBUG: 2, RP_SERVER_CLIENT_WAIT_S: [1], RP_SERVER_MAX_BODY_BYTES: 1.5, RP_SERVER_BIND_INTERFACE: null },
        }),
      ),
    ).toEqual([
      "RP_SERVER_BIND_INTERFACE=null in the config file: must be a JSON string",
      "RP_SERVER_BIND_PORT=true in the config file: must be an integer port 0-65535",
      "RP_SERVER_CERT_PATH=7 in the config file: must be a JSON string",
      "DEBUG=2 in the config file: must be one of 1, true, yes, on, 0, false, no, off or empty",
      "RP_SERVER_CLIENT_WAIT_S=[1] in the config file: must be a number of seconds from 0 to 86400 (at most 3 decimals)",
      "RP_SERVER_MAX_BODY_BYTES=1.5 in the config file: must be a byte count from 1 to 4294901759: an integer, optionally with KiB, MiB or GiB (e.g. 16MiB)",
    ]);
  });
});

describe("seconds → milliseconds", () => {
  test.each([
    ["20", 20_000],
    ["0.5", 500],
    [".25", 250],
    ["1.", 1_000],
    ["1.234", 1_234],
    ["0.001", 1],
    ["007", 7_000],
    ["86400", 86_400_000],
  ])("RP_SERVER_CLIENT_WAIT_S=%s → %d ms", (text, ms) => {
    expect(loadServerConfig({ env: { RP_SERVER_CLIENT_WAIT_S: text } }).clientWaitMs).toBe(ms);
  });

  test.each([
    [0.5, 500],
    [0.1, 100],
    [2, 2_000],
    [1.001, 1_001],
  ])("file value %d → %d ms", (value, ms) => {
    expect(loadClientConfig({ file: { RP_CLIENT_RECONNECT_CAP_S: value } }).reconnectCapMs).toBe(ms);
  });

  test("0 disables heartbeats but is refused where a positive duration is needed", () => {
    expect(loadClientConfig({ env: { RP_CLIENT_HEARTBEAT_INTERVAL_S: "0" } }).heartbeatIntervalMs).toBe(0);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_HEARTBEAT_TIMEOUT_S: "0", RP_CLIENT_REQUEST_TIMEOUT_S: "0.0" } }))).toEqual([
      'RP_CLIENT_REQUEST_TIMEOUT_S="0.0": must be a number of seconds from 0.001 to 86400 (at most 3 decimals)',
      'RP_CLIENT_HEARTBEAT_TIMEOUT_S="0": must be a number of seconds from 0.001 to 86400 (at most 3 decimals)',
    ]);
  });

  test.each(["", "abc", "-1", "1e3", "20s", "1.2345", "86400.001", " 5", "."])("RP_SERVER_DRAIN_TIMEOUT_S=%j is refused", (text) => {
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_DRAIN_TIMEOUT_S: text } }))).toEqual([
      `RP_SERVER_DRAIN_TIMEOUT_S=${JSON.stringify(text)}: must be a number of seconds from 0 to 86400 (at most 3 decimals)`,
    ]);
  });

  test.each([0.0005, -1, 86_401, Number.NaN])("file value %d is refused", (value) => {
    expect(problemsOf(() => loadServerConfig({ file: { RP_SERVER_DRAIN_TIMEOUT_S: value } }))).toEqual([
      `RP_SERVER_DRAIN_TIMEOUT_S=${JSON.stringify(value)} in the config file: must be a number of seconds from 0 to 86400 (at most 3 decimals)`,
    ]);
  });
});

describe("byte sizes", () => {
  test.each([
    ["1024", 1_024],
    ["512KiB", 524_288],
    ["16MiB", 16_777_216],
    ["1GiB", 1_073_741_824],
    ["1", 1],
  ])("RP_CLIENT_MAX_BODY_BYTES=%s → %d", (text, bytes) => {
    const config = loadClientConfig({ env: { RP_CLIENT_MAX_BODY_BYTES: text } });
    expect(config.maxBodyBytes).toBe(bytes);
    expect(config.maxFrameBytes).toBe(bytes + 65_536);
  });

  const rule = "must be a byte count from 1 to 4294901759: an integer, optionally with KiB, MiB or GiB (e.g. 16MiB)";
  test.each(["", "0", "1M", "16MB", "16mib", "1.5MiB", "16 MiB", "-1", "4GiB", "0x10", "1KiBKiB"])("RP_CLIENT_MAX_BODY_BYTES=%j is refused", (text) => {
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_MAX_BODY_BYTES: text } }))).toEqual([`RP_CLIENT_MAX_BODY_BYTES=${JSON.stringify(text)}: ${rule}`]);
  });

  test("the frame limit may go up to the u32 length field, not beyond", () => {
    expect(loadServerConfig({ env: { RP_SERVER_MAX_FRAME_BYTES: "4294967295" } }).maxFrameBytes).toBe(0xffff_ffff);
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_MAX_FRAME_BYTES: "4GiB" } }))).toEqual([
      'RP_SERVER_MAX_FRAME_BYTES="4GiB": must be a byte count from 1 to 4294967295: an integer, optionally with KiB, MiB or GiB (e.g. 16MiB)',
    ]);
  });

  test("the largest body leaves exactly 64 KiB for the derived frame limit", () => {
    expect(loadServerConfig({ env: { RP_SERVER_MAX_BODY_BYTES: "4294901759" } }).maxFrameBytes).toBe(0xffff_ffff);
  });
});

describe("validation messages name the variable and the value", () => {
  test.each<[string, string, string]>([
    ["RP_SERVER_BIND_PORT", "abc", "must be an integer port 0-65535"],
    ["RP_SERVER_BIND_PORT", "65536", "must be an integer port 0-65535"],
    ["RP_SERVER_BIND_PORT", "-1", "must be an integer port 0-65535"],
    ["RP_SERVER_BIND_PORT", "", "must be an integer port 0-65535"],
    ["BIND_PORT", "1.5", "must be an integer port 0-65535"],
    ["RP_SERVER_BIND_INTERFACE", "exa_mple", "must be an IP address or host name"],
    ["RP_SERVER_BIND_INTERFACE", "-host", "must be an IP address or host name"],
    ["RP_SERVER_BIND_INTERFACE", "999.1.1.1", "must be an IP address or host name"],
    ["RP_SERVER_BIND_INTERFACE", "1.2.3", "must be an IP address or host name"],
    ["RP_SERVER_BIND_INTERFACE", "a..b", "must be an IP address or host name"],
    ["RP_SERVER_BIND_INTERFACE", "[10.0.0.1]", "must be an IP address or host name"],
    ["BIND_IP", "", "must be an IP address or host name"],
    ["RP_SERVER_HTTP_BIND", "8080", "has no port (expected HOST:PORT, [IPV6]:PORT or unix:PATH)"],
    ["RP_SERVER_CERT_PATH", "", "must not be empty"],
    ["RP_EVENT_HANDLER", "handlers.py", "must be a path to a .ts, .js, .mjs or .mts module"],
    ["RP_EVENT_HANDLER", ".ts", "must be a path to a .ts, .js, .mjs or .mts module"],
    ["RP_EVENT_HANDLER_FQ_CLASS", "rpipe.server.handlers.ServerEventHandler", "must be a path to a .ts, .js, .mjs or .mts module"],
    ["DEBUG", "2", "must be one of 1, true, yes, on, 0, false, no, off or empty"],
    ["DEBUG", "enabled", "must be one of 1, true, yes, on, 0, false, no, off or empty"],
    ["RP_LOG_FORMAT", "JSON", "must be one of auto, json, text"],
    ["RP_LOG_FORMAT", "", "must be one of auto, json, text"],
    ["RP_SERVER_MAX_IN_FLIGHT", "0", "must be an integer from 1 to 1000000"],
    ["RP_SERVER_MAX_IN_FLIGHT", "1000001", "must be an integer from 1 to 1000000"],
    ["RP_SERVER_MAX_PENDING_HANDSHAKES", "many", "must be an integer from 1 to 1000000"],
    ["RP_SERVER_HANDSHAKE_TIMEOUT_S", "0", "must be a number of seconds from 0.001 to 86400 (at most 3 decimals)"],
    ["RP_SERVER_HTTP_IDLE_TIMEOUT_S", "0", "must be a whole number of seconds from 1 to 255"],
    ["RP_SERVER_HTTP_IDLE_TIMEOUT_S", "256", "must be a whole number of seconds from 1 to 255"],
    ["RP_SERVER_HTTP_IDLE_TIMEOUT_S", "1.5", "must be a whole number of seconds from 1 to 255"],
    ["RP_SERVER_HTTP_SOCKET_MODE", "0800", "must be an octal file mode such as 0600 or 0660"],
    ["RP_SERVER_HTTP_SOCKET_MODE", "rw-rw----", "must be an octal file mode such as 0600 or 0660"],
  ])("%s=%j: %s", (name, value, problem) => {
    expect(problemsOf(() => loadServerConfig({ env: { [name]: value } }))).toEqual([`${name}=${JSON.stringify(value)}: ${problem}`]);
  });

  test.each<[string, string, string]>([
    ["RP_CLIENT_TARGET_PORT", "0", "must be an integer port 1-65535"],
    [
      "RP_CLIENT_TARGET_HOSTNAME",
      "http://rp.example.com",
      'must list servers as HOST or HOST:PORT separated by commas (IPv6 as [ADDRESS] or [ADDRESS]:PORT); "http://rp.example.com" is not HOST, HOST:PORT or [IPV6]:PORT',
    ],
    ["RP_CLIENT_SERVER_NAME", "a b", "must be an IP address or host name"],
    ["RP_CLIENT_RECONNECT_BASE_S", "0", "must be a number of seconds from 0.001 to 86400 (at most 3 decimals)"],
    ["RP_CLIENT_HTTP_IDLE_TIMEOUT_S", "30s", "must be a whole number of seconds from 1 to 255"],
  ])("client %s=%j: %s", (name, value, problem) => {
    expect(problemsOf(() => loadClientConfig({ env: { [name]: value } }))).toEqual([`${name}=${JSON.stringify(value)}: ${problem}`]);
  });

  test("flags are named with their dashes", () => {
    expect(problemsOf(() => loadServerConfig({ flags: { port: "http", "log-format": "xml", "heartbeat-interval": "5s" } }))).toEqual([
      '--port="http": must be an integer port 0-65535',
      '--log-format="xml": must be one of auto, json, text',
      '--heartbeat-interval="5s": must be a number of seconds from 0 to 86400 (at most 3 decimals)',
    ]);
  });

  test("DEBUG accepts the usual words in any case", () => {
    for (const yes of ["1", "true", "yes", "on", "TRUE", "On"]) expect(loadServerConfig({ env: { DEBUG: yes } }).debug).toBe(true);
    for (const no of ["0", "false", "no", "off", "", "NO"]) expect(loadServerConfig({ env: { DEBUG: no }, file: { DEBUG: true } }).debug).toBe(false);
  });

  test("hosts: bracketed IPv6 loses its brackets; names and literals are kept", () => {
    expect(loadServerConfig({ env: { RP_SERVER_BIND_INTERFACE: "[::]" } }).bindInterface).toBe("::");
    expect(loadServerConfig({ env: { RP_SERVER_BIND_INTERFACE: "fe80::1" } }).bindInterface).toBe("fe80::1");
    expect(loadServerConfig({ env: { RP_SERVER_BIND_INTERFACE: "rp-1.example.com." } }).bindInterface).toBe("rp-1.example.com.");
  });

  test("secrets are never echoed in errors", () => {
    const problems = problemsOf(() => loadServerConfig({ env: { RP_SERVER_HTTP_TOKEN: "s3cret value" } }));
    expect(problems).toEqual(["RP_SERVER_HTTP_TOKEN=(hidden): must not contain whitespace or control characters"]);
  });

  test("a passphrase may contain spaces; a token with a control character is refused", () => {
    expect(loadClientConfig({ env: { RP_CLIENT_KEY_PASSPHRASE: "correct horse" } }).keyPassphrase).toBe("correct horse");
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_HTTP_TOKEN: "abc\u0001" } }))).toEqual([
      "RP_CLIENT_HTTP_TOKEN=(hidden): must not contain whitespace or control characters",
    ]);
  });
});

describe("rules between settings", () => {
  test.each(["127.0.0.1:8080", "127.0.0.2:8080", "[::1]:8080", "localhost:8080", "unix:/run/rp.sock"])("%s needs no token", (bind) => {
    expect(loadServerConfig({ env: { RP_SERVER_HTTP_BIND: bind } }).httpToken).toBeUndefined();
  });

  test.each(["0.0.0.0:8080", "10.0.0.1:8080", "[::]:8080", "rp.example.com:80"])("%s needs a token", (bind) => {
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_HTTP_BIND: bind } }))).toEqual([
      `RP_SERVER_HTTP_BIND=${JSON.stringify(bind)}: listening beyond loopback needs RP_SERVER_HTTP_TOKEN`,
    ]);
    expect(loadServerConfig({ env: { RP_SERVER_HTTP_BIND: bind, RP_SERVER_HTTP_TOKEN: "t" } }).httpToken).toBe("t");
  });

  test("the token rule names where the address came from, and the role's token variable", () => {
    expect(problemsOf(() => loadClientConfig({ flags: { http: "0.0.0.0:8081" } }))).toEqual([
      '--http="0.0.0.0:8081": listening beyond loopback needs RP_CLIENT_HTTP_TOKEN',
    ]);
    expect(problemsOf(() => loadClientConfig({ file: { RP_CLIENT_HTTP_BIND: "10.0.0.1:8081" }, env: { RP_CLIENT_HTTP_TOKEN: "" } }))).toEqual([
      'RP_CLIENT_HTTP_BIND="10.0.0.1:8081" in the config file: listening beyond loopback needs RP_CLIENT_HTTP_TOKEN',
    ]);
  });

  test("maxFrameBytes must exceed maxBodyBytes", () => {
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_MAX_FRAME_BYTES: "16MiB" } }))).toEqual([
      'RP_SERVER_MAX_FRAME_BYTES="16MiB": must be greater than RP_SERVER_MAX_BODY_BYTES (16777216 bytes)',
    ]);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_MAX_BODY_BYTES: "2MiB" }, file: { RP_CLIENT_MAX_FRAME_BYTES: 1_048_576 } }))).toEqual([
      "RP_CLIENT_MAX_FRAME_BYTES=1048576 in the config file: must be greater than RP_CLIENT_MAX_BODY_BYTES (2097152 bytes)",
    ]);
    expect(loadServerConfig({ env: { RP_SERVER_MAX_FRAME_BYTES: "16777217" } }).maxFrameBytes).toBe(16_777_217);
  });

  test("reconnect cap must be at least the base; the error blames the value that was set", () => {
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_RECONNECT_CAP_S: "0.05" } }))).toEqual([
      'RP_CLIENT_RECONNECT_CAP_S="0.05": must be at least RP_CLIENT_RECONNECT_BASE_S (0.1 s)',
    ]);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_RECONNECT_BASE_S: "5" } }))).toEqual([
      'RP_CLIENT_RECONNECT_BASE_S="5": must be at most RP_CLIENT_RECONNECT_CAP_S (2.5 s)',
    ]);
    expect(loadClientConfig({ env: { RP_CLIENT_RECONNECT_BASE_S: "2" } }).reconnectBaseMs).toBe(2_000);
  });
});

describe("every problem at once", () => {
  test("parse errors, unknown names and rules between settings are reported together, in one ConfigError", () => {
    let caught: unknown;
    try {
      loadServerConfig({
        flags: { port: "99999" },
        env: { RP_SERVER_HTTP_BIND: "0.0.0.0:8080", DEBUG: "maybe", RP_SERVER_MAX_FRAME_BYTES: "1KiB", RP_SERVER_HEARTBEAT_TIMEOUT_S: "-2" },
        file: { RP_SERVER_BIND_PROT: 1 },
      });
    } catch (error) {
      caught = error;
    }
    const problems = [
      "unknown setting RP_SERVER_BIND_PROT in the config file",
      '--port="99999": must be an integer port 0-65535',
      'DEBUG="maybe": must be one of 1, true, yes, on, 0, false, no, off or empty',
      'RP_SERVER_HEARTBEAT_TIMEOUT_S="-2": must be a number of seconds from 0.001 to 86400 (at most 3 decimals)',
      'RP_SERVER_MAX_FRAME_BYTES="1KiB": must be greater than RP_SERVER_MAX_BODY_BYTES (16777216 bytes)',
      'RP_SERVER_HTTP_BIND="0.0.0.0:8080": listening beyond loopback needs RP_SERVER_HTTP_TOKEN',
    ];
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).name).toBe("ConfigError");
    expect((caught as ConfigError).problems).toEqual(problems);
    expect((caught as ConfigError).message).toBe(problems.join("\n"));
  });

  test("a rule is skipped when one of its inputs is invalid (its own error suffices)", () => {
    expect(problemsOf(() => loadServerConfig({ env: { RP_SERVER_MAX_BODY_BYTES: "lots", RP_SERVER_MAX_FRAME_BYTES: "1" } }))).toEqual([
      'RP_SERVER_MAX_BODY_BYTES="lots": must be a byte count from 1 to 4294901759: an integer, optionally with KiB, MiB or GiB (e.g. 16MiB)',
    ]);
  });
});

describe("the result", () => {
  test("is frozen, including the listen address", () => {
    const server = loadServerConfig({ env: { RP_SERVER_HTTP_BIND: "127.0.0.1:1" } });
    const client = loadClientConfig({});
    expect(Object.isFrozen(server)).toBe(true);
    expect(Object.isFrozen(server.http)).toBe(true);
    expect(Object.isFrozen(client)).toBe(true);
    expect(Object.isFrozen(client.http)).toBe(true);
    expect(() => {
      (server as { bindPort: number }).bindPort = 1;
    }).toThrow(TypeError);
    expect(server.bindPort).toBe(1234);
  });

  test("holds no enumerable extras: its keys are exactly the settings, in --help order", () => {
    const config = loadClientConfig({});
    expect(Object.keys(config)).toEqual(describeConfig(config, "client").map((row) => row.key));
    expect(Object.keys(config)).toHaveLength(settingsOf("client").length);
    expect(Object.keys(loadServerConfig({}))).toHaveLength(settingsOf("server").length);
    expect(Object.getOwnPropertySymbols(config).filter((symbol) => Object.getOwnPropertyDescriptor(config, symbol)?.enumerable)).toEqual([]);
    expect(JSON.stringify(loadServerConfig({ env: { RP_SERVER_BIND_PORT: "9" } }))).not.toContain("env");
  });

  test("does not keep references to the caller's objects", () => {
    const env: Record<string, string> = { RP_SERVER_BIND_PORT: "5" };
    const config = loadServerConfig({ env });
    env["RP_SERVER_BIND_PORT"] = "6";
    expect(config.bindPort).toBe(5);
  });
});

describe("runtime variables", () => {
  test("BUN_OPTIONS is refused: Bun would apply it (--preload runs code) before RestPipe starts", () => {
    for (const load of [loadServerConfig, loadClientConfig]) {
      expect(problemsOf(() => load({ env: { BUN_OPTIONS: "--preload ./x.ts" } }))).toEqual([
        'BUN_OPTIONS="--preload ./x.ts": Cannot run with BUN_OPTIONS set: Bun applies it before RestPipe starts (--preload runs code from a file); unset BUN_OPTIONS',
      ]);
    }
    expect(loadServerConfig({ env: { BUN_OPTIONS: " " } }).bindPort).toBe(1234);
  });
});
