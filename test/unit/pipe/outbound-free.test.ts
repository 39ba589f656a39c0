/** OutboundBody frees a source chunk of its own once every frame cut from it is written (OutgoingReply.ownChunks). */
import { describe, expect, test } from "bun:test";
import { Credit, OutboundBody } from "../../../src/pipe/_streams.ts";

const KiB = 1024;

/** A pump whose frames wait until `writeAll`; `free` records what it frees. */
function pump(chunks: Uint8Array[], free = true) {
  const frames: Array<{ bytes: number; written?: () => void }> = [];
  const freed: Uint8Array[] = [];
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  const body = new OutboundBody(source, {
    send: (chunk, _end, written) => frames.push({ bytes: chunk.length, ...(written ? { written } : {}) }),
    writable: async () => {},
    connection: new Credit(64 * 1024 * KiB),
    ...(free ? { free: (chunk: Uint8Array) => freed.push(chunk) } : {}),
  });
  body.credit.add(64 * 1024 * KiB);
  return { body, frames, freed };
}

describe("OutboundBody frees chunks of its own", () => {
  test("a 200 KiB chunk (4 frames) is freed after its last frame is written, not before", async () => {
    const chunk = new Uint8Array(200 * KiB);
    const { body, frames, freed } = pump([chunk]);
    await body.run();
    expect(frames.map((f) => f.bytes)).toEqual([64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB, 0]);
    for (const frame of frames.slice(0, 3)) frame.written!();
    expect(freed).toEqual([]);
    frames[3]!.written!();
    expect(freed).toEqual([chunk]);
  });

  test("a frame never written (dropped) leaves its chunk to the collector", async () => {
    const chunk = new Uint8Array(100 * KiB);
    const { body, frames, freed } = pump([chunk]);
    await body.run();
    frames[0]!.written!();
    expect(freed).toEqual([]);
  });

  test("a view of part of a buffer is never freed; without `free` nothing is", async () => {
    const view = new Uint8Array(300 * KiB).subarray(10, 100 * KiB);
    const a = pump([view]);
    await a.body.run();
    expect(a.frames.every((f) => f.written === undefined)).toBe(true);
    const b = pump([new Uint8Array(10 * KiB)], false);
    await b.body.run();
    expect(b.frames.every((f) => f.written === undefined)).toBe(true);
    expect([...a.freed, ...b.freed]).toEqual([]);
  });
});
