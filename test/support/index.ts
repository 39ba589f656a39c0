/**
 * Test support: fakes and fixtures shared by the unit, component, integration and e2e suites.
 * Loaded by the runtime-neutral tests under Deno too; browser.ts (playwright-core, heavy) is imported on its own.
 */
export * from "./random.ts";
export * from "./vectors.ts";
export * from "./memory-transport.ts";
export * from "./memory-runtime.ts";
export * from "./fake-clock.ts";
export * from "./pki.ts";
export * from "./processes.ts";
export * from "./fuzz.ts";
export * from "./wire-arbitraries.ts";
export * from "./recording-logger.ts";
export * from "./raw-http.ts";
export * from "./relay.ts";
export * from "./wait.ts";
export * from "./metrics-text.ts";
export * from "./deno.ts";
export * from "./refusals.ts";
export * from "./proxies.ts";
