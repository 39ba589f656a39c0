/**
 * The few Deno APIs this adapter calls, typed here (the project compiles
 * against Bun's types) and reached through `globalThis`, so that the Bun
 * build can carry this module without a `Deno` global.
 */

/** Where Deno.serve listens. */
export type DenoServeOptions =
  | { readonly hostname: string; readonly port: number; readonly onListen: () => void }
  | { readonly path: string; readonly onListen: () => void };

/** A running Deno.serve server. */
export interface DenoHttpServer {
  readonly addr: { readonly transport: string; readonly port?: number; readonly path?: string };
  /** Stops listening and waits for in-flight requests. */
  shutdown(): Promise<void>;
}

/** A bound TCP listener (only its port is used here). */
export interface DenoListener {
  readonly addr: { readonly port: number };
  close(): void;
}

/** The subset of the Deno namespace used here. */
export interface DenoApi {
  /** Binds synchronously; throws (AddrInUse, PermissionDenied, ...) when it cannot. */
  listen(options: { readonly hostname: string; readonly port: number }): DenoListener;
  serve(options: DenoServeOptions, handler: (request: Request) => Response | Promise<Response>): DenoHttpServer;
}

/** The Deno namespace; throws when this process is not Deno. */
export function denoApi(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (api === undefined) throw new Error("Cannot use the Deno adapter: this process does not run on Deno");
  return api;
}
