#!/usr/bin/env bash
# Runs a command inside a headless desktop session: a private D-Bus session with an unlocked
# GNOME keyring (the Secret Service the app keeps its token in) and an Xvfb display. The tests
# that drive the real window and the real keychain need it; scripts/test.sh uses it.
#   scripts/with-desktop.sh cargo test
set -euo pipefail

if [[ -z "${OTP_DESKTOP_SESSION:-}" ]]; then
  # A fresh home and runtime dir, so the keyring and the app's data start empty.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/home" "$scratch/runtime"
  chmod 700 "$scratch/runtime"
  # Cargo and rustup keep their homes (they default to $HOME).
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  status=0
  HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/runtime" OTP_DESKTOP_SESSION=1 \
    dbus-run-session -- "$0" "$@" || status=$?
  exit "$status"
fi

# Inside the D-Bus session: unlock a keyring with a throwaway password.
printf 'otp-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null

# A display: the first free number from 90.
display=90
while [[ -e "/tmp/.X11-unix/X$display" || -e "/tmp/.X$display-lock" ]]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -e "/tmp/.X11-unix/X$display" ]] && break; sleep 0.1; done
export DISPLAY=":$display"

"$@"
