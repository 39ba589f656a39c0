/** Metrics: the recorder the node calls, Prometheus (prom-client, per-node registry) and statsd (the seed's names). Runtime-neutral. */
export * from "./recorder.ts";
export * from "./prometheus.ts";
export * from "./statsd.ts";
export * from "./fleet-metrics.ts";
export * from "./statsd-names.ts";
export { verbLabel, handlerAnswered } from "./_labels.ts";
