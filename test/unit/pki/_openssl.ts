/** Runs the openssl CLI for the pki tests (identities made by a reference implementation, and its verdicts). */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The outcome of one openssl run. */
export interface OpensslResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `openssl ...args` in `cwd`; throws with openssl's stderr when it fails, unless `allowFailure`. */
export function openssl(args: readonly string[], cwd: string, allowFailure = false): OpensslResult {
  const run = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  const result = { exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
  if (result.exitCode !== 0 && !allowFailure) {
    throw new Error(`openssl ${args.join(" ")} failed with ${result.exitCode}: ${result.stderr}`);
  }
  return result;
}

/** A scratch directory for openssl files; remove it with `dispose`. */
export async function scratchDir(): Promise<{ dir: string; read(name: string): Promise<string>; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "restpipe-openssl-"));
  return {
    dir,
    read: (name) => readFile(join(dir, name), "utf8"),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
