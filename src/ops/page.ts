/**
 * The status page at /_rp/: one self-contained HTML document (no external
 * assets, works offline) that polls ./status.json and redraws. Every value
 * is written with textContent, never as HTML: a CN comes from a certificate
 * and must not become markup.
 */

/** How often the page polls status.json, in ms. */
export const PAGE_REFRESH_MS = 1_500;

/** Clients the page asks for at most (status.json?limit=); the rest are counted. */
export const PAGE_CLIENT_LIMIT = 500;

/** The page. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RestPipe status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  table { border-collapse: collapse; min-width: 40rem; }
  th, td { text-align: left; padding: .25rem .7rem; border-bottom: 1px solid #ddd; white-space: nowrap; }
  th { background: #f4f4f4; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: #176f2c; } .bad { color: #a4161a; } .muted { color: #777; }
  #error { color: #a4161a; }
</style>
</head>
<body>
<h1>RestPipe <span id="role"></span> <span id="version" class="muted"></span></h1>
<div>State: <strong id="state">loading…</strong> <span id="reason" class="muted"></span></div>
<div class="muted">Up since <span id="started"></span>; updated <span id="updated"></span> <span id="error"></span></div>
<div id="shares" class="muted"></div>
<section id="server-view" hidden>
  <h2>Connected clients: <span id="client-count">0</span></h2>
  <table id="clients">
    <thead><tr><th>CN</th><th>Remote address</th><th>Connected since</th><th>Heartbeat RTT</th><th>In flight</th><th>Requests</th><th>Labels</th></tr></thead>
    <tbody></tbody>
  </table>
  <div id="more" class="muted"></div>
  <div id="shared" class="bad"></div>
  <h2>Refused clients (refused again and again since their last connection)</h2>
  <table id="refused">
    <thead><tr><th>Certificate subject</th><th>Refused</th><th>Since</th><th>Last reason</th></tr></thead>
    <tbody></tbody>
  </table>
  <section id="fleet-view" hidden>
    <h2>Fleet <span id="fleet-name"></span>: <span id="fleet-summary" class="muted"></span></h2>
    <table id="fleet-servers">
      <thead><tr><th>Server</th><th>Clients</th><th>Link</th></tr></thead>
      <tbody></tbody>
    </table>
    <table id="fleet-holders">
      <thead><tr><th>CN</th><th>Held by</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</section>
<section id="client-view" hidden>
  <h2>Pipe to the server</h2>
  <table id="pipe"><tbody></tbody></table>
</section>
<h2>Recent connects and disconnects</h2>
<table id="events">
  <thead><tr><th>Time</th><th>Event</th><th>Peer</th><th>Remote address</th><th>Reason</th></tr></thead>
  <tbody></tbody>
</table>
<script>
"use strict";
const REFRESH_MS = ${PAGE_REFRESH_MS};
// Beside the page whether it was opened as /_rp or /_rp/ (or under a proxy's prefix).
const STATUS_URL = (location.pathname.endsWith("/") ? location.pathname : location.pathname + "/") + "status.json?limit=${PAGE_CLIENT_LIMIT}";
const $ = (id) => document.getElementById(id);
const time = (ms) => (ms === null || ms === undefined ? "" : new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC");
const age = (ms, now) => {
  if (ms === null || ms === undefined) return "";
  let s = Math.max(0, Math.round((now - ms) / 1000));
  const parts = [[86400, "d"], [3600, "h"], [60, "m"]].flatMap(([unit, name]) => {
    const n = Math.floor(s / unit); s -= n * unit; return n > 0 ? [n + name] : [];
  });
  return parts.concat([s + "s"]).slice(0, 2).join(" ");
};
const rtt = (ms) => (ms === null ? "–" : ms.toFixed(ms < 10 ? 2 : 0) + " ms");
function row(cells, attrs) {
  const tr = document.createElement("tr");
  for (const [key, value] of Object.entries(attrs || {})) tr.setAttribute(key, value);
  for (const cell of cells) {
    const td = document.createElement("td");
    const [text, cls] = Array.isArray(cell) ? cell : [cell, ""];
    td.textContent = String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  return tr;
}
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function render(s) {
  $("role").textContent = s.role;
  $("version").textContent = s.version;
  $("state").textContent = s.role === "client" ? s.status.state : (s.ready ? "listening" : "not ready");
  $("state").className = s.ready ? "ok" : "bad";
  $("reason").textContent = s.readyReason;
  $("started").textContent = time(s.startedAt);
  $("updated").textContent = time(s.now);
  $("shares").textContent = (s.shares || []).length === 0 ? "" : "Sharing files: " + s.shares.map((h) =>
    h.name + (h.writable ? " (writable)" : "") + " " + h.requests + " requests, " + (h.bytes / 1048576).toFixed(1) + " MiB").join("; ");
  $("server-view").hidden = s.role !== "server";
  $("client-view").hidden = s.role !== "client";
  if (s.role === "server") {
    $("client-count").textContent = String(s.clientCount);
    fill($("clients").tBodies[0], s.clients.map((c) => row([
      c.name, c.remote, time(c.connectedSince) + " (" + age(c.connectedSince, s.now) + ")", [rtt(c.rttMs), "n"],
      [c.inFlight + c.inboundInFlight, "n"], [c.requestsSent + c.eventsReceived, "n"],
      Object.keys(c.labels || {}).sort().map((k) => k + "=" + c.labels[k]).join(","),
    ], { "data-cn": c.name })));
    $("more").textContent = s.clientCount > s.clients.length ? "… and " + (s.clientCount - s.clients.length) + " more (rp-server clients lists all)" : "";
    $("shared").textContent = (s.sharedIdentities || []).map((f) =>
      "Two hosts share the identity " + f.cn + ": " + f.replacements + " replacements in the last minute from " + f.hosts.join(", ") + "; give each host its own certificate").join(" · ");
    fill($("refused").tBodies[0], (s.refused || []).map((r) => row([r.subject, [r.count, "n"], time(r.since), r.lastReason], { "data-subject": r.subject })));
    const f = s.fleet;
    $("fleet-view").hidden = !f;
    if (f) {
      $("fleet-name").textContent = f.name;
      $("fleet-summary").textContent = f.holderCount + " clients on " + f.servers.length + " servers; NATS " + (f.natsUp ? "up" : "unreachable") +
        "; forwarded " + f.forwarded.sent + " (refused " + f.forwarded.refused + "), received " + f.forwarded.received;
      const links = new Map(f.links.map((l) => [l.address, l]));
      fill($("fleet-servers").tBodies[0], f.servers.map((v) => row([v.address + (v.address === f.address ? " (this server)" : ""), [v.clients, "n"],
        v.address === f.address ? "" : links.has(v.address) ? links.get(v.address).state : "no link yet"], { "data-server": v.address })));
      fill($("fleet-holders").tBodies[0], f.holders.map((h) => row([h.cn, h.server], { "data-cn": h.cn })));
    }
  } else {
    const p = s.pipe;
    const since = s.status.since === undefined ? "" : time(s.status.since) + " (" + age(s.status.since, s.now) + ")";
    fill($("pipe").tBodies[0], [
      row(["State", s.status.state]), row(["Server", p ? p.name : ""]), row(["Server address", p ? p.remote : s.target]), row(["Proxy", s.proxy || "none (direct)"]),
    ].concat(s.targets ? [row(["Target", s.target + " (of " + s.targets.join(", ") + ")"])] : [], [
      row(["Since", p ? time(p.connectedSince) + " (" + age(p.connectedSince, s.now) + ")" : since]),
      row(["Last reason", s.status.reason || ""]), row(["Heartbeat RTT", p ? rtt(p.rttMs) : "–"]),
      row(["Reconnects", s.reconnects]), row(["In flight", p ? p.inFlight + p.inboundInFlight : 0]),
      row(["Requests", p ? p.requestsSent + p.eventsReceived : 0]),
    ]));
  }
  fill($("events").tBodies[0], s.events.map((e) => row([time(e.at), [e.kind, e.kind === "connected" ? "ok" : "bad"], e.name, e.remote, e.reason || ""], { "data-kind": e.kind })));
}
async function poll() {
  try {
    const response = await fetch(STATUS_URL, { cache: "no-store" });
    if (!response.ok) throw new Error("status.json answered " + response.status);
    render(await response.json());
    $("error").textContent = "";
  } catch (error) {
    $("error").textContent = "(cannot refresh: " + error.message + ")";
  } finally {
    setTimeout(poll, REFRESH_MS);
  }
}
poll();
</script>
</body>
</html>
`;
