/**
 * Issued identities in a real Bun mTLS handshake on 127.0.0.1:0: the server requires and verifies the client
 * certificate, the client verifies the server's (IP SAN 127.0.0.1), and the client CN is read back with pkijs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { parseCertificate } from "../../../src/pki/index.ts";
import { makeTestPki, type FileIdentity, type TestPki } from "../../support/index.ts";

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => pki.cleanup());

interface Outcome {
  serverAuthorized: boolean | undefined;
  peerCn: string | undefined;
  echoed: string;
  clientAuthorized: boolean | undefined;
}

/** One connection: the client writes "ping" from `open`, the server echoes it; resolves when the client's socket closes. */
async function handshake(server: FileIdentity, client: FileIdentity): Promise<Outcome> {
  const outcome: Outcome = { serverAuthorized: undefined, peerCn: undefined, echoed: "", clientAuthorized: undefined };
  const peerCn: Promise<string | undefined>[] = [];
  let listener: TCPSocketListener | undefined;
  let socket: Socket | undefined;
  const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>();
  try {
    listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { key: server.keyPem, cert: server.certPem, ca: server.caPem, requestCert: true, rejectUnauthorized: true },
      socket: {
        open(s) {
          outcome.serverAuthorized = s.authorized;
          if (!s.authorized) return void s.end();
          const raw = s.getPeerX509Certificate()?.raw;
          peerCn.push(raw ? parseCertificate(new Uint8Array(raw)).then((c) => c.subjectCn) : Promise.resolve(undefined));
        },
        data(s, data) {
          s.write(data);
        },
      },
    });
    socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: listener.port,
      tls: { key: client.keyPem, cert: client.certPem, ca: client.caPem, rejectUnauthorized: true },
      socket: {
        open(s) {
          outcome.clientAuthorized = s.authorized;
          if (s.authorized) s.write("ping");
        },
        data(s, data) {
          outcome.echoed += data.toString();
          if (outcome.echoed === "ping") s.end();
        },
        close: () => onClosed(),
        connectError: () => onClosed(),
      },
    });
    const timeout = setTimeout(onClosed, 5000);
    await closed;
    clearTimeout(timeout);
    outcome.peerCn = await peerCn[0];
    return outcome;
  } finally {
    socket?.end();
    listener?.stop(true);
  }
}

describe("Bun mTLS with issued identities", () => {
  test("an EC client: both sides authorized, bytes echoed, the server reads the client CN", async () => {
    expect(await handshake(pki.server, await pki.client("client-1"))).toEqual({
      serverAuthorized: true,
      peerCn: "client-1",
      echoed: "ping",
      clientAuthorized: true,
    });
  });

  test("an RSA client and an RSA server", async () => {
    const server = await pki.serverIdentity("localhost", { algorithm: "rsa" });
    expect(await handshake(server, await pki.client("rsa-client", { algorithm: "rsa" }))).toEqual({
      serverAuthorized: true,
      peerCn: "rsa-client",
      echoed: "ping",
      clientAuthorized: true,
    });
  });

  test("a client from a foreign CA is refused by the server", async () => {
    const outcome = await handshake(pki.server, await pki.foreignClient("intruder"));
    expect(outcome.serverAuthorized).toBe(false);
    expect(outcome.echoed).toBe("");
    expect(outcome.peerCn).toBeUndefined();
  });

  test("an expired client is refused by the server", async () => {
    const outcome = await handshake(pki.server, await pki.expiredClient("old"));
    expect(outcome.serverAuthorized).toBe(false);
    expect(outcome.echoed).toBe("");
  });

  test("a server certificate without the 127.0.0.1 SAN is refused by the client", async () => {
    const server = await pki.serverIdentity("elsewhere.example", { dnsNames: ["elsewhere.example"], ipAddresses: ["10.9.9.9"] });
    const outcome = await handshake(server, await pki.client("client-2"));
    expect(outcome.clientAuthorized).not.toBe(true);
    expect(outcome.echoed).toBe("");
  });
});
