/** The client's connection status (where the dial loop is), as logs, metrics, the status page and tests see it; here so that ops/ need not reach up into client/. */

/** Where the dial loop is. */
export type ClientStatus =
  | { readonly state: "connecting"; readonly attempt: number; /** Why the previous attempt failed, while retrying. */ readonly reason?: string }
  | { readonly state: "connected"; readonly server: string; readonly since: number; /** Why the previous pipe was lost, and when (absent before the first loss). */ readonly lastLost?: { readonly reason: string; readonly at: number } }
  | { readonly state: "disconnected"; readonly reason: string; readonly since: number }
  | { readonly state: "reconnecting"; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly state: "closed" };
