/** Enrollment tokens (enroll/token.ts) and the token store's redemption rules (enroll/authority.ts), on a real CA directory. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createToken, EnrollError, formatToken, parseToken, parseTtl, redeemToken } from "../../../src/enroll/index.ts";
import { createKeyRequest, initCa } from "../../../src/pki/index.ts";

const sample = { cn: "edge-7", id: "a".repeat(32), secret: "b".repeat(64), caFingerprint: "c".repeat(64) };

describe("token text", () => {
  test("round-trips", () => {
    const text = formatToken(sample);
    expect(text).toMatch(/^rp1\.[A-Za-z0-9_-]+$/);
    expect(parseToken(` ${text}\n`)).toEqual(sample);
  });

  test("damage is named", () => {
    expect(() => parseToken("xyz")).toThrow('Cannot read the token: it does not start with "rp1."');
    expect(() => parseToken("rp1.!!!")).toThrow("Cannot read the token: it is damaged");
    expect(() => parseToken(formatToken({ ...sample, secret: "short" }))).toThrow("Cannot read the token: a field is missing or malformed");
  });

  test("--ttl", () => {
    expect(parseTtl("90s")).toBe(90_000);
    expect(parseTtl("1h")).toBe(3_600_000);
    expect(parseTtl("30d")).toBe(30 * 86_400_000);
    for (const bad of ["0s", "31d", "1w", "h", "1.5h"]) expect(() => parseTtl(bad)).toThrow(`--ttl="${bad}": must be a number with s, m, h or d`);
  });
});

describe("redeeming", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rp-token-"));
    await initCa(dir, { cn: "Test CA", algorithm: "ec", validityDays: 30 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const options = { validityDays: 10, reservedCns: ["hub"] };
  const status = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return "ok";
    } catch (error) {
      return error instanceof EnrollError ? `${error.status} ${error.message}` : `other ${String(error)}`;
    }
  };

  test("once, for its CN, before it expires", async () => {
    const made = await createToken(dir, "edge-1", 60_000);
    const token = parseToken(made.token);
    const other = await createKeyRequest("edge-2");
    expect(await status(redeemToken(dir, { id: token.id, secret: token.secret, csrPem: other.csrPem }, options))).toBe(
      '400 Cannot enroll: the request asks for CN "edge-2", the token is for "edge-1"',
    );
    const mine = await createKeyRequest("edge-1");
    expect(await status(redeemToken(dir, { id: token.id, secret: token.secret, csrPem: mine.csrPem }, options))).toBe("ok");
    expect(await status(redeemToken(dir, { id: token.id, secret: token.secret, csrPem: mine.csrPem }, options))).toStartWith("410 Cannot enroll: the token was used already");
  });

  test("expired, forged, and a reserved CN", async () => {
    const made = parseToken((await createToken(dir, "edge-3", 1_000)).token);
    const csrPem = (await createKeyRequest("edge-3")).csrPem;
    const later = { ...options, now: () => new Date(Date.now() + 2_000) };
    expect(await status(redeemToken(dir, { id: made.id, secret: made.secret, csrPem }, later))).toStartWith("410 Cannot enroll: the token expired at ");
    expect(await status(redeemToken(dir, { id: made.id, secret: "0".repeat(64), csrPem }, options))).toStartWith("403 Cannot enroll: the CA knows no such token");
    const hub = parseToken((await createToken(dir, "hub", 60_000)).token);
    expect(await status(redeemToken(dir, { id: hub.id, secret: hub.secret, csrPem: (await createKeyRequest("hub")).csrPem }, options))).toBe(
      '400 Cannot issue a client certificate for CN "hub": it is the CN of the installed server identity; choose another --cn for the client',
    );
    // A refused signing leaves the token unused: it works once the cause is fixed (here: never, the CN stays reserved).
    expect(await status(redeemToken(dir, { id: hub.id, secret: hub.secret, csrPem: (await createKeyRequest("hub")).csrPem }, options))).toStartWith("400");
  });
});

describe("--server / --listen", () => {
  test("HOST, HOST:PORT, [v6]:PORT; the enrollment port by default", async () => {
    const { hostPort, DEFAULT_ENROLL_PORT } = await import("../../../src/cli/enroll-commands.ts");
    expect(hostPort("rp.example.com", DEFAULT_ENROLL_PORT)).toEqual({ host: "rp.example.com", port: 1235 });
    expect(hostPort("10.0.0.5:9443", DEFAULT_ENROLL_PORT)).toEqual({ host: "10.0.0.5", port: 9443 });
    expect(hostPort("[::1]:0", DEFAULT_ENROLL_PORT)).toEqual({ host: "::1", port: 0 });
    expect(() => hostPort("a:b:c", DEFAULT_ENROLL_PORT)).toThrow('"a:b:c": must be HOST or HOST:PORT (port 0-65535)');
    expect(() => hostPort("h:70000", DEFAULT_ENROLL_PORT)).toThrow("must be HOST or HOST:PORT");
  });
});
