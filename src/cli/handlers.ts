/**
 * Loads the user's handler module (RP_EVENT_HANDLER) at run time, also from
 * the compiled binary: by file URL, resolved against the working directory.
 * A default export that is a class is instantiated; a default object is
 * used as is; otherwise the module's own exports are the handlers.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HOOK_NAMES } from "../dispatch/index.ts";

/** The handler module could not be loaded. */
export class HandlerModuleError extends Error {
  override name = "HandlerModuleError";
}

/** Imports the module at `path` and returns the object whose methods are the handlers. */
export async function loadHandlerModule(path: string, cwd: string): Promise<object> {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) throw new HandlerModuleError(`Cannot load handler module ${absolute}: no such file`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new HandlerModuleError(`Cannot load handler module ${absolute}: ${(cause as Error).message}`, { cause });
  }
  const fallback = module["default"];
  if (typeof fallback === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fallback))) {
    return new (fallback as new () => object)();
  }
  if (typeof fallback === "object" && fallback !== null) return fallback;
  return module;
}

/** Names of the functions a handler module offers as handlers (verb_noun, hooks excluded), for the start-up log. */
export function handlerNames(handlers: object): string[] {
  const names = new Set<string>();
  for (let target: object | null = handlers; target && target !== Object.prototype; target = Object.getPrototypeOf(target)) {
    for (const name of Object.getOwnPropertyNames(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, name);
      const isHandler = name !== "constructor" && !(HOOK_NAMES as readonly string[]).includes(name) && /^[a-z]+_/.test(name);
      if (isHandler && typeof descriptor?.value === "function") names.add(name);
    }
  }
  return [...names].sort();
}

/** The verbs the fronts send (the HTTP methods, lower-cased): a handler name starts with one of them and "_". */
const VERB_PREFIX = /^(get|head|post|put|patch|delete)_./;

/** The module's own function names (hooks and the constructor aside), reachable or not: for the warning below. */
export function functionNames(handlers: object): string[] {
  const names = new Set<string>();
  for (let target: object | null = handlers; target && target !== Object.prototype; target = Object.getPrototypeOf(target)) {
    for (const name of Object.getOwnPropertyNames(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, name);
      if (name !== "constructor" && !(HOOK_NAMES as readonly string[]).includes(name) && typeof descriptor?.value === "function") names.add(name);
    }
  }
  return [...names].sort();
}

/** Why a handler module can answer no event (none of its functions is named verb_noun), or undefined when one can. */
export function noHandlerWarning(handlers: object): { functions: string } | undefined {
  if (handlerNames(handlers).some((name) => VERB_PREFIX.test(name))) return undefined;
  return { functions: functionNames(handlers).join(" ") || "(none)" };
}
