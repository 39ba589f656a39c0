#!/usr/bin/env bash
# RP_START_CMD for the peers harness (shared/bench/peers/run.sh): the FLOOR pair. Makes throwaway
# identities (test/bench/identities.ts: CA, server and client certificates), starts dist/floor-relay
# server (front on 127.0.0.1:${RP_BENCH_HTTP_PORT:-18080}, pipe on 127.0.0.1:${RP_BENCH_PIPE_PORT:-18443})
# and dist/floor-relay client; on TERM it stops both and removes the identities. Loopback only.
# FLOOR_FRONT=elysia: the server's front behind an Elysia app (what the mandated Elysia costs).
# It compiles dist/floor-relay first (test/bench/build-floor.ts: the binaries' flags).
set -uo pipefail
# shellcheck source=_peers-pair.sh
source "$(dirname "$0")/_peers-pair.sh"
bun "$root/test/bench/build-floor.ts" || exit 1
"$root/dist/floor-relay" server --http "127.0.0.1:$http_port" --pipe "127.0.0.1:$pipe_port" --dir "$server_dir" ${FLOOR_FRONT:+--front "$FLOOR_FRONT"} &
pids+=($!)
"$root/dist/floor-relay" client --pipe "127.0.0.1:$pipe_port" --dir "$client_dir" &
pids+=($!)
wait
