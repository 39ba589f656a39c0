import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkIdentity, IdentityError, identityPaths, readIdentityFiles, storeIdentity } from "../../../src/pki/index.ts";
import { fileMode } from "../../../src/platform/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => pki.cleanup());

async function failure(promise: Promise<unknown>): Promise<IdentityError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityError);
    return error as IdentityError;
  }
  throw new Error("expected an IdentityError, the call succeeded");
}

describe("identityPaths", () => {
  test("<dir>/<role>.key.pem, .crt.pem, .ca.pem", () => {
    expect(identityPaths("/etc/restpipe", "client")).toEqual({
      key: "/etc/restpipe/client.key.pem",
      cert: "/etc/restpipe/client.crt.pem",
      ca: "/etc/restpipe/client.ca.pem",
    });
    expect(identityPaths("/x", "server").cert).toBe("/x/server.crt.pem");
  });
});

describe("storeIdentity", () => {
  test("creates the directory 0700 and writes the key 0600, certificates 0644", async () => {
    const dir = join(pki.dir, "new", "identity");
    const client = await pki.client("client-1");
    const paths = await storeIdentity(dir, "client", client);
    expect(paths).toEqual(identityPaths(dir, "client"));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await fileMode(paths.key)).toBe(0o600);
    expect(await fileMode(paths.cert)).toBe(0o644);
    expect(await fileMode(paths.ca)).toBe(0o644);
    expect(await readFile(paths.key, "utf8")).toBe(client.keyPem);
    expect((await readdir(dir)).sort()).toEqual(["client.ca.pem", "client.crt.pem", "client.key.pem"]);
  });

  test("what it stored reads back and checks", async () => {
    const dir = join(pki.dir, "roundtrip");
    const server = pki.server;
    await storeIdentity(dir, "server", server);
    const read = await readIdentityFiles(identityPaths(dir, "server"));
    expect(read).toEqual({ keyPem: server.keyPem, certPem: server.certPem, caPem: server.caPem });
    expect((await checkIdentity(read)).certificate.subjectCn).toBe("localhost");
  });

  test("an existing directory keeps its mode; a new identity replaces the old one", async () => {
    const dir = join(pki.dir, "existing");
    await mkdir(dir, { mode: 0o750 });
    await storeIdentity(dir, "client", await pki.client("first"));
    const second = await pki.client("second");
    await storeIdentity(dir, "client", second);
    expect((await stat(dir)).mode & 0o777).toBe(0o750);
    expect(await readIdentityFiles(identityPaths(dir, "client"))).toEqual({ keyPem: second.keyPem, certPem: second.certPem, caPem: second.caPem });
    expect(await fileMode(identityPaths(dir, "client").key)).toBe(0o600);
  });

  test("a bad identity writes nothing: the stored one stays untouched", async () => {
    const dir = join(pki.dir, "untouched");
    const good = await pki.client("good");
    await storeIdentity(dir, "client", good);
    const before = await readdir(dir);
    const other = await pki.client("other");
    const bad = [
      { ...other, keyPem: good.keyPem }, // mismatched key
      await pki.expiredClient("expired"),
      await pki.foreignClient("foreign"),
      await pki.clientWithoutCn(),
      { ...other, certPem: "garbage" },
    ];
    for (const identity of bad) await failure(storeIdentity(dir, "client", identity));
    expect(await readdir(dir)).toEqual(before); // no temp files left either
    expect(await readIdentityFiles(identityPaths(dir, "client"))).toEqual({ keyPem: good.keyPem, certPem: good.certPem, caPem: good.caPem });
  });

  test("a bad identity does not create the directory", async () => {
    const dir = join(pki.dir, "never-created");
    await failure(storeIdentity(dir, "client", await pki.clientWithoutCn()));
    expect(await fileMode(dir)).toBeUndefined();
  });

  test("a directory path that is a file is reported", async () => {
    const file = join(pki.dir, "a-file");
    await writeFile(file, "x");
    const error = await failure(storeIdentity(file, "client", await pki.client("c")));
    expect(error.part).toBe("files");
    expect(error.message).toBe(`Cannot store the identity: ${file}: exists and is not a directory`);
  });
});

describe("readIdentityFiles", () => {
  test("a missing file names the part and the path", async () => {
    const paths = identityPaths(join(pki.dir, "missing"), "client");
    const error = await failure(readIdentityFiles(paths));
    expect(error.part).toBe("key");
    expect(error.message).toBe(`Cannot read the private key: ${paths.key}: no such file`);
    const client = await pki.client("half");
    const error2 = await failure(readIdentityFiles({ key: client.keyPath, cert: paths.cert, ca: client.caPath }));
    expect(error2.message).toBe(`Cannot read the certificate: ${paths.cert}: no such file`);
    const error3 = await failure(readIdentityFiles({ key: client.keyPath, cert: client.certPath, ca: pki.dir }));
    expect(error3.message).toBe(`Cannot read the CA certificate: ${pki.dir}: is a directory, not a file`);
  });

  test("the passphrase is carried along", async () => {
    const client = await pki.client("p");
    const read = await readIdentityFiles({ key: client.keyPath, cert: client.certPath, ca: client.caPath }, "s3cret");
    expect(read.passphrase).toBe("s3cret");
  });

  test("the test PKI writes keys 0600", async () => {
    const client = await pki.client("mode");
    expect([await fileMode(client.keyPath), await fileMode(pki.ca.keyPath), await fileMode(pki.server.keyPath)]).toEqual([0o600, 0o600, 0o600]);
    expect(client.dir).toBe(join(client.keyPath, ".."));
    expect(identityPaths(client.dir, "client")).toEqual({ key: client.keyPath, cert: client.certPath, ca: client.caPath });
  });
});
