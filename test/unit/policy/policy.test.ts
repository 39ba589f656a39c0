/** The policy's checks of what is written and its judgement of calls: examples, refusals, and globs. */
import { describe, expect, test } from "bun:test";
import { ALLOW_ALL, compilePolicy, denialMessage, globMatch, parsePolicy, PolicyError, verdictLine, type PolicyCall } from "../../../src/policy/index.ts";

const call = (cn: string, verb: string, noun: string): PolicyCall => ({ cn, verb, noun });
/** The dispatcher's naming, enough for these tests: verb_noun-before-// with / → _ ("" for a bad noun). */
const handlerOf = (verb: string, noun: string) => (noun.includes("%zz") ? "" : `${verb.toLowerCase()}_${noun.split("//")[0]!.replaceAll("/", "_")}`);

describe("globs", () => {
  test("* matches any run (slashes too), ? one character, the rest itself, case-sensitive", () => {
    expect(globMatch("edge-*", "edge-7")).toBe(true);
    expect(globMatch("edge-*", "edge-")).toBe(true);
    expect(globMatch("edge-*", "Edge-7")).toBe(false);
    expect(globMatch("files//*", "files//a/b.txt")).toBe(true);
    expect(globMatch("edge-?", "edge-12")).toBe(false);
    expect(globMatch("*a*b", "xaxxb")).toBe(true);
    expect(globMatch("*a*b", "xaxxbc")).toBe(false);
    expect(globMatch("a.b", "axb")).toBe(false); // no regex meaning
  });

  test("a hostile pattern on a long text ends at once (no backtracking blow-up)", () => {
    const started = performance.now();
    expect(globMatch("*a*a*a*a*a*a*a*b", "a".repeat(2048))).toBe(false);
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(2_000); // was ${ms}
  });
});

describe("parsePolicy", () => {
  test("reads rules with defaults: cn *, every verb, any noun; default allow", () => {
    const policy = parsePolicy({ rules: [{ action: "deny", verb: "post" }] });
    expect(policy).toEqual({ default: "allow", rules: [{ cn: "*", verbs: ["POST"], noun: undefined, handler: undefined, action: "deny" }] });
    expect(parsePolicy({})).toEqual(ALLOW_ALL);
  });

  const refusals: Array<[unknown, string]> = [
    [[], "the policy must be an object (TOML table) with `rules` and `default`"],
    [{ default: "maybe" }, 'default must be "allow" or "deny" (got "maybe")'],
    [{ rules: {} }, "`rules` must be an array (TOML: [[...rules]] tables)"],
    [{ rule: [] }, 'unknown key "rule" (known: default, rules)'],
    [{ rules: [{ cn: "a" }] }, 'rule 1: action must be "allow" or "deny" (got nothing)'],
    [{ rules: [{ action: "allow" }, { action: "deny", verbs: ["GET", "FETCH"] }] }, 'rule 2: unknown verb "FETCH" (use GET, POST, PUT, PATCH, DELETE, or "*")'],
    [{ rules: [{ action: "deny", verbs: [] }] }, 'rule 1: verbs must be a verb or a non-empty list of them (GET, POST, PUT, PATCH, DELETE, or "*")'],
    [{ rules: [{ action: "deny", nuon: "x" }] }, 'rule 1: unknown key "nuon" (known: cn, verbs, noun, handler, action)'],
    [{ rules: [{ action: "deny", cn: "" }] }, "rule 1: cn must be a non-empty string (exact, or a glob with * and ?)"],
    [{ rules: [{ action: "deny", noun: "a\nb" }] }, "rule 1: noun must not contain control characters"],
    [{ rules: [{ action: "deny", verb: "GET", verbs: ["GET"] }] }, "rule 1: give `verbs` or `verb`, not both"],
  ];
  for (const [value, message] of refusals) {
    test(`refuses ${JSON.stringify(value)}: ${message}`, () => {
      expect(() => parsePolicy(value)).toThrow(new PolicyError(message));
    });
  }
});

