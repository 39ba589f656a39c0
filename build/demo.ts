/**
 * `npm run demo`: the seed's walkthrough on this machine, with nothing to
 * prepare. Makes throwaway identities with the binaries' built-in CA
 * (`rp-server ca init`, `ca issue`, `set-identity --bundle`: no openssl),
 * starts dist/rp-server and dist/rp-client on loopback, runs the seed's four
 * curl examples, prints what they answer, and stops both. Bounded: gives up
 * after 30 s.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary, NodeProcess } from "../test/support/processes.ts";

const CLIENT_CN = "localhost"; // the seed's example addresses the client as "localhost"

/** Runs one command as a user would type it, printing it and its output; throws when it fails. */
function run(program: "rp-server" | "rp-client", args: string[], env: Record<string, string>): void {
  console.log(`$ ${program} ${args.map((arg) => (/\s/.test(arg) ? `"${arg}"` : arg)).join(" ")}`);
  const result = spawnSync(binary(program), args, { encoding: "utf8", env: { ...process.env, ...env } });
  process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) throw new Error(`${program} ${args[0]} failed`);
}

/** The built-in CA in `<identityDir>/ca`; the server and client identities installed from bundles. */
function makeIdentities(identityDir: string): void {
  const env = { RP_SERVER_CERT_PATH: identityDir, RP_CLIENT_CERT_PATH: identityDir };
  const ca = join(identityDir, "ca");
  run("rp-server", ["ca", "init", "--cn", "RestPipe demo CA"], env);
  run("rp-server", ["ca", "issue", "--server", "--cn", "demo-server", "--san", "localhost", "--san", "127.0.0.1"], env);
  run("rp-server", ["set-identity", "--bundle", join(ca, "demo-server.bundle.pem")], env);
  run("rp-server", ["ca", "issue", "--cn", CLIENT_CN], env);
  run("rp-client", ["set-identity", "--bundle", join(ca, `${CLIENT_CN}.bundle.pem`)], env);
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
    const identityDir = join(work, "identity");
    makeIdentities(identityDir);

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
