#!/usr/bin/env bash
# Runs the web app with `dx serve` beside a dev-mode otp-server that allows its origin:
#   the app      http://127.0.0.1:8080   (APP_PORT)
#   the backend  http://127.0.0.1:8787   (API_PORT; codes are printed in this terminal)
# Extra arguments go to `dx serve` (for example --release).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh web
app_port=${APP_PORT:-8080}
api_port=${API_PORT:-8787}

cargo build --locked --quiet -p otp-server
./target/debug/otp-server --dev --data-dir target/web-dev-data --bind "127.0.0.1:$api_port" \
  --allowed-origin "http://127.0.0.1:$app_port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT

# The backend URL is compiled into the web build; dx takes esbuild and wasm-opt from tools/.
export OTP_API_URL="http://127.0.0.1:$api_port" NO_DOWNLOADS=1
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
dx serve --platform web --addr 127.0.0.1 --port "$app_port" "$@"
