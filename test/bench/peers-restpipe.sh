#!/usr/bin/env bash
# RP_START_CMD for the peers harness (shared/bench/peers/run.sh): makes
# throwaway identities, starts dist/rp-server (front on
# 127.0.0.1:${RP_BENCH_HTTP_PORT:-18080}, pipe on 127.0.0.1:${RP_BENCH_PIPE_PORT:-18443})
# and dist/rp-client "bench" answering with test/bench/handlers.ts (or, with
# --forward, forwarding to the harness's origin on $ORIGIN_PORT); on TERM it
# stops both and removes the identities. Loopback only.
set -uo pipefail
# shellcheck source=_peers-pair.sh
source "$(dirname "$0")/_peers-pair.sh"
handler=$root/test/bench/handlers.ts
[ "${1:-}" = --forward ] && handler=$root/test/bench/forward-handlers.ts
"$root/dist/rp-server" start --bind 127.0.0.1 --port "$pipe_port" --http "127.0.0.1:$http_port" --identity-dir "$server_dir" &
pids+=($!)
RP_EVENT_HANDLER=$handler "$root/dist/rp-client" start --server-host 127.0.0.1 --server-name localhost \
  --server-port "$pipe_port" --http 127.0.0.1:0 --identity-dir "$client_dir" &
pids+=($!)
wait
