/**
 * Fan-out on the compiled binaries: clients issued with labels by the
 * built-in CA, every selector form, one answer with each client's outcome
 * (reply, handler error, 504 at ?timeout, 502 for a killed client, 503 for an
 * offline one), the body sent to each, NDJSON lines as clients answer, and
 * the bounds (413 with the count, matched 0).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runBinary, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess } from "../support/index.ts";

const HANDLERS = fileURLToPath(new URL("../fixtures/fanout-handlers.ts", import.meta.url));
const CLIENTS = { "edge-1": ["role=db", "site=fra"], "edge-2": ["role=web", "site=fra"], "core-1": ["role=db", "site=ams"] } as const;
type Cn = keyof typeof CLIENTS;

interface Entry {
  readonly status: number;
  readonly code: number;
  readonly mimetype?: string;
  readonly data?: unknown;
  readonly error?: string;
}
interface Answer {
  readonly matched: number;
  readonly answered: number;
  readonly results: Record<string, Entry>;
}

let work: string;
let serverDir: string;
let server: ServerProcess;
const clients = new Map<Cn, ClientProcess>();
const others: ServerProcess[] = [];

async function ok(result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const { code, stdout, stderr } = await result;
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  return stdout;
}
const rpServer = (...args: string[]) => runBinary("rp-server", args, { RP_SERVER_CERT_PATH: serverDir });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "restpipe-fanout-e2e-"));
  serverDir = join(work, "server");
  await ok(rpServer("ca", "init"));
  await ok(rpServer("ca", "issue", "--server", "--san", "localhost", "--san", "127.0.0.1"));
  await ok(rpServer("set-identity", "--bundle", join(serverDir, "ca", "localhost.bundle.pem")));
  server = await startServerProcess(serverDir, { RP_EVENT_HANDLER: HANDLERS });
  for (const [cn, labels] of Object.entries(CLIENTS) as Array<[Cn, readonly string[]]>) {
    const out = await ok(rpServer("ca", "issue", "--cn", cn, ...labels.flatMap((label) => ["--label", label])));
    expect(out).toContain(`  labels   ${[...labels].sort().join(",")}`);
    const dir = join(work, cn);
    await ok(runBinary("rp-client", ["set-identity", "--bundle", join(serverDir, "ca", `${cn}.bundle.pem`)], { RP_CLIENT_CERT_PATH: dir }));
    clients.set(cn, await startClientProcess(dir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS, FIXTURE_NAME: cn }));
    await server.proc.waitForMessage("client connected", { client: cn });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([...clients.values(), server, ...others].filter(Boolean).map((node) => node.proc.stop()));
  await rm(work, { recursive: true, force: true });
});

async function ask(path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(`${server.http}${path}`, init);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  return (await response.json()) as Answer;
}
const answering = async (path: string) => Object.keys((await ask(path)).results);

describe("labels from the built-in CA", () => {
  test("ca list and identity show print them; rp-server clients --label filters by them", async () => {
    const list = (await ok(rpServer("ca", "list"))).split("\n");
    expect(list[1]).toMatch(/^CN +KIND +SERIAL +NOT AFTER +STATUS +LABELS$/);
    expect(list.find((line) => line.startsWith("edge-1 "))).toEndWith("role=db,site=fra");
    const shown = await ok(runBinary("rp-client", ["identity", "show"], { RP_CLIENT_CERT_PATH: join(work, "core-1") }));
    expect(shown).toContain("  labels     role=db,site=ams");
    const table = await ok(rpServer("clients", "--label", "role=db", "--http", server.http.replace("http://", "")));
    const rows = table.split("\n");
    expect(rows[0]).toMatch(/^CN +REMOTE .* LABELS$/);
    expect(rows.slice(1, -1).map((row) => row.split(" ")[0])).toEqual(["core-1", "edge-1"]);
    expect(rows.at(-1)).toBe(`2 clients with role=db of 3 connected to ${server.proc.logs.find((r) => r.msg === "server listening")!["pipe"]}`);
    const refused = await runBinary("rp-server", ["clients", "--label", "Role=db"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--label: Cannot use label "Role=db"');
  });

  test("a bad --label is refused by ca issue, and --label is for clients only", async () => {
    const bad = await rpServer("ca", "issue", "--cn", "x-1", "--label", "role=d b");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--label: Cannot use label "role=d b": a label is a key of 1-63 lower-case letters');
    const server = await rpServer("ca", "issue", "--server", "--san", "h.example", "--label", "role=db");
    expect(server.code).toBe(2);
    expect(server.stderr).toContain("--label is for client identities: drop --server");
  });
});

describe("selectors", () => {
  test("*: every connected client answers", async () => {
    const answer = await ask("/clients/*/whoami");
    expect(answer.matched).toBe(3);
    expect(answer.answered).toBe(3);
    for (const cn of Object.keys(CLIENTS)) expect(answer.results[cn]).toEqual({ status: 200, code: 0, mimetype: "application/json", data: { name: cn } });
  });

  test("a CN glob, a comma list, a label set (plain and URL-encoded)", async () => {
    expect(await answering("/clients/edge-*/whoami")).toEqual(["edge-1", "edge-2"]);
    expect(await answering("/clients/*-1/whoami")).toEqual(["core-1", "edge-1"]);
    expect(await answering("/clients/edge-%3F/whoami")).toEqual(["edge-1", "edge-2"]);
    expect(await answering("/clients/core-1,edge-2,nobody/whoami")).toEqual(["core-1", "edge-2"]);
    expect(await answering("/clients/role=db/whoami")).toEqual(["core-1", "edge-1"]);
    expect(await answering("/clients/role%3Ddb%2Csite%3Dfra/whoami")).toEqual(["edge-1"]);
    expect(await answering("/clients/site=fra,role=web/whoami")).toEqual(["edge-2"]);
  });

  test("nobody selected is 200 with matched 0; a bad selector is 400 saying what is accepted", async () => {
    expect(await ask("/clients/nomatch-*/whoami")).toEqual({ matched: 0, answered: 0, results: {} });
    const bad = await fetch(`${server.http}/clients/role=/whoami`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toEndWith("; use *, a CN glob (edge-*), a comma list of CNs (edge-1,edge-2) or labels (role=db,site=fra)");
  });
});

