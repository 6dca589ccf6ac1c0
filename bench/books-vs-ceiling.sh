#!/usr/bin/env bash
# The core benchmark: wrk against GET /books?limit=8&sortasc=author (64 keep-alive connections)
# on this server and on ../shared/bench/ceiling.c serving the same bytes, in one run, then the ratio.
# Usage: bench/books-vs-ceiling.sh [seconds per run, default 10]
# Loopback only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
ensure_swift
ensure_apt wrk gcc curl

DURATION="${1:-10}"
OUT=bench/out
mkdir -p "$OUT"
CEILING_SRC="${CEILING_SRC:-../shared/bench/ceiling.c}"
API_PORT=18080
CEILING_PORT=18081
URL_PATH='/books?limit=8&sortasc=author'
THREADS=2   # I/O threads for both servers: one per core

swift build -c release --static-swift-stdlib --product BooksAPI >/dev/null  # as ./scripts/serve builds it
cc -O2 -pthread -o "$OUT/ceiling" "$CEILING_SRC"

DATA=$(mktemp -d)
cleanup() { kill "$API_PID" "$CEILING_PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

HOST=127.0.0.1 PORT=$API_PORT DATA_DIR="$DATA" LOG_LEVEL=warn IO_THREADS=$THREADS .build/release/BooksAPI &
API_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 1
IDLE_RSS_KB=$(awk '/VmRSS/ {print $2}' /proc/$API_PID/status)

curl -sf "http://127.0.0.1:$API_PORT$URL_PATH" > "$OUT/page.json"
"$OUT/ceiling" $CEILING_PORT $THREADS "$OUT/page.json" &
CEILING_PID=$!
sleep 0.5

run() {  # run NAME PORT -> prints "req/s p50 p99"
  wrk -t1 -c64 -d2s --latency "http://127.0.0.1:$2$URL_PATH" >/dev/null  # warm-up
  wrk -t1 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$2$URL_PATH" > "$OUT/wrk-$1.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$1.txt")
  p50=$(awk '$1=="50%" {print $2}' "$OUT/wrk-$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$OUT/wrk-$1.txt")
  echo "$rps $p50 $p99"
}

read -r API_RPS API_P50 API_P99 <<<"$(run booksapi $API_PORT)"
read -r CEIL_RPS CEIL_P50 CEIL_P99 <<<"$(run ceiling $CEILING_PORT)"
LOADED_RSS_KB=$(awk '/VmRSS/ {print $2}' /proc/$API_PID/status)
RATIO=$(awk -v a="$API_RPS" -v c="$CEIL_RPS" 'BEGIN { printf "%.2f", a / c }')

printf '\nGET %s, wrk -t1 -c64 -d%ss, %s I/O threads each, %s cores\n' "$URL_PATH" "$DURATION" "$THREADS" "$(nproc)"
printf '%-10s %12s %10s %10s\n' server req/s p50 p99
printf '%-10s %12s %10s %10s\n' BooksAPI "$API_RPS" "$API_P50" "$API_P99"
printf '%-10s %12s %10s %10s\n' ceiling "$CEIL_RPS" "$CEIL_P50" "$CEIL_P99"
printf 'ratio BooksAPI/ceiling: %s (target >= 0.5)\n' "$RATIO"
printf 'BooksAPI RSS: idle %s MB, after load %s MB (idle target < 20 MB)\n' "$((IDLE_RSS_KB / 1024))" "$((LOADED_RSS_KB / 1024))"
