#!/usr/bin/env bash
# Installs the Debian packages the workspace needs to build and test on a fresh Debian/Ubuntu
# machine (as root, or with sudo). Skips what is already installed.
set -euo pipefail

packages=(
  # The desktop app (Dioxus on WebKitGTK) and its menu/keyboard helpers.
  libwebkit2gtk-4.1-dev libxdo-dev
  # Building: a C compiler and pkg-config for -sys crates.
  build-essential pkg-config
  # The app's tests: a headless display driven like a user, screenshots, and a real keychain
  # (Secret Service) in a private D-Bus session.
  xvfb xdotool imagemagick x11-utils dbus dbus-x11 gnome-keyring libsecret-tools
  # Delivery tests: a real SMTP server (aiosmtpd) receives the emails.
  python3-aiosmtpd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || {
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) first" >&2
  exit 1
}
