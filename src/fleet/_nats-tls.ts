/**
 * TLS towards NATS: the client certificate, key and CA handed to the NATS
 * client, and what a failed connection meant. The NATS client on Bun reports
 * a server that refused our certificate (or wanted one) only as a timeout:
 * the TLS alert is not surfaced. So after a failure the server's INFO line
 * (sent in clear before the TLS upgrade) is read once to tell "it verifies
 * clients" from other causes, and the refusal names the setting to change.
 */
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";

/** The PEM files of the NATS connection's TLS (any of them may be absent). */
export interface NatsTlsFiles {
  /** Client certificate, shown to servers with `tls { verify: true }`. */
  readonly certFile?: string;
  /** Its private key. */
  readonly keyFile?: string;
  /** CA the servers' certificates are checked against. */
  readonly caFile?: string;
}

/** The NATS client's `tls` option (PEM contents), or undefined when no file is set. */
export function natsTlsOption(files: NatsTlsFiles): { cert?: string; key?: string; ca?: string } | undefined {
  const read = (file: string | undefined, what: string, setting: string): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`Cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; set ${setting} to a readable PEM file`);
    }
  };
  const cert = read(files.certFile, "NATS client certificate", "RP_SERVER_NATS_CERT");
  const key = read(files.keyFile, "NATS client key", "RP_SERVER_NATS_KEY");
  const ca = read(files.caFile, "NATS CA certificate", "RP_SERVER_NATS_CA");
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  return { ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), ...(ca === undefined ? {} : { ca }) };
}

/** Node's codes for a server certificate the CA does not vouch for. */
const UNTRUSTED = /^(?:UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

/** How long the INFO line of a NATS server may take to arrive. */
const PROBE_MS = 1_000;

/** What the first NATS server that answers says of its TLS in its INFO line, or undefined when none answers. */
export async function probeTls(urls: readonly string[]): Promise<{ url: string; required: boolean; verify: boolean } | undefined> {
  for (const url of urls) {
    const { host, port } = hostPortOf(url);
    const info = await new Promise<string | undefined>((resolve) => {
      let seen = "";
      const socket = createConnection({ host, port });
      const done = (line: string | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(line);
      };
      const timer = setTimeout(() => done(undefined), PROBE_MS);
      socket.on("data", (chunk: Buffer) => {
        seen += chunk.toString("latin1");
        if (seen.includes("\n") || seen.length > 8192) done(seen.split("\n")[0]);
      });
      socket.on("error", () => done(undefined));
      socket.on("close", () => done(undefined));
    });
    if (info === undefined || !info.startsWith("INFO ")) continue;
    try {
      const parsed = JSON.parse(info.slice(5)) as { tls_required?: unknown; tls_verify?: unknown };
      return { url, required: parsed.tls_required === true, verify: parsed.tls_verify === true };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The refusal for a failed connection to NATS: its cause and the setting that fixes it (the error as is when unknown). */
export async function explainConnectFailure(error: Error, urls: readonly string[], files: NatsTlsFiles): Promise<Error> {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const shown = (url: string) => url.replace(/\/\/[^@/]*@/, "//***@");
  if (UNTRUSTED.test(code)) {
    return new Error(`Cannot connect to NATS (${urls.map(shown).join(",")}): its certificate is not trusted (${error.message}); set RP_SERVER_NATS_CA to the CA that issued it`, { cause: error });
  }
  if (error.name !== "TimeoutError" && !/timeout|closed|ECONNRESET|EPIPE|handshake/i.test(`${error.message} ${code}`)) return error;
  const tls = await probeTls(urls);
  if (tls === undefined || !tls.verify) return error;
  if (files.certFile === undefined) {
    return new Error(
      `Cannot connect to NATS at ${shown(tls.url)}: it requires a client certificate (tls { verify: true }) and none is set; set RP_SERVER_NATS_CERT and RP_SERVER_NATS_KEY to a certificate with clientAuth from a CA in its tls ca_file`,
      { cause: error },
    );
  }
  return new Error(
    `Cannot connect to NATS at ${shown(tls.url)}: it did not complete the TLS handshake with the client certificate ${files.certFile} (${error.message}); set RP_SERVER_NATS_CERT to a valid certificate with clientAuth from a CA in the NATS server's tls ca_file (its log says why: "TLS handshake error")`,
    { cause: error },
  );
}

/** Host and port of a NATS URL (`tls://user:pw@host:4222`, `host`, `[::1]:4222`). */
function hostPortOf(url: string): { host: string; port: number } {
  const rest = url.replace(/^[a-z]+:\/\//i, "").replace(/^[^@]*@/, "");
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(rest);
  return { host: match?.[1] ?? match?.[2] ?? rest, port: match?.[3] === undefined ? 4222 : Number(match[3]) };
}