describe("outcomes", () => {
  test("partial failure and ?timeout: a reply, a handler error and a 504, the answer by the deadline + 100 ms", async () => {
    const started = performance.now();
    const answer = await ask("/clients/*/mixed//edge-2/5000/core-1?timeout=1s");
    const ms = Math.round(performance.now() - started);
    expect(ms).toBeGreaterThanOrEqual(990); // was ${ms}
    expect(ms).toBeLessThan(1600); // was ${ms} (1100 on an idle machine)
    expect(answer.matched).toBe(3);
    expect(answer.answered).toBe(2);
    expect(answer.results["edge-1"]).toEqual({ status: 200, code: 0, mimetype: "application/json", data: { name: "edge-1" } });
    expect(answer.results["core-1"]).toMatchObject({ status: 500, code: 251, data: { exception: { class: "RangeError", message: "core-1 cannot do this" } } });
    expect(answer.results["edge-2"]).toEqual({ status: 504, code: 253, error: "Cannot complete request: no reply from edge-2 within 1000 ms" });
  });

  test("a POST body is sent to every matched client", async () => {
    const answer = await ask("/clients/edge-*/echo", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reload: true }) });
    for (const cn of ["edge-1", "edge-2"]) expect(answer.results[cn]!.data).toEqual({ name: cn, received: { reload: true }, from: "localhost" });
  });

  test("NDJSON: a line per client as it answers, the summary last", async () => {
    const started = performance.now();
    const response = await fetch(`${server.http}/clients/*/mixed//edge-2/2000?timeout=5s`, { headers: { accept: "application/x-ndjson" } });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const seen: Array<{ line: Record<string, unknown>; ms: number }> = [];
    let text = "";
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = text.indexOf("\n")) !== -1) {
        seen.push({ line: JSON.parse(text.slice(0, at)) as Record<string, unknown>, ms: Math.round(performance.now() - started) });
        text = text.slice(at + 1);
      }
    }
    const order = seen.map((s) => s.line["client"] ?? "summary");
    expect(order.slice(2)).toEqual(["edge-2", "summary"]);
    expect(order.slice(0, 2).sort()).toEqual(["core-1", "edge-1"]);
    const times = seen.map((s) => s.ms);
    expect(times[1]!).toBeLessThan(1500); // the fast ones did not wait for the slow one: ${times}
    expect(times[2]!).toBeGreaterThanOrEqual(1900); // ${times}
    expect(seen[3]!.line).toEqual({ matched: 3, answered: 3 });
  });

  test("a client killed mid-request is 502; afterwards ?include=offline lists it as 503", async () => {
    const pending = ask("/clients/*/sleep//1500?timeout=10s");
    await Bun.sleep(300); // the requests are on their way; nothing announces that
    const disconnected = server.proc.waitForMessage("client disconnected", { client: "core-1" });
    clients.get("core-1")!.proc.signal("SIGKILL");
    const answer = await pending;
    await disconnected;
    expect(answer.answered).toBe(2);
    expect(answer.results["core-1"]).toMatchObject({ status: 502, code: 254 });
    expect(answer.results["core-1"]!.error).toStartWith("Cannot complete request: the pipe to core-1 closed");
    expect(await answering("/clients/role=db/whoami")).toEqual(["edge-1"]);
    const offline = await ask("/clients/role=db/whoami?include=offline");
    expect(offline.matched).toBe(2);
    expect(offline.answered).toBe(1);
    expect(offline.results["core-1"]).toMatchObject({ status: 503, code: 250 });
    expect(offline.results["core-1"]!.error).toMatch(/^Cannot reach "core-1": not connected \(last seen \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
  });
});

