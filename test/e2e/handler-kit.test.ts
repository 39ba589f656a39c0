/**
 * The handler kit on the compiled binaries: `handler init` writes a template
 * that type-checks against the generated restpipe.d.ts (and a mistake in it
 * does not), `handler check` lists handlers and hooks, warns about stray
 * exports and places syntax errors, `handler bundle` makes one file of a
 * handler and its npm dependency that a server runs from elsewhere.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeTestPki, runBinary, startConnectedPair, type TestPki } from "../support/index.ts";

const TSC = resolve(import.meta.dir, "../../node_modules/.bin/tsc");
let work: string;
let pki: TestPki;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rp-kit-"));
  pki = await makeTestPki();
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await pki?.cleanup();
});

function tsc(dir: string): { code: number | null; out: string } {
  const result = spawnSync(TSC, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  return { code: result.status, out: result.stdout + result.stderr };
}

describe("handler init", () => {
  test("writes handlers.ts, restpipe.d.ts and tsconfig.json that type-check together", async () => {
    const dir = join(work, "client-kit");
    const result = await runBinary("rp-client", ["handler", "init", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${join(dir, "restpipe.d.ts")}`);
    const api = readFileSync(join(dir, "restpipe.d.ts"), "utf8");
    for (const name of ["interface HandlerContext", "interface RequestBody", "interface Reply", "interface Hooks", "interface ConnectionInfo", "declare function reply"]) {
      expect(api).toContain(name);
    }
    expect(api).not.toMatch(/^import /m); // self-contained: nothing else to carry
    expect(tsc(dir)).toEqual({ code: 0, out: "" });
  });

  test("restpipe.d.ts really types the handler: a misspelt field fails the check", async () => {
    const dir = join(work, "server-kit");
    expect((await runBinary("rp-server", ["handler", "init", dir])).code).toBe(0);
    const path = join(dir, "handlers.ts");
    expect(readFileSync(path, "utf8")).toContain("export function connection_added(info: ConnectionInfo)");
    writeFileSync(path, readFileSync(path, "utf8").replace("ctx.peer.name", "ctx.peer.nmae"));
    const checked = tsc(dir);
    expect(checked.code).toBe(2);
    expect(checked.out).toContain("Property 'nmae' does not exist on type 'PeerInfo'");
  });

  test("refuses to overwrite without --force", async () => {
    const dir = join(work, "client-kit");
    const again = await runBinary("rp-client", ["handler", "init", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("Cannot write the handler kit:");
    expect(again.stderr).toContain("already exist; add --force to overwrite them");
    expect((await runBinary("rp-client", ["handler", "init", dir, "--force"])).code).toBe(0);
  });
});

describe("handler check", () => {
  test("lists the template's handlers and hooks", async () => {
    const result = await runBinary("rp-client", ["handler", "check", join(work, "client-kit/handlers.ts")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("handlers  get_hello (GET hello), get_version (GET version), post_echo (POST echo)");
    expect(result.stdout).toContain("hooks     connect_fail, connect_success");
    expect(result.stderr).toBe("");
  });

  test("warns about exports that match no verb", async () => {
    const path = join(work, "stray.ts");
    writeFileSync(path, "export function get_time_utc() { return 1; }\nexport function fetch_time() { return 2; }\nexport const limit = 5;\n");
    const result = await runBinary("rp-server", ["handler", "check", path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("handlers  get_time_utc (GET time/utc)");
    expect(result.stderr).toContain("rp-server: warning: fetch_time matches no verb (get, head, post, put, patch, delete) and is no hook");
  });

  test("reports a syntax error at file:line:column", async () => {
    const path = join(work, "broken.ts");
    writeFileSync(path, "export function get_x() {\n  return { a: 1 ;\n}\n");
    const result = await runBinary("rp-server", ["handler", "check", path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:2:17: error: Expected "}" but found ";"`);
    expect(result.stderr).toContain(`Cannot load handler module ${path}: 1 error(s) above; fix them and check again`);
  });
});

describe("handler bundle", () => {
  test("bundles a handler with its npm dependency into one file a server runs without node_modules", async () => {
    const src = join(work, "with-dep");
    mkdirSync(join(src, "node_modules/shout/lib"), { recursive: true });
    writeFileSync(join(src, "node_modules/shout/package.json"), '{"name":"shout","version":"1.0.0","main":"lib/index.js"}\n');
    writeFileSync(join(src, "node_modules/shout/lib/index.js"), "module.exports = function shout(text) { return text.toUpperCase() + '!'; };\n");
    writeFileSync(join(src, "handlers.ts"), 'import shout from "shout";\nexport function get_shout(_ctx: unknown, _body: unknown, text: string) { return { said: shout(text) }; }\n');
    const out = join(work, "carried", "handlers.js");
    mkdirSync(join(work, "carried"));
    const result = await runBinary("rp-server", ["handler", "bundle", join(src, "handlers.ts"), "-o", out]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`wrote ${out} (`);
    expect(result.code).toBe(0);
    rmSync(src, { recursive: true }); // nothing of the source tree is left to resolve from

    const client = await pki.client("kit-client");
    const { server, client: started } = await startConnectedPair(pki.server.dir, client, { serverEnv: { RP_EVENT_HANDLER: out } });
    try {
      const reply = await fetch(`${started.http}/server/shout//hello`);
      expect(await reply.json()).toEqual({ said: "HELLO!" });
    } finally {
      await Promise.all([started.proc.stop(), server.proc.stop()]);
    }
  }, 30_000);

  test("needs -o", async () => {
    const result = await runBinary("rp-client", ["handler", "bundle", join(work, "stray.ts")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("handler bundle needs -o OUT");
  });
});
