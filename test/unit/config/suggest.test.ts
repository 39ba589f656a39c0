/** closestName: the did-you-mean of unknown flags and RP_* variables. */
import { expect, test } from "bun:test";
import { closestName, editDistance, envSuggestion } from "../../../src/config/index.ts";
import { wrapHelp } from "../../../src/cli/help-text.ts";

test("edit distance counts a transposition as one edit", () => {
  expect(editDistance("prot", "port")).toBe(1);
  expect(editDistance("port", "port")).toBe(0);
  expect(editDistance("", "abc")).toBe(3);
});

test("the closest known name, or none when nothing is close", () => {
  const flags = ["port", "bind", "http", "server-port", "server-host"];
  expect(closestName("prot", flags)).toBe("port");
  expect(closestName("server-prot", flags)).toBe("server-port");
  expect(closestName("serv", flags)).toBe("server-port"); // a prefix of one
  expect(closestName("frobnicate", flags)).toBeUndefined();
  expect(envSuggestion("RP_SERVER_BIND_PROT")).toBe("RP_SERVER_BIND_PORT");
  expect(envSuggestion("RP_CLIENT_TARGT_PORT")).toBe("RP_CLIENT_TARGET_PORT");
  expect(envSuggestion("RP_SOMETHING_ELSE_ENTIRELY")).toBeUndefined();
});

test("wrapHelp keeps short lines and continues long ones under their description column", () => {
  const long = `  rp-server thing [flags]     ${"word ".repeat(30).trim()}`;
  const wrapped = wrapHelp(`short line\n${long}`, 60).split("\n");
  expect(wrapped[0]).toBe("short line");
  for (const line of wrapped) expect(line.length).toBeLessThanOrEqual(60);
  for (const line of wrapped.slice(2)) expect(line).toStartWith(" ".repeat(30) + "word");
});
