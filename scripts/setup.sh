#!/usr/bin/env bash
# Installs what the workspace needs on a fresh Debian/Ubuntu machine (as root, or with sudo),
# skipping what is already there.
#   scripts/setup.sh        what building and running the app needs
#   scripts/setup.sh web    and the web build's tools: the wasm target, dioxus-cli (`dx`) and
#                           wasm-bindgen-cli at pinned versions, esbuild and wasm-opt from npm
#   scripts/setup.sh test   all of the above, and what the tests need: a headless desktop, a
#                           keychain, an SMTP server, a running PostgreSQL on 127.0.0.1:5432,
#                           Chromium and playwright-core, the mobile, Windows and macOS targets
#                           (and MinGW's C compiler) for `cargo check`, and schemathesis (pinned,
#                           in the git-ignored venv tools/venv) for the fuzz run
# The web tools go to ~/.cargo/bin (dx, wasm-bindgen) and tools/node_modules (npm); put
# `tools/node_modules/.bin` on PATH and set NO_DOWNLOADS=1 when running dx (scripts/web.sh does).
set -euo pipefail

packages=(
  # The desktop app (Dioxus on WebKitGTK) and its menu/keyboard helpers.
  libwebkit2gtk-4.1-dev libxdo-dev
  # Building: a C compiler and pkg-config for -sys crates.
  build-essential pkg-config
)
if [[ "${1:-}" == test ]]; then
  packages+=(
    # The app's tests: a headless display driven like a user, screenshots, and a real keychain
    # (Secret Service) in a private D-Bus session.
    xvfb xdotool imagemagick x11-utils dbus dbus-x11 gnome-keyring libsecret-tools
    # Delivery tests: a real SMTP server (aiosmtpd) receives the emails.
    python3-aiosmtpd
    # Storage tests: the PostgreSQL backend.
    postgresql postgresql-client
    # Browser tests: Debian's Chromium, driven by playwright-core.
    chromium
    # The Windows desktop check: rustls's aws-lc-sys compiles C for the target.
    gcc-mingw-w64-x86-64
    # The fuzz run (scripts/fuzz.sh): schemathesis from PyPI in a virtual environment.
    python3-venv
    # The app's benchmark (bench/app.sh): the web bundle's size after brotli.
    brotli
  )
fi
if [[ "${1:-}" == test || "${1:-}" == web ]]; then
  # npm tools (esbuild for dx, wasm-opt, playwright-core); Debian's Node.js if none is installed.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
fresh_postgres=no
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  [[ " ${missing[*]} " == *" postgresql "* ]] && fresh_postgres=yes
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == test ]]; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  if [[ $fresh_postgres == yes ]]; then
    # A throwaway test server: the tests connect as postgres over loopback without a password.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    "${sudo_cmd[@]}" sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    "${sudo_cmd[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
      "${sudo_cmd[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  elif [[ $fresh_postgres == yes ]]; then
    "${sudo_cmd[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  pg_isready -h 127.0.0.1 -p 5432
fi

command -v cargo >/dev/null || {
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) first" >&2
  exit 1
}

if [[ "${1:-}" == test || "${1:-}" == web ]]; then
  cd "$(dirname "$0")/.."
  targets=(wasm32-unknown-unknown)
  # The mobile, Windows and macOS builds are compile-checked by the tests (Android and Apple
  # builds cannot be linked here: no NDK, no Xcode).
  [[ "${1:-}" == test ]] &&
    targets+=(aarch64-linux-android aarch64-apple-ios x86_64-pc-windows-gnu aarch64-apple-darwin)
  installed_targets=$(rustup target list --installed)
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
  done
  # dx must match the dioxus version, and wasm-bindgen-cli the wasm-bindgen in Cargo.lock exactly.
  dx_version=$(awk '/^name = "dioxus"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]]; then
    # Not --locked: the CLI's own lockfile wants crates the registry no longer serves.
    echo "setup: installing wasm-bindgen-cli $wb_version (about 10 minutes on 2 cores)"
    cargo install wasm-bindgen-cli --version "$wb_version" --force
  fi
  if [[ "$(dx --version 2>/dev/null)" != "dioxus $dx_version"* ]]; then
    echo "setup: installing dioxus-cli $dx_version (about 30 minutes on 2 cores)"
    cargo install dioxus-cli --version "$dx_version" --locked --force
  fi
  # esbuild and wasm-opt for dx (which must not download its own: NO_DOWNLOADS=1), and
  # playwright-core for the browser tests, all pinned in tools/package-lock.json.
  npm_dirs=(tools)
  # The Clerk compatibility test bundles examples/clerk-js with its pinned @clerk/clerk-js.
  [[ "${1:-}" == test ]] && npm_dirs+=(examples/clerk-js)
  for d in "${npm_dirs[@]}"; do
    (cd "$d" && npm ls --silent >/dev/null 2>&1) || (cd "$d" && npm ci --no-audit --no-fund)
  done
fi

if [[ "${1:-}" == test ]]; then
  # The fuzz run's schemathesis, pinned, in tools/venv (Debian's python3, whatever else is on PATH).
  schemathesis_version=4.32.5
  cd "$(dirname "$0")/.."
  if [[ "$(tools/venv/bin/schemathesis --version 2>/dev/null)" != *" $schemathesis_version" ]]; then
    echo "setup: installing schemathesis $schemathesis_version into tools/venv"
    /usr/bin/python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
  fi
fi
