/** W3C trace context and caller tag checks. */
import { describe, expect, test } from "bun:test";
import { callerProblem, isValidTraceparent, isValidTracestate, newTraceparent, traceContext, traceIdOf } from "../../../src/trace/index.ts";

const GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceparent", () => {
  test("the W3C format: version 00 exactly, later versions may extend, ff and zero ids are invalid", () => {
    expect(isValidTraceparent(GOOD)).toBe(true);
    expect(isValidTraceparent(`${GOOD}-extra`)).toBe(false);
    expect(isValidTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")).toBe(true);
    expect(isValidTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toBe(false);
    expect(isValidTraceparent(`00-${"0".repeat(32)}-00f067aa0ba902b7-01`)).toBe(false);
    expect(isValidTraceparent(`00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`)).toBe(false);
    expect(isValidTraceparent(GOOD.toUpperCase())).toBe(false);
    expect(isValidTraceparent("00-4bf92f35-00f067aa0ba902b7-01")).toBe(false);
  });

  test("a new one is valid and random; a bad one given is replaced and its tracestate dropped", () => {
    const made = newTraceparent();
    expect(isValidTraceparent(made)).toBe(true);
    expect(traceIdOf(made)).not.toBe(traceIdOf(newTraceparent()));
    expect(traceContext(GOOD, "a=1")).toEqual({ traceparent: GOOD, tracestate: "a=1" });
    const replaced = traceContext("garbage", "a=1");
    expect(replaced.tracestate).toBeUndefined();
    expect(isValidTraceparent(replaced.traceparent)).toBe(true);
    const hex = "0af7651916cd43dd8448eb211c80319cb7ad6b7169203331";
    const bytes = (fill: Uint8Array) => (target: Uint8Array) => target.set(fill);
    expect(newTraceparent(bytes(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))))).toBe(`00-${hex.slice(0, 32)}-${hex.slice(32)}-00`);
    // All-zero ids are invalid: a last bit is set instead.
    const zeros = newTraceparent(bytes(new Uint8Array(24)));
    expect(zeros).toBe(`00-${"0".repeat(31)}1-${"0".repeat(15)}1-00`);
    expect(isValidTraceparent(zeros)).toBe(true);
    const many = new Set(Array.from({ length: 1_000 }, () => traceIdOf(newTraceparent())));
    expect(many.size).toBe(1_000); // the pool is refilled (256 per fill), never repeated
  });
});

describe("tracestate", () => {
  test("key=value members, bounded", () => {
    expect(isValidTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).toBe(true);
    expect(isValidTracestate("tenant@vendor=x")).toBe(true);
    expect(isValidTracestate("Upper=x")).toBe(false);
    expect(isValidTracestate("a=b=c")).toBe(false);
    expect(isValidTracestate("")).toBe(false);
    expect(isValidTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(","))).toBe(false);
    expect(isValidTracestate(`a=${"x".repeat(600)}`)).toBe(false);
  });
});

describe("caller tag", () => {
  test("printable ASCII up to 256 characters", () => {
    expect(callerProblem("billing-app/v2 (eu)")).toBeUndefined();
    expect(callerProblem("x".repeat(256))).toBeUndefined();
    expect(callerProblem("x".repeat(257))).toBe("Cannot accept X-RestPipe-Caller: 257 characters exceed the limit of 256; send a shorter tag");
    expect(callerProblem("é")).toBe("Cannot accept X-RestPipe-Caller: character 1 is not printable ASCII (code 233); send printable ASCII only");
  });
});
