import { describe, expect, test } from "bun:test";
import { addTsExtensions, drifted, generate } from "../../../build/gen.ts";

describe("protobuf code generation", () => {
  test("src/wire/gen matches a fresh generation from proto/", () => {
    expect(drifted(generate())).toEqual([]);
  });

  test("a changed generated file is reported as drift", () => {
    const files = generate();
    const [name, text] = [...files][0]!;
    files.set(name, `${text}\n// edited`);
    expect(drifted(files)).toEqual([name]);
  });

  test("relative imports get a .ts extension, packages and explicit extensions are kept", () => {
    expect(addTsExtensions('import { A } from "./a";\nimport type { B } from "../b/c";\nimport { D } from "@protobuf-ts/runtime";\nimport { E } from "./e.ts";')).toBe(
      'import { A } from "./a.ts";\nimport type { B } from "../b/c.ts";\nimport { D } from "@protobuf-ts/runtime";\nimport { E } from "./e.ts";',
    );
  });
});
