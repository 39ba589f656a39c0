/** PEM armour (RFC 7468): find every block in a text, and write one. */
import { PemError } from "./errors.ts";

/** One PEM block: its label (e.g. "CERTIFICATE") and the DER bytes it carries. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block of `text`, in order. Text between blocks (comments, `openssl x509 -text` output) is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== endLabel) {
      throw new PemError(`Cannot read PEM: block "BEGIN ${label}" ends with "END ${endLabel}"`);
    }
    blocks.push({ label, der: decodeBody(label, body) });
  }
  if (blocks.length === 0) {
    const hint = text.includes("-----BEGIN") ? "a BEGIN line without its END line" : "no BEGIN/END block found";
    throw new PemError(`Cannot read PEM: ${hint}`);
  }
  return blocks;
}

/** Encodes DER as one PEM block: base64 in 64-column lines, with a trailing newline. */
export function toPem(label: string, der: Uint8Array): string {
  const base64 = encodeBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}${lines.length > 0 ? "\n" : ""}-----END ${label}-----\n`;
}

function decodeBody(label: string, body: string): Uint8Array {
  // RFC 1421 headers (Proc-Type, DEK-Info of legacy encrypted keys) precede a blank line: skip them.
  let lines = body.split(/\r?\n/).map((line) => line.trim());
  while (lines[0] === "") lines = lines.slice(1);
  if (lines[0]?.includes(":")) lines = lines.slice(lines.indexOf("") + 1);
  const base64 = lines.join("").replace(/\s+/g, "");
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    throw new PemError(`Cannot read PEM: the body of the "${label}" block is not valid base64`);
  }
  const binary = atob(base64);
  const der = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
  return der;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so that String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
