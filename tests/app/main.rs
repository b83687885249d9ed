//! The app's tests: screens rendered without a window, the auth store against a real
//! `otp-server`, the real keychain, the real desktop window driven like a user, and the web build
//! in a real Chromium.
//! The keychain and desktop tests need `scripts/with-desktop.sh` (which `scripts/test.sh` uses).

mod desktop;
mod helpers;
mod keychain;
mod screens;
mod store;
mod web;
