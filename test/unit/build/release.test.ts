/** The release script's pure parts (build/release.ts, build/_stamp.ts) and the multi-call binary's choice of program. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineArgs, stampOf } from "../../../build/_stamp.ts";
import { parseTargets, RELEASE_TARGETS, releaseArgs, releaseName, sha256Sums } from "../../../build/release.ts";
import { COMPILE_FLAGS } from "../../../build/compile.ts";
import { pickProgram } from "../../../src/cli/multi-call.ts";
import { asksVersion, versionText } from "../../../src/cli/version.ts";

const ROOT = resolve(import.meta.dir, "../../..");

describe("multi-call", () => {
  test("the name it is called by wins, with or without a path or .exe", () => {
    expect(pickProgram("/usr/local/bin/rp-server", ["start"])).toEqual({ program: "rp-server", argv: ["start"] });
    expect(pickProgram("rp-client.exe", ["client", "x"])).toEqual({ program: "rp-client", argv: ["client", "x"] });
    expect(pickProgram("C:\\rp\\rp-client.exe", [])).toEqual({ program: "rp-client", argv: [] });
  });

  test("otherwise the first argument names the program", () => {
    expect(pickProgram("./restpipe", ["server", "ca", "init"])).toEqual({ program: "rp-server", argv: ["ca", "init"] });
    expect(pickProgram("restpipe-0.3.0-linux-arm64", ["client", "start"])).toEqual({ program: "rp-client", argv: ["start"] });
    expect(pickProgram("restpipe", ["start"])).toBeUndefined();
    expect(pickProgram("restpipe", [])).toBeUndefined();
  });
});

describe("--version", () => {
  test("asks for the version only alone", () => {
    for (const flag of ["--version", "-V", "-v", "version"]) expect(asksVersion([flag])).toBe(true);
    expect(asksVersion(["version", "x"])).toBe(false);
    expect(asksVersion(["start"])).toBe(false);
  });

  test("prints every part of the stamp", () => {
    const text = versionText("rp-server", { version: "1.2.3", commit: "abc", date: "2026-01-01T00:00:00Z", target: "bun-linux-arm64", runtime: "Bun 9" });
    expect(text).toBe("rp-server 1.2.3\ncommit  abc\nbuilt   2026-01-01T00:00:00Z\ntarget  bun-linux-arm64\nruntime Bun 9");
  });
});

describe("build stamp", () => {
  test("SOURCE_DATE_EPOCH sets the date; otherwise the commit's time", () => {
    expect(stampOf(ROOT, "bun-linux-x64", { SOURCE_DATE_EPOCH: "86400" }).date).toBe("1970-01-02T00:00:00Z");
    const committed = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: ROOT }).stdout.toString().trim();
    expect(stampOf(ROOT, undefined, {}).date).toBe(new Date(Number(committed) * 1000).toISOString().replace(".000Z", "Z"));
    expect(stampOf(ROOT, undefined, {}).commit).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
  });

  test("outside a git tree: commit unknown, date 1970 (still no clock)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rp-stamp-"));
    try {
      expect(stampOf(dir, "bun-x", { GIT_DIR: undefined })).toMatchObject({ commit: "unknown", target: "bun-x" });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("defines are JSON strings", () => {
    expect(defineArgs({ commit: 'a"b', date: "d", target: "t" })).toEqual([
      '--define=RESTPIPE_BUILD_COMMIT="a\\"b"',
      '--define=RESTPIPE_BUILD_DATE="d"',
      '--define=RESTPIPE_BUILD_TARGET="t"',
    ]);
  });
});

describe("release", () => {
  test("every target gets the shared compile flags, its --target and its own name", () => {
    for (const target of RELEASE_TARGETS) {
      const args = releaseArgs(target, "/out");
      for (const flag of COMPILE_FLAGS) expect(args).toContain(flag);
      expect(args).toContain(`--target=bun-${target}`);
      expect(args.at(-1)).toBe(`/out/${releaseName(target)}`);
    }
    expect(COMPILE_FLAGS).toContain("--no-compile-autoload-bunfig");
    expect(COMPILE_FLAGS).toContain("--no-compile-autoload-dotenv");
    expect(releaseName("windows-x64")).toEndWith(".exe");
  });

  test("an unknown target is refused with the list", () => {
    expect(() => parseTargets("linux-x64,plan9")).toThrow('Cannot build target "linux-x64": not a release target; use one of linux-x64-modern');
    expect(parseTargets("darwin-arm64")).toEqual(["darwin-arm64"]);
    expect(parseTargets(undefined)).toEqual([...RELEASE_TARGETS]);
  });

  test("SHA256SUMS is sha256sum's format, sorted by name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rp-sums-"));
    try {
      writeFileSync(join(dir, "b"), "hello\n");
      writeFileSync(join(dir, "a"), "");
      expect(await sha256Sums([join(dir, "b"), join(dir, "a")])).toBe(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n" +
          "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  b\n",
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("restpipe.d.ts", () => {
  test("is generated from src/dispatch and the hooks: the handler's types, nothing that needs another module", async () => {
    const { handlerApiDts, handlerApiSources } = await import("../../../build/_handler-api.ts");
    expect(handlerApiSources(ROOT)).toContain("src/dispatch/types.ts");
    const text = handlerApiDts(ROOT, "9.9.9");
    expect(text).toContain("The RestPipe 9.9.9 handler API");
    for (const name of ["export interface HandlerContext", "export interface RequestBody", "export interface Hooks", "export declare function reply("]) expect(text).toContain(name);
    expect(text).not.toMatch(/^import /m);
    expect(text).not.toContain("Dispatcher ="); // needs the wire's Event: left out
    expect(text).not.toContain("createDispatcher"); // a value, not a type
  });
});
