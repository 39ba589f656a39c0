/** The fan-out's query controls: timeout durations, include=offline, and the query the handlers still see. */
import { describe, expect, test } from "bun:test";
import { FanoutRequestError, MAX_FANOUT_TIMEOUT_MS, parseFanoutQuery, parseTimeout } from "../../../src/fanout/index.ts";

describe("parseTimeout", () => {
  test.each([
    ["2s", 2000],
    ["1.5s", 1500],
    ["500ms", 500],
    ["1m", 60_000],
    ["3", 3000],
    ["0.25", 250],
    ["1ms", 1],
    ["3600s", MAX_FANOUT_TIMEOUT_MS],
  ])("%p is %p ms", (text, ms) => {
    expect(parseTimeout(text)).toBe(ms);
  });

  test.each(["", "0", "0s", "-1s", "2h", "1e3", "s", "2 s s", "3601s", "0.0001s", "Infinity", "NaN"])("%p is refused", (text) => {
    expect(() => parseTimeout(text)).toThrow(
      `Cannot accept timeout ${JSON.stringify(text)}: use a duration from 1ms to 3600s such as ?timeout=2s, 500ms or 1m`,
    );
  });
});

describe("parseFanoutQuery", () => {
  test("no query: the defaults", () => {
    expect(parseFanoutQuery("")).toEqual({ timeoutMs: undefined, includeOffline: false, query: "" });
    expect(parseFanoutQuery("a=1&b=%20")).toEqual({ timeoutMs: undefined, includeOffline: false, query: "a=1&b=%20" });
  });

  test("timeout and include are taken out; the rest is kept exactly as sent", () => {
    expect(parseFanoutQuery("timeout=2s&name=a%2Bb&include=offline&x")).toEqual({ timeoutMs: 2000, includeOffline: true, query: "name=a%2Bb&x" });
    expect(parseFanoutQuery("timeouts=1&include=offline")).toEqual({ timeoutMs: undefined, includeOffline: true, query: "timeouts=1" });
  });

  test("refusals say what is accepted", () => {
    const refused = (query: string) => {
      try {
        parseFanoutQuery(query);
      } catch (error) {
        expect(error).toBeInstanceOf(FanoutRequestError);
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refused("timeout=1s&timeout=2s")).toBe("Cannot accept the query: timeout is given more than once; give it once, e.g. ?timeout=2s");
    expect(refused("include=all")).toBe('Cannot accept include="all": the only value is include=offline');
    expect(refused("timeout=soon")).toStartWith('Cannot accept timeout "soon"');
  });
});
