/**
 * Compiles test/bench/floor-relay.ts to dist/floor-relay with the flags the
 * binaries are built with (build/compile.ts's COMPILE_FLAGS; no bytecode
 * order file, no version stamp), so that its memory and CPU compare with
 * theirs. test/bench/peers-floor.sh runs it before starting the pair.
 *
 *   bun test/bench/build-floor.ts
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { COMPILE_FLAGS } from "../../build/compile.ts";

const root = resolve(import.meta.dir, "../..");
mkdirSync(join(root, "dist"), { recursive: true });
const result = spawnSync(process.execPath, ["build", ...COMPILE_FLAGS, "test/bench/floor-relay.ts", "--outfile", "dist/floor-relay"], { cwd: root, encoding: "utf8" });
if (result.status !== 0) {
  console.error(`Cannot compile the floor relay: bun build exited ${result.status}\n${result.stdout}${result.stderr}`);
  process.exit(1);
}
