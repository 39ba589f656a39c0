/** The terminal views of the status: durations, the clients table, the client's state lines. */
import { describe, expect, test } from "bun:test";
import { clientsTable, clientStatusText, formatAge, type ClientStatusJson, type ServerStatusJson } from "../../../src/ops/index.ts";

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const row = { remote: "127.0.0.1:5000", connectedSince: T0, rttMs: 0.25, inFlight: 1, inboundInFlight: 2, requestsSent: 10, eventsReceived: 5, bytesIn: 0, bytesOut: 0 };
const common = { version: "1", startedAt: T0, now: T0 + 192_000, ready: true, readyReason: "", events: [] };

describe("formatAge", () => {
  test("the two largest units", () => {
    expect([formatAge(0), formatAge(59_400), formatAge(192_000), formatAge(3_600_000), formatAge(2 * 86_400_000 + 4 * 3_600_000 + 5_000)]).toEqual([
      "0s",
      "59s",
      "3m 12s",
      "1h 0s",
      "2d 4h",
    ]);
  });
});

describe("clientsTable", () => {
  test("aligned columns, numbers right-aligned, a count line", () => {
    const status: ServerStatusJson = {
      ...common,
      role: "server",
      listening: "0.0.0.0:1234",
      clientCount: 2,
      clients: [{ ...row, name: "a" }, { ...row, name: "long-name", rttMs: null, requestsSent: 1000 }],
    };
    expect(clientsTable(status).split("\n")).toEqual([
      "CN         REMOTE          CONNECTED SINCE                       RTT  IN FLIGHT  REQUESTS",
      "a          127.0.0.1:5000  2026-11-25 09:00:00 UTC (3m 12s)  0.25 ms          3        15",
      "long-name  127.0.0.1:5000  2026-11-25 09:00:00 UTC (3m 12s)        -          3      1005",
      "2 clients connected to 0.0.0.0:1234",
    ]);
  });

  test("no clients: only the count", () => {
    expect(clientsTable({ ...common, role: "server", listening: "x:1", clientCount: 0, clients: [] })).toBe("0 clients connected to x:1");
  });
});

describe("clientStatusText", () => {
  test("while reconnecting: the reason, no pipe figures", () => {
    const status: ClientStatusJson = {
      ...common,
      role: "client",
      status: { state: "reconnecting", attempt: 3, delayMs: 400, reason: "connection refused" },
      target: "rp.example.com:1234",
      reconnects: 2,
      pipe: null,
    };
    expect(clientStatusText(status).split("\n")).toEqual([
      "state          reconnecting",
      "server         -",
      "address        rp.example.com:1234",
      "reason         connection refused",
      "heartbeat rtt  -",
      "reconnects     2",
    ]);
  });

  test("connected again: why the previous pipe was lost, and how long ago", () => {
    const status: ClientStatusJson = {
      ...common,
      role: "client",
      status: { state: "connected", server: "localhost", since: common.now - 2_000, lastLost: { reason: "closed by the peer: replaced by a newer connection", at: common.now - 3_000 } },
      target: "rp.example.com:1234",
      reconnects: 1,
      pipe: null,
    };
    const lines = clientStatusText(status).split("\n");
    expect(lines[0]).toBe("state          connected");
    expect(lines).toContain("last lost      closed by the peer: replaced by a newer connection (3s ago)");
  });
});
