/** RepeatedFailures: the first failure in full, then summaries at growing intervals, reset by a success. */
import { expect, test } from "bun:test";
import { RepeatedFailures } from "../../../src/log/index.ts";
import { recordingLogger } from "../../support/index.ts";

test("one line, then summaries at 10 s, 1 min, ... with count, last reason and down since", () => {
  let now = 0;
  const { log, records } = recordingLogger();
  const failures = new RepeatedFailures(log, { first: "cannot connect", summary: "still cannot connect" }, () => now);
  // One failure a second for 2 minutes: 120 attempts.
  for (let s = 0; s < 120; s++, now += 1_000) failures.failed("server", `refused ${s}`, { attempt: s });
  const lines = records.map((r) => [r.msg, r.fields["failures"], r.fields["total"], r.fields["lastReason"]]);
  expect(lines).toEqual([
    ["cannot connect", undefined, undefined, undefined],
    ["still cannot connect", 10, 11, "refused 10"],
    ["still cannot connect", 60, 71, "refused 70"],
  ]);
  expect(records[0]!.fields).toMatchObject({ reason: "refused 0", attempt: 0 });
  expect(records[1]!.fields["downMs"]).toBe(10_000);
  expect(typeof records[1]!.fields["downSince"]).toBe("string");
  expect(failures.ended("server")).toBe(120);
  failures.failed("server", "again");
  expect(records.at(-1)).toMatchObject({ msg: "cannot connect", fields: { reason: "again" } });
});

test("keys are apart: each its own first line; streaks() lists them with their counts", () => {
  const { log, records } = recordingLogger();
  const failures = new RepeatedFailures(log, { first: "refused", summary: "still refusing" }, () => 0);
  for (let i = 0; i < 3; i++) failures.failed("CN=a", "revoked");
  failures.failed("CN=b", "expired");
  expect(records.map((r) => r.msg)).toEqual(["refused", "refused"]);
  expect(failures.streaks().map(({ key, total, lastReason }) => [key, total, lastReason])).toEqual([
    ["CN=a", 3, "revoked"],
    ["CN=b", 1, "expired"],
  ]);
});
