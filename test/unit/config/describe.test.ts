import { settingsOf } from "../../../src/config/_settings.ts";
import { describe, expect, test } from "bun:test";
import { describeConfig, flagTypes, repeatableFlags, loadClientConfig, loadServerConfig, settingsHelp, unknownEnv, type ConfigRow } from "../../../src/config/index.ts";

function row(rows: readonly ConfigRow[], key: string): ConfigRow {
  const found = rows.find((r) => r.key === key);
  if (found === undefined) throw new Error(`no row for ${key}`);
  return found;
}

describe("describeConfig", () => {
  const config = loadServerConfig({
    flags: { port: "4000", debug: true },
    env: { BIND_IP: "10.0.0.1", RP_SERVER_HTTP_TOKEN: "s3cret-token", RP_SERVER_KEY_PASSPHRASE: "s3cret phrase", RP_SERVER_CLIENT_WAIT_S: "0.5" },
    file: { RP_SERVER_CERT_PATH: "/etc/rp", RP_EVENT_HANDLER_FQ_CLASS: "h.ts" },
  });
  const rows = describeConfig(config, "server");

  test("one row per setting, in --help order", () => {
    expect(rows.map((r) => r.key)).toEqual(Object.keys(config));
  });

  test("shows each value's source, the name it was read under, its flag and description", () => {
    expect(row(rows, "bindPort")).toEqual({
      key: "bindPort",
      value: "4000",
      source: "flag",
      env: "RP_SERVER_BIND_PORT",
      flag: "--port",
      description: "port of the pipe (mTLS) listener; 0 picks a free one",
    });
    expect(row(rows, "bindInterface")).toMatchObject({ value: "10.0.0.1", source: "env", env: "BIND_IP", flag: "--bind" });
    expect(row(rows, "identityDir")).toMatchObject({ value: "/etc/rp", source: "file", env: "RP_SERVER_CERT_PATH" });
    expect(row(rows, "eventHandler")).toMatchObject({ value: "h.ts", source: "file", env: "RP_EVENT_HANDLER_FQ_CLASS" });
    expect(row(rows, "debug")).toMatchObject({ value: "true", source: "flag", env: "DEBUG", flag: "--debug" });
    expect(row(rows, "logFormat")).toMatchObject({ value: "auto", source: "default", env: "RP_LOG_FORMAT" });
    expect(row(rows, "maxInFlight")).toMatchObject({ value: "1024", source: "default", flag: "" });
  });

  test("formats durations in seconds, sizes in bytes, listen addresses as text", () => {
    expect(row(rows, "clientWaitMs").value).toBe("0.5 s");
    expect(row(rows, "maxBodyBytes").value).toBe("16777216 (16 MiB)");
    expect(row(rows, "maxFrameBytes").value).toBe("16842752 (16448 KiB)");
    expect(row(rows, "http").value).toBe("127.0.0.1:8080");
    const v6 = loadServerConfig({ env: { RP_SERVER_HTTP_BIND: "[::1]:9", RP_SERVER_MAX_BODY_BYTES: "1000" } });
    expect(row(describeConfig(v6, "server"), "http").value).toBe("[::1]:9");
    expect(row(describeConfig(v6, "server"), "maxBodyBytes").value).toBe("1000 B");
  });

  test("never prints secrets: '(set)' or '(unset)'", () => {
    expect(row(rows, "httpToken").value).toBe("(set)");
    expect(row(rows, "keyPassphrase").value).toBe("(set)");
    expect(JSON.stringify(rows)).not.toContain("s3cret");
    const unset = describeConfig(loadClientConfig({}), "client");
    expect([row(unset, "httpToken").value, row(unset, "keyPassphrase").value, row(unset, "serverName").value]).toEqual(["(unset)", "(unset)", "(unset)"]);
  });

  test("client rows", () => {
    const client = loadClientConfig({ flags: { "server-host": "rp.example.com" }, env: { RP_CLIENT_RECONNECT_BASE_S: "0.2" } });
    const clientRows = describeConfig(client, "client");
    expect(row(clientRows, "targetHostname")).toMatchObject({ value: "rp.example.com", source: "flag", flag: "--server-host" });
    expect(row(clientRows, "reconnectBaseMs")).toMatchObject({ value: "0.2 s", source: "env", env: "RP_CLIENT_RECONNECT_BASE_S" });
  });

  test("refuses a config that did not come from a loader, or the other role's", () => {
    expect(() => describeConfig({ ...config }, "server")).toThrow(
      new TypeError("Cannot describe config: it was not returned by loadServerConfig or loadClientConfig"),
    );
    expect(() => describeConfig(config, "client")).toThrow(new TypeError("Cannot describe config as client: it is a server config"));
  });
});

