/** deno.json's tasks, through Deno's own task runner: `deno task rp-server …` runs the source with the same flags as the binaries. */
import { describe, expect, test } from "bun:test";
import { VERSION } from "../../src/cli/version.ts";
import { DENO, NodeProcess, ROOT } from "../support/index.ts";

async function task(args: string[]): Promise<{ code: number; stdout: string }> {
  const proc = new NodeProcess([DENO, "task", "--quiet", ...args], { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" }, ROOT);
  const code = await proc.exited;
  await Bun.sleep(0); // let the last output lines be collected
  return { code, stdout: proc.stdout.join("\n") };
}

describe("deno task", () => {
  test("rp-server and rp-client answer --version", async () => {
    for (const program of ["rp-server", "rp-client"]) {
      const { code, stdout } = await task([program, "--version"]);
      expect(code).toBe(0);
      expect(stdout).toStartWith(`${program} ${VERSION}\ncommit  source\nbuilt   source\ntarget  source\nruntime Deno `);
    }
  });

  test("rp-server --help lists the seed's environment names, as the binary does", async () => {
    const help = await task(["rp-server", "--help"]);
    expect(help.code).toBe(0);
    for (const text of ["start", "set-identity", "RP_SERVER_BIND_PORT", "RP_EVENT_HANDLER"]) expect(help.stdout).toContain(text);
  });

  test("a usage error exits 2 under Deno too", async () => {
    expect((await task(["rp-client", "launch"])).code).toBe(2);
  });
});
