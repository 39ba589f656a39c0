import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crlPath, identityFiles, loadNodeIdentity } from "../../../src/identity/index.ts";
import { createCa, IdentityError, RevocationListError, signCrl } from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => pki.cleanup());

const DAY_MS = 86_400_000;

describe("loadNodeIdentity", () => {
  test("a client: its certificate and CA, no CRL, no problem", async () => {
    const client = await pki.client("plain");
    const loaded = await loadNodeIdentity(client.dir, "client", undefined);
    expect(loaded.certificate.subjectCn).toBe("plain");
    expect(loaded.ca.map((ca) => ca.subject)).toEqual(["CN=RestPipe Test CA"]);
    expect([loaded.crl, loaded.revoked.size, loaded.problem, loaded.identity.crlPem]).toEqual([undefined, 0, undefined, undefined]);
  });

  test("a server with server.crl.pem: revoked serials, and the CRL handed to TLS", async () => {
    const server = await pki.serverIdentity("localhost");
    const crl = await signCrl({ ca: pki.ca, revoked: [{ serialHex: "abc123", revokedAt: new Date() }], crlNumber: 5, nextUpdate: new Date(Date.now() + DAY_MS) });
    await writeFile(crlPath(server.dir), crl);
    const loaded = await loadNodeIdentity(server.dir, "server", undefined);
    expect([...loaded.revoked]).toEqual(["abc123"]);
    expect(loaded.identity.crlPem).toBe(crl);
    expect(loaded.crl?.crlNumber).toBe(5);
  });

  test("a lapsed CRL is kept from TLS (which would refuse every client) but its serials still count", async () => {
    const server = await pki.serverIdentity("localhost");
    const crl = await signCrl({
      ca: pki.ca,
      revoked: [{ serialHex: "0d", revokedAt: new Date(Date.now() - 3 * DAY_MS) }],
      crlNumber: 2,
      thisUpdate: new Date(Date.now() - 2 * DAY_MS),
      nextUpdate: new Date(Date.now() - DAY_MS),
    });
    await writeFile(crlPath(server.dir), crl);
    const loaded = await loadNodeIdentity(server.dir, "server", undefined);
    expect([loaded.identity.crlPem, loaded.crlPem, [...loaded.revoked]]).toEqual([undefined, crl, ["0d"]]);
  });

  test("a CRL from another CA is refused, naming the file", async () => {
    const server = await pki.serverIdentity("localhost");
    const other = await createCa({ cn: "Other CA" });
    await writeFile(crlPath(server.dir), await signCrl({ ca: other, revoked: [], crlNumber: 1, nextUpdate: new Date(Date.now() + DAY_MS) }));
    await expect(loadNodeIdentity(server.dir, "server", undefined)).rejects.toThrow(
      new RevocationListError(`Cannot use the revocation list ${crlPath(server.dir)}: it is not signed by the CA ("CN=RestPipe Test CA")`),
    );
  });

  test("an expired certificate loads with its problem (the peer decides); a key that does not match does not load", async () => {
    const expired = await pki.expiredClient("old");
    const loaded = await loadNodeIdentity(expired.dir, "client", undefined);
    expect(loaded.problem?.part).toBe("chain");
    expect(loaded.problem?.message).toMatch(/expired on/);
    const other = await pki.client("other");
    await copyFile(other.keyPath, expired.keyPath);
    const error = await loadNodeIdentity(expired.dir, "client", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).part).toBe("match");
  });

  test("the files to watch: three per role, plus the CRL for the server", () => {
    expect(identityFiles("/d", "client")).toEqual(["/d/client.key.pem", "/d/client.crt.pem", "/d/client.ca.pem"]);
    expect(identityFiles("/d", "server")).toEqual(["/d/server.key.pem", "/d/server.crt.pem", "/d/server.ca.pem", join("/d", "server.crl.pem")]);
  });
});
