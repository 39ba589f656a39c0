/**
 * Certificate signing requests (PKCS#10), so that a private key never leaves
 * the host that made it: `identity request` makes a key and a CSR, the CA
 * signs the CSR (ca-directory.ts signCsrInCa) and only the certificate
 * travels back.
 */
import * as asn1js from "asn1js";
import { CertificationRequest } from "pkijs";
import { buildName, generateKeyPair, type KeyAlgorithm } from "./_build.ts";
import { ENGINE } from "./_engine.ts";
import { firstCn } from "./_names.ts";
import { derOf } from "./_x509.ts";
import { CaError } from "./errors.ts";
import { pemBlocks, toPem } from "./pem.ts";

/** A new key (PKCS#8 PEM, to keep) and the CSR for it (PEM, to carry to the CA). */
export interface KeyRequest {
  readonly keyPem: string;
  readonly csrPem: string;
}

/** A CSR whose signature checked out: the CN it asks for and the public key to certify. */
export interface CheckedCsr {
  readonly cn: string;
  readonly publicKey: CryptoKey;
  /** "ec" or "rsa", from the key. */
  readonly algorithm: KeyAlgorithm;
}

/** Makes a key pair and a CSR (subject CN=`cn`, SHA-256) signed by it. */
export async function createKeyRequest(cn: string, algorithm: KeyAlgorithm = "ec"): Promise<KeyRequest> {
  const keys = await generateKeyPair(algorithm);
  const request = new CertificationRequest();
  request.version = 0;
  request.subject = buildName(cn);
  await request.subjectPublicKeyInfo.importKey(keys.publicKey, ENGINE);
  await request.sign(keys.privateKey, "SHA-256", ENGINE);
  const der = new Uint8Array(request.toSchema().toBER());
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keyPem: toPem("PRIVATE KEY", pkcs8), csrPem: toPem("CERTIFICATE REQUEST", der) };
}

/** Parses a CSR (PEM), checks its self-signature and that it names a CN; CaError saying why not. */
export async function readCsr(pem: string): Promise<CheckedCsr> {
  const block = blocksOf(pem).find((candidate) => candidate.label === "CERTIFICATE REQUEST" || candidate.label === "NEW CERTIFICATE REQUEST");
  if (block === undefined) throw new CaError("Cannot sign the request: no -----BEGIN CERTIFICATE REQUEST----- block in it; give the .csr.pem that `rp-client identity request` wrote");
  let request: CertificationRequest;
  try {
    const parsed = asn1js.fromBER(new Uint8Array(block.der));
    if (parsed.offset === -1) throw new Error(parsed.result.error);
    request = new CertificationRequest({ schema: parsed.result });
  } catch (cause) {
    throw new CaError(`Cannot sign the request: it is not a valid PKCS#10 request (${(cause as Error).message})`, { cause });
  }
  if (!(await request.verify(ENGINE).catch(() => false))) {
    throw new CaError("Cannot sign the request: its signature does not verify (damaged, or not signed by its own key); make a new one");
  }
  const cn = firstCn(derOf(request.subject));
  if (cn === undefined || cn === "") throw new CaError("Cannot sign the request: its subject has no CN; make it with: rp-client identity request --cn NAME");
  const publicKey = await request.getPublicKey(undefined, ENGINE);
  const algorithm: KeyAlgorithm = publicKey.algorithm.name === "ECDSA" ? "ec" : "rsa";
  return { cn, publicKey, algorithm };
}

function blocksOf(pem: string): ReturnType<typeof pemBlocks> {
  try {
    return pemBlocks(pem);
  } catch {
    return []; // not PEM at all: reported as "no CERTIFICATE REQUEST block"
  }
}
