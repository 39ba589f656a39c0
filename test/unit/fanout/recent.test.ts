/** The memory of recently seen clients: bounded, oldest dropped first, forgotten on reconnect. */
import { describe, expect, test } from "bun:test";
import { RecentClients } from "../../../src/fanout/index.ts";

describe("RecentClients", () => {
  test("keeps the most recent `capacity`, oldest dropped; remembering again moves a client to the newest", () => {
    let now = 1000;
    const recent = new RecentClients(3, () => now++);
    for (const name of ["a", "b", "c"]) recent.remember(name, {});
    recent.remember("a", { role: "db" });
    recent.remember("d", {});
    expect([...recent.all()].map((client) => client.name)).toEqual(["c", "a", "d"]);
    expect(recent.get("b")).toBeUndefined();
    expect(recent.get("a")).toEqual({ name: "a", labels: { role: "db" }, lastSeenMs: 1003 });
    expect(recent.size).toBe(3);
  });
});
