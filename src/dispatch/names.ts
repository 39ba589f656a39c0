/**
 * Event → handler name and arguments, as the seed defines it:
 * `GET time/utc` → `get_time_utc`; `GET cat//hello%20/world` →
 * `get_cat` with arguments `"hello "`, `"world"`.
 */
import { HOOK_NAMES } from "./types.ts";

/** A noun resolved to the handler name and its decoded arguments. */
export interface Route {
  readonly handlerName: string;
  readonly args: readonly string[];
}

/** A noun whose arguments are not valid percent-encoding. */
export class BadArgumentError extends Error {
  override name = "BadArgumentError";
}

/** The handler name alone: `get` + `time/utc//x` → `get_time_utc` (no argument decoding). */
export function handlerNameFor(verb: string, noun: string): string {
  const split = noun.indexOf("//");
  return `${verb}_${(split === -1 ? noun : noun.slice(0, split)).replaceAll("/", "_")}`;
}

/** Splits a raw noun into handler name and percent-decoded arguments. */
export function routeFor(verb: string, noun: string): Route {
  const split = noun.indexOf("//");
  const handlerName = handlerNameFor(verb, noun);
  if (split === -1) return { handlerName, args: [] };
  const args = noun
    .slice(split + 2)
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch (cause) {
        throw new BadArgumentError(`Cannot decode argument "${segment}": invalid percent-encoding`, { cause });
      }
    });
  return { handlerName, args };
}

/** Names that are never dispatched: everything every object has, plus the state-change hooks. */
const RESERVED: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Function.prototype),
  "constructor",
  "prototype",
  "then", // a module with `then` would be treated as a thenable by await
  ...HOOK_NAMES,
]);

/**
 * The function the handler module itself defines under `name`: an own data
 * property of the module, or a method of its class, never something
 * inherited from Object.prototype, never a getter (that would run code).
 */
export function findHandler(handlers: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (RESERVED.has(name)) return undefined;
  for (let target: object | null = handlers; target !== null; target = Object.getPrototypeOf(target)) {
    if (target === Object.prototype || target === Function.prototype) return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(target, name);
    if (descriptor) return typeof descriptor.value === "function" ? descriptor.value : undefined;
  }
  return undefined;
}
