/**
 * `npm run release` for the targets this machine can run: linux-x64-baseline
 * (a round trip through the multi-call binary under both of its names),
 * linux-x64-musl (musl's loader; a run needs musl's libstdc++), linux-arm64
 * (`--version` under qemu-user). Built once per run, without .xz (slow:
 * ~90 s a file here), into a temp directory; baseline twice to check that
 * builds are reproducible.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { release, releaseName, sha256File } from "../../build/release.ts";
import { VERSION } from "../../src/cli/version.ts";
import { makeTestPki, startClientProcess, startServerProcess, type TestPki } from "../support/index.ts";

const work = mkdtempSync(join(tmpdir(), "rp-release-"));
const out = join(work, "a");
const again = join(work, "b");
let pki: TestPki;
let built: string[] = [];
let seconds = 0;

beforeAll(async () => {
  const started = Date.now();
  built = await release(["linux-x64-baseline", "linux-x64-musl", "linux-arm64"], out, { xz: false });
  await release(["linux-x64-baseline"], again, { xz: false });
  seconds = (Date.now() - started) / 1000;
  pki = await makeTestPki();
}, 120_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await pki?.cleanup();
});

function run(argv: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("release builds", () => {
  test("SHA256SUMS lists every binary and sha256sum -c accepts it", () => {
    console.log(`built 4 release binaries in ${seconds.toFixed(1)} s`);
    expect(built.map((path) => path.slice(out.length + 1)).sort()).toEqual(
      ["SHA256SUMS", releaseName("linux-arm64"), releaseName("linux-x64-baseline"), releaseName("linux-x64-musl")].sort(),
    );
    const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out, encoding: "utf8" });
    expect(check.stdout.trim().split("\n").sort()).toEqual(
      [releaseName("linux-arm64"), releaseName("linux-x64-baseline"), releaseName("linux-x64-musl")].map((name) => `${name}: OK`).sort(),
    );
    expect(check.status).toBe(0);
  });

  test("two builds of one commit are byte-identical", async () => {
    const first = await sha256File(join(out, releaseName("linux-x64-baseline")));
    expect(await sha256File(join(again, releaseName("linux-x64-baseline")))).toBe(first);
    expect(readFileSync(join(again, "SHA256SUMS"), "utf8")).toContain(first);
  });

  test("baseline: --version names the target", () => {
    const result = run([join(out, releaseName("linux-x64-baseline")), "--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toStartWith(`restpipe ${VERSION}\ncommit  `);
    expect(result.stdout).toContain("target  bun-linux-x64-baseline\nruntime Bun ");
    expect(run([join(out, releaseName("linux-x64-baseline")), "server", "-v"]).stdout).toStartWith(`rp-server ${VERSION}\n`);
  });

  test("baseline: without a program it says how to pick one", () => {
    const result = run([join(out, releaseName("linux-x64-baseline")), "start"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('restpipe: unknown program "start": say server or client');
  });

  test("baseline: a round trip, as `restpipe server` and as a link named rp-client", async () => {
    const binary = join(out, releaseName("linux-x64-baseline"));
    const link = join(work, "rp-client");
    symlinkSync(binary, link);
    const client = await pki.client("edge-baseline");
    const server = await startServerProcess(pki.server.dir, {}, [], { argv: [binary, "server"] });
    const started = await startClientProcess(client.dir, server.pipePort, {}, [], { argv: [link] });
    try {
      await server.proc.waitForMessage("client connected", { client: "edge-baseline" });
      const fromClient = await fetch(`${started.http}/server/cat//hello%20/world`);
      expect(await fromClient.json()).toEqual({ result_from_server: "hello world" });
      const fromServer = await fetch(`${server.http}/client/edge-baseline/cat//a/b`);
      expect(await fromServer.json()).toEqual({ result_from_client: "ab" });
    } finally {
      await Promise.all([started.proc.stop(), server.proc.stop()]);
    }
  }, 30_000);

  test("musl: the binary asks for musl's loader and libstdc++ (and runs where musl's libstdc++ is installed)", () => {
    const binary = join(out, releaseName("linux-x64-musl"));
    const headers = run(["readelf", "-l", "-d", binary]).stdout;
    expect(headers).toContain("[Requesting program interpreter: /lib/ld-musl-x86_64.so.1]");
    expect(headers).toContain("Shared library: [libstdc++.so.6]");
    expect(existsSync("/lib/ld-musl-x86_64.so.1")).toBe(true); // Debian's musl package (.ci/run installs it)
    const result = run([binary, "--version"]);
    if (result.stderr.includes("Error loading shared library libstdc++.so.6")) {
      // Debian has no musl build of libstdc++: the loader ran and found every library but that one.
      expect(result.stderr.split("\n").filter((line) => line.startsWith("Error loading shared library"))).toEqual([
        "Error loading shared library libstdc++.so.6: No such file or directory (needed by " + binary + ")",
      ]);
      console.log("musl build: loader OK; not run (no musl libstdc++ on this host: Alpine's `apk add libstdc++` provides it)");
      return;
    }
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("target  bun-linux-x64-musl");
  });

  test("arm64: --version under qemu-user", () => {
    const result = run(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", join(out, releaseName("linux-arm64")), "client", "--version"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toStartWith(`rp-client ${VERSION}\n`);
    expect(result.stdout).toContain("target  bun-linux-arm64\n");
    expect(result.code).toBe(0);
  });
});