describe("settingsHelp", () => {
  const server = settingsHelp("server").split("\n");
  const client = settingsHelp("client").split("\n");

  test("one line per setting", () => {
    expect(server).toHaveLength(settingsOf("server").length);
    expect(client).toHaveLength(settingsOf("client").length);
    expect(server.length).toBeGreaterThan(15);
  });

  test("value flags show a placeholder, switches do not; aliases and defaults are named", () => {
    expect(server).toContainEqual(
      expect.stringMatching(/^ {2}--port PORT +RP_SERVER_BIND_PORT +port of the pipe \(mTLS\) listener; 0 picks a free one \(default: 1234; also read from BIND_PORT\)$/),
    );
    expect(server).toContainEqual(expect.stringMatching(/^ {2}--debug +DEBUG +verbose logs.* \(default: false\)$/));
    expect(server).toContainEqual(expect.stringMatching(/^ {2}--heartbeat-interval SECONDS +RP_SERVER_HEARTBEAT_INTERVAL_S +.*\(default: 5 s\)$/));
    expect(server).toContainEqual(expect.stringMatching(/^ {2}--log-format auto\|json\|text +RP_LOG_FORMAT /));
    expect(server).toContainEqual(expect.stringMatching(/RP_SERVER_MAX_FRAME_BYTES +.*\(default: RP_SERVER_MAX_BODY_BYTES \+ 64 KiB\)$/));
    expect(client).toContainEqual(expect.stringMatching(/^ {2}--http HOST:PORT +RP_CLIENT_HTTP_BIND +.*\(default: 127\.0\.0\.1:8081\)$/));
    expect(client).toContainEqual(expect.stringMatching(/^ +RP_CLIENT_HTTP_IDLE_TIMEOUT_S +seconds an HTTP connection .*\(default: 30 s\)$/));
    expect(client).toContainEqual(expect.stringMatching(/^ {2}--handler PATH +RP_EVENT_HANDLER +.*\(default: unset; also read from RP_EVENT_HANDLER_FQ_CLASS\)$/));
  });

  test("settings without a flag leave the flag column blank, and columns line up", () => {
    const token = server.find((line) => line.includes("RP_SERVER_HTTP_TOKEN"));
    expect(token).toMatch(/^ +RP_SERVER_HTTP_TOKEN +bearer token.*\(default: unset\)$/);
    const envColumn = new Set(server.map((line) => line.search(/ (RP_|DEBUG)/)));
    expect(envColumn.size).toBe(1);
  });
});

describe("flagTypes", () => {
  test("server", () => {
    expect(flagTypes("server")).toEqual({
      bind: "string",
      port: "string",
      http: "string",
      "identity-dir": "string",
      handler: "string",
      debug: "boolean",
      "log-format": "string",
      "request-timeout": "string",
      "heartbeat-interval": "string",
      "heartbeat-timeout": "string",
      share: "string",
      "share-hidden": "boolean",
      "share-writable": "string",
    });
    expect(repeatableFlags("server")).toEqual(["share", "share-writable"]);
  });

  test("client", () => {
    expect(Object.keys(flagTypes("client")).sort()).toEqual(
      ["debug", "handler", "heartbeat-interval", "heartbeat-timeout", "http", "identity-dir", "log-format", "no-proxy", "proxy", "request-timeout", "server-host", "server-name", "server-port", "share", "share-hidden", "share-writable"],
    );
    expect(flagTypes("client")["debug"]).toBe("boolean");
  });
});

describe("unknownEnv", () => {
  test("lists set RP_* names that are settings of neither role, sorted", () => {
    const env = {
      RP_SERVER_BIND_PROT: "1",
      RP_SERVER_USER_CONFIG_MODULE: "mymodule",
      RP_CLIENT_TARGET_PORT: "1",
      RP_SERVER_BIND_PORT: "1",
      RP_EVENT_HANDLER_FQ_CLASS: "h.ts",
      RP_A_TYPO: "x",
      RP_UNSET: undefined,
      BIND_IP: "1.2.3.4",
      PATH: "/bin",
    };
    expect(unknownEnv(env, "server")).toEqual(["RP_A_TYPO", "RP_SERVER_BIND_PROT"]);
    expect(unknownEnv(env, "client")).toEqual(["RP_A_TYPO", "RP_SERVER_BIND_PROT"]);
  });

  test("the config-file variables (and the seed's aliases for them) are known", () => {
    const env = { RP_SERVER_CONFIG: "a", RP_CLIENT_CONFIG: "b", RP_SERVER_USER_CONFIG_MODULE: "c", RP_CLIENT_USER_CONFIG_MODULE: "d" };
    expect(unknownEnv(env)).toEqual([]);
  });

  test("unknown RP_* variables do not stop loading", () => {
    expect(loadServerConfig({ env: { RP_SERVER_BIND_PROT: "1" } }).bindPort).toBe(1234);
  });
});
