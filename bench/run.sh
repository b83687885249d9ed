#!/usr/bin/env bash
# The benchmark, all of it in one command: builds in release mode (the `profiling` profile), then
#   1. the machine: its SQLite commit rate (the bound of an embedded-database server);
#   2. flows: for each backend (SQLite in WAL mode, PostgreSQL) and each concurrency, a fresh
#      otp-server loaded by otp-load (sign-up flows), the server's CPU time and peak RSS read from
#      /proc, and the load tool's own CPU;
#   3. costs: SQLite at the highest concurrency, once per feature that costs work per flow
#      (enumeration protection off, RS256 tokens, a webhook endpoint, the janitor every second),
#      so that each cost has a name;
#   4. grown: each backend empty, then seeded by `otp-load seed` (SEED_USERS users, two sessions
#      each, a week of sends), and its size per user;
#   5. the better-auth peer, when installed (../shared/peers/better-auth/README.md): the same
#      matrix against better-auth and against otp-server under the peer's driver (bench.mjs);
#   6. the app: bench/app.sh (desktop cold start, binary and web bundle sizes, idle memory);
# and prints the tables (bench/summarize.py) into $OUT/summary.md.
#   bench/run.sh [--quick] [DURATION_S] [CONCURRENCIES...]   default: 10 s; 1 16 64
# --quick is the CI smoke run: 2 s, concurrency 16, 20,000 seeded users, one app start; it
# asserts nothing about speed, but fails if any part fails or any flow errs.
# Env: BACKENDS ("sqlite postgres"), PARTS ("flows costs grown peer app"), PEER_DIR (/tmp/peer-ba;
#      "" to skip the peer), PG_URL (postgres://postgres@127.0.0.1:5432/postgres), OUT
#      (target/bench/<time>), SEED_USERS (1000000), SERVER and LOAD (binaries to measure instead
#      of building this checkout's, e.g. an older commit's, for a before/after comparison in one
#      sitting), SERVER_ARGS (more otp-server flags for every run, e.g. "--jwt-algorithm RS256"),
#      APP_ARGS (passed to bench/app.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=no
if [[ ${1:-} == --quick ]]; then QUICK=yes; shift; fi
if [[ $QUICK == yes ]]; then DEFAULT_DUR=2; DEFAULT_CS=16; DEFAULT_SEED=20000
else DEFAULT_DUR=10; DEFAULT_CS="1 16 64"; DEFAULT_SEED=1000000; fi
DUR=${1:-$DEFAULT_DUR}; shift || true
CS=${*:-$DEFAULT_CS}
TOP_C=$(tr ' ' '\n' <<<"$CS" | sort -n | tail -1)
BACKENDS=${BACKENDS:-"sqlite postgres"}
PARTS=${PARTS:-"flows costs grown peer app"}
PEER_DIR=${PEER_DIR-/tmp/peer-ba}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SEED_USERS=${SEED_USERS:-$DEFAULT_SEED}
OUT=${OUT:-target/bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
part() { [[ " $PARTS " == *" $1 "* ]]; }

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

# A fresh database on $1 = sqlite|postgres; sets SDATA, DB_URL, DB_NAME (PostgreSQL's, or "").
new_database() {
  SDATA=$(mktemp -d)
  if [[ $1 == postgres ]]; then
    DB_NAME=otp_bench_$RANDOM$RANDOM
    psql "$PG_URL" -qc "CREATE DATABASE $DB_NAME" >/dev/null
    DB_URL=${PG_URL%/*}/$DB_NAME
  else
    DB_NAME=""; DB_URL=sqlite://$SDATA/otp.db
  fi
}

drop_database() {
  [[ -n $DB_NAME ]] && psql "$PG_URL" -qc "DROP DATABASE $DB_NAME WITH (FORCE)" >/dev/null
  rm -rf "$SDATA"
}

# The database's size in bytes (SQLite: the file and its WAL).
database_bytes() {
  if [[ -n $DB_NAME ]]; then
    psql "$PG_URL" -tAc "SELECT pg_database_size('$DB_NAME')"
  else
    cat "$SDATA"/otp.db* | wc -c
  fi
}

# Starts otp-server (dev mode, per-IP caps off) on the current database with the extra flags
# given; sets SPID, SURL.
start_server() {
  local port
  port=$(free_port)
  # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
  RUST_LOG=warn "$SERVER" --dev --no-ip-limits --bind "127.0.0.1:$port" --data-dir "$SDATA" \
    --database-url "$DB_URL" --database-max-connections 16 ${SERVER_ARGS:-} "$@" >> "$SDATA/server.log" 2>&1 &
  SPID=$!; SURL=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "$SURL/healthz" >/dev/null && return; sleep 0.1; done
  echo "otp-server did not start: $(cat "$SDATA/server.log")" >&2; exit 1
}

stop_server() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; }

# Loads the running server at concurrency $2 and writes $OUT/$1.json (and .txt): the load
# tool's report with the server's CPU and peak RSS over the run, and the load tool's own CPU
# (user and system seconds, from bash's `time`: it shares the cores). A flow that erred fails
# the benchmark: a number over failing flows measures nothing.
load_run() {
  local name=$1 c=$2 t0 t1 hwm
  echo 5 > "/proc/$SPID/clear_refs" 2>/dev/null || true
  t0=$(cpu_ticks "$SPID")
  { time "$LOAD" run --url "$SURL" --concurrency "$c" --duration "$DUR" --json "$OUT/$name.json" \
      > "$OUT/$name.txt"; } 2> "$OUT/$name.time"
  t1=$(cpu_ticks "$SPID"); hwm=$(hwm_kb "$SPID")
  python3 - "$OUT/$name.json" "$((t1 - t0))" "$TCK" "$hwm" "$(tail -1 "$OUT/$name.time")" <<'PY'
import json, sys
path, ticks, tck, hwm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
load_s = sum(float(x) for x in sys.argv[5].split())
r = json.load(open(path))
flows = max(r["flows"], 1)
r["server"] = {"cpu_s": ticks / tck, "cpu_ms_per_flow": ticks / tck * 1000 / flows, "vmhwm_kb": hwm}
r["load_tool"] = {"cpu_s": load_s, "cpu_ms_per_flow": load_s * 1000 / flows}
json.dump(r, open(path, "w"), indent=2)
errors = sum(r["errors"].values())
if errors or not r["flows"]:
    sys.exit(f"{path}: {r['flows']} flows, errors {r['errors']}")
PY
  echo "   $name: $(head -1 "$OUT/$name.txt")"
}

# One fresh server on backend $2, loaded at concurrency $3 into $OUT/$1.json; more server flags
# after them.
measure() {
  local name=$1 backend=$2 c=$3
  shift 3
  new_database "$backend"
  start_server "$@"
  load_run "$name" "$c"
  stop_server
  drop_database
}

echo "== machine: $CORES cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
secs=5
[[ $QUICK == yes ]] && secs=1
"$LOAD" sqlite-commit-rate --seconds "$secs" --dir target > "$OUT/commit-rate.txt"
RATE=$(awk 'NR == 1 {print $1}' "$OUT/commit-rate.txt")
echo "== SQLite commit rate (WAL, synchronous=NORMAL, BEGIN IMMEDIATE): $RATE commits/s"

# 2. Our load tool against our server.
if part flows; then
  echo "== flows: otp-load against otp-server"
  for backend in $BACKENDS; do
    for c in $CS; do measure "ours-$backend-c$c" "$backend" "$c"; done
  done
fi

# 3. What each feature costs per flow (SQLite, the highest concurrency), next to a plain run.
if part costs; then
  echo "== costs: one feature at a time (SQLite, c$TOP_C)"
  HOOK_PORT=$(free_port)
  python3 bench/receiver.py "$HOOK_PORT" > "$OUT/receiver.log" 2>&1 &
  HOOK_PID=$!
  trap 'kill $HOOK_PID 2>/dev/null || true' EXIT
  measure cost-default sqlite "$TOP_C"
  measure cost-no-enumeration-protection sqlite "$TOP_C" --enumeration-protection=false
  measure cost-rs256 sqlite "$TOP_C" --jwt-algorithm RS256
  measure cost-webhook sqlite "$TOP_C" --webhook-url "http://127.0.0.1:$HOOK_PORT/hook" \
    --webhook-secret "whsec_$(head -c 24 /dev/urandom | base64)"
  measure cost-janitor-1s sqlite "$TOP_C" --janitor-interval-secs 1
  kill "$HOOK_PID"; trap - EXIT
fi

# 4. A grown database: the same run on an empty one, then on a seeded one, per backend.
if part grown; then
  echo "== grown: $SEED_USERS users, two sessions each, a week of sends (c$TOP_C)"
  for backend in $BACKENDS; do
    measure "grown-$backend-empty" "$backend" "$TOP_C"
    new_database "$backend"
    start_server; stop_server # the server makes the schema
    empty=$(database_bytes)
    "$LOAD" seed --database-url "$DB_URL" --users "$SEED_USERS" --week-sends "$SEED_USERS" \
      > "$OUT/grown-$backend-seed.txt"
    seeded=$(database_bytes)
    echo "   $(cat "$OUT/grown-$backend-seed.txt"); $seeded bytes"
    python3 - "$OUT/grown-$backend-seed.json" "$SEED_USERS" "$empty" "$seeded" "$(cat "$OUT/grown-$backend-seed.txt")" <<'PY'
import json, re, sys
path, users, empty, seeded = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
seconds = float(re.search(r"in ([0-9.]+) s", sys.argv[5]).group(1))
json.dump({"users": users, "bytes_empty": empty, "bytes_seeded": seeded,
           "bytes_per_user": (seeded - empty) / max(users, 1), "seed_s": seconds},
          open(path, "w"), indent=2)
PY
    start_server
    load_run "grown-$backend-seeded" "$TOP_C"
    stop_server
    drop_database
  done
fi

# 5. The peer's driver against better-auth, then against otp-server, one after the other.
if part peer; then
  if [[ -n $PEER_DIR && -d $PEER_DIR/node_modules ]]; then
    echo "== peer: better-auth and otp-server under the peer's driver"
    PEER_SRC=$(cd ../shared/peers/better-auth && pwd)
    for c in $CS; do
      OUT_DIR=$OUT PORT=$(free_port) APP_DIR=$PEER_DIR bash "$PEER_SRC/run-bench.sh" "$DUR" "$c" > "$OUT/peer-c$c.log" 2>&1
      new_database sqlite
      start_server
      (cd "$PEER_DIR" && node bench.mjs --base "$SURL" --adapter ours --concurrency "$c" --duration "$DUR" \
        --warmup 2 --pid "$SPID" --json "$OUT/ours-driver-c$c.json" > "$OUT/ours-driver-c$c.txt")
      stop_server
      drop_database
    done
  else
    echo "== better-auth peer not installed in $PEER_DIR: skipping the side-by-side run"
  fi
fi

# 6. The app.
if part app; then
  echo "== app: bench/app.sh"
  quick=()
  [[ $QUICK == yes ]] && quick=(--quick)
  # shellcheck disable=SC2086 # APP_ARGS is a list of flags
  OUT=$OUT bash bench/app.sh "${quick[@]}" ${APP_ARGS:-}
fi

python3 bench/summarize.py "$OUT" "$RATE" "$CORES" | tee "$OUT/summary.md"
