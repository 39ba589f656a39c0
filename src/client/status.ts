/** rp-client's readiness and status, as its front reports them (/readyz, /_rp/status.json). */
import type { NodeObserver } from "../node/index.ts";
import { pipeRow, type ClientStatusJson, type Readiness } from "../ops/index.ts";
import type { PipeRegistry } from "../pipe/index.ts";
import type { DialLoop } from "./dial-loop.ts";

/** rp-client: ready while the pipe to the server is up and usable. */
export function clientReadiness(registry: PipeRegistry, key: string, loop: () => DialLoop): () => Readiness {
  return () => {
    if (registry.get(key)) return { ready: true, reason: "the pipe to the server is up" };
    const status = loop().status;
    return { ready: false, reason: `the pipe to the server is ${status.state}${"reason" in status ? `: ${status.reason}` : ""}` };
  };
}

/** rp-client's status: the dial loop's state and the pipe, if up. */
export function clientStatus(
  observer: NodeObserver,
  registry: PipeRegistry,
  key: string,
  loop: () => DialLoop,
  readiness: () => Readiness,
  /** The proxy as shown (no password), when the client dials through one. */
  proxy?: string,
) {
  return (): ClientStatusJson => {
    const pipe = registry.get(key);
    const { ready, reason } = readiness();
    return {
      role: "client",
      version: observer.version,
      startedAt: observer.startedAt,
      now: Date.now(),
      ready,
      readyReason: reason,
      status: loop().status,
      target: loop().target,
      ...(loop().targets.length > 1 ? { targets: loop().targets } : {}),
      ...(proxy === undefined ? {} : { proxy }),
      reconnects: loop().reconnects,
      pipe: pipe ? pipeRow(pipe, observer.tracker) : null,
      events: observer.tracker.events(),
      shares: observer.shareLines(),
    };
  };
}
