import { afterAll, beforeAll, expect, test } from "bun:test";
import { peerCertificate, peerCn } from "../../../src/identity/index.ts";
import { certificatePolicyRefusal, pemBlocks } from "../../../src/pki/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";

let pki: TestPki;
let der: Uint8Array;
beforeAll(async () => {
  pki = await makeTestPki();
  der = pemBlocks((await pki.client("reader")).certPem)[0]!.der;
});
afterAll(() => pki.cleanup());

test("a peer's certificate is parsed once per connection, however many ask", async () => {
  const peer = { remoteAddress: "127.0.0.1:1", certificateDer: der };
  const first = peerCertificate(peer);
  expect(peerCertificate(peer)).toBe(first);
  expect((await first)?.subjectCn).toBe("reader");
  expect(await peerCn(peer)).toBe("reader");
  expect(peerCertificate({ ...peer })).not.toBe(first); // another connection, another parse
});

test("no certificate, or one that cannot be read, has no name", async () => {
  expect(await peerCn({ remoteAddress: "127.0.0.1:2" })).toBeUndefined();
  expect(await peerCn({ remoteAddress: "127.0.0.1:3", certificateDer: Uint8Array.of(1, 2, 3) })).toBeUndefined();
});

test("what a connection keeps is the plain info: no parser object attached, the peer's own DER bytes, the policy still judged", async () => {
  const peer = { remoteAddress: "127.0.0.1:4", certificateDer: der };
  const info = (await peerCertificate(peer))!;
  expect(Object.getOwnPropertySymbols(info)).toEqual([]);
  expect(info.der).toBe(der);
  expect(Object.isFrozen(info)).toBe(true);
  expect(certificatePolicyRefusal(info, "client")).toBeUndefined();
  expect(certificatePolicyRefusal(info, "server")).toContain("lacks serverAuth");
});
