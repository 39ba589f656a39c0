/**
 * A real nats-server (Debian's, JetStream on) for the fleet tests: loopback,
 * a free port, a throwaway store directory, stopped by the test. Never shared
 * between test files, so a file's buckets start empty.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Where nats-server is: Debian puts it in /usr/sbin, which a non-root PATH may lack. */
export function natsServerPath(): string {
  const found = Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/bin:/usr/local/bin" });
  if (!found) throw new Error("Cannot find nats-server: install it (apt-get install nats-server); .ci/run does");
  return found;
}

/** A free TCP port on 127.0.0.1 (nats-server cannot be told port 0 and report it back simply). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running nats-server. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM, then waits); `keepData` leaves the store for a restart on the same port. */
  stop(keepData?: boolean): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
}

/** Starts nats-server with JetStream on loopback and waits until it is ready. */
export async function startNats(): Promise<NatsServer> {
  return startNatsNode(await freePort(), []);
}

/** The PEM files of a nats-server's TLS: its certificate and key, and the CA its clients' certificates must come from. */
export interface NatsTlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
}

/** Starts nats-server with JetStream and TLS that verifies clients (`tls { verify: true }`); its url is tls://. */
export async function startNatsTls(files: NatsTlsFiles): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "rp-nats-tls-"));
  const conf = join(dir, "nats.conf");
  const quoted = (path: string) => JSON.stringify(path);
  writeFileSync(conf, `tls {\n  cert_file: ${quoted(files.certPath)}\n  key_file: ${quoted(files.keyPath)}\n  ca_file: ${quoted(files.caPath)}\n  verify: true\n  timeout: 2\n}\n`);
  const node = await startNatsNode(await freePort(), ["-c", conf]);
  return {
    ...node,
    url: node.url.replace(/^nats:/, "tls:"),
    async stop(keepData) {
      await node.stop(keepData);
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(proc: Subprocess<"ignore", "ignore", "pipe">): Promise<void> {
  const decoder = new TextDecoder();
  let seen = "";
  const reader = proc.stderr.getReader();
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`nats-server exited before it was ready:\n${seen}`);
      seen += decoder.decode(value);
      if (seen.includes("Server is ready")) break;
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
  void proc.stderr.pipeTo(new WritableStream()).catch(() => undefined); // keep draining its log
}

/** A JetStream cluster of nats-servers on loopback (each node with its own client port, route port and store). */
export interface NatsCluster {
  readonly nodes: readonly NatsServer[];
  /** Every node's client URL, comma-separated (RP_SERVER_NATS_URL). */
  readonly urls: string;
  stop(): Promise<void>;
}

/** Starts `size` clustered nats-servers with JetStream; resolves once each said it is ready. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const routes = Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${ports[size + i]}`).join(",");
  const nodes = await Promise.all(
    Array.from({ length: size }, (_, i) => {
      const args = ["-n", `rp-nats-${i + 1}`, "--cluster_name", "rp-test", "--cluster", `nats://127.0.0.1:${ports[size + i]}`, "--routes", routes];
      return startNatsNode(ports[i]!, args);
    }),
  );
  return {
    nodes,
    urls: nodes.map((node) => node.url).join(","),
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

async function startNatsNode(port: number, extra: readonly string[]): Promise<NatsServer> {
  const store = mkdtempSync(join(tmpdir(), "rp-nats-"));
  let proc: Subprocess<"ignore", "ignore", "pipe">;
  const launch = async () => {
    proc = Bun.spawn([natsServerPath(), "-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store, ...extra], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    await waitReady(proc);
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop(keepData = false) {
      proc.kill("SIGTERM");
      await proc.exited;
      if (!keepData) rmSync(store, { recursive: true, force: true });
    },
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    restart: launch,
  };
}
