#!/usr/bin/env bash
# The test command: installs what the tests need, compile-checks the mobile builds, then runs every
# test of the workspace inside a headless desktop session (Xvfb, D-Bus, an unlocked keyring:
# scripts/with-desktop.sh) and closes with one summary line over all test binaries
# ("N passed, N failed").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Android and iOS cannot be linked here (no NDK, no Xcode), but they must keep compiling.
# DOCS_RS=1 only tells objc2-exception-helper's build script (pulled in by wry on iOS) not to
# compile its Objective-C file, which needs Xcode's SDK; a check does not link it anyway.
echo "mobile: cargo check --target aarch64-linux-android"
cargo check --locked --quiet --target aarch64-linux-android --no-default-features --features mobile
echo "mobile: cargo check --target aarch64-apple-ios"
DOCS_RS=1 cargo check --locked --quiet --target aarch64-apple-ios --no-default-features --features mobile

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
scripts/with-desktop.sh cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
