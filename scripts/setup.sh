#!/usr/bin/env bash
# Installs what the workspace needs on a fresh Debian/Ubuntu machine (as root, or with sudo),
# skipping what is already there.
#   scripts/setup.sh        what building and running the app needs
#   scripts/setup.sh test   and what the tests need: a headless desktop, a keychain, an SMTP
#                           server, and a running PostgreSQL on 127.0.0.1:5432
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
  )
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
