/**
 * The front's own routes, matched before the catch-all event route:
 * `/healthz` (the process answers), `/readyz` (server: listening; client:
 * pipe up), `/metrics` (Prometheus), `/_rp/` (the status page) and
 * `/_rp/status.json`. With a front token configured, /metrics and /_rp/
 * need it too; the probes stay open (they reveal nothing).
 */
import { Elysia } from "elysia";
import { bearerTokenCheck, errorResponse, outcomeForError } from "../http/index.ts";
import { STATUS_PAGE_HTML } from "./page.ts";
import type { Readiness, StatusJson } from "./snapshot.ts";

/** Paths served by opsRoutes (Elysia serves the page at /_rp as well: it ignores a trailing slash). */
export const OPS_PATHS = { health: "/healthz", ready: "/readyz", metrics: "/metrics", page: "/_rp/", status: "/_rp/status.json" } as const;

/** What the routes read. */
export interface OpsRoutesOptions {
  readonly readiness: () => Readiness;
  /** The status; `limit` caps the listed clients (0 = all). */
  readonly status: (limit: number) => StatusJson;
  readonly metrics: { scrape(): Promise<string>; readonly contentType: string };
  /** When set, /metrics and /_rp/ need `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

const NO_STORE = { "cache-control": "no-store" };

/** The routes as an Elysia plugin (`app.use(opsRoutes(...))`). */
export function opsRoutes(options: OpsRoutesOptions) {
  const guard = tokenGuard(options.token);
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...NO_STORE } });
  return new Elysia({ name: "rp-ops" })
    .get(OPS_PATHS.health, () => json({ status: "ok" }))
    .get(OPS_PATHS.ready, () => {
      const { ready, reason } = options.readiness();
      return json({ status: ready ? "ready" : "not ready", reason }, ready ? 200 : 503);
    })
    .get(OPS_PATHS.metrics, async ({ request }) => {
      const refused = await guard(request);
      if (refused) return refused;
      return new Response(await options.metrics.scrape(), { headers: { "content-type": options.metrics.contentType, ...NO_STORE } });
    })
    .get(OPS_PATHS.page, async ({ request }) => (await guard(request)) ?? new Response(STATUS_PAGE_HTML, { headers: { "content-type": "text/html; charset=utf-8", ...NO_STORE } }))
    .get(OPS_PATHS.status, async ({ request }) => (await guard(request)) ?? json(options.status(limitOf(request.url))));
}

function limitOf(url: string): number {
  const raw = new URL(url).searchParams.get("limit");
  const limit = raw === null ? 0 : Number(raw);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : 0;
}

/** The front's bearer-token check as a guard: a 401 response when the request may not pass, else undefined. */
function tokenGuard(token: string | undefined): (request: Request) => Promise<Response | undefined> {
  const check = bearerTokenCheck(token);
  return (request) =>
    check(request).then(
      () => undefined,
      (error: unknown) => errorResponse(outcomeForError(error)),
    );
}
