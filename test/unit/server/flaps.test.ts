/** FlapDetector: several replacements of one CN within a minute from more than one host. */
import { expect, test } from "bun:test";
import { FLAP_WINDOW_MS, FlapDetector } from "../../../src/server/_flaps.ts";

test("warns at the third replacement from two hosts, then not again within the window", () => {
  let now = 0;
  const flaps = new FlapDetector(() => now);
  expect(flaps.replaced("twin", "10.0.0.1:1000", "10.0.0.2:2000")).toBeUndefined();
  now += 1_000;
  expect(flaps.replaced("twin", "10.0.0.2:2001", "10.0.0.1:1000")).toBeUndefined();
  now += 1_000;
  expect(flaps.replaced("twin", "10.0.0.1:1001", "10.0.0.2:2001")).toEqual({ cn: "twin", replacements: 3, hosts: ["10.0.0.2", "10.0.0.1"] });
  now += 1_000;
  expect(flaps.replaced("twin", "10.0.0.2:2002", "10.0.0.1:1001")).toBeUndefined(); // once a minute
  expect(flaps.flapping().map((f) => f.cn)).toEqual(["twin"]);
  now += FLAP_WINDOW_MS + 1;
  expect(flaps.flapping()).toEqual([]);
});

test("one host reconnecting (new ports, one address) is no flap", () => {
  let now = 0;
  const flaps = new FlapDetector(() => now);
  for (let i = 0; i < 10; i++, now += 1_000) expect(flaps.replaced("solo", `[::1]:${5000 + i + 1}`, `[::1]:${5000 + i}`)).toBeUndefined();
  expect(flaps.flapping()).toEqual([]);
});
