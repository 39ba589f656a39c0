/** The live policy: loaded again when the config file changes or on reload(); a bad one is refused and the current kept. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPolicySource } from "../../../src/cli/policy-source.ts";
import { loadClientConfig } from "../../../src/config/index.ts";
import { recordingLogger, waitUntil } from "../../support/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  delete process.env["RP_CLIENT_CONFIG"];
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const policyFile = (action: string) => JSON.stringify({ RP_CLIENT_POLICY: { default: "allow", rules: [{ cn: "srv", handler: "get_secrets", action }] } });

describe("openPolicySource", () => {
  test("a changed file is picked up by polling; a bad one is refused and the current policy kept", async () => {
    const dir = await mkdtemp(join(tmpdir(), "restpipe-policy-"));
    dirs.push(dir);
    const path = join(dir, "rp-client.json");
    await writeFile(path, policyFile("deny"));
    process.env["RP_CLIENT_CONFIG"] = path;
    const config = loadClientConfig({ file: JSON.parse(policyFile("deny")) as Record<string, unknown>, env: { RP_CLIENT_IDENTITY_POLL_S: "0.05" } });
    const { log, records } = recordingLogger();
    const source = openPolicySource("client", config, {}, log);
    try {
      const verdict = () => source.current.judge({ cn: "srv", verb: "get", noun: "secrets" }).action;
      expect(verdict()).toBe("deny");
      await writeFile(path, `${policyFile("allow")} `);
      await waitUntil(() => verdict() === "allow", "the changed policy", 10_000);
      expect(records.find((r) => r.msg === "policy reloaded")?.fields).toEqual({ trigger: "file change", rules: 1, default: "allow" });

      await writeFile(path, policyFile("perhaps"));
      expect(await source.reload("SIGHUP")).toBe(false);
      expect(verdict()).toBe("allow");
      const refused = records.find((r) => r.msg === "policy reload failed: keeping the current policy");
      expect(String(refused?.fields["reason"])).toContain('rule 1: action must be "allow" or "deny" (got "perhaps")');
    } finally {
      source.close();
    }
  });
});
