/** Test support: fakes and fixtures shared by the unit, component, integration and e2e suites. */
export * from "./random.ts";
export * from "./vectors.ts";
export * from "./memory-transport.ts";
export * from "./fake-clock.ts";
export * from "./pki.ts";
export * from "./processes.ts";
export * from "./relay.ts";
export * from "./metrics-text.ts";
export * from "./browser.ts";
