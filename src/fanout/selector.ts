/**
 * Fan-out selectors, the segment after `/clients/`: `*` (every client), a CN
 * glob (`edge-*`, `?` is one character), a comma list of CNs or globs
 * (`edge-1,edge-2`), or a label set (`role=db,site=fra`: every label must
 * match). Parsed from the raw, percent-encoded segment.
 */
import { hasLabels, parseLabels, type Labels } from "../labels/index.ts";
import { FanoutRequestError } from "./errors.ts";

/** Most names or globs in one comma list. */
export const MAX_SELECTOR_ITEMS = 1000;

/** One CN, exact or a glob. */
export interface NamePattern {
  readonly text: string;
  /** Undefined for an exact name. */
  readonly glob: RegExp | undefined;
}

/** What a fan-out asks for. */
export type Selector =
  | { readonly kind: "all" }
  | { readonly kind: "names"; readonly patterns: readonly NamePattern[] }
  | { readonly kind: "labels"; readonly labels: Labels };

/** A client as a selector sees it. */
export interface Candidate {
  readonly name: string;
  readonly labels: Labels;
}

const USAGE = "use *, a CN glob (edge-*), a comma list of CNs (edge-1,edge-2) or labels (role=db,site=fra)";

/** Parses the raw selector segment; FanoutRequestError (400) says what is wrong and what is accepted. */
export function parseSelector(raw: string): Selector {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    throw new FanoutRequestError(`Cannot read selector "${raw}": invalid percent-encoding; ${USAGE}`);
  }
  const refuse = (why: string) => new FanoutRequestError(`Cannot read selector ${JSON.stringify(text)}: ${why}; ${USAGE}`);
  if (text === "") throw refuse("it is empty");
  if (/[\u0000-\u001f\u007f/\\]/.test(text)) throw refuse("control characters, slashes and backslashes are not allowed");
  if (text === "*") return { kind: "all" };
  const items = text.split(",");
  if (items.length > MAX_SELECTOR_ITEMS) throw refuse(`${items.length} items is more than the limit of ${MAX_SELECTOR_ITEMS}`);
  if (items.some((item) => item === "")) throw refuse("an item of the list is empty");
  if (text.includes("=")) {
    try {
      return { kind: "labels", labels: parseLabels(items) };
    } catch (error) {
      throw refuse((error as Error).message);
    }
  }
  return { kind: "names", patterns: [...new Set(items)].map(namePattern) };
}

/** Whether `candidate` is selected. */
export function selects(selector: Selector, candidate: Candidate): boolean {
  switch (selector.kind) {
    case "all":
      return true;
    case "labels":
      return hasLabels(candidate.labels, selector.labels);
    case "names":
      return selector.patterns.some((pattern) => (pattern.glob ? pattern.glob.test(candidate.name) : pattern.text === candidate.name));
  }
}

/** The exact names a selector lists (none for `*`, labels or globs): they can be looked up instead of scanned. */
export function exactNames(selector: Selector): readonly string[] | undefined {
  if (selector.kind !== "names" || selector.patterns.some((pattern) => pattern.glob)) return undefined;
  return selector.patterns.map((pattern) => pattern.text);
}

function namePattern(text: string): NamePattern {
  if (!/[*?]/.test(text)) return { text, glob: undefined };
  const source = text.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return { text, glob: new RegExp(`^${source}$`, "s") };
}
