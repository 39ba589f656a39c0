/** Label syntax, SAN URIs and matching: exact refusals, hostile URIs left out. */
import { describe, expect, test } from "bun:test";
import { formatLabels, hasLabels, labelsFromUris, labelUri, MAX_LABELS, parseLabel, parseLabels } from "../../../src/labels/index.ts";

describe("parseLabel", () => {
  test("key=value within the charset", () => {
    expect(parseLabel("role=db")).toEqual({ key: "role", value: "db" });
    expect(parseLabel("k8s.zone_a-1=Fra-1.b_2")).toEqual({ key: "k8s.zone_a-1", value: "Fra-1.b_2" });
    expect(parseLabel(`${"k".repeat(63)}=${"V".repeat(63)}`).key.length).toBe(63);
  });

  test.each(["role", "=db", "role=", "Role=db", "role=d b", "role=db=x", "-role=db", "role=-db", "role=d/b", "rôle=db", `${"k".repeat(64)}=v`, `k=${"v".repeat(64)}`])(
    "refuses %p naming the rule",
    (text) => {
      expect(() => parseLabel(text)).toThrow(`Cannot use label ${JSON.stringify(text)}: a label is a key of 1-63 lower-case letters`);
    },
  );

  test("a repeated key and too many labels are refused", () => {
    expect(() => parseLabels(["role=db", "role=web"])).toThrow('Cannot use label "role=web": the key "role" is given twice');
    const many = Array.from({ length: MAX_LABELS + 1 }, (_, i) => `k${i}=v`);
    expect(() => parseLabels(many)).toThrow(`Cannot use ${MAX_LABELS + 1} labels: at most ${MAX_LABELS} are allowed`);
    expect(Object.keys(parseLabels(many.slice(1)))).toHaveLength(MAX_LABELS);
  });
});

describe("labelsFromUris", () => {
  test("reads label URIs, ignores other URIs, leaves out (and reports) bad ones", () => {
    const uris = [labelUri("role", "db"), "https://example.com/", "restpipe:label:site=fra", "restpipe:label:role=web", "restpipe:label:Bad=x", "restpipe:label:novalue", "restpipe:label:x=a\u0000b"];
    const { labels, invalid } = labelsFromUris(uris);
    expect(labels).toEqual({ role: "db", site: "fra" });
    expect(invalid).toEqual(["restpipe:label:role=web", "restpipe:label:Bad=x", "restpipe:label:novalue", "restpipe:label:x=a\u0000b"]);
  });

  test("at most MAX_LABELS are taken; __proto__ is no label key (it starts with _)", () => {
    const uris = Array.from({ length: MAX_LABELS + 2 }, (_, i) => labelUri(`k${i}`, "v"));
    const { labels, invalid } = labelsFromUris(uris);
    expect(Object.keys(labels)).toHaveLength(MAX_LABELS);
    expect(invalid).toHaveLength(2);
    expect(() => parseLabel("__proto__=x")).toThrow('Cannot use label "__proto__=x"');
    expect(labelsFromUris(["restpipe:label:__proto__=x"])).toEqual({ labels: {}, invalid: ["restpipe:label:__proto__=x"] });
    expect(hasLabels({}, { role: "db" })).toBe(false);
  });
});

describe("hasLabels and formatLabels", () => {
  test("every wanted label must match; printed sorted", () => {
    const labels = { site: "fra", role: "db" };
    expect(hasLabels(labels, { role: "db" })).toBe(true);
    expect(hasLabels(labels, { role: "db", site: "fra" })).toBe(true);
    expect(hasLabels(labels, { role: "db", site: "ams" })).toBe(false);
    expect(hasLabels(labels, { toString: "x" } as never)).toBe(false);
    expect(formatLabels(labels)).toBe("role=db,site=fra");
    expect(formatLabels({})).toBe("");
  });
});
