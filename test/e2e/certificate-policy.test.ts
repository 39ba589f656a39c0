/**
 * Issue 13 item 3: weak or wrong certificates are refused with the precise reason: by the server at accept (its log,
 * and the client's own log at start), by the client at connect, and by `set-identity` at import, in the same words.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { makeTestPki, runBinary, startClientProcess, startServerProcess, type ServerProcess, type TestPki } from "../support/index.ts";
import { opensslIdentity, type OpensslCertificateOptions } from "../support/openssl-identity.ts";

let pki: TestPki;
let server: ServerProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir);
});

afterAll(async () => {
  await server?.proc.stop();
  await pki?.cleanup();
});

const CLIENT_AUTH = ["extendedKeyUsage=clientAuth"];

/** Bad client certificates and the reason each must be refused with. */
const BAD_CLIENTS: Array<{ cn: string; options: OpensslCertificateOptions; reason: string }> = [
  {
    cn: "rsa1024",
    options: { newkey: ["rsa:1024"], extensions: CLIENT_AUTH },
    reason: 'Cannot use the client certificate "CN=rsa1024": its key is RSA-1024; use RSA of 2048 bits or more, EC P-256, EC P-384 or Ed25519',
  },
  {
    cn: "sha1",
    options: { digest: "sha1", extensions: CLIENT_AUTH },
    reason: 'Cannot use the client certificate "CN=sha1": it is signed with ecdsa-with-SHA1; the CA must sign with SHA-256 or stronger',
  },
  {
    cn: "ca-true",
    options: { extensions: ["basicConstraints=critical,CA:TRUE", ...CLIENT_AUTH] },
    reason: 'Cannot use the client certificate "CN=ca-true": it is a CA certificate (basicConstraints CA:TRUE); a node needs a leaf certificate issued by the CA',
  },
  {
    cn: "server-only",
    options: { extensions: ["extendedKeyUsage=serverAuth"] },
    reason: 'Cannot use the client certificate "CN=server-only": its extended key usage (serverAuth) lacks clientAuth; issue it with extendedKeyUsage=clientAuth',
  },
];

describe("the server refuses a weak or wrong client certificate, saying why", () => {
  for (const { cn, options, reason } of BAD_CLIENTS) {
    test(cn, async () => {
      const identity = opensslIdentity(pki, "client", cn, options);
      const from = server.proc.logs.length;
      const client = await startClientProcess(identity.dir, server.pipePort);
      try {
        const refused = await server.proc.waitForMessage("refused client connection", { reason }, 10_000, from);
        expect(refused["remote"]).toBeDefined();
        // The client says the same about its own certificate at start.
        const own = await client.proc.waitForMessage("identity problem: peers will refuse this certificate", { reason });
        expect(own["reason"]).toBe(reason);
        if (cn !== "server-only") {
          // Refused after the handshake: the server says why, and the client logs it as the reason it cannot connect.
          // (An EKU without clientAuth is refused by TLS itself, which sends no reason.)
          await client.proc.waitForMessage("cannot connect to the server", { reason: `closed by the peer: ${reason}` });
        }
        expect(server.proc.logs.slice(from).some((r) => r.msg === "client connected" && r["client"] === cn)).toBe(false);
      } finally {
        await client.proc.stop();
      }
      // set-identity refuses it at import, in the same words, and stores nothing.
      const dir = join(pki.dir, `import-${cn}`);
      const imported = await runBinary("rp-client", ["set-identity", identity.keyPath, identity.certPath, identity.caPath, "--identity-dir", dir]);
      expect(imported.code).toBe(1);
      expect(imported.stderr).toBe(`rp-client: ${reason}`);
    });
  }

  test("a good openssl certificate (RSA-2048, SHA-256, clientAuth) connects", async () => {
    const identity = opensslIdentity(pki, "client", "good-rsa", { newkey: ["rsa:2048"], extensions: CLIENT_AUTH });
    const client = await startClientProcess(identity.dir, server.pipePort);
    try {
      await server.proc.waitForMessage("client connected", { client: "good-rsa" });
    } finally {
      await client.proc.stop();
    }
  });
});

describe("the client refuses a server certificate without a DNS or IP SAN", () => {
  test("CN=localhost and no SAN: refused at connect; set-identity on the server refuses it too", async () => {
    const identity = opensslIdentity(pki, "server", "localhost", { extensions: ["extendedKeyUsage=serverAuth"] });
    const reason =
      'Cannot use the server certificate "CN=localhost": it names no host (no DNS or IP subjectAltName); issue it with the host clients dial as a SAN (rp-server ca issue --server --san HOST)';
    const noSan = await startServerProcess(identity.dir);
    const client = await startClientProcess((await pki.client("san-checker")).dir, noSan.pipePort);
    try {
      const failed = await client.proc.waitForMessage("cannot connect to the server");
      expect(failed["reason"]).toBe(`refused the server: ${reason}`);
      // The client told the server why it left at once.
      await noSan.proc.waitForMessage("client disconnected", { client: "san-checker", reason: `closed by the peer: refused the server: ${reason}` });
      expect(noSan.proc.logs.some((r) => r.msg === "identity problem: peers will refuse this certificate" && r["reason"] === reason)).toBe(true);
    } finally {
      await client.proc.stop();
      await noSan.proc.stop();
    }
    const imported = await runBinary("rp-server", ["set-identity", identity.keyPath, identity.certPath, identity.caPath, "--identity-dir", join(pki.dir, "import-nosan")]);
    expect(imported).toMatchObject({ code: 1, stderr: `rp-server: ${reason}` });
  });
});
