/** build/compile.ts: each program is built with the bytecode order recorded from a run of it (build/bytecode-order.ts). */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { bytecodeOrderPath, compileArgs, PROGRAMS } from "../../../build/compile.ts";

describe("bytecode order", () => {
  for (const program of Object.keys(PROGRAMS) as Array<keyof typeof PROGRAMS>) {
    test(`${program} is built with its order file, which is a Bun order file`, () => {
      const path = bytecodeOrderPath(program);
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path, "utf8").startsWith("v2\n")).toBe(true);
      expect(compileArgs(program)).toContain(`--bytecode-order=${path}`);
    });
  }
});
