/**
 * A small `bun:test` for Deno: the runtime-neutral tests import
 * `bun:test`, and deno.json maps that name here, so the same files run under
 * `deno test`. describe/test/test.each/afterEach/beforeEach become
 * `Deno.test` registrations; anything else fails loudly instead of passing
 * silently.
 */
import { format } from "node:util";
export { expect } from "./expect.ts";

type Body = () => unknown;
interface Scope {
  readonly name: string;
  readonly beforeEach: Body[];
  readonly afterEach: Body[];
}

interface DenoTestApi {
  test(definition: { name: string; fn: () => Promise<void>; ignore?: boolean; only?: boolean; sanitizeOps: boolean; sanitizeResources: boolean }): void;
}

const deno = (globalThis as { Deno?: DenoTestApi }).Deno;
if (deno === undefined) throw new Error("test/deno/bun-test.ts is bun:test for Deno; under Bun import the real bun:test");

const scopes: Scope[] = [{ name: "", beforeEach: [], afterEach: [] }];
const current = () => scopes[scopes.length - 1]!;

/** Groups tests under a name (names are joined with " > " as bun prints them). */
export function describe(name: string, body: () => void): void {
  scopes.push({ name, beforeEach: [], afterEach: [] });
  try {
    body();
  } finally {
    scopes.pop();
  }
}

/** Runs before each test of the enclosing describe (and its children). */
export function beforeEach(body: Body): void {
  current().beforeEach.push(body);
}

/** Runs after each test of the enclosing describe (and its children), also after a failure. */
export function afterEach(body: Body): void {
  current().afterEach.push(body);
}

function register(name: string, body: (...args: never[]) => unknown, args: unknown[], flags: { ignore?: boolean; only?: boolean } = {}): void {
  const chain = [...scopes];
  const fullName = [...chain.map((scope) => scope.name).filter(Boolean), name].join(" > ");
  deno!.test({
    name: fullName,
    ...flags,
    // bun:test checks neither pending timers nor open resources; neither do these tests' Deno runs.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      for (const scope of chain) for (const hook of scope.beforeEach) await hook();
      try {
        await (body as (...args: unknown[]) => unknown)(...args);
      } finally {
        for (const scope of chain.toReversed()) for (const hook of scope.afterEach) await hook();
      }
    },
  });
}

/** `%s %d %i %j %p %o %#` in test.each names, as bun:test formats them. */
function title(template: string, args: readonly unknown[], index: number): string {
  const withIndex = template.replaceAll("%#", String(index));
  return format(withIndex.replaceAll("%p", "%O").replaceAll("%i", "%d"), ...args);
}

type TestFn = ((name: string, body: (...args: never[]) => unknown, timeoutMs?: number) => void) & {
  each: <Row>(rows: readonly Row[]) => (name: string, body: (...args: Row extends readonly unknown[] ? Row : [Row]) => unknown) => void;
  skip: (name: string, body: Body) => void;
  only: (name: string, body: Body) => void;
  todo: (name: string) => void;
};

/** A test; `test.each(rows)(name, body)` spreads array rows into arguments like bun:test. */
export const test: TestFn = Object.assign((name: string, body: (...args: never[]) => unknown) => register(name, body, []), {
  each:
    <Row,>(rows: readonly Row[]) =>
    (name: string, body: (...args: never[]) => unknown) => {
      rows.forEach((row, index) => {
        const args = Array.isArray(row) ? [...row] : [row];
        register(title(name, args, index), body, args);
      });
    },
  skip: (name: string, body: Body) => register(name, body, [], { ignore: true }),
  only: (name: string, body: Body) => register(name, body, [], { only: true }),
  todo: (name: string) => register(name, () => {}, [], { ignore: true }),
});

/** Alias of `test`. */
export const it = test;

const unsupported = (name: string) => () => {
  throw new Error(`${name} is not supported by the Deno bun:test shim (test/deno/bun-test.ts): add it there`);
};

/** Not supported here: Deno.test has no suite-level hooks. */
export const beforeAll = unsupported("beforeAll");
/** Not supported here: Deno.test has no suite-level hooks. */
export const afterAll = unsupported("afterAll");
/** Not supported here. */
export const mock = unsupported("mock");
/** Not supported here. */
export const spyOn = unsupported("spyOn");
