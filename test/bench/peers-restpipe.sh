#!/usr/bin/env bash
# RP_START_CMD for the peers harness (shared/bench/peers/run.sh): makes
# throwaway identities, starts dist/rp-server (front on
# 127.0.0.1:${RP_BENCH_HTTP_PORT:-18080}, pipe on 127.0.0.1:${RP_BENCH_PIPE_PORT:-18443})
# and dist/rp-client "bench" answering with test/bench/handlers.ts (or, with
# --forward, forwarding to the harness's origin on $ORIGIN_PORT); on TERM it
# stops both and removes the identities. Loopback only.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
http_port=${RP_BENCH_HTTP_PORT:-18080}
pipe_port=${RP_BENCH_PIPE_PORT:-18443}
handler=$root/test/bench/handlers.ts
[ "${1:-}" = --forward ] && handler=$root/test/bench/forward-handlers.ts
read -r pki server_dir client_dir < <(bun "$root/test/bench/identities.ts" bench) || { echo "cannot make identities" >&2; exit 1; }
pids=()
cleanup() { trap - EXIT TERM INT; kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$pki"; }
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
"$root/dist/rp-server" start --bind 127.0.0.1 --port "$pipe_port" --http "127.0.0.1:$http_port" --identity-dir "$server_dir" &
pids+=($!)
RP_EVENT_HANDLER=$handler "$root/dist/rp-client" start --server-host 127.0.0.1 --server-name localhost \
  --server-port "$pipe_port" --http 127.0.0.1:0 --identity-dir "$client_dir" &
pids+=($!)
wait
