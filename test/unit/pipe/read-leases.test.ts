/** Read buffers freed once nobody views them (src/pipe/_read-leases.ts): the read, the decoder, lending streams. */
import { describe, expect, test } from "bun:test";
import { ReadLeases, SMALL_READ_BYTES } from "../../../src/pipe/_read-leases.ts";

function leases(decoderHolds: (buffer: ArrayBufferLike) => boolean = () => false) {
  const freed: Uint8Array[] = [];
  return { freed, leases: new ReadLeases((chunk) => freed.push(chunk), decoderHolds) };
}

describe("ReadLeases", () => {
  test("with a size from which reads are leased, a shorter read is left to the collector and a read of that size is freed", () => {
    const freed: Uint8Array[] = [];
    const l = new ReadLeases((chunk) => freed.push(chunk), () => false, SMALL_READ_BYTES);
    const small = new Uint8Array(SMALL_READ_BYTES - 1);
    l.begin(small);
    expect(l.freeing).toBeUndefined();
    l.kept(small.subarray(0, 10));
    l.end();
    l.returned(small.subarray(0, 10), true);
    expect(l.size).toBe(0);
    const large = new Uint8Array(SMALL_READ_BYTES);
    l.begin(large);
    expect(l.freeing).toBe(large.buffer);
    l.end();
    expect(freed).toEqual([large]);
  });

  test("a read of stream frames nobody kept a view of is freed once its frames are handled", () => {
    const { freed, leases: l } = leases();
    const read = new Uint8Array(1024);
    l.begin(read);
    expect(l.freeing).toBe(read.buffer);
    l.end();
    expect(freed).toEqual([read]);
    expect(l.size).toBe(0);
  });

  test("a read that carried another frame (its body may be a handler's) is never freed", () => {
    const { freed, leases: l } = leases();
    const read = new Uint8Array(1024);
    l.begin(read);
    l.pin();
    expect(l.freeing).toBeUndefined();
    l.kept(read.subarray(10, 20));
    l.end();
    l.returned(read.subarray(10, 20), true);
    expect(freed).toEqual([]);
    expect(l.size).toBe(0);
  });

  test("a view a lending stream keeps holds the read until it comes back", () => {
    const { freed, leases: l } = leases();
    const read = new Uint8Array(1024);
    const a = read.subarray(0, 500);
    const b = read.subarray(500);
    l.begin(read);
    l.kept(a);
    l.kept(b);
    l.end();
    l.returned(a, true);
    expect(freed).toEqual([]);
    l.returned(b, true);
    expect(freed).toEqual([read]);
  });

  test("a view given back while it may still be in use (not free) leaves the read to the collector", () => {
    const { freed, leases: l } = leases();
    const read = new Uint8Array(1024);
    l.begin(read);
    l.kept(read.subarray(0, 10));
    l.end();
    l.returned(read.subarray(0, 10), false);
    expect(freed).toEqual([]);
    expect(l.size).toBe(0);
  });

  test("the head of an incomplete frame holds the read until the decoder lets go of it", () => {
    let holding = true;
    const { freed, leases: l } = leases(() => holding);
    const first = new Uint8Array(1024);
    l.begin(first);
    l.end();
    expect(freed).toEqual([]);
    holding = false;
    const second = new Uint8Array(512);
    l.begin(second);
    l.end();
    expect(freed).toEqual([first, second]);
  });

  test("a decoder's copy (a frame that spanned reads) lent to a stream is freed when it comes back", () => {
    const { freed, leases: l } = leases();
    const read = new Uint8Array(1024);
    const copy = new Uint8Array(700);
    l.begin(read);
    l.lending(copy);
    l.kept(copy);
    l.lent(copy);
    l.end();
    expect(freed).toEqual([read]);
    l.returned(copy, true);
    expect(freed).toEqual([read, copy]); // our own buffer: freed by the transport like a read
    expect(l.size).toBe(0);
  });

  test("a view of part of a larger buffer is never taken for a read of its own", () => {
    const { freed, leases: l } = leases();
    const big = new Uint8Array(4096);
    l.begin(big.subarray(0, 1024));
    expect(l.freeing).toBeUndefined();
    l.end();
    l.lending(big.subarray(100, 200));
    expect(l.size).toBe(0);
    expect(freed).toEqual([]);
  });

  test("a read gets a lease only once something keeps a view of it (reads of events make none)", () => {
    const { freed, leases: l } = leases();
    const events = new Uint8Array(1024);
    l.begin(events);
    l.pin();
    expect(l.size).toBe(0);
    l.end();
    const data = new Uint8Array(1024);
    l.begin(data);
    expect(l.size).toBe(0);
    l.kept(data.subarray(0, 100));
    expect(l.size).toBe(1);
    l.end();
    expect(l.size).toBe(1);
    l.returned(data.subarray(0, 100), true);
    expect(freed).toEqual([data]);
    expect(l.size).toBe(0);
  });

  test("without a transport that frees, nothing is counted", () => {
    const l = new ReadLeases(undefined, () => false);
    l.begin(new Uint8Array(10));
    expect(l.freeing).toBeUndefined();
    l.end();
    expect(l.size).toBe(0);
  });
});
