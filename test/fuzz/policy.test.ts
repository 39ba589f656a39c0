/**
 * Properties of the policy: a matching deny rule always wins, wherever it
 * stands; reordering or adding allow rules never lets a denied call through;
 * the verdict agrees with a plain reading of the rules (a model).
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compilePolicy, globMatch, parsePolicy, type PolicyCall } from "../../src/policy/index.ts";
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally } from "../support/index.ts";

const tally = new FuzzTally("policy");
afterAll(() => tally.report());

const VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const cnArb = fc.constantFrom("edge-1", "edge-7", "edge-77", "fileserver", "admin", "e", "Edge-7");
const cnPatternArb = fc.constantFrom("*", "edge-*", "edge-?", "edge-7", "*server", "admin", "e*7", "?");
const nounArb = fc.constantFrom("time", "files//a.txt", "files//etc/passwd", "secrets", "telemetry", "cat//hello%20/world", "files");
const nounPatternArb = fc.constantFrom("*", "files//*", "files*", "time", "*//*", "secret?", "tele*");
const handlerPatternArb = fc.constantFrom("*", "get_*", "get_files", "post_telemetry", "*_secrets");
const ruleArb = fc.record(
  {
    cn: cnPatternArb,
    verbs: fc.subarray(VERBS, { minLength: 1 }),
    noun: nounPatternArb,
    handler: handlerPatternArb,
    action: fc.constantFrom("allow", "deny"),
  },
  { requiredKeys: ["action"] },
);
const callArb = fc.record({ cn: cnArb, verb: fc.constantFrom(...VERBS, "get", "post"), noun: nounArb }) as fc.Arbitrary<PolicyCall>;
const handlerOf = (verb: string, noun: string) => `${verb.toLowerCase()}_${noun.split("//")[0]!.replaceAll("/", "_")}`;
const policyArb = fc.record({ default: fc.constantFrom("allow", "deny"), rules: fc.array(ruleArb, { maxLength: 12 }) });

type RawRule = { cn?: string; verbs?: string[]; noun?: string; handler?: string; action: string };

/** A plain reading of one rule, independent of the compiled matcher. */
function ruleMatches(rule: RawRule, call: PolicyCall): boolean {
  return (
    globMatch(rule.cn ?? "*", call.cn) &&
    (rule.verbs === undefined || rule.verbs.includes(call.verb.toUpperCase())) &&
    (rule.noun === undefined || globMatch(rule.noun, call.noun)) &&
    (rule.handler === undefined || globMatch(rule.handler, handlerOf(call.verb, call.noun)))
  );
}

const judge = (raw: { default: string; rules: RawRule[] }, call: PolicyCall) => compilePolicy(parsePolicy(raw), handlerOf).judge(call);

describe("policy properties", () => {
  test(
    "a call any deny rule matches is denied, by the first such rule",
    () => {
      tally.check(
        fc.property(policyArb, callArb, (raw, call) => {
          const verdict = judge(raw, call);
          const firstDeny = raw.rules.findIndex((rule) => rule.action === "deny" && ruleMatches(rule, call));
          if (firstDeny >= 0) expect(verdict).toEqual({ action: "deny", rule: firstDeny + 1 });
          else {
            const firstAllow = raw.rules.findIndex((rule) => rule.action === "allow" && ruleMatches(rule, call));
            expect(verdict).toEqual(firstAllow >= 0 ? { action: "allow", rule: firstAllow + 1 } : { action: raw.default, rule: 0 });
          }
        }),
        3_000,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "shuffling the rules and adding allow rules never lets a denied call through",
    () => {
      tally.check(
        fc.property(policyArb, callArb, fc.array(ruleArb.map((r) => ({ ...r, action: "allow" })), { maxLength: 6 }), fc.nat(), (raw, call, allows, seed) => {
          if (judge(raw, call).action !== "deny") return;
          const mixed = [...raw.rules, ...allows];
          for (let i = mixed.length - 1; i > 0; i--) {
            const j = (seed + i * 7919) % (i + 1);
            [mixed[i], mixed[j]] = [mixed[j]!, mixed[i]!];
          }
          const denied = raw.rules.some((rule) => rule.action === "deny" && ruleMatches(rule, call));
          // Denied by a rule: stays denied in any order, with any allows. Denied by the default: only an allow may change that.
          if (denied) expect(judge({ default: raw.default, rules: mixed }, call).action).toBe("deny");
          else expect(judge({ default: raw.default, rules: [...raw.rules].reverse() }, call).action).toBe("deny");
        }),
        3_000,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "the compiled glob agrees with a regular-expression reading of it",
    () => {
      const patternArb = fc.stringMatching(/^[ab*?/]{0,8}$/);
      tally.check(
        fc.property(patternArb, fc.stringMatching(/^[ab/]{0,10}$/), (pattern, text) => {
          const regex = new RegExp(`^${pattern.replaceAll("*", ".*").replaceAll("?", ".")}$`, "s");
          expect(globMatch(pattern, text)).toBe(regex.test(text));
        }),
        5_000,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
