/** The Bun adapter's collection paced by socket bytes (src/runtime/bun/_paced-collection.ts). */
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { bytesMoved, COLLECT_EVERY } from "../../src/runtime/bun/_paced-collection.ts";

const spies: Array<{ mockRestore(): void }> = [];
afterEach(() => spies.splice(0).forEach((spy) => spy.mockRestore()));

describe("paced collection", () => {
  test("one eden collection (Bun.gc(false), never a full one) per COLLECT_EVERY bytes moved, whatever the chunk sizes", () => {
    const gc = spyOn(Bun, "gc").mockImplementation(() => 0);
    spies.push(gc);
    bytesMoved(COLLECT_EVERY); // whatever earlier counts left: from here the count starts at 0
    gc.mockClear();
    const chunk = 512 * 1024;
    for (let moved = chunk; moved < COLLECT_EVERY; moved += chunk) bytesMoved(chunk);
    expect(gc).not.toHaveBeenCalled();
    bytesMoved(chunk);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith(false);
    for (let i = 0; i < 3 * Math.ceil(COLLECT_EVERY / 80); i++) bytesMoved(80); // small frames count too
    expect(gc).toHaveBeenCalledTimes(4);
  });
});
