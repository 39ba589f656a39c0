import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expiryWarnings, openIdentitySource, type IdentitySource, type LoadedIdentity } from "../../../src/identity/index.ts";
import { IdentityError } from "../../../src/pki/index.ts";
import { FakeClock, makeTestPki, settle, type TestPki } from "../../support/index.ts";
import { loadedFrom, recordingLogger } from "./_support.ts";

let pki: TestPki;
let first: LoadedIdentity;
let second: LoadedIdentity;
beforeAll(async () => {
  pki = await makeTestPki();
  first = await loadedFrom(await pki.client("first"));
  second = await loadedFrom(await pki.client("second"));
});
afterAll(() => pki.cleanup());

const DAY_MS = 86_400_000;

/** A source over scripted loads and file stamps, on a fake clock; wall-clock time is `now`. */
async function scripted(options: { loads: Array<LoadedIdentity | Error>; now?: Date; warnDays?: number; pollMs?: number }) {
  const clock = new FakeClock();
  const { log, records } = recordingLogger();
  const stamps = { value: "v1" };
  let loads = 0;
  const source: IdentitySource = await openIdentitySource({
    load: async () => {
      const next = options.loads[Math.min(loads++, options.loads.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    files: ["/id/client.key.pem", "/id/client.crt.pem"],
    warnDays: options.warnDays ?? 0,
    log,
    pollMs: options.pollMs ?? 2_000,
    clock,
    now: () => options.now ?? new Date(),
    stamp: async (path) => `${path}@${stamps.value}`,
  });
  const changes: Array<[string | undefined, string | undefined]> = [];
  source.onChange((next, previous) => changes.push([next.certificate.subjectCn, previous.certificate.subjectCn]));
  return { source, clock, records, stamps, changes, loads: () => loads };
}

describe("openIdentitySource", () => {
  test("loads at once and logs what it loaded", async () => {
    const { source, records } = await scripted({ loads: [first] });
    expect(source.current).toBe(first);
    expect(records.find((r) => r.msg === "identity loaded")).toMatchObject({ cn: "first", serial: first.certificate.serialHex, fingerprint: first.certificate.fingerprintSha256 });
    source.close();
  });

  test("a load that fails at start throws (the node cannot start without an identity)", async () => {
    await expect(scripted({ loads: [new Error("Cannot read the private key: /id/client.key.pem: no such file")] })).rejects.toThrow("no such file");
  });

  test("a changed file is seen at the next poll: reloaded, subscribers told, logged with the trigger", async () => {
    const { source, clock, records, stamps, changes, loads } = await scripted({ loads: [first, second] });
    await clock.advance(2_000);
    expect(loads()).toBe(1); // nothing changed: nothing read
    stamps.value = "v2";
    await clock.advance(2_000);
    expect(loads()).toBe(2);
    expect(source.current).toBe(second);
    expect(changes).toEqual([["second", "first"]]);
    expect(records.find((r) => r.msg === "identity reloaded")).toMatchObject({ trigger: "file change", cn: "second" });
    source.close();
  });

  test("reload() (SIGHUP) reads at once; the same content again is no change", async () => {
    const { source, changes, records } = await scripted({ loads: [first, await loadedFrom(pki.server), first] });
    expect(await source.reload("SIGHUP")).toBe(true);
    expect(changes).toEqual([["localhost", "first"]]);
    const same = await loadedFrom(pki.server);
    const again = await scripted({ loads: [same, await loadedFrom(pki.server)] });
    expect(await again.source.reload("SIGHUP")).toBe(false);
    expect(again.changes).toEqual([]);
    expect(again.records.some((r) => r.msg === "identity unchanged" && r["trigger"] === "SIGHUP")).toBe(true);
    expect(records.filter((r) => r.msg === "identity reloaded")).toHaveLength(1);
    source.close();
    again.source.close();
  });

  test("a reload that fails keeps the current identity and says why; the next good one applies", async () => {
    const broken = new IdentityError("match", 'Cannot use the identity: the private key does not match the certificate "CN=second"');
    const { source, clock, records, stamps, changes } = await scripted({ loads: [first, broken, second] });
    stamps.value = "half-written";
    await clock.advance(2_000);
    expect(source.current).toBe(first);
    expect(records.find((r) => r.msg === "identity reload failed: keeping the current identity")).toMatchObject({
      level: "error",
      trigger: "file change",
      reason: broken.message,
    });
    await clock.advance(2_000);
    expect(source.current).toBe(first); // the failed state is not retried until a file changes again
    stamps.value = "complete";
    await clock.advance(2_000);
    expect(source.current).toBe(second);
    expect(changes).toEqual([["second", "first"]]);
    source.close();
  });

  test("a new identity the peer would refuse (expired, foreign CA) does not replace a good one", async () => {
    const problem = new IdentityError("chain", "Cannot use the certificate: certificate \"CN=second\" expired on 2020-01-01T00:00:00.000Z");
    const { source, records } = await scripted({ loads: [first, { ...second, problem }] });
    expect(await source.reload("SIGHUP")).toBe(false);
    expect(source.current).toBe(first);
    expect(records.at(-1)).toMatchObject({ msg: "identity reload failed: keeping the current identity", reason: problem.message });
    source.close();
  });

  test("reloads run one at a time, in order", async () => {
    const { source, changes } = await scripted({ loads: [first, second, first] });
    const results = await Promise.all([source.reload("a"), source.reload("b")]);
    expect(results).toEqual([true, true]);
    expect(changes).toEqual([
      ["second", "first"],
      ["first", "second"],
    ]);
    source.close();
  });

  test("polling 0: files are not looked at, only reload() reads", async () => {
    const { source, clock, stamps, loads } = await scripted({ loads: [first, second], pollMs: 0 });
    expect(clock.pendingTimers).toBe(1); // the daily expiry check only
    stamps.value = "v2";
    await clock.advance(60_000);
    expect([loads(), source.current]).toEqual([1, first]);
    expect(await source.reload("SIGHUP")).toBe(true);
    source.close();
  });

  test("close() stops every timer", async () => {
    const { source, clock } = await scripted({ loads: [first] });
    expect(clock.pendingTimers).toBe(2); // the poll and the daily expiry check
    source.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("expiry warnings", () => {
  test("at start, then once a day, for the own certificate and the CA", async () => {
    const soon = new Date(first.certificate.notAfter.getTime() - 10 * DAY_MS);
    const { source, clock, records } = await scripted({ loads: [first], now: soon, warnDays: 30 });
    const warnings = () => records.filter((r) => r.msg === "certificate expires soon");
    expect(warnings()).toEqual([expect.objectContaining({ level: "warn", certificate: "own", subject: "CN=first", daysLeft: 10 })]);
    await clock.advance(DAY_MS - 1);
    expect(warnings()).toHaveLength(1);
    await clock.advance(1);
    expect(warnings()).toHaveLength(2);
    source.close();
  });

  test("none while more than the configured days are left", async () => {
    const { source, records } = await scripted({ loads: [first], warnDays: 30 });
    await settle();
    expect(records.filter((r) => r.msg.startsWith("certificate"))).toEqual([]);
    source.close();
  });

  test("expiryWarnings: own and CA, expired ones flagged, days rounded down", () => {
    const now = new Date(first.certificate.notAfter.getTime() + DAY_MS + 5);
    const ca = first.ca[0]!;
    const all = expiryWarnings(first.certificate, first.ca, 0, now);
    expect(all).toEqual([{ certificate: "own", subject: "CN=first", notAfter: first.certificate.notAfter, daysLeft: -2, expired: true }]);
    const caSoon = new Date(ca.notAfter.getTime() - 2.5 * DAY_MS);
    expect(expiryWarnings(first.certificate, first.ca, 3, caSoon).map((w) => [w.certificate, w.daysLeft, w.expired])).toEqual([
      ["own", expect.any(Number), true],
      ["CA", 2, false],
    ]);
  });
});