describe("bounds", () => {
  test("more clients than RP_SERVER_MAX_FANOUT is 413 with the count; config check shows the fan-out settings", async () => {
    const small = await startServerProcess(serverDir, { RP_SERVER_MAX_FANOUT: "1" });
    others.push(small);
    const response = await fetch(`${small.http}/clients/a,b/whoami?include=offline`);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "Cannot fan out to 2 clients: more than the limit of 1; narrow the selector or set RP_SERVER_MAX_FANOUT" });
    const none = await fetch(`${small.http}/clients/*/whoami`);
    expect(await none.json()).toEqual({ matched: 0, answered: 0, results: {} });
    const check = await runBinary("rp-server", ["config", "check"], { RP_SERVER_CERT_PATH: serverDir, RP_SERVER_FANOUT_CONCURRENCY: "96" });
    expect(check.stdout).toMatch(/RP_SERVER_MAX_FANOUT +10000 +default/);
    expect(check.stdout).toMatch(/RP_SERVER_FANOUT_CONCURRENCY +96 +env RP_SERVER_FANOUT_CONCURRENCY/);
    expect(check.stdout).toMatch(/RP_SERVER_FANOUT_MAX_ANSWER_BYTES +67108864 \(64 MiB\) +default/);
    expect(check.stdout).toMatch(/RP_SERVER_FANOUT_SLOW_S +0\.2 s? *default/);
  });

  test("RP_SERVER_FANOUT_CONCURRENCY=1 asks one client at a time within one deadline; RP_SERVER_FANOUT_MAX_ANSWER_BYTES leaves out data past it", async () => {
    // RP_SERVER_FANOUT_SLOW_S=0: a request holds its slot until it ends (the default gives it back after 0.2 s, see the next test).
    const tight = await startServerProcess(serverDir, { RP_SERVER_FANOUT_CONCURRENCY: "1", RP_SERVER_FANOUT_SLOW_S: "0", RP_SERVER_FANOUT_MAX_ANSWER_BYTES: "20" });
    others.push(tight);
    for (const cn of ["edge-1", "edge-2"] as const) {
      const client = await startClientProcess(join(work, cn), tight.pipePort, { RP_EVENT_HANDLER: HANDLERS, FIXTURE_NAME: cn });
      await tight.proc.waitForMessage("client connected", { client: cn });
      others.push({ proc: client.proc, pipePort: 0, http: client.http });
    }
    const queued = (await (await fetch(`${tight.http}/clients/edge-*/sleep//400?timeout=700ms`)).json()) as Answer;
    // One answers at about 400 ms; the other is sent then and cannot answer by 700 ms.
    expect(Object.values(queued.results).map((entry) => entry.status).sort()).toEqual([200, 504]);
    const budget = (await (await fetch(`${tight.http}/clients/edge-*/whoami`)).json()) as Answer;
    expect(budget.answered).toBe(2);
    const entries = Object.values(budget.results);
    expect(entries.filter((entry) => entry.data !== undefined)).toHaveLength(1); // {"name":"edge-1"} is 17 bytes
    expect(entries.find((entry) => entry.data === undefined)!.error).toBe(
      "Cannot include the reply data (17 bytes): this answer already holds 17 of its 20 bytes; ask fewer clients or set RP_SERVER_FANOUT_MAX_ANSWER_BYTES",
    );
  });

  test("a client that does not answer gives its slot back after RP_SERVER_FANOUT_SLOW_S: with the cap full of silent clients the rest are still asked", async () => {
    const slow = await startServerProcess(serverDir, { RP_SERVER_FANOUT_CONCURRENCY: "1", RP_SERVER_FANOUT_SLOW_S: "0.2" });
    others.push(slow);
    for (const cn of ["edge-1", "edge-2"] as const) {
      const client = await startClientProcess(join(work, cn), slow.pipePort, { RP_EVENT_HANDLER: HANDLERS, FIXTURE_NAME: cn });
      await slow.proc.waitForMessage("client connected", { client: cn });
      others.push({ proc: client.proc, pipePort: 0, http: client.http });
    }
    // Both sleep 600 ms: the first asked gives its slot to the other after 200 ms, which answers by about 800 ms (before 1000; with the slot held, 1200).
    const started = performance.now();
    const answer = (await (await fetch(`${slow.http}/clients/edge-*/sleep//600?timeout=1s`)).json()) as Answer;
    const ms = Math.round(performance.now() - started);
    expect(Object.values(answer.results).map((entry) => entry.status)).toEqual([200, 200]);
    expect(ms).toBeLessThan(1_500); // was ${ms} (about 800 on an idle machine)
  });
});
