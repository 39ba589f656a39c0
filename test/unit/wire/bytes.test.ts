import { describe, expect, test } from "bun:test";
import { joinBytes, readBytes } from "../../../src/wire/index.ts";

function streamOf(chunks: Uint8Array[], onCancel?: (reason: unknown) => void): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (next < chunks.length) controller.enqueue(chunks[next++]!);
        else controller.close();
      },
      cancel: (reason) => onCancel?.(reason),
    },
    { highWaterMark: 0 },
  );
}

describe("joinBytes", () => {
  test("joins chunks in order, with or without the length given", () => {
    const chunks = [Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3, 4, 5)];
    expect([...joinBytes(chunks)]).toEqual([1, 2, 3, 4, 5]);
    expect([...joinBytes(chunks, 5)]).toEqual([1, 2, 3, 4, 5]);
  });

  test("one chunk is returned as it is; none is an empty array", () => {
    const only = Uint8Array.of(9, 8);
    expect(joinBytes([only])).toBe(only);
    expect(joinBytes([]).length).toBe(0);
  });
});

describe("readBytes", () => {
  test("reads a stream whole within the limit", async () => {
    const bytes = await readBytes(streamOf([Uint8Array.of(1), Uint8Array.of(2, 3)]), 3);
    expect([...(bytes ?? [])]).toEqual([1, 2, 3]);
  });

  test("an empty stream is an empty array", async () => {
    expect((await readBytes(streamOf([]), 0))?.length).toBe(0);
  });

  test("past the limit: undefined, and the rest is cancelled with the reason, unread", async () => {
    let cancelled: unknown;
    const chunks = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
    const bytes = await readBytes(streamOf(chunks, (reason) => (cancelled = reason)), 6, "too big here");
    expect(bytes).toBeUndefined();
    expect(cancelled).toBe("too big here");
  });
});
