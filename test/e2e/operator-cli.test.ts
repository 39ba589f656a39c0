/**
 * The operator's commands on the compiled binaries: `config check` (with a
 * JSON or TOML config file, precedence, every problem), `rp-server clients`
 * and `rp-client status` against running nodes (TCP and unix-socket
 * fronts), and a clear failure when no front answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, makeTestPki, NodeProcess, runBinary, startClientProcess, startServerProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});

afterAll(() => pki?.cleanup());


/** The `config check` table as SETTING → [VALUE, SOURCE]. */
function tableOf(stdout: string): Record<string, [string, string]> {
  const rows: Record<string, [string, string]> = {};
  for (const line of stdout.split("\n")) {
    const match = /^(\S+)\s{2,}(.*?)\s{2,}(\S.*)$/.exec(line);
    if (match) rows[match[1]!] = [match[2]!, match[3]!];
  }
  return rows;
}

describe("config check", () => {
  test("a TOML file: flags > env > file > defaults, each value with its source", async () => {
    const file = join(pki.dir, "server.toml");
    writeFileSync(file, 'RP_SERVER_BIND_PORT = 4001\nRP_SERVER_CLIENT_WAIT_S = 2.5\nRP_SERVER_BIND_INTERFACE = "127.0.0.2"\nRP_STATSD_HOST = "127.0.0.1"\n');
    const result = await runBinary("rp-server", ["config", "check", "--port", "4003", "--identity-dir", pki.server.dir], { RP_SERVER_CONFIG: file, RP_SERVER_BIND_INTERFACE: "127.0.0.3" });
    expect(result.code).toBe(0);
    expect(result.stdout).toStartWith(`rp-server configuration; config file: RP_SERVER_CONFIG=${file}`);
    const rows = tableOf(result.stdout);
    expect(rows["RP_SERVER_BIND_PORT"]).toEqual(["4003", "flag --port"]);
    expect(rows["RP_SERVER_BIND_INTERFACE"]).toEqual(["127.0.0.3", "env RP_SERVER_BIND_INTERFACE"]);
    expect(rows["RP_SERVER_CLIENT_WAIT_S"]).toEqual(["2.5 s", "file"]);
    expect(rows["RP_STATSD_HOST"]).toEqual(["127.0.0.1", "file"]);
    expect(rows["RP_SERVER_HEARTBEAT_INTERVAL_S"]?.[1]).toBe("default");
    expect(result.stdout).toEndWith("configuration OK");
  });

  test("a JSON file through the seed's alias; secrets stay hidden; stray RP_* variables are warned about", async () => {
    const file = join(pki.dir, "client.json");
    writeFileSync(file, JSON.stringify({ RP_CLIENT_TARGET_HOSTNAME: "rp.example.com", RP_CLIENT_KEY_PASSPHRASE: "hunter2" }));
    const client = await pki.client("config-checked");
    const result = await runBinary("rp-client", ["config", "check", "--identity-dir", client.dir], { RP_CLIENT_USER_CONFIG_MODULE: file, RP_CLIENT_TARGT_PORT: "1" });
    expect(result.code).toBe(0);
    const rows = tableOf(result.stdout);
    expect(rows["RP_CLIENT_TARGET_HOSTNAME"]).toEqual(["rp.example.com", "file"]);
    expect(rows["RP_CLIENT_KEY_PASSPHRASE"]).toEqual(["(set)", "file"]);
    expect(result.stdout).not.toContain("hunter2");
    expect(result.stderr).toContain("rp-client: warning: RP_CLIENT_TARGT_PORT is set but is no RestPipe setting (a typo of RP_CLIENT_TARGET_PORT?)");
  });

  test("every problem at once, exit 2", async () => {
    const file = join(pki.dir, "bad.toml");
    writeFileSync(file, 'RP_SERVER_BIND_PORT = 70000\nRP_CLIENT_TARGET_PORT = 1\n');
    const result = await runBinary("rp-server", ["config", "check"], { RP_SERVER_CONFIG: file, RP_SERVER_MAX_IN_FLIGHT: "lots" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid configuration, 3 problems:");
    expect(result.stderr).toContain("- unknown setting RP_CLIENT_TARGET_PORT in the config file (it is an rp-client setting)");
    expect(result.stderr).toContain("- RP_SERVER_BIND_PORT=70000 in the config file: must be an integer port 0-65535");
    expect(result.stderr).toContain('- RP_SERVER_MAX_IN_FLIGHT="lots": must be an integer from 1 to 1000000');
  });

  test("a config file that cannot be read or parsed stops `start` with exit 2, naming the variable", async () => {
    const missing = await runBinary("rp-server", ["start"], { RP_SERVER_CONFIG: "/nonexistent/rp.json" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("RP_SERVER_CONFIG: Cannot read config file /nonexistent/rp.json: no such file");
    const broken = join(pki.dir, "broken.json");
    writeFileSync(broken, "{");
    const parsed = await runBinary("rp-client", ["config", "check"], { RP_CLIENT_CONFIG: broken });
    expect(parsed.code).toBe(2);
    expect(parsed.stderr).toContain(`RP_CLIENT_CONFIG: Cannot read config file ${broken}: invalid JSON`);
  });

  test("`config` without `check` is a usage error", async () => {
    expect(await runBinary("rp-client", ["config"])).toMatchObject({ code: 2, stderr: "rp-client: config needs the subcommand check: rp-client config check" });
  });
});

describe("clients and status from the running nodes", () => {
  test("rp-server clients lists the CN; rp-client status shows the pipe (unix-socket front)", async () => {
    const file = join(pki.dir, "front-server.toml");
    writeFileSync(file, `RP_SERVER_HTTP_BIND = "unix:${join(pki.dir, "server-front.sock")}"\n`);
    // The config file sets the front; the test's flags would win, so start without --http.
    const server = new NodeProcess(
      [binary("rp-server"), "start", "--bind", "127.0.0.1", "--port", "0", "--identity-dir", pki.server.dir],
      { RP_LOG_FORMAT: "json", RP_SERVER_CONFIG: file },
    );
    const listening = await server.waitForMessage("server listening");
    expect(listening["http"]).toBe(`unix:${join(pki.dir, "server-front.sock")}`);
    const pipe = String(listening["pipe"]);
    const identity = await pki.client("cli-listed");
    const client = await startClientProcess(identity.dir, Number(pipe.slice(pipe.lastIndexOf(":") + 1)));
    try {
      await server.waitForMessage("client connected", { client: "cli-listed" });
      const clients = await runBinary("rp-server", ["clients"], { RP_SERVER_CONFIG: file });
      expect(clients.code).toBe(0);
      const [header, row, count] = clients.stdout.split("\n");
      expect(header).toMatch(/^CN\s+REMOTE\s+CONNECTED SINCE\s+RTT\s+IN FLIGHT\s+REQUESTS$/);
      expect(row).toMatch(/^cli-listed\s+127\.0\.0\.1:\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+s\)\s+\S+( ms)?\s+0\s+0$/);
      expect(count).toBe(`1 client connected to ${pipe}`);

      const status = await runBinary("rp-client", ["status", "--http", client.http.replace("http://", "")]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^state\s+connected$/m);
      expect(status.stdout).toMatch(/^server\s+localhost$/m);
      expect(status.stdout).toMatch(/^reconnects\s+0$/m);
    } finally {
      await client.proc.stop();
      await server.stop();
    }
  });

  test("no front answering: exit 1 with where it looked and how to point elsewhere", async () => {
    const result = await runBinary("rp-server", ["clients", "--http", "127.0.0.1:1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith("rp-server: Cannot reach the front at http://127.0.0.1:1/_rp/status.json: ");
    expect(result.stderr).toContain("--http or RP_SERVER_HTTP_BIND says where its front listens");
  });

  test("asking a client's front for the clients says so", async () => {
    const server = await startServerProcess(pki.server.dir);
    const identity = await pki.client("misdirected");
    const client = await startClientProcess(identity.dir, server.pipePort);
    try {
      const result = await runBinary("rp-server", ["clients", "--http", client.http.replace("http://", "")]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("it is an rp-client's front");
    } finally {
      await Promise.all([client.proc.stop(), server.proc.stop()]);
    }
  });
});
