#!/usr/bin/env bash
# Load test: plain Caddy reverse_proxy vs the same proxy behind authgate, in
# one run. Needs wrk (apt-get install -y wrk). Loopback only; bounded runs.
#
#   bench/load.sh            # 3 rounds of 10 s each, 64 connections
#   ROUNDS=5 DURATION=20s bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
UNIQUE=${UNIQUE:-200000}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill ${caddy_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
export AUTHGATE_BENCH_DATA="$work/data" XDG_DATA_HOME="$work/xdg" XDG_CONFIG_HOME="$work/xdg"

go build -o "$work/caddy" ./cmd/caddy
"$work/caddy" run --config bench/Caddyfile --adapter caddyfile >"$work/caddy.log" 2>&1 &
caddy_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:18080/ && break; sleep 0.1; done

mint() { "$work/caddy" authgate mint --data-dir "$AUTHGATE_BENCH_DATA" --sub "$1" \
	--claim email_verified=true --claim 'roles=["admin"]' --ttl 1h --count "$2"; }
mint alice 1 >"$work/one.txt"
echo "minting $UNIQUE distinct tokens for the cold path…"
mint bob "$UNIQUE" >"$work/unique.txt"
tok=$(cat "$work/one.txt")
curl -fs -o /dev/null -H "Authorization: Bearer $tok" http://127.0.0.1:18081/ || { echo "authgate refused the bench token" >&2; exit 1; }

rps() { awk '/Requests\/sec/ {print $2}'; }
run() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" | rps; }

# Rounds interleave the three runs so that drift in the machine's speed
# hits all of them alike; the summary uses medians of per-round ratios.
printf "%-6s %12s %16s %8s %16s %8s\n" round plain_rps authgate_hit_rps ratio authgate_cold_rps ratio
: >"$work/ratios"
for r in $(seq "$ROUNDS"); do
	plain=$(run http://127.0.0.1:18080/)
	hit=$(run -H "Authorization: Bearer $tok" http://127.0.0.1:18081/)
	cold=$(TOKENS="$work/unique.txt" run -s bench/tokens.lua http://127.0.0.1:18081/)
	hr=$(echo "$hit / $plain" | bc -l)
	cr=$(echo "$cold / $plain" | bc -l)
	printf "%-6s %12.0f %16.0f %8.3f %16.0f %8.3f\n" "$r" "$plain" "$hit" "$hr" "$cold" "$cr"
	echo "$hr $cr" >>"$work/ratios"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf "median ratio to plain reverse_proxy: cache hit %.3f, unique tokens %.3f\n" \
	"$(cut -d' ' -f1 "$work/ratios" | median)" "$(cut -d' ' -f2 "$work/ratios" | median)"
