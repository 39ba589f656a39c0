/**
 * The enrollment listener: a separate, optional HTTPS listener (its own
 * process, `rp-server ca serve --listen ADDR`), never the mTLS pipe port, so
 * the pipe keeps refusing every peer without a client certificate. It
 * presents the server identity's certificate and answers two paths:
 *
 *   GET  /restpipe/enroll/v1/ca    the CA certificate (public: the client compares its fingerprint with the token's)
 *   POST /restpipe/enroll/v1/sign  {"id", "secret", "csr"} → {"cert", "ca"}: a token redeemed once for a certificate
 *
 * Bodies are capped (16 KiB), handshakes and requests have deadlines (10 s),
 * at most 64 connections are held, and nothing else is served.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log/index.ts";
import { caCertificateOf, EnrollError, redeemToken } from "./authority.ts";

/** The paths of the enrollment protocol. */
export const ENROLL_PATHS = { ca: "/restpipe/enroll/v1/ca", sign: "/restpipe/enroll/v1/sign" } as const;

/** The largest request body accepted (a CSR is under 2 KiB). */
export const MAX_ENROLL_BODY_BYTES = 16_384;

/** Connections the listener holds at once. */
export const MAX_ENROLL_CONNECTIONS = 64;

/** What the listener needs. */
export interface EnrollServerOptions {
  readonly caDir: string;
  /** The server identity's key and certificate (PEM): what the client's TLS checks against the token's CA. */
  readonly keyPem: string;
  readonly certPem: string;
  readonly passphrase?: string;
  readonly host: string;
  readonly port: number;
  readonly validityDays: number;
  readonly reservedCns: readonly string[];
  readonly log: Logger;
  /** Each request must be answered by then (default 10 s). */
  readonly requestTimeoutMs?: number;
}

/** A running listener. */
export interface EnrollServer {
  readonly port: number;
  close(): Promise<void>;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), connection: "close" });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_ENROLL_BODY_BYTES) throw new EnrollError(413, `Cannot enroll: the request body is over ${MAX_ENROLL_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function fieldsOf(text: string): { id: string; secret: string; csrPem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EnrollError(400, 'Cannot enroll: the body is not JSON; send {"id", "secret", "csr"} (rp-client enroll does)');
  }
  const { id, secret, csr } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof id !== "string" || typeof secret !== "string" || typeof csr !== "string") {
    throw new EnrollError(400, 'Cannot enroll: the body needs the strings "id", "secret" and "csr"');
  }
  return { id, secret, csrPem: csr };
}

/** Starts the listener; resolves once it listens. */
export function startEnrollServer(options: EnrollServerOptions): Promise<EnrollServer> {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const remote = `${request.socket.remoteAddress ?? "?"}:${request.socket.remotePort ?? "?"}`;
    try {
      if (request.method === "GET" && request.url === ENROLL_PATHS.ca) {
        const { pem, fingerprint } = await caCertificateOf(options.caDir);
        return reply(response, 200, { ca: pem, fingerprint });
      }
      if (request.method === "POST" && request.url === ENROLL_PATHS.sign) {
        const fields = fieldsOf(await readBody(request));
        const redeemed = await redeemToken(options.caDir, fields, { validityDays: options.validityDays, reservedCns: options.reservedCns });
        options.log.info("enrolled a client", { client: redeemed.record.cn, serial: redeemed.record.serial, remote });
        return reply(response, 200, { cert: redeemed.certPem, ca: redeemed.caPem });
      }
      throw new EnrollError(404, `Cannot enroll: no such path ${request.method ?? "?"} ${request.url ?? "?"}; this listener answers only ${ENROLL_PATHS.ca} and ${ENROLL_PATHS.sign}`);
    } catch (error) {
      const refused = error instanceof EnrollError ? error : new EnrollError(500, `Cannot enroll: ${(error as Error).message}`);
      options.log.warn("refused an enrollment", { reason: refused.message, status: refused.status, remote });
      reply(response, refused.status, { error: refused.message });
    }
  };
  const server: Server = createServer(
    {
      key: options.keyPem,
      cert: options.certPem,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      requestCert: false,
      handshakeTimeout: 10_000,
    },
    (request, response) => void handle(request, response),
  );
  server.requestTimeout = options.requestTimeoutMs ?? 10_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  // Enrollment is a handful of clients at a time: more connections than this are turned away by the kernel queue.
  server.maxConnections = MAX_ENROLL_CONNECTIONS;
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      resolvePromise({ port, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
