/**
 * The module map: every folder of src/, what it is for, the src modules it
 * imports and the packages it uses, listed bottom-up (each entry imports
 * only entries above it, so the map has no cycle). The layering test holds
 * the code to it exactly, and ARCHITECTURE.md draws it.
 *
 * Adding a module: add one entry, at the place its imports allow; the
 * layering test's message names the entry to add. Adding an import: add the
 * module (or package) to the importing entry.
 */

/** One module of src/. */
export interface ModuleEntry {
  /** What it is for, one line (drawn in ARCHITECTURE.md). */
  readonly role: string;
  /** The src modules it imports, each through that module's index.ts. */
  readonly imports: readonly string[];
  /** The packages and built-ins it imports ("node:fs" stands for node:fs/promises too). */
  readonly packages: readonly string[];
  /** It may call Bun.* or Deno.* (only the runtime adapters may). */
  readonly runtimeApis?: true;
  /** Runtime-neutral: no Bun, node:, Elysia, pkijs or asn1js, whatever its packages list says. */
  readonly neutral?: true;
  /** How others reach it: its index.ts, or nothing (entry points that no module imports). */
  readonly door?: "none";
}

/** Every module of src/, bottom-up. */
export const MODULES: Readonly<Record<string, ModuleEntry>> = {
  wire: { role: "frame codec and protobuf messages (gen/ is generated: bun run gen)", imports: [], packages: ["@protobuf-ts/runtime"], neutral: true },
  log: { role: "structured logging", imports: [], packages: [], neutral: true },
  policy: { role: "who may call what: rules (CN × verbs × noun/handler glob → allow/deny), checked and judged", imports: [], packages: [], neutral: true },
  trace: { role: "W3C trace context and caller tags: checked, made when absent", imports: [], packages: [], neutral: true },
  audit: { role: "the audit trail: JSON lines, written in batches behind a byte bound", imports: ["log"], packages: [], neutral: true },
  replies: { role: "the replies RestPipe itself sends (reserved codes 250, 251, 252, 255), with the path redaction", imports: ["wire"], packages: [], neutral: true },
  dispatch: { role: "event to handler name and arguments, reply; the seed's example handlers", imports: ["replies", "wire"], packages: [], neutral: true },
  share: {
    role: "the built-in file share: path safety inside a root, ranges, conditional requests, paged listings, the files noun's dispatcher, the roots' start-up checks",
    imports: ["dispatch", "replies", "wire"],
    packages: ["node:fs", "node:path"],
  },
  pipe: { role: "one connection: correlation, heartbeats, write coalescing; the registry of pipes", imports: ["log", "replies", "wire"], packages: [], neutral: true },
  labels: { role: "client labels: their syntax, their SAN URI form (restpipe:label:key=value), matching", imports: [], packages: [], neutral: true },
  fleet: {
    role: "a fleet of servers: presence of CNs and servers in NATS JetStream KV (loaded lazily), TLS towards NATS, epochs, takeover, peer links, routing and fencing of forwarded events",
    imports: ["labels", "log", "pipe", "wire"],
    packages: ["@nats-io/kv", "@nats-io/transport-node", "node:fs", "node:net"],
  },
  fanout: {
    role: "fan-out: selectors, the fan-out's query controls, the runner with its cap and deadline, the answer document, the client directory",
    imports: ["labels", "pipe", "wire"],
    packages: [],
    neutral: true,
  },
  proxy: { role: "the HTTP CONNECT handshake, pure: request, bounded answer reader, refusal messages", imports: [], packages: [], neutral: true },
  config: { role: "defaults, environment, flags and files into one validated config (NO_PROXY matching included)", imports: ["pipe", "policy", "proxy"], packages: ["smol-toml"], neutral: true },
  metrics: { role: "the metrics recorder: Prometheus (prom-client) and statsd", imports: ["dispatch", "pipe", "wire"], packages: ["prom-client"], neutral: true },
  http: { role: "the Elysia front: request to event, reply to response, the one error table; the fan-out route", imports: ["dispatch", "fanout", "log", "pipe", "replies", "trace", "wire"], packages: ["elysia"] },
  runtime: {
    role: "the runtime adapters (bun/, deno/) and their contract: TLS listen and dial, HTTP serving",
    imports: ["pipe", "proxy"],
    packages: ["bun", "node:fs", "node:net", "node:timers", "node:tls"],
    runtimeApis: true,
  },
  platform: {
    role: "process helpers over node: modules both runtimes provide: files, append-only logs, UDP, host-name lookups, process figures, GET to the own front",
    imports: ["runtime"],
    packages: ["node:buffer", "node:dgram", "node:dns", "node:fs", "node:net", "node:path", "node:process"],
  },
  pki: {
    role: "X.509: certificates parsed and verified with the runtime's X509Certificate, keys, identities, bundles; with pkijs (loaded at first use) CRLs and the CRL check, CSRs, the built-in CA",
    imports: ["labels", "platform"],
    packages: ["asn1js", "node:crypto", "pkijs"],
  },
  ops: { role: "connection tracking, status JSON and page, health and metrics routes, terminal views", imports: ["http", "labels", "log", "pipe"], packages: ["elysia"] },
  identity: {
    role: "a node's live identity: loading, reload, listener switch, revocation, expiry warnings",
    imports: ["log", "pipe", "pki", "platform", "runtime"],
    packages: [],
  },
  enroll: {
    role: "online enrollment: one-time tokens, the separate HTTPS enrollment listener, the enrolling client",
    imports: ["log", "pki", "platform"],
    packages: ["node:crypto", "node:http", "node:https", "node:net"],
  },
  node: {
    role: "what both roles assemble alike: registry and observer, pipe options, front, hooks, drain",
    imports: ["audit", "config", "dispatch", "http", "log", "metrics", "ops", "pipe", "policy", "replies", "runtime", "trace", "wire"],
    packages: [],
  },
  server: { role: "rp-server: accept, name clients by CN, registry, front; its status and readiness; its part in a fleet", imports: ["config", "fanout", "fleet", "http", "identity", "log", "node", "ops", "pipe", "pki", "runtime", "wire"], packages: [] },
  client: {
    role: "rp-client: dial loop with backoff over one or several servers (failover), front; its status and readiness",
    imports: ["config", "identity", "log", "node", "ops", "pipe", "pki", "proxy", "runtime", "wire"],
    packages: [],
  },
  cli: {
    role: "rp-server and rp-client entry points: commands, flags, the composition root",
    imports: ["audit", "client", "config", "dispatch", "enroll", "identity", "labels", "log", "node", "ops", "pki", "platform", "policy", "runtime", "server", "share"],
    packages: ["node:fs", "node:path", "node:url", "node:util"],
    door: "none",
  },
};

