import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PemError, pemBlocks, toPem } from "../../../src/pki/index.ts";
import { makeTestPki, seededRandom } from "../../support/index.ts";
import { openssl, scratchDir } from "./_openssl.ts";

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error, none was thrown");
}

describe("toPem / pemBlocks", () => {
  test("round-trips bytes of every length from 0 to 200", () => {
    const random = seededRandom(7);
    for (let length = 0; length <= 200; length++) {
      const der = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      const pem = toPem("CERTIFICATE", der);
      expect(pemBlocks(pem)).toEqual([{ label: "CERTIFICATE", der }]);
    }
  });

  test("writes 64-column base64 lines and a trailing newline", () => {
    const pem = toPem("PRIVATE KEY", new Uint8Array(100).fill(0xab));
    const lines = pem.split("\n");
    expect(lines[0]).toBe("-----BEGIN PRIVATE KEY-----");
    expect(lines[1]!.length).toBe(64);
    expect(lines[2]!.length).toBe(64);
    expect(lines[3]!.length).toBe(8); // 136 base64 characters in all
    expect(lines[4]).toBe("-----END PRIVATE KEY-----");
    expect(lines[5]).toBe("");
    expect(lines.length).toBe(6);
    expect(pem.endsWith("-----\n")).toBe(true);
  });

  test("writes exactly what openssl writes for the same certificate", async () => {
    const pki = await makeTestPki();
    const scratch = await scratchDir();
    try {
      await writeFile(join(scratch.dir, "in.pem"), `comment before\n${pki.server.certPem}`);
      const fromOpenssl = openssl(["x509", "-in", "in.pem"], scratch.dir).stdout;
      const [block] = pemBlocks(fromOpenssl);
      expect(toPem(block!.label, block!.der)).toBe(fromOpenssl);
      expect(fromOpenssl).toBe(pki.server.certPem);
    } finally {
      await scratch.dispose();
      await pki.cleanup();
    }
  });

  test("finds every block in order, skipping text between them and CRLF line ends", () => {
    const text = `Bag Attributes\r\n${toPem("CERTIFICATE", Uint8Array.of(1, 2, 3))}subject=CN = x\n${toPem("PRIVATE KEY", Uint8Array.of(4))}`.replace(/\n/g, "\r\n");
    expect(pemBlocks(text)).toEqual([
      { label: "CERTIFICATE", der: Uint8Array.of(1, 2, 3) },
      { label: "PRIVATE KEY", der: Uint8Array.of(4) },
    ]);
  });

  test("skips RFC 1421 headers of a legacy encrypted key", () => {
    const text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAQID\n-----END RSA PRIVATE KEY-----\n";
    expect(pemBlocks(text)).toEqual([{ label: "RSA PRIVATE KEY", der: Uint8Array.of(1, 2, 3) }]);
  });
});

describe("pemBlocks errors", () => {
  test("text without any block", () => {
    const error = errorOf(() => pemBlocks("just some text"));
    expect(error).toBeInstanceOf(PemError);
    expect(error.message).toBe("Cannot read PEM: no BEGIN/END block found");
  });

  test("a BEGIN line without its END line", () => {
    expect(errorOf(() => pemBlocks("-----BEGIN CERTIFICATE-----\nAQID\n")).message).toBe(
      "Cannot read PEM: a BEGIN line without its END line",
    );
  });

  test("BEGIN and END labels that differ", () => {
    expect(errorOf(() => pemBlocks("-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n")).message).toBe(
      'Cannot read PEM: block "BEGIN CERTIFICATE" ends with "END PRIVATE KEY"',
    );
  });

  test("a body that is not base64", () => {
    const error = errorOf(() => pemBlocks("-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n"));
    expect(error).toBeInstanceOf(PemError);
    expect(error.message).toBe('Cannot read PEM: the body of the "CERTIFICATE" block is not valid base64');
  });

  test("a body of the wrong length", () => {
    expect(errorOf(() => pemBlocks("-----BEGIN X-----\nAQI\n-----END X-----\n")).message).toBe(
      'Cannot read PEM: the body of the "X" block is not valid base64',
    );
  });
});
