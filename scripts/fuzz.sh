#!/usr/bin/env bash
# A bounded fuzz run generated from our OpenAPI document (crates/otp-server/openapi.json):
# schemathesis (pinned, in tools/venv: scripts/setup.sh test installs it) against a dev-mode
# otp-server on SQLite on a free loopback port. It fails on any 5xx, and on any answer whose
# status, content type or body the document does not describe. Prints one line of result
# ("fuzz: ...") and exits non-zero on a failure. About 10-20 s with the defaults.
#   scripts/fuzz.sh                 FUZZ_MAX_EXAMPLES=50 test cases per operation, FUZZ_SEED=1
#   FUZZ_SEED=$RANDOM scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
max_examples=${FUZZ_MAX_EXAMPLES:-50}
seed=${FUZZ_SEED:-1}
st=tools/venv/bin/schemathesis
[[ -x $st ]] || { echo "fuzz: FAILED: $st is missing (run scripts/setup.sh test)"; exit 1; }

cargo build --locked --quiet -p otp-server --bin otp-server
server=${CARGO_TARGET_DIR:-target}/debug/otp-server
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A free port: the kernel picks one, the server binds it right after.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
RUST_LOG=warn "$server" --dev --bind "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/healthz" \
    2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "fuzz: FAILED: the server did not start"; cat "$work/server.log"; exit 1; }
  sleep 0.1
done

start=$(date +%s)
status=0
# The first four checks are the point; every phase (examples, coverage, fuzzing, stateful) runs.
timeout 300 "$st" run crates/otp-server/openapi.json --url "$url" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$max_examples" --seed "$seed" --request-timeout 10 --no-color \
  --generation-database none \
  >"$work/fuzz.log" 2>&1 || status=$?
took=$(($(date +%s) - start))
cases=$(grep -oE '[0-9]+ generated' "$work/fuzz.log" | grep -oE '[0-9]+' | tail -1 || true)
if ((status == 0)); then
  echo "fuzz: passed: ${cases:-?} generated requests, no 5xx and no answer outside the OpenAPI document (seed $seed, ${took}s)"
else
  # The failures, then the one line.
  sed -n '/FAILURES/,$p' "$work/fuzz.log" | head -200
  [[ $status == 124 ]] && echo "fuzz: the run exceeded 300 s"
  echo "fuzz: FAILED (schemathesis exit $status): ${cases:-?} generated requests, seed $seed, ${took}s; replay with FUZZ_SEED=$seed scripts/fuzz.sh"
fi
exit "$status"
