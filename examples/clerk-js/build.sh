#!/usr/bin/env bash
# Bundles the example for a Frontend API at <api-url> (http://127.0.0.1:8787/__clerk) into <out>:
#   examples/clerk-js/build.sh <api-url> <out-dir>
# The publishable key names the API's host (pk_live_ + base64 of "<host>$"); clerk-js sends its
# requests to the proxy URL, here the API's own address under --frontend-path.
set -euo pipefail
cd "$(dirname "$0")"
api_url=$1
out=$2
[[ -x node_modules/.bin/esbuild ]] || npm ci --no-audit --no-fund
host=${api_url#*://}
host=${host%%/*}
key="pk_live_$(printf '%s$' "$host" | base64 -w0)"
mkdir -p "$out"
node_modules/.bin/esbuild main.js --bundle --format=esm --target=es2022 --log-level=warning \
  --outfile="$out/main.js" \
  --define:import.meta.env.VITE_CLERK_PUBLISHABLE_KEY="\"$key\"" \
  --define:import.meta.env.VITE_CLERK_PROXY_URL="\"$api_url\""
cp index.html "$out/index.html"
