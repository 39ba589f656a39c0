/** Issue 13 item 11: the command line as a new user meets it, on the compiled binaries. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { VERSION } from "../../src/cli/version.ts";
import { makeTestPki, runBinary, startServerProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;
beforeAll(async () => (pki = await makeTestPki()));
afterAll(() => pki?.cleanup());

describe("unknown flags say what was probably meant and where to look", () => {
  test("rp-server start --prot", async () => {
    expect(await runBinary("rp-server", ["start", "--prot", "1"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "rp-server: Unknown option --prot (did you mean --port?); see rp-server start --help",
    });
  });
  test("rp-client start --server-prot=1, and a ca flag typo", async () => {
    expect((await runBinary("rp-client", ["start", "--server-prot=1"])).stderr).toBe(
      "rp-client: Unknown option --server-prot (did you mean --server-port?); see rp-client start --help",
    );
    expect((await runBinary("rp-server", ["ca", "issue", "--sna", "x"])).stderr).toBe("rp-server: Unknown option --sna (did you mean --san?); see rp-server ca --help");
  });
  test("nothing close: no guess", async () => {
    expect(await runBinary("rp-client", ["status", "--frobnicate"])).toMatchObject({ code: 2, stderr: "rp-client: Unknown option --frobnicate; see rp-client status --help" });
  });
});

describe("-h, -v, version and help work everywhere", () => {
  for (const program of ["rp-server", "rp-client"] as const) {
    test(program, async () => {
      for (const args of [["-v"], ["-V"], ["--version"], ["version"], ["start", "--version"], ["config", "-v"]]) {
        const result = await runBinary(program, args);
        // The first line names program and version; the stamp follows (commit, build date, target, runtime).
        expect({ args, code: result.code, first: result.stdout.split("\n")[0], stderr: result.stderr }).toEqual({ args, code: 0, first: `${program} ${VERSION}`, stderr: "" });
        expect(result.stdout).toContain("\ntarget  bun-");
      }
      for (const args of [["-h"], ["--help"], ["help"], ["start", "-h"], ["status", "--help"], ["config", "check", "-h"]]) {
        const result = await runBinary(program, args);
        expect({ args, code: result.code }).toEqual({ args, code: 0 });
        expect(result.stdout).toContain("Usage:");
      }
    });
  }

  test("--help fits in 100 columns", async () => {
    for (const program of ["rp-server", "rp-client"] as const) {
      const { stdout } = await runBinary(program, ["--help"]);
      const long = stdout.split("\n").filter((line) => line.length > 100);
      expect({ program, long }).toEqual({ program, long: [] });
    }
  });
});

describe("the environment", () => {
  test("start warns about a typo'd RP_* variable, naming the likely setting", async () => {
    const server = await startServerProcess(pki.server.dir, { RP_SERVER_CLIENT_WAIT: "5" });
    try {
      const warned = await server.proc.waitForMessage("environment variable is no RestPipe setting: ignored (a typo?)");
      expect(warned).toMatchObject({ level: "warn", variable: "RP_SERVER_CLIENT_WAIT", suggestion: "RP_SERVER_CLIENT_WAIT_S" });
    } finally {
      await server.proc.stop();
    }
  });

  test("an empty variable means unset", async () => {
    const result = await runBinary("rp-server", ["config", "check", "--identity-dir", pki.server.dir], { RP_SERVER_BIND_PORT: "", RP_SERVER_CLIENT_WAIT_S: "" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/RP_SERVER_BIND_PORT +1234 +default/);
    expect(result.stdout).toMatch(/RP_SERVER_CLIENT_WAIT_S +20 s +default/);
  });

  test("config check fails when the identity files are missing, with the command that installs them", async () => {
    const dir = join(pki.dir, "empty-identity");
    const result = await runBinary("rp-client", ["config", "check", "--identity-dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `Cannot start: no identity in ${dir} (missing ${join(dir, "client.key.pem")}, ${join(dir, "client.crt.pem")}, ${join(dir, "client.ca.pem")}); ` +
        "install one with: rp-client set-identity --bundle FILE (or KEY CERT CA), or point RP_CLIENT_CERT_PATH (--identity-dir) at the directory holding it",
    );
  });
});

test("rp-server clients with nothing answering names the address, once, plainly", async () => {
  const result = await runBinary("rp-server", ["clients", "--http", "127.0.0.1:1"]);
  expect(result).toEqual({
    code: 1,
    stdout: "",
    stderr:
      "rp-server: Cannot reach the front at http://127.0.0.1:1/_rp/status.json: nothing listens there (connection refused); " +
      "is rp-server running with this configuration? --http or RP_SERVER_HTTP_BIND says where its front listens",
  });
  const unix = await runBinary("rp-client", ["status", "--http", `unix:${join(pki.dir, "none.sock")}`]);
  expect(unix.stderr).toStartWith(`rp-client: Cannot reach the front at unix:${join(pki.dir, "none.sock")}/_rp/status.json: no such socket file; `);
});
