#!/usr/bin/env bash
# Runs the desktop app with its embedded dev backend (codes are printed in this terminal).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo run --locked "$@"
