/**
 * Where the CPU of a guarded pair goes: one rp-server and one rp-client run
 * from source under Bun's sampling profiler (`--cpu-prof-md`), the client with
 * the 50-rule policy of policy-cost.ts and both with the audit log on (or
 * neither: PROFILE_PLAIN=1), wrk at c=64 through the server front for
 * PROFILE_S seconds; the profiles (markdown) are written when the nodes stop.
 *
 *   bun test/bench/policy-profile.ts        (needs wrk; PROFILE_DIR=/tmp/rp-prof PROFILE_S=10)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTestPki, startClientProcess, startServerProcess } from "../support/index.ts";
import { findWrk, wrkLoad } from "./_load.ts";
import { fiftyRules } from "./policy-cost.ts";

if (import.meta.main) {
  const wrk = findWrk();
  if (!wrk) throw new Error("Cannot profile: wrk is not installed (apt-get install wrk)");
  const dir = process.env["PROFILE_DIR"] ?? "/tmp/rp-prof";
  const seconds = Number(process.env["PROFILE_S"] ?? 10);
  const plain = process.env["PROFILE_PLAIN"] === "1";
  await mkdir(dir, { recursive: true });
  const pki = await makeTestPki();
  const policyFile = join(pki.dir, "rp-client.json");
  await writeFile(policyFile, JSON.stringify({ RP_CLIENT_POLICY: fiftyRules() }));
  const root = resolve(import.meta.dir, "../..");
  const source = (program: string, name: string) => ({ argv: ["bun", "--cpu-prof-md", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.md`, join(root, "src/cli", `${program}.ts`)] });
  const kind = plain ? "plain" : "guarded";
  const server = await startServerProcess(pki.server.dir, plain ? {} : { RP_SERVER_AUDIT_LOG: join(pki.dir, "server-audit.log") }, [], source("rp-server", `server-${kind}`));
  const identity = await pki.client("bench");
  const clientEnv: Record<string, string> = { RP_EVENT_HANDLER: resolve(import.meta.dir, "handlers.ts") };
  if (!plain) Object.assign(clientEnv, { RP_CLIENT_CONFIG: policyFile, RP_CLIENT_AUDIT_LOG: join(pki.dir, "client-audit.log") });
  const client = await startClientProcess(identity.dir, server.pipePort, clientEnv, [], source("rp-client", `client-${kind}`));
  try {
    const url = `${server.http}/client/bench/time`;
    await wrkLoad(wrk, url, 16, 2);
    const result = await wrkLoad(wrk, url, 64, seconds);
    console.log(`${kind}: ${Math.round(result.perSecond)} req/s, ${result.errors} errors; profiles in ${dir}/{server,client}-${kind}.md`);
  } finally {
    await client.proc.stop();
    await server.proc.stop();
    await pki.cleanup();
  }
}