describe("judging", () => {
  const policy = parsePolicy({
    default: "deny",
    rules: [
      { cn: "edge-*", verbs: ["POST"], noun: "telemetry", action: "allow" },
      { cn: "*", verbs: "GET", handler: "get_time", action: "allow" },
      { cn: "edge-7", handler: "get_secrets", action: "deny" },
      { cn: "admin", action: "allow" },
    ],
  });
  const judge = compilePolicy(policy, handlerOf);

  test("allow rules let their calls through; the rule number is 1-based", () => {
    expect(judge.judge(call("edge-1", "post", "telemetry"))).toEqual({ action: "allow", rule: 1 });
    expect(judge.judge(call("anyone", "get", "time"))).toEqual({ action: "allow", rule: 2 });
    expect(judge.judge(call("admin", "delete", "files//x"))).toEqual({ action: "allow", rule: 4 });
  });

  test("no matching rule: the default", () => {
    expect(judge.judge(call("edge-1", "get", "files//a.txt"))).toEqual({ action: "deny", rule: 0 });
    expect(compilePolicy(parsePolicy({ rules: [{ cn: "x", action: "deny" }] }), handlerOf).judge(call("y", "get", "time"))).toEqual({ action: "allow", rule: 0 });
  });

  test("a deny rule wins over an earlier allow", () => {
    const both = compilePolicy(parsePolicy({ rules: [{ action: "allow" }, { cn: "edge-7", handler: "get_secrets", action: "deny" }] }), handlerOf);
    expect(both.judge(call("edge-7", "GET", "secrets"))).toEqual({ action: "deny", rule: 2 });
    expect(both.judge(call("edge-8", "GET", "secrets"))).toEqual({ action: "allow", rule: 1 });
  });

  test("the verdict is the same when asked again (cache) and for any case of the verb", () => {
    for (let i = 0; i < 3; i++) expect(judge.judge(call("edge-7", i % 2 ? "GET" : "get", "secrets"))).toEqual({ action: "deny", rule: 3 });
  });

  test("rules are matched by their verbs: a verb no rule names meets only the rules for every verb", () => {
    const byVerb = compilePolicy(parsePolicy({ default: "deny", rules: [{ verbs: ["GET"], action: "allow" }, { verbs: "*", noun: "x", action: "deny" }, { cn: "a", action: "allow" }] }), handlerOf);
    expect(byVerb.judge(call("b", "get", "time"))).toEqual({ action: "allow", rule: 1 });
    expect(byVerb.judge(call("b", "post", "time"))).toEqual({ action: "deny", rule: 0 });
    expect(byVerb.judge(call("a", "OPTIONS", "time"))).toEqual({ action: "allow", rule: 3 });
    expect(byVerb.judge(call("a", "options", "x"))).toEqual({ action: "deny", rule: 2 });
    expect(byVerb.judge(call("b", "GET", "x"))).toEqual({ action: "deny", rule: 2 });
  });

  test("allowsAll only for no rules and default allow", () => {
    expect(compilePolicy(ALLOW_ALL, handlerOf).allowsAll).toBe(true);
    expect(judge.allowsAll).toBe(false);
  });

  test("the refusal and the check line name the rule", () => {
    expect(denialMessage(call("edge-7", "get", "secrets"), "get_secrets", { action: "deny", rule: 3 })).toBe('Cannot call get_secrets: denied by policy rule 3 for "edge-7"');
    expect(denialMessage(call("e", "get", "x//%zz"), "", { action: "deny", rule: 0 })).toBe('Cannot call GET x//%zz: denied by the policy\'s default (deny) for "e"');
    expect(verdictLine(policy, { action: "deny", rule: 3 })).toBe('deny by rule 3: {cn = "edge-7", verbs = *, handler = "get_secrets", action = deny}');
    expect(verdictLine(policy, { action: "deny", rule: 0 })).toBe("deny by the default (no rule matches)");
  });
});

describe("the verdict cache", () => {
  test("long nouns and more distinct calls than the cache holds are judged alike (bounded, never stale within a policy)", () => {
    const policy = compilePolicy(parsePolicy({ rules: [{ noun: "files//*", action: "deny" }] }), handlerOf);
    for (let i = 0; i < 5_000; i++) expect(policy.judge(call("c", "GET", `files//${i}`)).action).toBe("deny");
    expect(policy.judge(call("c", "GET", `files//${"x".repeat(3_000)}`))).toEqual({ action: "deny", rule: 1 });
    expect(policy.judge(call("c", "GET", "time"))).toEqual({ action: "allow", rule: 0 });
  });
});
