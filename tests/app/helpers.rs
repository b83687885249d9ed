//! A real `otp-server` in dev mode on a loopback port, for the app's tests (the workspace's
//! harness, `otp-testkit`), and what the window and browser tests share.

/// A phone number libphonenumber accepts (555-01xx is reserved for fiction).
pub const PHONE: &str = "+12025550143";
/// An email address.
pub const EMAIL: &str = "jane.doe@example.com";

pub use otp_testkit::TestServer;

/// Starts a dev-mode server on the wall clock (the app under test, its store and its timers
/// run on real time too).
pub async fn spawn_server() -> TestServer {
    spawn_server_with(|_| {}).await
}

/// [`spawn_server`] after `configure` adjusts its dev-mode configuration.
pub async fn spawn_server_with(configure: impl FnOnce(&mut otp_server::Config)) -> TestServer {
    TestServer::builder()
        .system_clock()
        .configure(configure)
        .spawn()
        .await
}

/// The code last sent to `to`, from the server's dev outbox.
pub async fn code_for(url: &str, to: &str) -> String {
    otp_client::Client::new(url)
        .dev_outbox(to)
        .await
        .expect("a message in the dev outbox")
        .code
}

/// Fails with a clear message when a test needs the desktop session of `scripts/with-desktop.sh`.
pub fn require_desktop_session() {
    assert!(
        std::env::var_os("OTP_DESKTOP_SESSION").is_some() && std::env::var_os("DISPLAY").is_some(),
        "this test drives the real keychain and window: run it through scripts/test.sh \
         (or scripts/with-desktop.sh cargo test)"
    );
}

/// Held by the tests that drive a real window or browser and build with `dx`: one at a time, so a
/// build hogging both cores never starves a window a test is typing into.
pub static ONE_UI_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Takes [`ONE_UI_AT_A_TIME`] (a test that failed holding it does not block the others).
pub async fn one_ui_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_UI_AT_A_TIME.lock().await
}
