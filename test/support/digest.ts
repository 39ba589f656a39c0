/** The SHA-256 of a stream's bytes and their count (bodies checked intact end to end). */
export async function streamSha256(stream: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = new Bun.CryptoHasher("sha256");
  let bytes = 0;
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    hash.update(next.value);
    bytes += next.value.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}
