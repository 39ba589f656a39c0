/** `rp-server clients --label`: the filter, the LABELS column only when a listed client has labels, the count line. */
import { describe, expect, test } from "bun:test";
import { clientsTable, type ServerStatusJson } from "../../../src/ops/index.ts";

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const row = { remote: "127.0.0.1:5000", connectedSince: T0, rttMs: 0.25, inFlight: 0, inboundInFlight: 0, requestsSent: 1, eventsReceived: 0, bytesIn: 0, bytesOut: 0 };
const status: ServerStatusJson = {
  version: "1",
  startedAt: T0,
  now: T0 + 1000,
  ready: true,
  readyReason: "",
  events: [],
  role: "server",
  listening: "0.0.0.0:1234",
  clientCount: 3,
  clients: [
    { ...row, name: "a", labels: { role: "db", site: "fra" } },
    { ...row, name: "b", labels: { role: "web" } },
    { ...row, name: "c" }, // a server from before labels sends none
  ],
};

describe("clientsTable with labels", () => {
  test("every client, with a LABELS column", () => {
    const lines = clientsTable(status).split("\n");
    expect(lines[0]).toMatch(/^CN +REMOTE +CONNECTED SINCE +RTT +IN FLIGHT +REQUESTS +LABELS$/);
    expect(lines[1]).toEndWith("role=db,site=fra");
    expect(lines[3]).toMatch(/^c +127/);
    expect(lines.at(-1)).toBe("3 clients connected to 0.0.0.0:1234");
  });

  test("only those with all the labels given, counted against all", () => {
    const lines = clientsTable(status, { role: "db" }).split("\n");
    expect(lines.slice(1, -1).map((line) => line.split(" ")[0])).toEqual(["a"]);
    expect(lines.at(-1)).toBe("1 client with role=db of 3 connected to 0.0.0.0:1234");
    expect(clientsTable(status, { role: "db", site: "ams" })).toBe("0 clients with role=db,site=ams of 3 connected to 0.0.0.0:1234");
  });

  test("no labels anywhere: the table as before, without the column", () => {
    const plain = { ...status, clients: [{ ...row, name: "c" }], clientCount: 1 };
    expect(clientsTable(plain).split("\n")[0]).toMatch(/REQUESTS$/);
  });
});
