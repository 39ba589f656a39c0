/** Refusals of the file share, each with the HTTP status it maps to and a message naming the cause and the fix. */

/** Why a share request was refused. */
export type ShareRefusalKind = "bad-path" | "forbidden" | "not-found" | "unsatisfiable-range" | "not-a-file" | "conflict" | "too-large";

const STATUS: Record<ShareRefusalKind, number> = {
  "bad-path": 400,
  forbidden: 403,
  "not-found": 404,
  "not-a-file": 403,
  "unsatisfiable-range": 416,
  conflict: 409,
  "too-large": 413,
};

/** A share request refused before any byte of a file was sent. */
export class ShareRefusal extends Error {
  override name = "ShareRefusal";
  /** The HTTP status the front answers with. */
  readonly status: number;
  /** The file's size, for a 416's `Content-Range: bytes *\/size`. */
  readonly size: number | undefined;
  constructor(
    readonly kind: ShareRefusalKind,
    message: string,
    options?: { cause?: unknown; size?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS[kind];
    this.size = options?.size;
  }
}
