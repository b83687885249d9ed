//! `otp-testkit`: the harness every test of the workspace starts servers with: a real
//! `otp-server` in dev mode, in-process on `127.0.0.1:0`, with its own temporary database and
//! data directory and a clock the test controls, and real SDK clients ([`otp_client::Client`])
//! connected to it. The server's API tests, the app's tests and the load tool's smoke tests
//! all use it, so a change to how a server starts is made once.

use otp_client::{Client, Strategy};
use otp_server::{Application, Clock, Config, ManualClock, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// Where a test server's manual clock starts (2027-01-15): a fixed time, so tests repeat.
pub const START_MS: i64 = 1_800_000_000_000;

/// A running server; it stops when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The server's clock, when it runs on a manual one (the default; see
    /// [`TestServerBuilder::system_clock`]).
    pub clock: ManualClock,
    /// Whether it reads the wall clock instead.
    on_wall_clock: bool,
    /// What it was started with (its bind address is the port it got).
    config: Config,
    /// The clock it reads.
    reads: Arc<dyn Clock>,
    /// Its data directory (and SQLite database), kept for a restart, deleted at the end.
    dir: Arc<TempDir>,
    /// Stops it.
    shutdown: Option<oneshot::Sender<()>>,
    /// Its task, awaited on restart.
    server: Option<tokio::task::JoinHandle<()>>,
}

/// How to start a [`TestServer`].
pub struct TestServerBuilder {
    config: Config,
    dir: Arc<TempDir>,
    clock: ManualClock,
    reads: Arc<dyn Clock>,
    on_wall_clock: bool,
}

impl TestServer {
    /// A dev-mode server with the default policy, on a manual clock at [`START_MS`].
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// A server to configure before it starts.
    ///
    /// # Panics
    /// If no temporary directory can be made.
    pub fn builder() -> TestServerBuilder {
        let dir = Arc::new(tempfile::tempdir().expect("a temporary directory for the server"));
        let clock = ManualClock::new(START_MS);
        TestServerBuilder {
            config: Config::for_dev(dir.path().to_path_buf()),
            reads: Arc::new(clock.clone()),
            clock,
            dir,
            on_wall_clock: false,
        }
    }

    /// A new device: an SDK client with no token.
    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// Moves the server's manual clock forward.
    ///
    /// # Panics
    /// On a server started on the wall clock, which nothing can move.
    pub fn advance(&self, by: Duration) {
        assert!(
            !self.on_wall_clock,
            "this test server runs on the wall clock: advance() would not move it"
        );
        self.clock.advance(by);
    }

    /// The server's current time (ms).
    pub fn now_ms(&self) -> i64 {
        self.reads.now_ms()
    }

    /// What the server was started with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where its Backend API is: its own address with `--backend-bind`, else `--backend-path`
    /// on the public one.
    pub fn backend_url(&self) -> String {
        match self.config.backend_bind {
            Some(addr) => format!("http://{addr}"),
            None => format!("{}{}", self.base_url, self.config.backend_path),
        }
    }

    /// A new secret key for its Backend API, made as `otp-server keys create` makes one.
    ///
    /// # Panics
    /// If the database refuses.
    pub async fn secret_key(&self, name: &str) -> String {
        let store = otp_server::store::connect(&self.config.database_url(), 1)
            .await
            .expect("the server's database");
        let (key, _) =
            otp_server::backend::create_key(&store, &otp_server::Random::os(), name, self.now_ms())
                .await
                .expect("a secret key");
        key.expose().to_owned()
    }

    /// An SDK connection to its Backend API with a new secret key.
    pub async fn backend(&self) -> otp_client::backend::Backend {
        otp_client::backend::Backend::new(self.backend_url(), self.secret_key("test").await)
    }

    /// Stops the server and starts it again on the same port, database and data directory.
    pub async fn restart(mut self) -> Self {
        self.stop();
        if let Some(server) = self.server.take()
            && let Err(e) = server.await
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
        TestServerBuilder {
            config: self.config.clone(),
            dir: self.dir.clone(),
            clock: self.clock.clone(),
            reads: self.reads.clone(),
            on_wall_clock: self.on_wall_clock,
        }
        .spawn()
        .await
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// The code last sent to `to`, read from the dev outbox.
    ///
    /// # Panics
    /// If nothing was sent to `to`.
    pub async fn code_for(&self, to: &str) -> String {
        self.client()
            .dev_outbox(to)
            .await
            .expect("a message in the dev outbox")
            .code
    }

    /// Starts a sign-up of the phone number or email `identifier` on `client` and sends its
    /// code; returns the strategy it was sent with.
    ///
    /// # Panics
    /// If the server refuses.
    pub async fn prepare_sign_up(&self, client: &Client, identifier: &str) -> Strategy {
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
        strategy
    }

    /// [`TestServer::prepare_sign_up`], then the code it sent.
    ///
    /// # Panics
    /// If the server refuses.
    pub async fn sign_up_code(&self, client: &Client, identifier: &str) -> String {
        self.prepare_sign_up(client, identifier).await;
        self.code_for(identifier).await
    }

    /// Signs up `identifier` on `client` to completion and makes the session active.
    ///
    /// # Panics
    /// If the server refuses.
    pub async fn sign_up(&self, client: &Client, identifier: &str) -> otp_client::proto::SignUp {
        let strategy = self.prepare_sign_up(client, identifier).await;
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
    ///
    /// # Panics
    /// If the server refuses.
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

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestServerBuilder {
    /// Adjusts the dev-mode configuration.
    pub fn configure(mut self, configure: impl FnOnce(&mut Config)) -> Self {
        configure(&mut self.config);
        self
    }

    /// Runs on `clock`, shared with other servers (as replicas share the wall clock).
    pub fn clock(mut self, clock: &ManualClock) -> Self {
        self.clock = clock.clone();
        self.reads = Arc::new(clock.clone());
        self
    }

    /// Runs on the wall clock, for tests where another process (the app, a browser) must agree
    /// with the server on the time.
    pub fn system_clock(mut self) -> Self {
        self.reads = Arc::new(SystemClock);
        self.on_wall_clock = true;
        self
    }

    /// Draws codes, ids, tokens and keys from a source seeded with `seed`, so runs repeat.
    pub fn seeded(mut self, seed: u64) -> Self {
        self.config.random = otp_server::Random::seeded(seed);
        self
    }

    /// Uses this database (`postgres://…`) instead of a SQLite file in the data directory.
    pub fn database_url(mut self, url: &str) -> Self {
        self.config.database_url = Some(url.into());
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    /// If it does not start.
    pub async fn spawn(self) -> TestServer {
        let Self {
            mut config,
            dir,
            clock,
            reads,
            on_wall_clock,
        } = self;
        let app = Application::build(config.clone(), reads.clone())
            .await
            .expect("the test server starts");
        let addr = app.local_addr().expect("bound");
        if let Some(backend) = app.backend_addr() {
            config.backend_bind = Some(backend.expect("bound"));
        }
        let (tx, rx) = oneshot::channel::<()>();
        // The server's task keeps the data directory until it has stopped using it.
        let keep = dir.clone();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("the test server runs");
            drop(keep);
        });
        config.bind = addr;
        TestServer {
            base_url: format!("http://{addr}"),
            clock,
            on_wall_clock,
            config,
            reads,
            dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }
}
