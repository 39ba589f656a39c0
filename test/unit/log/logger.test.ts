/** One structured line per event: JSON off a terminal, text on one, levels, DEBUG=1. */
import { describe, expect, test } from "bun:test";
import { makeLogger } from "../../../src/cli/node-main.ts";
import { loadServerConfig } from "../../../src/config/index.ts";
import { createConsoleLogger } from "../../../src/log/index.ts";

const NOW = Date.UTC(2026, 10, 25, 9, 30, 15, 250);

function capture(format: "json" | "text", level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const log = createConsoleLogger({ format, level, write: (line) => lines.push(line), now: () => NOW }, { node: "server" });
  return { log, lines };
}

describe("the console logger", () => {
  test("JSON: one object per line with time, level, message and fields (undefined fields dropped)", () => {
    const { log, lines } = capture("json");
    log.with({ client: "fileserver" }).info("client connected", { clients: 3, gone: undefined });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: "2026-11-25T09:30:15.250Z", level: "info", msg: "client connected", node: "server", client: "fileserver", clients: 3 });
  });

  test("text: time, level, message, key=value (quoted when needed)", () => {
    const { log, lines } = capture("text");
    log.warn("lost the pipe to the server", { reason: "heartbeat timeout after 10 s", attempt: 2 });
    expect(lines).toEqual(['09:30:15.250 WARN  lost the pipe to the server  node=server reason="heartbeat timeout after 10 s" attempt=2']);
  });

  test("levels below the threshold are dropped", () => {
    const { log, lines } = capture("json", "warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(lines.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(["warn", "error"]);
  });
});

describe("the process logger", () => {
  function lines(env: Record<string, string>, isTty: boolean) {
    const out: string[] = [];
    const log = makeLogger(loadServerConfig({ env }), "server", isTty, (line) => out.push(line));
    log.debug("details");
    log.info("server listening");
    return out;
  }

  test("auto: text on a terminal, JSON otherwise; RP_LOG_FORMAT overrides", () => {
    expect(lines({}, true)[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  server listening  node=server$/);
    expect(JSON.parse(lines({}, false)[0]!)).toMatchObject({ level: "info", msg: "server listening" });
    expect(JSON.parse(lines({ RP_LOG_FORMAT: "json" }, true)[0]!)).toMatchObject({ msg: "server listening" });
    expect(lines({ RP_LOG_FORMAT: "text" }, false)[0]).toContain("INFO  server listening");
  });

  test("DEBUG=1 (the seed's switch) lowers the level to debug", () => {
    expect(lines({}, false)).toHaveLength(1);
    const debug = lines({ DEBUG: "1" }, false);
    expect(debug.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(["debug", "info"]);
  });
});
