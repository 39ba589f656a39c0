/**
 * Policy, caller identity, audit trail and trace context on the compiled
 * binaries, both directions: refusals (403, code 252, the rule named) before
 * any handler runs, counted in /metrics; the caller tag and trace context
 * reaching the handler and the audit lines; X-RestPipe-Peer set by the front
 * (a caller's own copy ignored); a bad caller tag refused with 400; a policy
 * reloaded on SIGHUP (a bad one refused, the current kept); the audit file
 * moved away (rename, then SIGHUP) and rotated by Debian's logrotate
 * (create, postrotate SIGHUP), reopened each time; `policy check`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FIXTURE_HANDLERS, makeTestPki, runBinary, startConnectedPair, waitUntil, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
let serverConfig: string;
let serverAudit: string;
let clientAudit: string;

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** The server's policy: edge-7 may not read secrets (rule 2); everything else is allowed. */
const serverPolicy = (secretsAction: "allow" | "deny") => `
RP_SERVER_IDENTITY_POLL_S = 0

[RP_SERVER_POLICY]
default = "allow"

[[RP_SERVER_POLICY.rules]]
cn = "edge-*"
verbs = ["GET"]
action = "allow"

[[RP_SERVER_POLICY.rules]]
cn = "edge-7"
handler = "get_secrets"
action = "${secretsAction}"
`;

/** The client's policy (JSON): the server may only GET time and context here. */
const CLIENT_POLICY = { default: "deny", rules: [{ cn: "localhost", verbs: ["GET"], noun: "time", action: "allow" }, { cn: "localhost", verb: "GET", handler: "get_context", action: "allow" }] };

