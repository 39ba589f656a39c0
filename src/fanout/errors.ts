/** The fan-out's own errors; http/status.ts maps them to HTTP. */
import { NotConnectedError } from "../pipe/index.ts";

/** The fan-out request cannot be run as asked (bad selector, bad timeout): 400. */
export class FanoutRequestError extends Error {
  override name = "FanoutRequestError";
}

/** The selector matched more clients than one fan-out may ask: 413, with the count. */
export class FanoutTooLargeError extends Error {
  override name = "FanoutTooLargeError";
  constructor(
    readonly matched: number,
    readonly limit: number,
  ) {
    super(`Cannot fan out to ${matched} clients: more than the limit of ${limit}; narrow the selector or set RP_SERVER_MAX_FANOUT`);
  }
}

/** A recently seen client that is not connected now (listed with `?include=offline`): 503 in its entry. */
export class ClientOfflineError extends NotConnectedError {
  override name = "ClientOfflineError";
  constructor(name: string, lastSeenMs: number | undefined) {
    super(name, 0);
    this.message = `Cannot reach "${name}": not connected (${lastSeenMs === undefined ? "not seen since this server started" : `last seen ${new Date(lastSeenMs).toISOString()}`})`;
  }
}
