#!/usr/bin/env bash
# CPU per GB of each given process while curl fetches URL 20 times (a 16 MiB reply by default), and the median MB/s.
# For two running pairs side by side (e.g. test/bench/peers-restpipe.sh and test/bench/peers-floor.sh on other ports):
#   RP_BENCH_HTTP_PORT=18280 RP_BENCH_PIPE_PORT=18643 test/bench/peers-restpipe.sh &
#   test/bench/reply-cpu.sh http://127.0.0.1:18280/client/bench/blob//16777216 $(pgrep -f 'rp-server start') $(pgrep -f 'rp-client start')
# Loopback only; 20 requests.
set -euo pipefail
url=$1; shift
bytes=${REPLY_BYTES:-16777216}
reps=${REPLY_REPS:-20}
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
before=(); for pid in "$@"; do before+=("$(cpu "$pid")"); done
speeds=$(for _ in $(seq "$reps"); do curl -s -o /dev/null --max-time 60 -w '%{speed_download}\n' "$url"; done)
printf 'median MB/s %s' "$(sort -n <<<"$speeds" | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]/1e6}')"
i=0
for pid in "$@"; do
  awk -v a="${before[$i]}" -v b="$(cpu "$pid")" -v t="$tick" -v gb="$(awk -v n="$bytes" -v r="$reps" 'BEGIN {print n*r/1e9}')" -v p="$pid" \
    'BEGIN {printf "; pid %s %.2f s of CPU per GB", p, (b - a) / t / gb}'
  i=$((i + 1))
done
echo
