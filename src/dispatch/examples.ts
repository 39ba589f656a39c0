/** The seed's example handlers, `time` and `cat`, for either role: the default when no module is configured. */
import type { HandlerContext, RequestBody } from "./types.ts";

/** Which side answers: the server answers clients, the client answers the server. */
export type Role = "server" | "client";

/** Seconds since the epoch as a float, like Python's time.time(). */
function epochSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** `GET time` → `{"time_from_<role>": 1402897823.882672}`; `GET cat//a/b` → `{"result_from_<role>": "ab"}`. */
export function exampleHandlers(role: Role) {
  return {
    get_time(_ctx: HandlerContext, _body: RequestBody) {
      return { [`time_from_${role}`]: epochSeconds() };
    },
    get_cat(_ctx: HandlerContext, _body: RequestBody, ...parts: string[]) {
      return { [`result_from_${role}`]: parts.join("") };
    },
  };
}
