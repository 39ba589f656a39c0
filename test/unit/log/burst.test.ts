/** BurstLog: a burst's first failure in full, the rest as one trailing summary written by a timer. */
import { expect, test } from "bun:test";
import { BURST_WINDOW_MS, BurstLog } from "../../../src/log/index.ts";
import { FakeClock, recordingLogger } from "../../support/index.ts";

const messages = { first: "takeover not confirmed", summary: "more takeovers not confirmed" };

test("331 failures in one burst: the first line, then one summary with the count and the last one's fields", async () => {
  const clock = new FakeClock();
  const { log, records } = recordingLogger();
  const burst = new BurstLog(log, messages, clock);
  for (let i = 0; i < 331; i++) burst.failed("server-a", { client: `c${i}` });
  expect(records.map((r) => r.msg)).toEqual(["takeover not confirmed"]);
  expect(records[0]!.fields).toMatchObject({ client: "c0" });
  await clock.advance(BURST_WINDOW_MS);
  expect(records.map((r) => r.msg)).toEqual(["takeover not confirmed", "more takeovers not confirmed"]);
  expect(records[1]!.fields).toMatchObject({ client: "c330", more: 330, overMs: BURST_WINDOW_MS });
});

test("keys are apart, a lone failure writes no summary, and the next burst starts with a full line", async () => {
  const clock = new FakeClock();
  const { log, records } = recordingLogger();
  const burst = new BurstLog(log, messages, clock);
  burst.failed("server-a", { client: "a1" });
  burst.failed("server-b", { client: "b1" });
  burst.failed("server-b", { client: "b2" });
  await clock.advance(BURST_WINDOW_MS);
  burst.failed("server-a", { client: "a2" });
  expect(records.map((r) => [r.msg, r.fields["client"], r.fields["more"]])).toEqual([
    ["takeover not confirmed", "a1", undefined],
    ["takeover not confirmed", "b1", undefined],
    ["more takeovers not confirmed", "b2", 1],
    ["takeover not confirmed", "a2", undefined],
  ]);
});
