/**
 * A pair of dist/floor-relay processes for policy-cost.ts (kinds `floor`,
 * `floor-audit` and `floor-encode`): the floor of RestPipe's architecture,
 * optionally writing the least costly audit line of RestPipe's fields in
 * both processes (_floor-audit.ts), or only encoding it, on free loopback
 * ports with a per-run PKI.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { makeTestPki } from "../support/index.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** Compiles dist/floor-relay (build-floor.ts) once per run. */
let built = false;
function buildFloor(): void {
  if (built) return;
  const result = spawnSync(process.execPath, [join(import.meta.dir, "build-floor.ts")], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("Cannot start a floor pair: test/bench/build-floor.ts failed (see above)");
  built = true;
}

/** A loopback port free now (the kernel's pick for port 0, released at once). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on("error", fail);
  });
}

export interface FloorPair {
  readonly url: string;
  readonly server: number;
  readonly client: number;
  readonly audits: readonly string[];
  stop(): Promise<void>;
}

/** What the floor pair does with audit lines: none, encode them only, or encode and write them. */
export type FloorAuditing = "none" | "encode" | "write";

/**
 * Starts the floor server and client (with --audit files in `dir` unless `auditing` is "none"), from `dist`'s
 * floor-relay (default: dist/, compiled first); resolves once /client/bench/time answers 200.
 */
export async function startFloorPair(dir: string, name: string, auditing: FloorAuditing, dist?: string): Promise<FloorPair> {
  const audit = auditing !== "none";
  if (dist === undefined) buildFloor();
  const pki = await makeTestPki();
  const identity = await pki.client("bench");
  const [http, pipe] = [await freePort(), await freePort()];
  const audits = audit ? [join(dir, `${name}-server-audit.log`), join(dir, `${name}-client-audit.log`)] : [];
  const relay = join(dist ?? join(ROOT, "dist"), "floor-relay");
  const spawn = (args: string[]) =>
    Bun.spawn([relay, ...args, ...(auditing === "encode" ? ["--audit-writes", "none"] : [])], { stdout: "ignore", stderr: "inherit", stdin: "ignore" });
  const server = spawn(["server", "--http", `127.0.0.1:${http}`, "--pipe", `127.0.0.1:${pipe}`, "--dir", pki.server.dir, ...(audit ? ["--audit", audits[0]!] : [])]);
  const client = spawn(["client", "--pipe", `127.0.0.1:${pipe}`, "--dir", identity.dir, ...(audit ? ["--audit", audits[1]!] : [])]);
  const stop = async () => {
    server.kill();
    client.kill();
    await Promise.all([server.exited, client.exited]);
    await pki.cleanup();
  };
  const url = `http://127.0.0.1:${http}/client/bench/time`;
  for (const deadline = Date.now() + 15_000; ; await Bun.sleep(100)) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Cannot start a floor pair: ${url} answered ${status || "nothing"} within 15 s`);
    }
  }
  return { url, server: server.pid, client: client.pid, audits, stop };
}
