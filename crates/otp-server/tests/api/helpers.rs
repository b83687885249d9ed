//! `spawn_app()`: the workspace's test harness ([`otp_testkit::TestServer`]: a real server on a
//! loopback port, its own database and data directory, a manual clock, SDK clients connected to
//! it), with this binary's log capture; PostgreSQL databases for a test; helpers of these tests.

use otp_client::{Client, Strategy};
use otp_server::{Config, ManualClock};
use std::io::Write;
use std::sync::{Mutex, OnceLock};

/// A phone number that libphonenumber accepts (555-01xx is reserved for fiction).
pub const PHONE: &str = "+12025550143";
/// Another one.
pub const PHONE_2: &str = "+12025550199";
/// An email address.
pub const EMAIL: &str = "jane.doe@example.com";

/// A running server: the workspace's test harness.
pub use otp_testkit::TestServer as TestApp;

/// Starts a dev-mode server with the default policy.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a dev-mode server after `configure` adjusts its configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    capture_logs();
    TestApp::builder().configure(configure).spawn().await
}

/// The error code of a failed call.
pub fn code_of<T: std::fmt::Debug>(result: Result<T, otp_client::Error>) -> otp_client::ApiError {
    match result {
        Err(otp_client::Error::Api(e)) => *e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Everything the server logged in this test process (all levels), for the no-secrets-in-logs test.
pub fn logs() -> String {
    String::from_utf8_lossy(
        &LOGS
            .get_or_init(Default::default)
            .lock()
            .expect("logs")
            .clone(),
    )
    .into_owned()
}

static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

#[derive(Clone, Copy)]
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.get_or_init(Default::default)
            .lock()
            .expect("logs")
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// Signs up `identifier` on `client` with the code the SMS stand-in received as request `n`.
pub async fn sign_up_without_outbox(
    client: &Client,
    identifier: &str,
    sms: &crate::providers::SmsServer,
    n: usize,
) {
    client
        .sign_up()
        .create_phone(identifier)
        .await
        .expect("create");
    client
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let request = sms.wait_for(n).await;
    let json: serde_json::Value = serde_json::from_str(&request.body).expect("webhook json");
    let code = json["code"].as_str().expect("code");
    client
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, code)
        .await
        .expect("attempt");
}

/// A fresh PostgreSQL database for one test, dropped afterwards. The server is
/// `OTP_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`, as `.ci/run` sets up).
pub struct PgDb {
    /// The database's URL.
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDb {
    pub async fn create() -> Self {
        use sqlx::Connection;
        let admin_url = std::env::var("OTP_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "otp_test_{}",
            otp_server::ids::new_id(&otp_server::Random::os(), "db").expect("id")[3..]
                .to_ascii_lowercase()
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL at OTP_TEST_PG_URL (scripts/setup.sh starts it)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .expect("URL with a database");
        Self {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async code: a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Starts one more dev-mode instance on `database_url`, sharing `clock` with the others (as
/// replicas share the wall clock), after `configure`.
pub async fn spawn_instance(
    database_url: &str,
    clock: &ManualClock,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    capture_logs();
    TestApp::builder()
        .database_url(database_url)
        .clock(clock)
        .configure(configure)
        .spawn()
        .await
}

/// The `otp-server` binary, started for real on a free loopback port with `data_dir` and
/// `args` (nothing from the environment), and killed for real (SIGKILL: no graceful anything)
/// by [`ServerProcess::kill`] or when dropped. Deliveries are looked for every 50 ms.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: std::process::Child,
}

impl ServerProcess {
    /// Starts it and waits until it accepts connections.
    pub fn start(data_dir: &std::path::Path, args: &[&str]) -> Self {
        let port = crate::providers::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_otp-server"))
            .env_clear()
            .args([
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--delivery-poll-ms",
                "50",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("otp-server starts");
        let server = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("otp-server did not start");
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