/** The map as ARCHITECTURE.md draws it: a Markdown table, one row per module, bottom-up. */
export function mapTable(): string[] {
  const rows = Object.entries(MODULES).map(([name, entry]) => {
    const imports = entry.imports.length === 0 ? "nothing" : entry.imports.map((m) => `${m}/`).join(", ");
    const packages = `${entry.packages.length === 0 ? "none" : entry.packages.join(", ")}${entry.neutral ? " (runtime-neutral)" : ""}`;
    return `| \`src/${name}/\` | ${entry.role} | ${imports} | ${packages} |`;
  });
  return ["| module | what it is for | imports | packages |", "| --- | --- | --- | --- |", ...rows];
}

/** Redraws the table in ARCHITECTURE.md from the map: `bun test/unit/structure/module-map.ts`. */
async function redraw(): Promise<void> {
  const { readFileSync, writeFileSync } = await import("node:fs");
  const path = new URL("../../../ARCHITECTURE.md", import.meta.url);
  const doc = readFileSync(path, "utf8");
  const next = doc.replace(/(<!-- module-map:start -->\n)[\s\S]*?(\n<!-- module-map:end -->)/, `$1${mapTable().join("\n")}$2`);
  writeFileSync(path, next);
}

if (import.meta.main) await redraw();
