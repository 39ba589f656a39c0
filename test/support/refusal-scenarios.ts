/**
 * The clients every rp-server must refuse, written once and run against each
 * launcher (the Bun binary in test/e2e/authentication.test.ts, rp-server on
 * Deno in test/interop/deno-server.test.ts): another CA, expired, not yet
 * valid, no certificate, no CN. Each is refused with a clear line on the
 * server (and, where the client gets that far, on the client) while the good
 * client keeps working.
 */
import { describe, expect, test } from "bun:test";
import type { TestPki } from "./pki.ts";
import type { ClientProcess, ServerProcess } from "./processes.ts";
import { connectWithoutCertificate, refusal } from "./refusals.ts";

/** The server under test, as the suite started it. */
export interface RefusalTarget {
  readonly server: () => ServerProcess;
  readonly pki: () => TestPki;
  /** Starts a dist/rp-client with `dir` against the server (retrying fast), and keeps it for the suite to stop. */
  readonly startRefused: (dir: string) => Promise<ClientProcess>;
  /** A request through the good client, which must keep working. */
  readonly goodStillWorks: () => Promise<void>;
  /**
   * The server's reason for a certificate refused in the handshake. Bun's TLS says why; Deno's only that the
   * handshake closed (see src/runtime/deno/tls-server.ts), and without the subject.
   */
  readonly reasons: { readonly foreignCa: RegExp; readonly expired: RegExp; readonly notYetValid: RegExp; readonly withSubject: boolean };
}

/** Registers the refusal scenarios for `target` under `title`. */
export function describeRefusals(title: string, target: RefusalTarget): void {
  const refused = (reason: RegExp, cn: string) => refusal(reason, target.reasons.withSubject ? `CN=${cn}` : undefined);
  const neverConnected = (bad: ClientProcess, cn: string) => {
    expect(target.server().proc.logs.some((r) => r.msg === "client connected" && r["client"] === cn)).toBe(false);
    expect(bad.proc.logs.some((r) => r.msg === "connected to the server")).toBe(false); // refused is never "connected"
  };

  describe(title, () => {
    test("a certificate from another CA", async () => {
      const server = target.server();
      const mark = server.proc.logs.length;
      const bad = await target.startRefused((await target.pki().foreignClient("intruder")).dir);
      const serverLine = await server.proc.waitForLog(refused(target.reasons.foreignCa, "intruder"), 10_000, mark);
      expect(serverLine["remote"]).toMatch(/^127\.0\.0\.1:\d+$/);
      const clientLine = await bad.proc.waitForMessage("cannot connect to the server");
      expect(String(clientLine["reason"])).toStartWith("closed by the server before the first reply: certificate rejected?");
      neverConnected(bad, "intruder");
      await target.goodStillWorks();
    });

    test("an expired certificate", async () => {
      const server = target.server();
      const mark = server.proc.logs.length;
      const bad = await target.startRefused((await target.pki().expiredClient("stale")).dir);
      await server.proc.waitForLog(refused(target.reasons.expired, "stale"), 10_000, mark);
      const startup = await bad.proc.waitForMessage("identity problem: peers will refuse this certificate");
      expect(String(startup["reason"])).toMatch(/expired on/);
      await bad.proc.waitForMessage("cannot connect to the server");
      neverConnected(bad, "stale");
      await target.goodStillWorks();
    });

    test("a certificate that is not yet valid", async () => {
      const server = target.server();
      const mark = server.proc.logs.length;
      const bad = await target.startRefused((await target.pki().notYetValidClient("early")).dir);
      await server.proc.waitForLog(refused(target.reasons.notYetValid, "early"), 10_000, mark);
      await bad.proc.waitForMessage("cannot connect to the server");
      neverConnected(bad, "early");
      await target.goodStillWorks();
    });

    test("no certificate at all", async () => {
      const server = target.server();
      const mark = server.proc.logs.length;
      const outcome = await connectWithoutCertificate(server.pipePort, target.pki().ca.certPem);
      expect(outcome).toMatch(/CERTIFICATE_REQUIRED|closed/);
      await server.proc.waitForLog(refusal(/^no client certificate presented$/), 10_000, mark);
      await target.goodStillWorks();
    });

    test("a certificate without a CN", async () => {
      const server = target.server();
      const mark = server.proc.logs.length;
      const bad = await target.startRefused((await target.pki().clientWithoutCn()).dir);
      await server.proc.waitForLog(refusal(/certificate has no CN/), 10_000, mark);
      await bad.proc.waitForMessage("cannot connect to the server");
      expect(bad.proc.logs.some((r) => r.msg === "connected to the server")).toBe(false);
      await target.goodStillWorks();
    });
  });
}
