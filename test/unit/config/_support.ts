/** Helpers for the config tests. */
import { ConfigError } from "../../../src/config/index.ts";

/** The problems `load` reports; fails the test when it does not throw a ConfigError. */
export function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError, but the config loaded");
}
