/** Deferred transport flushes (src/runtime/_after-io.ts): one setImmediate for every flush asked for in a turn. */
import { expect, test } from "bun:test";
import { AfterIo, afterIo } from "../../../src/runtime/_after-io.ts";

/** Resolves after the next check phase (an immediate asked for after the flushes runs after them). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("flushes asked for in one turn run in order, after the current callbacks, in one immediate (no microtask between them)", async () => {
  const seen: string[] = [];
  afterIo(() => {
    seen.push("a");
    queueMicrotask(() => seen.push("microtask"));
  });
  afterIo(() => seen.push("b"));
  afterIo(() => seen.push("c"));
  expect(seen).toEqual([]); // not now
  await Promise.resolve();
  expect(seen).toEqual([]); // nor in a microtask
  await nextTurn();
  expect(seen).toEqual(["a", "b", "c", "microtask"]);
});

test("a flush asked for while the flushes run waits for the next turn", async () => {
  const seen: string[] = [];
  afterIo(() => {
    seen.push("first");
    afterIo(() => seen.push("later"));
  });
  await nextTurn();
  expect(seen).toEqual(["first"]);
  await nextTurn();
  expect(seen).toEqual(["first", "later"]);
});

test("a flush that throws does not keep the others from running; its error is reported", async () => {
  const seen: string[] = [];
  const reported: unknown[] = [];
  const queue = new AfterIo((error) => reported.push(error));
  queue.schedule(() => {
    throw new Error("boom");
  });
  queue.schedule(() => seen.push("after"));
  await nextTurn();
  expect(seen).toEqual(["after"]);
  expect(reported.map((error) => (error as Error).message)).toEqual(["boom"]);
});
