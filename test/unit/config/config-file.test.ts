/** The config file: where it is, JSON and TOML, and what loading makes of it (precedence, errors). */
import { describe, expect, test } from "bun:test";
import { configFileLocation, describeConfig, loadClientConfig, loadServerConfig, parseConfigFile } from "../../../src/config/index.ts";
import { problemsOf } from "./_support.ts";

describe("where the file is", () => {
  test("RP_SERVER_CONFIG / RP_CLIENT_CONFIG, the seed's RP_*_USER_CONFIG_MODULE as aliases; the canonical name wins", () => {
    expect(configFileLocation("server", { RP_SERVER_CONFIG: "/a.json" })).toEqual({ path: "/a.json", variable: "RP_SERVER_CONFIG" });
    expect(configFileLocation("client", { RP_CLIENT_USER_CONFIG_MODULE: "/b.toml" })).toEqual({ path: "/b.toml", variable: "RP_CLIENT_USER_CONFIG_MODULE" });
    expect(configFileLocation("server", { RP_SERVER_CONFIG: "/a", RP_SERVER_USER_CONFIG_MODULE: "/b" })?.path).toBe("/a");
    expect(configFileLocation("server", { RP_CLIENT_CONFIG: "/c", RP_SERVER_CONFIG: "" })).toBeUndefined();
  });
});

describe("parsing", () => {
  test("JSON and TOML give the same keys and values", async () => {
    const json = await parseConfigFile('{"RP_SERVER_BIND_PORT": 4000, "DEBUG": true, "RP_SERVER_HTTP_BIND": "unix:/run/rp.sock"}', "/etc/rp.json");
    const toml = await parseConfigFile('RP_SERVER_BIND_PORT = 4000\nDEBUG = true\nRP_SERVER_HTTP_BIND = "unix:/run/rp.sock"\n', "/etc/rp.TOML");
    expect(toml).toEqual(json);
    expect(loadServerConfig({ file: toml })).toMatchObject({ bindPort: 4000, debug: true, http: { kind: "unix", path: "/run/rp.sock" } });
  });

  test("syntax errors and a wrong top level say which file and what", async () => {
    await expect(parseConfigFile("{", "/x.json")).rejects.toThrow(/^Cannot read config file \/x\.json: invalid JSON: /);
    await expect(parseConfigFile("a = ", "/x.toml")).rejects.toThrow(/^Cannot read config file \/x\.toml: invalid TOML: /);
    await expect(parseConfigFile("[1]", "/x.json")).rejects.toThrow("Cannot read config file /x.json: the top level must be an object of settings keyed by environment names");
  });
});

describe("loading with a file", () => {
  test("flags > env > file > defaults, with each value's source", async () => {
    const file = await parseConfigFile('RP_CLIENT_TARGET_PORT = 1\nRP_CLIENT_TARGET_HOSTNAME = "file.example"\nRP_CLIENT_SERVER_WAIT_S = 2.5\nRP_STATSD_HOST = "10.0.0.9"', "c.toml");
    const config = loadClientConfig({ file, env: { RP_CLIENT_TARGET_HOSTNAME: "env.example", RP_CLIENT_TARGET_PORT: "2" }, flags: { "server-port": "3" } });
    expect([config.targetPort, config.targetHostname, config.serverWaitMs, config.statsdHost, config.reconnectCapMs]).toEqual([3, "env.example", 2_500, "10.0.0.9", 2_500]);
    const sources = Object.fromEntries(describeConfig(config, "client").map((row) => [row.key, row.source]));
    expect([sources["targetPort"], sources["targetHostname"], sources["serverWaitMs"], sources["reconnectCapMs"]]).toEqual(["flag", "env", "file", "default"]);
  });

  test("every problem of a file is reported at once", async () => {
    const file = await parseConfigFile('RP_SERVER_BIND_PORT = 70000\nRP_SERVER_BIND_PROT = 1\nRP_STATSD_PORT = "x"', "s.toml");
    expect(problemsOf(() => loadServerConfig({ file }))).toEqual([
      "unknown setting RP_SERVER_BIND_PROT in the config file",
      "RP_SERVER_BIND_PORT=70000 in the config file: must be an integer port 0-65535",
      'RP_STATSD_PORT="x" in the config file: must be an integer port 1-65535',
    ]);
  });
});
