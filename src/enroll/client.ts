/**
 * The client side of online enrollment. Two requests to the enrollment
 * listener: first the CA certificate (fetched without verification, then
 * compared with the token's fingerprint: a mismatch stops here, before the
 * secret is sent), then the token and a CSR over TLS verified against that
 * very CA (and the server's name): only a server holding a certificate from
 * the pinned CA ever sees the secret. The private key is made here and never
 * sent; the caller stores it with the certificate that comes back.
 */
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { createKeyRequest, parseCertificatesPem } from "../pki/index.ts";
import { ENROLL_PATHS } from "./server.ts";
import { normalizeFingerprint, type EnrollToken } from "./token.ts";

/** The enrollment failed: the message says why and what to do. */
export class EnrollClientError extends Error {
  override name = "EnrollClientError";
}

/** What enrollment gives: the new key (to store, 0600) with its certificate and the CA. */
export interface Enrolled {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
}

interface Target {
  readonly host: string;
  readonly port: number;
  /** The name the server's certificate must carry (default: host). */
  readonly serverName?: string;
  readonly timeoutMs?: number;
}

function call(target: Target, method: "GET" | "POST", path: string, body: string | undefined, ca: string | undefined): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const where = `https://${target.host}:${target.port}`;
    const request = httpsRequest(
      {
        host: target.host,
        port: target.port,
        method,
        path,
        // SNI must not be an IP address; without it the certificate is matched against the host (an IP SAN).
        ...(isIP(target.serverName ?? target.host) === 0 ? { servername: target.serverName ?? target.host } : {}),
        // First request: nothing to verify against yet (the answer is checked against the token's fingerprint).
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca, rejectUnauthorized: true }),
        headers: body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: target.timeoutMs ?? 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > 65_536) request.destroy(new EnrollClientError(`Cannot enroll: ${where} answered with over 64 KiB; is it a RestPipe enrollment listener?`));
          else chunks.push(chunk);
        });
        response.on("end", () => {
          try {
            resolvePromise({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> });
          } catch {
            reject(new EnrollClientError(`Cannot enroll: ${where}${path} answered ${response.statusCode ?? "?"} without JSON; is it a RestPipe enrollment listener (rp-server ca serve)?`));
          }
        });
      },
    );
    request.on("timeout", () => request.destroy(new EnrollClientError(`Cannot enroll: ${where} did not answer within ${(target.timeoutMs ?? 10_000) / 1000} s`)));
    request.on("error", (error) => {
      reject(error instanceof EnrollClientError ? error : new EnrollClientError(`Cannot enroll: ${where}: ${error.message}${ca === undefined ? "" : " (TLS verified against the token's CA)"}`, { cause: error }));
    });
    request.end(body);
  });
}

/** Enrolls with the listener at `target` using `token`: key and CSR made here, certificate received. */
export async function enroll(target: Target, token: EnrollToken): Promise<Enrolled> {
  const where = `https://${target.host}:${target.port}`;
  const first = await call(target, "GET", ENROLL_PATHS.ca, undefined, undefined);
  if (first.status !== 200 || typeof first.json["ca"] !== "string") {
    throw new EnrollClientError(`Cannot enroll: ${where}${ENROLL_PATHS.ca} answered ${first.status}: ${String(first.json["error"] ?? "no CA certificate")}`);
  }
  const caPem = first.json["ca"];
  const [caCertificate] = await parseCertificatesPem(caPem);
  const fingerprint = normalizeFingerprint(caCertificate!.fingerprintSha256);
  if (fingerprint !== token.caFingerprint) {
    throw new EnrollClientError(
      `Cannot enroll: the CA at ${where} has the fingerprint ${fingerprint}, the token expects ${token.caFingerprint}; ` +
        "the secret was not sent. Check --server (another server, or someone in between?) or ask for a token from this CA",
    );
  }
  const request = await createKeyRequest(token.cn);
  const body = JSON.stringify({ id: token.id, secret: token.secret, csr: request.csrPem });
  const second = await call(target, "POST", ENROLL_PATHS.sign, body, caPem);
  if (second.status !== 200 || typeof second.json["cert"] !== "string" || typeof second.json["ca"] !== "string") {
    throw new EnrollClientError(`${String(second.json["error"] ?? `Cannot enroll: ${where} answered ${second.status}`)} (HTTP ${second.status})`);
  }
  return { keyPem: request.keyPem, certPem: second.json["cert"], caPem: second.json["ca"] };
}
