#!/usr/bin/env bash
# The test command: installs what the tests need, checks formatting and lints (clippy, warnings
# as errors) the workspace and the app's production desktop (Linux, Windows, macOS), web and
# mobile builds, then runs every test of the workspace inside a
# headless desktop session (Xvfb, D-Bus, an unlocked keyring: scripts/with-desktop.sh), then a
# bounded fuzz run from the OpenAPI document (scripts/fuzz.sh, about 10 s after the build; its
# "fuzz:" line says how it went), then the benchmark's smoke run (bench/run.sh --quick, about a
# minute), and closes with one summary line over all test binaries, the fuzz run and the smoke
# run ("N passed, N failed"). A failure of any makes it exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# The Windows, macOS, Android and iOS builds are only compile-checked (linted) here (Apple and Android
# builds cannot be linked without Xcode or the NDK), but they must keep compiling. DOCS_RS=1 only
# tells objc2-exception-helper's build script (pulled in by wry on Apple platforms) not to compile
# its Objective-C file, which needs Xcode's SDK; a check does not link it anyway.

# The production desktop build (no embedded dev backend) leaves the server, the SQL drivers and
# the SMTP client out. On macOS it reaches TLS through Security.framework, so it needs no C
# compiler for Apple targets; on Windows, aws-lc-sys is compiled with MinGW.
echo "desktop: the production build leaves out axum, sqlx, rusqlite and lettre"
tree=$(cargo tree --locked --no-default-features --features desktop -e normal --target all)
if grep -E '\b(axum|sqlx|rusqlite|lettre) v' <<<"$tree"; then
  echo "the production desktop build depends on the above" >&2
  exit 1
fi
# Gates: formatting, and clippy with warnings as errors on every build the app ships (clippy.toml
# also keeps the wall clock and the OS random source out of all but one module per crate).
echo "gates: cargo fmt --check"
cargo fmt --all --check
echo "gates: cargo clippy --workspace --all-targets"
cargo clippy --locked --quiet --workspace --all-targets -- -D warnings
# The crates an app developer depends on must stay publishable: metadata, README, versions on
# every path dependency. Packed, not verified: the verifying build takes the packed crates from a
# local registry that cargo unpacks once per version into CARGO_HOME, so with an unchanged 0.1.0
# it would build the sources of an earlier run (seen here). Verify by hand after a version bump.
echo "gates: cargo package -p otp-proto -p otp-client -p otp-dioxus -p otp-axum"
cargo package --locked --quiet --no-verify --allow-dirty -p otp-proto -p otp-client -p otp-dioxus -p otp-axum
lint() { # TARGET FEATURES: clippy on the app as built for TARGET ("host": this machine)
  echo "gates: cargo clippy --target $1 --no-default-features --features $2"
  local target=(--target "$1")
  [[ $1 == host ]] && target=()
  cargo clippy --locked --quiet -p otp-app "${target[@]}" --no-default-features --features "$2" -- -D warnings
}
lint host desktop
lint x86_64-pc-windows-gnu desktop
DOCS_RS=1 lint aarch64-apple-darwin desktop
# As `dx` builds them: it drops `desktop` from the default features and keeps `dev-backend`.
lint wasm32-unknown-unknown web,dev-backend
lint aarch64-linux-android mobile,dev-backend
DOCS_RS=1 lint aarch64-apple-ios mobile,dev-backend

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
scripts/with-desktop.sh cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
# After the tests, whatever they said: the fuzz run counts as one more test.
fuzz=0
scripts/fuzz.sh || fuzz=$?
# And the benchmark's smoke run, one more: every part of bench/run.sh once, briefly (a server on
# each database, each feature's cost run, a seeded database, one cold start of the app), on the
# binaries the tests built. It asserts nothing about speed; it fails if a part fails or a flow
# errs, so the benchmark keeps working. Its output is in target/bench/smoke.
bench=0
echo "bench: bench/run.sh --quick (target/bench/smoke)"
rm -rf target/bench/smoke && mkdir -p target/bench
SERVER=$PWD/target/debug/otp-server LOAD=$PWD/target/debug/otp-load BIN=$PWD/target/debug/otp-app \
  PEER_DIR="" OUT=target/bench/smoke bash bench/run.sh --quick > target/bench/smoke.log 2>&1 || bench=$?
if ((bench == 0)); then echo "bench: ok"; else echo "bench: FAILED (exit $bench)"; tail -30 target/bench/smoke.log; fi
awk -v fuzz="$fuzz" -v bench="$bench" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { if (fuzz == 0) p += 1; else f += 1; if (bench == 0) p += 1; else f += 1; printf "%d passed, %d failed\n", p, f }' "$log"
((status == 0)) || exit "$status"
((fuzz == 0)) || exit "$fuzz"
exit "$bench"
