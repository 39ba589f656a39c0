# Sourced by the peers harness's start scripts (peers-restpipe.sh, peers-floor.sh): sets root, http_port,
# pipe_port; makes throwaway identities (pki, server_dir, client_dir) and arranges that on TERM, INT or exit
# the processes the caller appends to `pids` are stopped and the identities removed.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
http_port=${RP_BENCH_HTTP_PORT:-18080}
pipe_port=${RP_BENCH_PIPE_PORT:-18443}
read -r pki server_dir client_dir < <(bun "$root/test/bench/identities.ts" bench) || { echo "cannot make identities" >&2; exit 1; }
pids=()
cleanup() { trap - EXIT TERM INT; kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$pki"; }
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
