//! `spawn_app()`: a real server on a loopback port, its own database and data directory, a
//! manual clock, and SDK clients connected to it.

use otp_client::{Client, Strategy};
use otp_server::{Application, Config, ManualClock};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A phone number that libphonenumber accepts (555-01xx is reserved for fiction).
pub const PHONE: &str = "+12025550143";
/// Another one.
pub const PHONE_2: &str = "+12025550199";
/// An email address.
pub const EMAIL: &str = "jane.doe@example.com";

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The server's clock.
    pub clock: ManualClock,
    config: Config,
    dir: Arc<TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Starts a dev-mode server with the default policy.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a dev-mode server after `configure` adjusts its configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    capture_logs();
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = Config::for_dev(dir.path().to_path_buf());
    configure(&mut config);
    let clock = ManualClock::new(1_800_000_000_000);
    start(config, clock, dir).await
}

async fn start(config: Config, clock: ManualClock, dir: Arc<TempDir>) -> TestApp {
    let app = Application::build(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("server starts");
    let addr = app.local_addr().expect("bound");
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    let mut config = config;
    config.bind = addr;
    TestApp {
        base_url: format!("http://{addr}"),
        clock,
        config,
        dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// A new device: an SDK client with no token.
    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Stops the server and starts it again on the same port, database and data directory.
    pub async fn restart(mut self) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server stopped");
        }
        start(self.config.clone(), self.clock.clone(), self.dir.clone()).await
    }

    /// Starts a sign-up of `phone` on `client` and sends its code.
    pub async fn prepare_phone(&self, client: &Client, phone: &str) {
        client.sign_up().create_phone(phone).await.expect("create");
        client
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await
            .expect("prepare");
    }

    /// [`TestApp::prepare_phone`], then the code from the dev outbox.
    pub async fn phone_code(&self, client: &Client, phone: &str) -> String {
        self.prepare_phone(client, phone).await;
        self.code_for(phone).await
    }

    /// The code last sent to `to`, read from the dev outbox.
    pub async fn code_for(&self, to: &str) -> String {
        self.client()
            .dev_outbox(to)
            .await
            .expect("a message in the dev outbox")
            .code
    }

    /// Signs up `identifier` on `client` to completion and makes the session active.
    pub async fn sign_up(&self, client: &Client, identifier: &str) -> otp_client::proto::SignUp {
        let strategy = if identifier.contains('@') {
            client
                .sign_up()
                .create_email(identifier)
                .await
                .expect("create");
            Strategy::EmailCode
        } else {
            client
                .sign_up()
                .create_phone(identifier)
                .await
                .expect("create");
            Strategy::PhoneCode
        };
        client
            .sign_up()
            .prepare_verification(strategy)
            .await
            .expect("prepare");
        let code = self.code_for(identifier).await;
        let sign_up = client
            .sign_up()
            .attempt_verification(strategy, &code)
            .await
            .expect("attempt");
        client
            .set_active(sign_up.created_session_id.as_deref().expect("session"))
            .await
            .expect("set active");
        sign_up
    }

    /// Starts a sign-in of `identifier` on `client` and prepares its first factor.
    pub async fn start_sign_in(
        &self,
        client: &Client,
        identifier: &str,
    ) -> otp_client::proto::SignIn {
        let sign_in = client
            .sign_in()
            .create(identifier)
            .await
            .expect("create sign-in");
        let factor = sign_in
            .supported_first_factors
            .as_ref()
            .and_then(|f| f.first())
            .expect("a factor")
            .clone();
        client
            .sign_in()
            .prepare_first_factor(&factor)
            .await
            .expect("prepare first factor")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
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

impl TestApp {
    /// The server's current time (ms).
    pub fn clock_ms(&self) -> i64 {
        otp_server::Clock::now_ms(&self.clock)
    }
}

impl TestApp {
    /// Signs up `identifier` on `client` with the code the SMS stand-in received as request `n`.
    pub async fn sign_up_without_outbox(
        &self,
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
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = Config::for_dev(dir.path().to_path_buf());
    config.database_url = Some(database_url.to_owned());
    configure(&mut config);
    start(config, clock.clone(), dir).await
}
