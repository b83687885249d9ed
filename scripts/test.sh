#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test of the workspace inside a
# headless desktop session (Xvfb, D-Bus, an unlocked keyring: scripts/with-desktop.sh) and closes
# with one summary line over all test binaries ("N passed, N failed").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
scripts/with-desktop.sh cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
