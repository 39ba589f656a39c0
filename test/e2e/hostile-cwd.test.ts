/** Issue 13 item 1: a hostile ./bunfig.toml (preload) and ./.env in the working directory change nothing in either binary. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binary, makeTestPki, NodeProcess, type FileIdentity, type TestPki } from "../support/index.ts";

let pki: TestPki;
let client: FileIdentity;
let cwd: string;
let marker: string;

beforeAll(async () => {
  pki = await makeTestPki();
  client = await pki.client("cwd-client");
  cwd = join(pki.dir, "hostile-cwd");
  marker = join(pki.dir, "preload-ran");
  await mkdir(cwd);
  // Each file a compiled Bun program might read from its working directory, each with a visible effect.
  await writeFile(join(cwd, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
  await writeFile(join(cwd, "bunfig.toml"), `preload = ["./evil.ts"]\n`);
  await writeFile(join(cwd, ".env"), "RP_SERVER_BIND_PORT=4444\nRP_CLIENT_TARGET_PORT=4445\nRP_LOG_FORMAT=text\n");
  await writeFile(join(cwd, ".env.local"), "RP_SERVER_CLIENT_WAIT_S=7\n");
  await writeFile(join(cwd, "tsconfig.json"), `{"compilerOptions": {"paths": {"node:fs": ["./evil.ts"]}}}\n`);
  await writeFile(join(cwd, "package.json"), `{"name": "evil", "type": "commonjs"}\n`);
});

afterAll(() => pki?.cleanup());

function runIn(name: "rp-server" | "rp-client", args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new NodeProcess([binary(name), ...args], {}, cwd).result();
}

describe("the working directory's bunfig.toml and .env are not read", () => {
  const commands: Array<["rp-server" | "rp-client", string[]]> = [
    ["rp-server", ["--version"]],
    ["rp-server", ["--help"]],
    ["rp-server", ["ca", "list", "--dir", "./nowhere"]],
    ["rp-client", ["--version"]],
    ["rp-client", ["help"]],
    ["rp-client", ["identity", "show", "--identity-dir", "./nowhere"]],
  ];
  for (const [name, args] of commands) {
    test(`${name} ${args.join(" ")}: no preload ran`, async () => {
      const result = await runIn(name, args);
      expect(existsSync(marker)).toBe(false); // the preload writes the marker when Bun loads bunfig.toml
      expect(result.stderr).not.toContain("evil");
    });
  }

  test("config check on both sides shows the defaults, not the .env values", async () => {
    const server = await runIn("rp-server", ["config", "check", "--identity-dir", pki.server.dir]);
    expect(server.stdout).toMatch(/RP_SERVER_BIND_PORT\s+1234\s+default/);
    expect(server.stdout).toMatch(/RP_SERVER_CLIENT_WAIT_S\s+20 s\s+default/);
    expect(server.stdout).not.toContain("4444");
    const clientCheck = await runIn("rp-client", ["config", "check", "--identity-dir", client.dir]);
    expect(clientCheck.stdout).toMatch(/RP_CLIENT_TARGET_PORT\s+1234\s+default/);
    expect(clientCheck.stdout).not.toContain("4445");
    expect(existsSync(marker)).toBe(false);
  });

  test("start: the server listens where its flags say, logs JSON (not .env's text format), runs no preload", async () => {
    const proc = new NodeProcess(
      [binary("rp-server"), "start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--identity-dir", pki.server.dir],
      {},
      cwd,
    );
    try {
      const ready = await proc.waitForMessage("server listening"); // a JSON record: stderr is not a terminal, .env asked for text
      expect(String(ready["pipe"])).not.toContain(":4444");
      expect(existsSync(marker)).toBe(false);
    } finally {
      await proc.stop();
    }
  });
});
