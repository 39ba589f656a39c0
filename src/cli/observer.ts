/** The node's observer as the CLI assembles it: Prometheus always, statsd when RP_STATSD_HOST/RP_STATSD_PORT are set. */
import type { CommonConfig, Role } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { NodeObserver } from "../node/index.ts";
import { openUdpSender, residentMemoryBytes } from "../platform/index.ts";
import { VERSION } from "./version.ts";

/** statsd's well-known port, used when only RP_STATSD_HOST is set. */
export const STATSD_DEFAULT_PORT = 8125;

/** Where statsd metrics go, or undefined when statsd is off. */
export function statsdTarget(config: CommonConfig): { host: string; port: number } | undefined {
  if (config.statsdHost === undefined && config.statsdPort === undefined) return undefined;
  return { host: config.statsdHost ?? "127.0.0.1", port: config.statsdPort ?? STATSD_DEFAULT_PORT };
}

/** Builds the observer for `config`, logging where statsd goes. */
export function makeObserver(config: CommonConfig, role: Role, log: Logger): NodeObserver {
  const target = statsdTarget(config);
  if (target) log.info("sending statsd metrics", { to: `${target.host}:${target.port}`, prefix: config.statsdPrefix });
  return new NodeObserver({
    role,
    version: VERSION,
    residentMemoryBytes,
    statsd: target && { sink: openUdpSender(target.host, target.port), prefix: config.statsdPrefix },
  });
}
