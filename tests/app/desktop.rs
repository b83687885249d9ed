//! The real desktop binary under Xvfb, driven like a user with xdotool: sign up with a phone
//! number, quit, start again still signed in (keychain), sign out, sign in by email. After each
//! step the test checks what the backend and the keychain hold, and saves a screenshot under
//! `target/screenshots/`. Then otp-dioxus's `prebuilt` example, as a third-party app: sign up by
//! phone, signed in, sign out.

use crate::helpers::*;
use otp_dioxus::{KeychainTokenStore, TokenStore};
use otp_server::{Clock, SystemClock};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

const TITLE: &str = "Passwordless sign-in";

/// The app's window, started against `backend_url`.
struct App {
    child: Child,
    window: String,
}

impl App {
    /// Starts the app; what it prints goes to `target/screenshots/<name>.log`, shown if its
    /// window never comes.
    fn start(backend_url: &str, name: &str) -> Self {
        Self::launch(
            env!("CARGO_BIN_EXE_otp-app").as_ref(),
            TITLE,
            backend_url,
            name,
        )
    }

    /// Starts the program at `exe`, whose window is titled `title`.
    fn launch(exe: &std::path::Path, title: &str, backend_url: &str, name: &str) -> Self {
        let log_path = screenshot_dir().join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).expect("app log");
        let mut child = Command::new(exe)
            .env("OTP_API_URL", backend_url)
            // Where `asset!()` finds the stylesheet when the binary runs outside `cargo run`.
            .env("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"))
            .stdout(log.try_clone().expect("app log"))
            .stderr(log)
            .spawn()
            .expect("the app starts");
        // A first WebKit start on a busy new machine can be slow; an exit is reported at once.
        let window = try_wait(Duration::from_secs(120), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the app exited ({status}) before showing its window:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            let out = Command::new("xdotool")
                .args(["search", "--name", title])
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            panic!(
                "timed out waiting for the app window; the app printed:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            )
        });
        // Give the webview time to load and paint, and the store time to restore.
        std::thread::sleep(Duration::from_secs(3));
        xdotool(&["windowfocus", "--sync", &window]);
        Self { child, window }
    }

    fn type_text(&self, text: &str) {
        xdotool(&["windowfocus", "--sync", &self.window]);
        xdotool(&["type", "--delay", "25", text]);
    }

    fn key(&self, key: &str) {
        xdotool(&["windowfocus", "--sync", &self.window]);
        xdotool(&["key", key]);
    }

    fn quit(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn xdotool(args: &[&str]) {
    let status = Command::new("xdotool")
        .args(args)
        .status()
        .expect("xdotool runs");
    assert!(status.success(), "xdotool {args:?}");
}

fn screenshot(name: &str) {
    std::thread::sleep(Duration::from_millis(700));
    let path = screenshot_dir().join(format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()
        .expect("import runs");
    assert!(status.success(), "screenshot {name}");
}

/// `target/screenshots/`, created if needed.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Polls `f` until it returns something, or fails after `timeout` naming what was awaited.
fn wait_for<T>(what: &str, timeout: Duration, f: impl FnMut() -> Option<T>) -> T {
    try_wait(timeout, f).unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// Blocks on an async call from this (blocking) test thread.
fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// The message to `to` newer than `after` (ms), from the dev outbox.
fn next_message(url: &str, to: &str, after: i64) -> otp_client::proto::dev::OutboxMessage {
    try_next_message(url, to, after, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no code to {to}"))
}

fn try_next_message(
    url: &str,
    to: &str,
    after: i64,
    timeout: Duration,
) -> Option<otp_client::proto::dev::OutboxMessage> {
    try_wait(timeout, || {
        block(otp_client::Client::new(url).dev_outbox(to))
            .ok()
            .filter(|m| m.sent_at > after)
    })
}

/// Does `attempt` up to three times until it yields something.
fn retry<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    (0..3)
        .find_map(|_| attempt())
        .unwrap_or_else(|| panic!("gave up waiting for {what}"))
}

/// Polls `f` for at most `timeout` (of real time: a real window and a real server).
fn try_wait<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = SystemClock.now_ms() + i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    while SystemClock.now_ms() < deadline {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// `Some` once the keychain holds no entry of `service` for `url`. A read that fails counts as
/// not yet: the Secret Service answers "no such item" to a read racing the app's deletion.
fn keychain_emptied(service: &str, url: &str) -> Option<()> {
    let entry = KeychainTokenStore::open(service, url).expect("keychain");
    matches!(entry.load(), Ok(None)).then_some(())
}

/// The session the server has for the token in the keychain, if the keychain holds one.
fn keychain_session(url: &str) -> Option<otp_client::proto::Session> {
    let token = KeychainTokenStore::open(otp_app::KEYCHAIN_SERVICE, url)
        .expect("keychain")
        .load()
        .expect("read keychain")?;
    let client =
        block(otp_client::Client::new(url).with_token(Some(token)).load()).expect("backend")?;
    client.last_active_session().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_stays_signed_in_across_a_restart_signs_out_and_signs_in_by_email() {
    require_desktop_session();
    let _alone = one_ui_at_a_time().await;
    let server = spawn_server().await;
    let url = server.base_url.clone();
    // An existing email account, for the sign-in at the end.
    let other = otp_client::Client::new(&url);
    other.sign_up().create_email(EMAIL).await.expect("create");
    other
        .sign_up()
        .prepare_verification(otp_client::Strategy::EmailCode)
        .await
        .expect("prepare");
    let first_email = other.dev_outbox(EMAIL).await.expect("code");
    other
        .sign_up()
        .attempt_verification(otp_client::Strategy::EmailCode, &first_email.code)
        .await
        .expect("attempt");

    // 1. Sign up with a phone number, from the keyboard only.
    let app = App::start(&url, "app-1-first-start");
    screenshot("1-sign-up");
    // On a new machine the first webview can take a while to load: if the keys were typed
    // before the page was there, nothing was sent; select all and type again.
    let message = retry("the first code", || {
        app.key("ctrl+a");
        app.type_text("+1 202 555 0143");
        app.key("Return");
        try_next_message(&url, PHONE, 0, Duration::from_secs(10))
    });
    screenshot("2-verify");
    // Six digits submit by themselves; most people press Enter anyway. The signed-in screen
    // must not take that Enter as "Sign out" (its focus is on the heading).
    app.type_text(&message.code);
    let session = wait_for("a session in the keychain", Duration::from_secs(20), || {
        keychain_session(&url)
    });
    app.key("Return");
    std::thread::sleep(Duration::from_secs(2));
    let still = keychain_session(&url).expect("still signed in after the Enter");
    assert_eq!(still.id, session.id);
    assert_eq!(session.user.phone_numbers[0].phone_number, PHONE);
    screenshot("3-signed-in");

    // 2. Quit and start again: still signed in, from the keychain.
    app.quit();
    let app = App::start(&url, "app-2-restart");
    screenshot("4-signed-in-after-restart");
    let again = keychain_session(&url).expect("the keychain still holds a live session");
    assert_eq!(again.id, session.id);

    // 3. Sign out: Tab from the heading (where the focus starts) to the button, and press it.
    retry("the keychain entry to go", || {
        app.key("Tab");
        app.key("Return");
        try_wait(Duration::from_secs(10), || {
            keychain_emptied(otp_app::KEYCHAIN_SERVICE, &url)
        })
    });
    let old = otp_client::Client::new(&url);
    assert!(
        block(old.load()).expect("backend").is_none(),
        "no token, no client"
    );
    screenshot("5-sign-in");

    // 4. Sign in by email: Tab to "Use email instead", press it, type the address. (The server
    // sends one code per identifier per 30 s: the account's sign-up code went out at the start.)
    let ready = first_email.sent_at + 31_000;
    while SystemClock.now_ms() < ready {
        std::thread::sleep(Duration::from_millis(200));
    }
    app.key("Tab");
    app.key("Return");
    std::thread::sleep(Duration::from_millis(500));
    app.type_text(EMAIL);
    screenshot("5b-email-typed");
    app.key("Return");
    let message = next_message(&url, EMAIL, first_email.sent_at);
    screenshot("6-verify-email");
    app.type_text(&message.code);
    let session = wait_for(
        "an email session in the keychain",
        Duration::from_secs(20),
        || {
            keychain_session(&url).filter(|s| {
                s.user
                    .email_addresses
                    .first()
                    .is_some_and(|e| e.email_address == EMAIL)
            })
        },
    );
    assert_eq!(session.public_user_data.identifier, EMAIL);
    screenshot("7-signed-in-by-email");
    app.quit();
}

/// Where `cargo test --workspace` (and `cargo build -p otp-dioxus --examples`) put otp-dioxus's
/// example `name`: `target/debug/examples/`, beside this test's own `deps/` folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .join("examples");
    let path = examples.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build -p otp-dioxus --examples` first \
         (`cargo test --workspace`, which scripts/test.sh runs, builds it)",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prebuilt_example_signs_up_by_phone_and_signs_out() {
    require_desktop_session();
    let exe = example("prebuilt");
    let _alone = one_ui_at_a_time().await;
    let server = spawn_server().await;
    let url = server.base_url.clone();
    // The example's window keeps Dioxus's default title.
    let app = App::launch(&exe, "Dioxus App", &url, "prebuilt-1-start");
    screenshot("prebuilt-1-sign-in");

    // The sign-in screen: no account yet, so "Sign up" (Tab past the field and the channel
    // switch, to the link), then the phone number.
    let message = retry("the sign-up code", || {
        app.key("Tab");
        app.key("Tab");
        app.key("Tab");
        app.key("Return");
        std::thread::sleep(Duration::from_millis(500));
        app.key("ctrl+a");
        app.type_text(PHONE);
        app.key("Return");
        try_next_message(&url, PHONE, 0, Duration::from_secs(10))
    });
    screenshot("prebuilt-2-code");
    app.type_text(&message.code);
    // Signed in: the example greets the user by number, and the session is on the server.
    let session = wait_for("the example's session", Duration::from_secs(20), || {
        let token = KeychainTokenStore::open(otp_dioxus::DEFAULT_SERVICE, &url)
            .expect("keychain")
            .load()
            .expect("read")?;
        let client = block(otp_client::Client::new(&url).with_token(Some(token)).load())
            .expect("backend")?;
        client.last_active_session().cloned()
    });
    assert_eq!(session.user.phone_numbers[0].phone_number, PHONE);
    screenshot("prebuilt-3-signed-in");

    // Sign out: the one button on the screen.
    retry("the example's sign-out", || {
        app.key("Tab");
        app.key("Return");
        try_wait(Duration::from_secs(10), || {
            keychain_emptied(otp_dioxus::DEFAULT_SERVICE, &url)
        })
    });
    let ended = block(otp_client::Client::new(&url).with_token(None).load()).expect("backend");
    assert!(ended.is_none());
    screenshot("prebuilt-4-signed-out");
    app.quit();
}