beforeAll(async () => {
  pki = await makeTestPki();
  const identity = await pki.client("edge-7");
  serverConfig = join(identity.dir, "..", "rp-server.toml");
  const clientConfig = join(identity.dir, "..", "rp-client.json");
  serverAudit = join(identity.dir, "..", "server-audit.log");
  clientAudit = join(identity.dir, "..", "client-audit.log");
  await writeFile(serverConfig, serverPolicy("deny"));
  await writeFile(clientConfig, JSON.stringify({ RP_CLIENT_POLICY: CLIENT_POLICY, RP_CLIENT_AUDIT_LOG: clientAudit }));
  ({ server, client } = await startConnectedPair(pki.server.dir, identity, {
    serverEnv: { RP_EVENT_HANDLER: FIXTURE_HANDLERS, RP_SERVER_CONFIG: serverConfig, RP_SERVER_AUDIT_LOG: serverAudit },
    clientEnv: { RP_EVENT_HANDLER: FIXTURE_HANDLERS, RP_CLIENT_CONFIG: clientConfig },
  }));
  // Caller and trace context go only to a peer whose capabilities are known (its first heartbeat): one round trip each way makes sure.
  await fetch(`${client.http}/server/time`);
  await fetch(`${server.http}/client/edge-7/time`);
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

async function call(front: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${front}${path}`, init);
  return { status: response.status, code: response.headers.get("x-event-return-code"), peer: response.headers.get("x-restpipe-peer"), body: (await response.json()) as Record<string, unknown> };
}

/** The audit file's lines as objects. */
async function auditLines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until the audit file at `path` has a line with these fields; returns it. */
async function auditLine(path: string, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  let lines: Array<Record<string, unknown>> = [];
  const matches = (line: Record<string, unknown>) => Object.entries(fields).every(([key, value]) => line[key] === value);
  await waitUntil(() => (found = lines.find(matches)) !== undefined || (void auditLines(path).then((l) => (lines = l)), false), `audit line ${JSON.stringify(fields)} in ${path}`, 10_000).catch((error: Error) => {
    throw new Error(`${error.message}; lines: ${JSON.stringify(lines)}`);
  });
  return found!;
}

describe("client → server: the server's policy", () => {
  test("a denied call is 403, code 252, naming the rule, before any handler runs; the front names the peer", async () => {
    const result = await call(client.http, "/server/secrets", { headers: { "x-restpipe-caller": "billing-app", "x-restpipe-peer": "evil" } });
    expect(result).toEqual({ status: 403, code: "252", peer: "localhost", body: { error: 'Cannot call get_secrets: denied by policy rule 2 for "edge-7"' } });
  });

  test("an allowed call reaches the handler with the caller tag and the trace context; a caller's X-RestPipe-Peer is ignored", async () => {
    const result = await call(client.http, "/server/context", { headers: { "x-restpipe-caller": "billing-app", "x-restpipe-peer": "evil", traceparent: TRACEPARENT, tracestate: "rp=1,vendor=x" } });
    expect(result).toEqual({ status: 200, code: "0", peer: "localhost", body: { peer: "edge-7", caller: "billing-app", traceparent: TRACEPARENT, tracestate: "rp=1,vendor=x" } });
  });

  test("without a traceparent (or with a malformed one) the handler gets a new, valid one", async () => {
    for (const headers of [{}, { traceparent: "00-zz-1-01", tracestate: "a=b" }]) {
      const { body } = await call(client.http, "/server/context", { headers });
      expect(String(body["traceparent"])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(body["traceparent"]).not.toBe(TRACEPARENT);
      expect(body["tracestate"]).toBe("");
    }
  });

  test("a caller tag that is too long or holds a control character is refused with 400, saying why", async () => {
    expect(await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "x".repeat(257) } })).toEqual({
      status: 400,
      code: "252",
      peer: null,
      body: { error: "Cannot accept X-RestPipe-Caller: 257 characters exceed the limit of 256; send a shorter tag" },
    });
    const tab = await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "a\tb" } });
    expect(tab.body).toEqual({ error: "Cannot accept X-RestPipe-Caller: character 2 is not printable ASCII (code 9); send printable ASCII only" });
  });

  test("the refusal is counted in the server's /metrics, by rule", async () => {
    const text = await (await fetch(`${server.http}/metrics`)).text();
    expect(text).toContain('restpipe_policy_denied_total{rule="2"} 1');
  });

  test("both audit logs have the calls: in on the server (with the rule), out on the client; arguments redacted", async () => {
    const denied = await auditLine(serverAudit, { direction: "in", noun: "secrets" });
    expect(denied).toMatchObject({ cn: "edge-7", verb: "GET", caller: "billing-app", code: 252, status: 403, rule: 2, bytes_in: 0 });
    expect(typeof denied["time"]).toBe("string");
    expect(typeof denied["duration_ms"]).toBe("number");
    const out = await auditLine(clientAudit, { direction: "out", noun: "context", traceparent: TRACEPARENT });
    expect(out).toMatchObject({ cn: "localhost", verb: "GET", caller: "billing-app", code: 0, status: 200, rule: null });
    await call(client.http, "/server/whoami//secret-arg");
    expect(await auditLine(serverAudit, { direction: "in", verb: "GET", noun: "whoami//<redacted>" })).toMatchObject({ rule: 1, code: 0, status: 200 });
  });
});

describe("server → client: the client's policy", () => {
  test("the server may GET time and context on the client; anything else is denied by the client's default", async () => {
    const time = await call(server.http, "/client/edge-7/time");
    expect({ status: time.status, peer: time.peer }).toEqual({ status: 200, peer: "edge-7" });
    const context = await call(server.http, "/client/edge-7/context", { headers: { "x-restpipe-caller": "web-1", traceparent: TRACEPARENT } });
    expect(context.body).toEqual({ peer: "localhost", caller: "web-1", traceparent: TRACEPARENT, tracestate: "" });
    const denied = await call(server.http, "/client/edge-7/secrets");
    expect(denied).toEqual({ status: 403, code: "252", peer: "edge-7", body: { error: 'Cannot call get_secrets: denied by the policy\'s default (deny) for "localhost"' } });
    expect(await auditLine(clientAudit, { direction: "in", noun: "secrets" })).toMatchObject({ cn: "localhost", code: 252, status: 403, rule: 0 });
    expect(await auditLine(serverAudit, { direction: "out", noun: "context" })).toMatchObject({ cn: "edge-7", caller: "web-1", traceparent: TRACEPARENT, status: 200 });
  });
});

describe("reload and logrotate", () => {
  test("SIGHUP reloads the policy from the config file; a bad policy is refused and the current one kept", async () => {
    await writeFile(serverConfig, serverPolicy("allow"));
    server.proc.signal("SIGHUP");
    await server.proc.waitForMessage("policy reloaded", { trigger: "SIGHUP", rules: 2 });
    expect((await call(client.http, "/server/secrets")).body).toEqual({ secret: "s3cr3t" });

    await writeFile(serverConfig, serverPolicy("allow").replace('action = "allow"', 'action = "perhaps"'));
    server.proc.signal("SIGHUP");
    const refused = await server.proc.waitForMessage("policy reload failed: keeping the current policy");
    expect(String(refused["reason"])).toContain('rule 1: action must be "allow" or "deny" (got "perhaps")');
    expect((await call(client.http, "/server/secrets")).status).toBe(200);
  });

  test("the audit file renamed away and SIGHUP: new lines go to a new file at the path, none lost", async () => {
    await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "before-rotate" } });
    await auditLine(serverAudit, { caller: "before-rotate" });
    await rename(serverAudit, `${serverAudit}.1`);
    const from = server.proc.logs.length;
    server.proc.signal("SIGHUP");
    await server.proc.waitForMessage("audit log reopened", {}, 10_000, from);
    await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "after-rotate" } });
    await auditLine(serverAudit, { caller: "after-rotate", direction: "in" });
    const old = await auditLines(`${serverAudit}.1`);
    expect(old.some((line) => line["caller"] === "before-rotate")).toBe(true);
    expect(old.some((line) => line["caller"] === "after-rotate")).toBe(false);
  });

  test("under logrotate (create, postrotate SIGHUP): the rotated file keeps the old lines, the new one gets the new", async () => {
    const conf = join(serverAudit, "..", "logrotate.conf");
    await writeFile(conf, `${serverAudit} {\n  rotate 3\n  nocompress\n  create 0640\n  postrotate\n    kill -HUP ${server.proc.pid}\n  endscript\n}\n`);
    await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "before-logrotate" } });
    await auditLine(serverAudit, { caller: "before-logrotate" });
    const reopened = server.proc.waitForMessage("audit log reopened", {}, 10_000, server.proc.logs.length);
    const run = spawnSync("logrotate", ["-f", "-s", join(serverAudit, "..", "logrotate.state"), conf], { encoding: "utf8" });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    await reopened;
    await call(client.http, "/server/time", { headers: { "x-restpipe-caller": "after-logrotate" } });
    await auditLine(serverAudit, { caller: "after-logrotate" });
    const rotated = await auditLines(`${serverAudit}.1`); // logrotate's numbering: the file of the earlier rename became .2
    expect(rotated.some((line) => line["caller"] === "before-logrotate")).toBe(true);
    expect((await auditLines(serverAudit)).some((line) => line["caller"] === "before-logrotate")).toBe(false);
  });
});

describe("policy check", () => {
  test("prints the verdict and the deciding rule of the configured policy; exit 0 allowed, 1 denied, 2 for a bad call", async () => {
    const env = { RP_SERVER_CONFIG: serverConfig };
    await writeFile(serverConfig, serverPolicy("deny"));
    const denied = await runBinary("rp-server", ["policy", "check", "--cn", "edge-7", "GET", "secrets"], env);
    expect(denied).toEqual({
      code: 1,
      stdout: 'deny: GET secrets (handler get_secrets) from "edge-7"\ndeny by rule 2: {cn = "edge-7", verbs = *, handler = "get_secrets", action = deny}',
      stderr: "",
    });
    const allowed = await runBinary("rp-server", ["policy", "check", "--cn", "edge-1", "GET", "files//a.txt"], env);
    expect({ code: allowed.code, stdout: allowed.stdout }).toEqual({
      code: 0,
      stdout: 'allow: GET files//a.txt (handler get_files) from "edge-1"\nallow by rule 1: {cn = "edge-*", verbs = GET, action = allow}',
    });
    const bad = await runBinary("rp-server", ["policy", "check", "GET", "secrets"], env);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: "rp-server: usage: policy check --cn CN VERB NOUN (e.g. policy check --cn edge-7 GET files//a.txt)" });
  });
});

describe("refused at start", () => {
  test("an audit log that cannot be opened stops the start, saying what to set", async () => {
    const missing = join(serverAudit, "..", "no-such-dir", "audit.log");
    const result = await runBinary("rp-server", ["start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--identity-dir", pki.server.dir], {
      RP_SERVER_AUDIT_LOG: missing,
      RP_LOG_FORMAT: "json",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rp-server: Cannot start: cannot open the audit log ${missing}: `);
    expect(result.stderr).toContain("; set RP_SERVER_AUDIT_LOG to a writable file (or - for standard error)");
  });
});
