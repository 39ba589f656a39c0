/** Client labels in certificates: written as SAN URIs, read back, seen by openssl; a foreign certificate's odd label URIs are left out. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCa, issueCertificate, parseCertificatesPem, type PemIdentity } from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

let ca: PemIdentity;
let scratch: Awaited<ReturnType<typeof scratchDir>>;

beforeAll(async () => {
  ca = await createCa({ cn: "Labels CA" });
  scratch = await scratchDir();
});
afterAll(() => scratch?.dispose());

describe("labels in client certificates", () => {
  test("issued as restpipe:label: URIs, read back as labels; openssl sees the URIs", async () => {
    const issued = await issueCertificate({ ca, cn: "edge-7", role: "client", labels: { role: "db", site: "fra" } });
    const [info] = await parseCertificatesPem(issued.certPem);
    expect(info!.labels).toEqual({ role: "db", site: "fra" });
    expect(info!.uris).toEqual(["restpipe:label:role=db", "restpipe:label:site=fra"]);
    expect(info!.invalidLabels).toEqual([]);
    await writeFile(join(scratch.dir, "edge-7.pem"), issued.certPem);
    const text = openssl(["x509", "-in", "edge-7.pem", "-noout", "-ext", "subjectAltName"], scratch.dir).stdout;
    expect(text).toContain("URI:restpipe:label:role=db, URI:restpipe:label:site=fra");
  });

  test("a label that breaks the syntax is refused at issue", async () => {
    await expect(issueCertificate({ ca, cn: "x", role: "client", labels: { role: "d b" } })).rejects.toThrow('Cannot use label "role=d b"');
  });

  test("a certificate made elsewhere: label URIs that break the rules are left out and listed; other URIs are no labels", async () => {
    await writeFile(join(scratch.dir, "ca.key"), ca.keyPem);
    await writeFile(join(scratch.dir, "ca.crt"), ca.certPem);
    await writeFile(
      join(scratch.dir, "ext.cnf"),
      "subjectAltName=URI:restpipe:label:role=db,URI:restpipe:label:Bad=x,URI:restpipe:label:role=web,URI:https://example.com/,URI:restpipe:label:site=a%20b\n",
    );
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "r.csr", "-subj", "/CN=foreign"], scratch.dir);
    openssl(["x509", "-req", "-in", "r.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "ext.cnf", "-out", "f.pem"], scratch.dir);
    const [info] = await parseCertificatesPem(await scratch.read("f.pem"));
    expect(info!.labels).toEqual({ role: "db" });
    expect(info!.invalidLabels).toEqual(["restpipe:label:Bad=x", "restpipe:label:role=web", "restpipe:label:site=a%20b"]);
  });
});
