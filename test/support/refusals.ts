/** What the tests of refused connections share: the server's refusal log line, and a TLS client without a certificate. */
import type { LogRecord } from "./processes.ts";

/** A matcher for the server's "refused client connection" line with a reason (and subject, when given). */
export function refusal(reason: RegExp, subject?: string): (record: LogRecord) => boolean {
  return (record) =>
    record.msg === "refused client connection" && reason.test(String(record["reason"])) && (subject === undefined || record["subject"] === subject);
}

/** Dials 127.0.0.1:`port` over TLS with no client certificate and writes a heartbeat: "data", "closed" or "error: …". */
export function connectWithoutCertificate(port: number, caPem: string): Promise<string> {
  return new Promise<string>((resolve) => {
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { ca: caPem, serverName: "localhost", rejectUnauthorized: true },
      socket: {
        open: (socket) => void socket.write(new Uint8Array([1, 0, 0, 0, 0, 2, 0, 0, 0, 1, 8, 1])),
        data: () => resolve("data"),
        error: (_socket, error) => resolve(`error: ${error.message}`),
        close: () => resolve("closed"),
      },
    });
  });
}

/** Environment for a client that will be refused: it retries quickly, so the test sees its refusal soon. */
export const FAST_RETRY = { RP_CLIENT_RECONNECT_BASE_S: "0.2", RP_CLIENT_RECONNECT_CAP_S: "0.5" } as const;
