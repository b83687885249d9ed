#!/usr/bin/env bash
# The benchmark: builds in release mode, then for each backend (SQLite in WAL mode, PostgreSQL)
# and each concurrency starts a fresh otp-server, loads it with otp-load, and reads the server's
# CPU time and peak RSS from /proc. It measures this machine's SQLite commit rate (the bound of an
# embedded-database server), and, when the better-auth peer is installed (../shared/peers/
# better-auth/README.md), runs the same matrix against better-auth and against otp-server with the
# peer's driver (bench.mjs), one after the other, and prints the ratios.
#   bench/run.sh [DURATION_S] [CONCURRENCIES...]        default: 10 s; 1 16 64
# Env: BACKENDS ("sqlite postgres"), PEER_DIR (/tmp/peer-ba; "" to skip the peer),
#      PG_URL (postgres://postgres@127.0.0.1:5432/postgres), OUT (target/bench/<time>),
#      SERVER and LOAD (binaries to measure instead of building this checkout's, e.g. an older
#      commit's, for a before/after comparison in one sitting), SERVER_ARGS (more otp-server
#      flags, e.g. "--jwt-algorithm RS256")
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}; shift || true
CS=${*:-"1 16 64"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PEER_DIR=${PEER_DIR-/tmp/peer-ba}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OUT=${OUT:-target/bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [[ -z ${SERVER:-} || -z ${LOAD:-} ]]; then
  cargo build --profile profiling --locked -p otp-server -p otp-load
  SERVER=$PWD/target/profiling/otp-server
  LOAD=$PWD/target/profiling/otp-load
fi
TCK=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'
CORES=$(nproc)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# Starts a fresh otp-server (dev mode, per-IP caps off) on $1 = sqlite|postgres; sets SPID, SURL.
start_server() {
  local backend=$1 port data db_url
  port=$(free_port); data=$(mktemp -d)
  if [[ $backend == postgres ]]; then
    DB_NAME=otp_bench_$RANDOM$RANDOM
    psql "$PG_URL" -qc "CREATE DATABASE $DB_NAME" >/dev/null
    db_url=${PG_URL%/*}/$DB_NAME
  else
    DB_NAME=""; db_url=sqlite://$data/otp.db
  fi
  RUST_LOG=warn "$SERVER" --dev --no-ip-limits --bind "127.0.0.1:$port" --data-dir "$data" \
    --database-url "$db_url" --database-max-connections 16 ${SERVER_ARGS:-} > "$data/server.log" 2>&1 &
  SPID=$!; SURL=http://127.0.0.1:$port; SDATA=$data
  for _ in $(seq 100); do curl -sf "$SURL/healthz" >/dev/null && return; sleep 0.1; done
  echo "otp-server did not start: $(cat "$data/server.log")" >&2; exit 1
}

stop_server() {
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
  [[ -n $DB_NAME ]] && psql "$PG_URL" -qc "DROP DATABASE $DB_NAME WITH (FORCE)" >/dev/null
  rm -rf "$SDATA"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$LOAD" sqlite-commit-rate --seconds 5 --dir target > "$OUT/commit-rate.txt"
RATE=$(awk 'NR == 1 {print $1}' "$OUT/commit-rate.txt")
echo "== SQLite commit rate (WAL, synchronous=NORMAL, BEGIN IMMEDIATE):"
sed 's/^/   /' "$OUT/commit-rate.txt"

# 1. Our load tool against our server.
for backend in $BACKENDS; do
  for c in $CS; do
    start_server "$backend"
    echo 5 > "/proc/$SPID/clear_refs" 2>/dev/null || true
    t0=$(cpu_ticks "$SPID")
    # The load tool's own CPU too (user and system seconds, from bash's `time`): it shares the cores.
    { time "$LOAD" run --url "$SURL" --concurrency "$c" --duration "$DUR" --json "$OUT/ours-$backend-c$c.json" \
        > "$OUT/ours-$backend-c$c.txt"; } 2> "$OUT/ours-$backend-c$c.time"
    t1=$(cpu_ticks "$SPID"); hwm=$(hwm_kb "$SPID")
    stop_server
    python3 - "$OUT/ours-$backend-c$c.json" "$((t1 - t0))" "$TCK" "$hwm" "$(tail -1 "$OUT/ours-$backend-c$c.time")" <<'PY'
import json, sys
path, ticks, tck, hwm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
load_s = sum(float(x) for x in sys.argv[5].split())
r = json.load(open(path))
flows = max(r["flows"], 1)
r["server"] = {"cpu_s": ticks / tck, "cpu_ms_per_flow": ticks / tck * 1000 / flows, "vmhwm_kb": hwm}
r["load_tool"] = {"cpu_s": load_s, "cpu_ms_per_flow": load_s * 1000 / flows}
json.dump(r, open(path, "w"), indent=2)
PY
    head -1 "$OUT/ours-$backend-c$c.txt"
  done
done

# 2. The peer's driver against better-auth, then against otp-server, one after the other.
if [[ -n $PEER_DIR && -d $PEER_DIR/node_modules ]]; then
  PEER_SRC=$(cd ../shared/peers/better-auth && pwd)
  for c in $CS; do
    OUT_DIR=$OUT PORT=$(free_port) APP_DIR=$PEER_DIR bash "$PEER_SRC/run-bench.sh" "$DUR" "$c" > "$OUT/peer-c$c.log" 2>&1
    start_server sqlite
    (cd "$PEER_DIR" && node bench.mjs --base "$SURL" --adapter ours --concurrency "$c" --duration "$DUR" \
      --warmup 2 --pid "$SPID" --json "$OUT/ours-driver-c$c.json" > "$OUT/ours-driver-c$c.txt")
    stop_server
  done
else
  echo "== better-auth peer not installed in $PEER_DIR: skipping the side-by-side run"
fi

python3 bench/summarize.py "$OUT" "$RATE" "$CORES" | tee "$OUT/summary.md"
