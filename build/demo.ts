/**
 * `npm run demo`: the seed's walkthrough on this machine, with nothing to
 * prepare. Makes a throwaway CA, server and client identities (built-in CA,
 * no openssl), stores them with the binaries' `set-identity`, starts
 * dist/rp-server and dist/rp-client on loopback, runs the seed's four curl
 * examples, prints what they answer, and stops both. Bounded: gives up
 * after 30 s.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCa, issueCertificate } from "../src/pki/index.ts";
import { binary, NodeProcess } from "../test/support/processes.ts";

const CLIENT_CN = "localhost"; // the seed's example addresses the client as "localhost"

/** Writes a throwaway PKI into `dir` and returns the file paths per role. */
async function throwawayIdentities(dir: string) {
  const ca = await createCa({ cn: "RestPipe demo CA", validityDays: 1 });
  const server = await issueCertificate({ ca, role: "server", cn: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], validityDays: 1 });
  const client = await issueCertificate({ ca, role: "client", cn: CLIENT_CN, validityDays: 1 });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const caPath = write("ca.crt.pem", ca.certPem);
  return {
    server: [write("server.key.pem", server.keyPem), write("server.crt.pem", server.certPem), caPath],
    client: [write("client.key.pem", client.keyPem), write("client.crt.pem", client.certPem), caPath],
  };
}

function setIdentity(program: "rp-server" | "rp-client", files: string[], identityDir: string): void {
  const args = ["set-identity", ...files, "--identity-dir", identityDir];
  console.log(`$ ${program} ${args.join(" ")}`);
  const result = spawnSync(binary(program), args, { encoding: "utf8" });
  process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) throw new Error(`${program} set-identity failed`);
}

async function curl(url: string): Promise<void> {
  console.log(`$ curl ${url} && echo`);
  const hasCurl = spawnSync("curl", ["--version"]).status === 0;
  const body = hasCurl ? spawnSync("curl", ["-sS", url], { encoding: "utf8" }).stdout : await (await fetch(url)).text();
  console.log(body);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "restpipe-demo-"));
  const nodes: NodeProcess[] = [];
  const deadline = setTimeout(() => {
    console.error("demo: gave up after 30 s");
    for (const node of nodes) void node.stop("SIGKILL");
    process.exit(1);
  }, 30_000);
  try {
    const files = await throwawayIdentities(work);
    const identityDir = join(work, "identity");
    setIdentity("rp-server", files.server, identityDir);
    setIdentity("rp-client", files.client, identityDir);

    const env = { RP_SERVER_CERT_PATH: identityDir, RP_CLIENT_CERT_PATH: identityDir, RP_LOG_FORMAT: "json" };
    const server = new NodeProcess([binary("rp-server"), "start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0"], env);
    nodes.push(server);
    const listening = await server.waitForMessage("server listening");
    const pipePort = String(listening["pipe"]).split(":").pop()!;
    const client = new NodeProcess(
      [binary("rp-client"), "start", "--server-host", "127.0.0.1", "--server-name", "localhost", "--server-port", pipePort, "--http", "127.0.0.1:0"],
      env,
    );
    nodes.push(client);
    const clientHttp = String((await client.waitForMessage("client started"))["http"]);
    await server.waitForMessage("client connected", { client: CLIENT_CN });
    const serverHttp = String(listening["http"]);
    console.log(`\nrp-server: pipe on 127.0.0.1:${pipePort}, front on ${serverHttp}; rp-client: front on ${clientHttp}\n`);

    console.log("From the client:");
    await curl(`${clientHttp}/server/time`);
    await curl(`${clientHttp}/server/cat//hello%20/world`);
    console.log("\nFrom the server:");
    await curl(`${serverHttp}/client/${CLIENT_CN}/time`);
    await curl(`${serverHttp}/client/${CLIENT_CN}/cat//hello%20/world`);
  } finally {
    clearTimeout(deadline);
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
