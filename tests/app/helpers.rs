//! A real `otp-server` in dev mode on a loopback port, for the app's tests.

use otp_server::{Application, Clock, Config};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A phone number libphonenumber accepts (555-01xx is reserved for fiction).
pub const PHONE: &str = "+12025550143";
/// An email address.
pub const EMAIL: &str = "jane.doe@example.com";

/// A running server; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    _dir: TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// Starts a dev-mode server with the default policy and the given clock.
pub async fn spawn_server(clock: Arc<dyn Clock>) -> Server {
    spawn_server_with(clock, |_| {}).await
}

/// Starts a server after `configure` adjusts its dev-mode configuration.
pub async fn spawn_server_with(
    clock: Arc<dyn Clock>,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_dev(dir.path().to_path_buf());
    configure(&mut config);
    let app = Application::build(config, clock)
        .await
        .expect("server starts");
    let url = format!("http://{}", app.local_addr().expect("bound"));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    Server {
        url,
        _dir: dir,
        _shutdown: tx,
    }
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
