/**
 * What the compiled binaries read at run time: their settings, identity
 * files and handler module, and nothing from the directory they start in
 * (bunfig.toml's preload, .env, tsconfig.json, package.json). BUN_OPTIONS is
 * refused; BUN_BE_BUN=1 turns the binary into the bun CLI (documented: no
 * code of ours runs to refuse it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, makeTestPki, NodeProcess, type FileIdentity, type TestPki } from "../support/index.ts";

let dir: string;
let pki: TestPki;
let client: FileIdentity;

beforeAll(async () => {
  pki = await makeTestPki();
  client = await pki.client("locked");
  dir = mkdtempSync(join(tmpdir(), "rp-lockdown-"));
  writeFileSync(join(dir, "evil.ts"), 'console.log("PRELOADED"); require("node:fs").writeFileSync("ran", "x");\n');
  writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  writeFileSync(join(dir, ".env"), "RP_SERVER_BIND_PORT=9\nRP_CLIENT_TARGET_PORT=9\nDEBUG=1\n");
  writeFileSync(join(dir, "package.json"), '{"type":"commonjs","imports":{"#x":"./evil.ts"}}\n');
  writeFileSync(join(dir, "tsconfig.json"), '{"compilerOptions":{"paths":{"*":["./evil.ts"]}}}\n');
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pki?.cleanup();
});

function inDir(name: "rp-server" | "rp-client", args: string[], env: Record<string, string> = {}) {
  return new NodeProcess([binary(name), ...args], env, dir).result();
}

describe("run-time lock-down", () => {
  for (const name of ["rp-server", "rp-client"] as const) {
    test(`${name} ignores bunfig.toml, .env, package.json and tsconfig.json in its working directory`, async () => {
      // config check also checks the identity: give it one, so that its exit code speaks only of the settings.
      const result = await inDir(name, ["config", "check", "--identity-dir", name === "rp-server" ? pki.server.dir : client.dir]);
      expect(result.stdout).not.toContain("PRELOADED");
      const port = name === "rp-server" ? "RP_SERVER_BIND_PORT" : "RP_CLIENT_TARGET_PORT";
      expect(result.stdout).toMatch(new RegExp(`${port} +1234 +default`));
      expect(result.stdout).toMatch(/DEBUG +false +default/);
      expect(result.code).toBe(0);
      expect(await Bun.file(join(dir, "ran")).exists()).toBe(false);
    });

    test(`${name} refuses to run with BUN_OPTIONS set, naming the fix`, async () => {
      const result = await inDir(name, ["config", "check"], { BUN_OPTIONS: "--smol" });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('BUN_OPTIONS="--smol": Cannot run with BUN_OPTIONS set: Bun applies it before RestPipe starts (--preload runs code from a file); unset BUN_OPTIONS');
    });
  }

  test("BUN_BE_BUN=1 makes the binary the bun CLI (why the units and the README keep it out of the environment)", async () => {
    for (const value of ["1", "true"]) {
      const result = await new NodeProcess([binary("rp-server"), "--version"], { BUN_BE_BUN: value }).result();
      expect(result.stdout).toBe(Bun.version);
    }
    for (const value of ["0", ""]) {
      const result = await new NodeProcess([binary("rp-server"), "--version"], { BUN_BE_BUN: value }).result();
      expect(result.stdout).toStartWith("rp-server ");
    }
  });
});
