/** What a fleet member announces as the address its peers dial, from its bind interface, its certificate, or the setting. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ownRecord } from "../../../src/server/_fleet.ts";
import type { NodeDeps } from "../../../src/node/index.ts";
import { makeTestPki, type TestPki } from "../../support/index.ts";

let pki: TestPki;
beforeAll(async () => (pki = await makeTestPki()));
afterAll(() => pki?.cleanup());

const deps = (certPem: string) => ({ identity: { certPem, keyPem: "", caPem: "" } }) as unknown as NodeDeps;

test("the bind interface; bound to every interface, the certificate's first IP SAN; RP_SERVER_FLEET_ADDRESS over both", async () => {
  const record = (hostname: string, configured?: string) => ownRecord(deps(pki.server.certPem), "blue", "id-1", { hostname, port: 7443 }, configured);
  expect(await record("10.1.2.3")).toEqual({ id: "id-1", fleet: "blue", address: "10.1.2.3:7443", cn: "localhost" });
  expect((await record("0.0.0.0")).address).toBe("127.0.0.1:7443");
  expect((await record("::")).address).toBe("127.0.0.1:7443");
  expect((await record("fd00::5")).address).toBe("[fd00::5]:7443");
  expect((await record("0.0.0.0", "rp1.example.net:1234")).address).toBe("rp1.example.net:1234");
});

test("a certificate with only a DNS name: that name", async () => {
  const identity = await pki.serverIdentity("rp.example.net", { dnsNames: ["rp.example.net"], ipAddresses: [] });
  expect((await ownRecord(deps(identity.certPem), "blue", "id-2", { hostname: "0.0.0.0", port: 1 }, undefined)).address).toBe("rp.example.net:1");
});
