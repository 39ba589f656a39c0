/** Errors the front raises itself, before an event crosses the pipe. */

/** The request cannot become an event (bad path, bad method). */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

/** The request body is over the size limit. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(
    readonly limit: number,
    readonly declared?: number,
    /** The setting that sets the limit, named in the message when given. */
    setting?: string,
  ) {
    super(
      (declared === undefined
        ? `Cannot accept request body: more than the limit of ${limit} bytes`
        : `Cannot accept request body: Content-Length ${declared} exceeds the limit of ${limit} bytes`) + (setting ? `; set ${setting} to allow more` : ""),
    );
  }
}

/** The method is not one the front turns into events. */
export class MethodNotAllowedError extends Error {
  override name = "MethodNotAllowedError";
  /** The Allow header's value. */
  readonly allow: string;
  constructor(
    readonly method: string,
    /** The methods the route takes (the event route's six by default; a fan-out takes no HEAD). */
    allowed: readonly string[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  ) {
    super(`Cannot send ${method} as an event: use ${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1]}`);
    this.allow = allowed.join(", ");
  }
}

/** The path does not address an event (wrong prefix, missing noun). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The front requires a bearer token and the request has none, or the wrong one. */
export class UnauthorizedError extends Error {
  override name = "UnauthorizedError";
}

/** The node is shutting down: requests in flight finish, new ones are refused. */
export class ShuttingDownError extends Error {
  override name = "ShuttingDownError";
  constructor(program: string) {
    super(`Cannot accept request: ${program} is shutting down`);
  }
}
