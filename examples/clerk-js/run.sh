#!/usr/bin/env bash
# One command: Clerk's vanilla-JS OTP example at http://127.0.0.1:5173 (APP_PORT), talking through
# @clerk/clerk-js to a dev-mode otp-server at http://127.0.0.1:8787/__clerk (API_PORT). Codes are
# printed in this terminal.
set -euo pipefail
cd "$(dirname "$0")"
app_port=${APP_PORT:-5173}
api_port=${API_PORT:-8787}
./build.sh "http://127.0.0.1:$api_port/__clerk" dist

(cd ../.. && cargo build --locked --quiet -p otp-server)
../../target/debug/otp-server --dev --data-dir ../../target/clerk-js-dev-data \
  --bind "127.0.0.1:$api_port" --frontend-path /__clerk \
  --allowed-origin "http://127.0.0.1:$app_port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
echo "open http://127.0.0.1:$app_port"
python3 -m http.server "$app_port" --bind 127.0.0.1 --directory dist
