/**
 * The deployment files in build/deploy: the systemd units pass
 * `systemd-analyze verify` (with ExecStart pointing at the freshly built
 * binaries), the nginx sites pass `nginx -t` inside a minimal nginx.conf
 * under a temp prefix, the example config files pass `config check`, and
 * the settings the files rely on agree with the code (drain vs stop timeout,
 * proxy timeout vs request deadline).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadClientConfig, loadServerConfig, parseConfigFile } from "../../src/config/index.ts";
import { binary, makeTestPki } from "../support/index.ts";

const DEPLOY = resolve(import.meta.dir, "../../build/deploy");
const read = (name: string) => readFileSync(join(DEPLOY, name), "utf8");
const tool = (name: string) => ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map((dir) => join(dir, name)).find(existsSync);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "restpipe-deploy-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `Key=value` lines of a unit's [Service] section (last one wins). */
function serviceKeys(unit: string): Record<string, string> {
  const section = unit.slice(unit.indexOf("[Service]"), unit.indexOf("[Install]"));
  return Object.fromEntries(section.split("\n").flatMap((line) => (/^\w+=/.test(line) ? [[line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]] : [])));
}

function seconds(text: string): number {
  const match = /^(\d+)s?$/.exec(text);
  if (!match) throw new Error(`Cannot read ${text} as seconds`);
  return Number(match[1]);
}

for (const role of ["server", "client"] as const) {
  const program = `rp-${role}` as const;
  describe(`${program}.service`, () => {
    test("systemd-analyze verify finds nothing (and does flag a broken copy)", () => {
      const verify = tool("systemd-analyze");
      expect(verify).toBeDefined(); // .ci/run installs systemd when it is missing
      const unit = read(`${program}.service`).replaceAll(`/usr/local/bin/${program}`, binary(program));
      const path = join(work, `${program}.service`);
      writeFileSync(path, unit);
      const good = spawnSync(verify!, ["verify", path], { encoding: "utf8" });
      expect(`${good.stdout}${good.stderr}`.trim()).toBe("");
      expect(good.status).toBe(0);

      const broken = join(work, `broken-${program}.service`);
      writeFileSync(broken, unit.replace("KillSignal=SIGTERM", "KillSignal=SIGNOPE"));
      expect(spawnSync(verify!, ["verify", broken], { encoding: "utf8" }).stderr).toContain("SIGNOPE");
    });

    test("hardened, restarted forever, stopped with SIGTERM after the drain has had its time", async () => {
      const keys = serviceKeys(read(`${program}.service`));
      expect(keys).toMatchObject({ Restart: "always", KillSignal: "SIGTERM", NoNewPrivileges: "yes", ProtectSystem: "strict", User: "restpipe" });
      expect(keys["ReadWritePaths"]).toContain("/var/lib/restpipe");
      expect(keys["ExecStartPre"]).toBe(`/usr/local/bin/${program} config check`);
      const file = await parseConfigFile(read(`${program}.toml`), `${program}.toml`);
      const config = role === "server" ? loadServerConfig({ file }) : loadClientConfig({ file });
      expect(seconds(keys["TimeoutStopSec"]!) * 1000).toBeGreaterThan(config.drainTimeoutMs + 5_000);
      expect(config.identityDir).toBe("/var/lib/restpipe");
    });
  });

  test(`${program}.toml passes ${program} config check`, async () => {
    // config check also wants the identity the file's directory would hold: one made for this run stands in for it.
    const pki = await makeTestPki();
    const identityDir = role === "server" ? pki.server.dir : (await pki.client("deploy-check")).dir;
    const result = spawnSync(binary(program), ["config", "check"], {
      encoding: "utf8",
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        [`RP_${role.toUpperCase()}_CONFIG`]: join(DEPLOY, `${program}.toml`),
        [`RP_${role.toUpperCase()}_CERT_PATH`]: identityDir,
      },
    });
    await pki.cleanup();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("configuration OK");
  });

  describe(`nginx-${program}.conf`, () => {
    test("nginx -t accepts it inside a minimal nginx.conf (temp prefix)", () => {
      const nginx = tool("nginx");
      expect(nginx).toBeDefined(); // .ci/run installs nginx when it is missing
      const prefix = join(work, `nginx-${role}`);
      mkdirSync(join(prefix, "logs"), { recursive: true });
      writeFileSync(join(prefix, "site.conf"), read(`nginx-${program}.conf`));
      writeFileSync(
        join(prefix, "nginx.conf"),
        `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${prefix}/site.conf;\n}\n`,
      );
      const result = spawnSync(nginx!, ["-t", "-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "logs/error.log")], { encoding: "utf8" });
      expect(result.stderr).toContain("test is successful");
      expect(result.status).toBe(0);

      writeFileSync(join(prefix, "site.conf"), read(`nginx-${program}.conf`).replace("proxy_http_version 1.1;", "proxy_http_version 1.1"));
      expect(spawnSync(nginx!, ["-t", "-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "logs/error.log")]).status).not.toBe(0);
    });

    test("a keep-alive upstream to the front the example config names; the proxy waits longer than the request deadline", async () => {
      const site = read(`nginx-${program}.conf`);
      const file = await parseConfigFile(read(`${program}.toml`), `${program}.toml`);
      const config = role === "server" ? loadServerConfig({ file }) : loadClientConfig({ file });
      const upstream = config.http.kind === "unix" ? `server unix:${config.http.path}` : `server ${config.http.host}:${config.http.port}`;
      expect(site).toContain(upstream);
      expect(site).toMatch(/^\s+keepalive \d+;$/m);
      expect(site).toContain('proxy_set_header Connection "";');
      expect(site).toContain("proxy_http_version 1.1;");
      const readTimeout = Number(/proxy_read_timeout (\d+)s;/.exec(site)![1]);
      expect(readTimeout * 1000).toBeGreaterThan(config.requestTimeoutMs);
      const bodyLimit = Number(/client_max_body_size (\d+)m;/.exec(site)![1]) * 1024 * 1024;
      expect(bodyLimit).toBeGreaterThan(config.maxBodyBytes);
    });
  });
}
