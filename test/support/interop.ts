/** What the interop tests check on every Bun ↔ Deno pair: the seed's four curl examples, a JSON POST and a large body each way. */
import { expect } from "bun:test";
import { resolve } from "node:path";

/** The handler module both ends of an interop pair load (the seed's examples plus a JSON echo). */
export const SEED_AND_ECHO = resolve(import.meta.dir, "../fixtures/seed-and-echo.ts");

/** A server front, a client front and the CN the server knows the client by. */
export interface Pair {
  readonly serverHttp: string;
  readonly clientHttp: string;
  readonly clientCn: string;
}

/** The seed's four examples, asserted on their status, return code and body. */
export async function seedExamples(pair: Pair): Promise<void> {
  const before = Date.now() / 1000;
  const get = async (url: string) => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-event-return-code")).toBe("0");
    return (await response.json()) as Record<string, unknown>;
  };
  const time = (body: Record<string, unknown>, key: string) => {
    expect(Object.keys(body)).toEqual([key]);
    expect(Math.abs(Number(body[key]) - before)).toBeLessThan(30);
  };
  time(await get(`${pair.clientHttp}/server/time`), "time_from_server");
  expect(await get(`${pair.clientHttp}/server/cat//hello%20/world`)).toEqual({ result_from_server: "hello world" });
  time(await get(`${pair.serverHttp}/client/${pair.clientCn}/time`), "time_from_client");
  expect(await get(`${pair.serverHttp}/client/${pair.clientCn}/cat//hello%20/world`)).toEqual({ result_from_client: "hello world" });
}

/** A JSON POST from each front to the other side's echo handler. */
export async function jsonPostEachWay(pair: Pair, serverCn: string): Promise<void> {
  const payload = { name: "a.txt", size: 3, nested: [1, { x: null }], text: "h\u00e9llo \u2603" };
  const post = async (url: string) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
    expect(response.status).toBe(200);
    return response.json();
  };
  expect(await post(`${pair.serverHttp}/client/${pair.clientCn}/echo?q=1`)).toEqual({
    received: payload,
    mimetype: "application/json",
    from: serverCn,
    query: "1",
  });
  expect(await post(`${pair.clientHttp}/server/echo`)).toEqual({ received: payload, mimetype: "application/json", from: pair.clientCn, query: null });
}

/**
 * A body of `bytes` random bytes echoed by each side: far above the
 * transports' 4 MiB high-water mark, so writes wait for drain; between two
 * nodes of this implementation it crosses as a stream both ways (the echo
 * streams back while the body still arrives).
 */
export async function bigBodyEachWay(pair: Pair, bytes = 12 * 1024 * 1024): Promise<void> {
  const body = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(body.subarray(at, at + 65_536));
  for (const url of [`${pair.serverHttp}/client/${pair.clientCn}/bytes`, `${pair.clientHttp}/server/bytes`]) {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/octet-stream" }, body });
    expect(response.status).toBe(200);
    const echoed = new Uint8Array(await response.arrayBuffer());
    expect(echoed.length).toBe(bytes);
    expect(Bun.hash(echoed)).toBe(Bun.hash(body));
  }
}
