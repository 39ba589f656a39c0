/** CSRs (pki/csr.ts) and the CA's refusal of a server's CN. */
import { describe, expect, test } from "bun:test";
import { CaError, createKeyRequest, readCsr, refuseServerCn, type IssuedRecord } from "../../../src/pki/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

describe("CSR", () => {
  test("a request round-trips: CN and key algorithm; openssl verifies its signature", async () => {
    for (const algorithm of ["ec", "rsa"] as const) {
      const request = await createKeyRequest("edge-7", algorithm);
      expect(request.keyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
      const csr = await readCsr(request.csrPem);
      expect({ cn: csr.cn, algorithm: csr.algorithm }).toEqual({ cn: "edge-7", algorithm });
      const scratch = await scratchDir();
      try {
        await Bun.write(`${scratch.dir}/r.csr.pem`, request.csrPem);
        expect(openssl(["req", "-in", "r.csr.pem", "-noout", "-verify"], scratch.dir).exitCode).toBe(0);
      } finally {
        await scratch.dispose();
      }
    }
  });

  test("openssl's requests are read too", async () => {
    const scratch = await scratchDir();
    try {
      openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "r.csr.pem", "-subj", "/CN=from-openssl"], scratch.dir);
      expect((await readCsr(await scratch.read("r.csr.pem"))).cn).toBe("from-openssl");
    } finally {
      await scratch.dispose();
    }
  });

  test("refusals say why", async () => {
    await expect(readCsr("nothing here")).rejects.toThrow("Cannot sign the request: no -----BEGIN CERTIFICATE REQUEST----- block in it");
    const bogus = "-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQA=\n-----END CERTIFICATE REQUEST-----\n";
    await expect(readCsr(bogus)).rejects.toThrow("Cannot sign the request: it is not a valid PKCS#10 request");
    await expect(readCsr(bogus)).rejects.toBeInstanceOf(CaError);
  });
});

describe("a client may not take a server's CN", () => {
  const server: IssuedRecord = { serial: "ab", cn: "rp.example.com", kind: "server", sans: [], notBefore: "", notAfter: "", fingerprint: "" };
  test("the installed server identity's CN, or a server certificate's of this CA", () => {
    expect(() => refuseServerCn("hub", [], ["hub"])).toThrow('Cannot issue a client certificate for CN "hub": it is the CN of the installed server identity; choose another --cn for the client');
    expect(() => refuseServerCn("rp.example.com", [server], [])).toThrow("it is the CN of the server identity (serial ab)");
    expect(() => refuseServerCn("edge-7", [server], ["hub"])).not.toThrow();
  });
});
