/**
 * Run by native-parse.test.ts under Deno: parses each PEM file named on the command line with src/pki and prints
 * one JSON line per file (the summary, or the refusal), so the test can compare Deno's native reading with Bun's.
 */
import { readFileSync } from "node:fs";
import { parseCertificatesPem, trustedIssuer } from "../../../src/pki/index.ts";

const [caPath, ...paths] = process.argv.slice(2);
const ca = await parseCertificatesPem(readFileSync(caPath!, "utf8"));
for (const path of paths) {
  try {
    const [info] = await parseCertificatesPem(readFileSync(path, "utf8"));
    const issuer = await trustedIssuer(info!, ca, info!.notBefore).then((c) => c.subject, (e: Error) => e.message);
    console.log(JSON.stringify({ ...info, der: undefined, notBefore: info!.notBefore.toISOString(), notAfter: info!.notAfter.toISOString(), issuedBy: issuer }));
  } catch (error) {
    console.log(JSON.stringify({ error: (error as Error).message }));
  }
}
