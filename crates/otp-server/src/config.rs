//! Configuration: command-line flags, each with an environment equivalent, and the security
//! policy with its defaults. `otp-server --help` lists them all.

use crate::random::Random;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The `otp-server` command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "otp-server",
    version,
    about = "Self-hosted OTP backend speaking a subset of Clerk's Frontend API"
)]
pub struct Cli {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How logs are written on standard output: `text` for people, `json` (one object per
    /// line: `timestamp`, `level`, `target`, `fields`) for a log collector.
    #[arg(long, env = "OTP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Server settings.
    #[command(flatten)]
    pub config: Config,
}

/// How logs are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The algorithm of session tokens (`--jwt-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JwtAlgorithm {
    /// Ed25519 signatures.
    #[value(name = "EdDSA")]
    EdDSA,
    /// RSA (2048-bit) PKCS#1 v1.5 signatures with SHA-256.
    #[value(name = "RS256")]
    Rs256,
}

impl JwtAlgorithm {
    /// The JOSE name (`alg`), also what the key ring stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// The Backend API's secret keys: `create --name …`, `list`, `revoke <id or name>`.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Users, for operators: `list`, `show`, `ban`, `unban`, `delete`.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Sessions, for operators: `list --user …`, `revoke`.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// The session tokens' signing keys: `list`, `rotate [--revoke-previous]`.
    #[command(subcommand)]
    SigningKeys(SigningKeysCommand),
    /// Webhook endpoints beside `--webhook-url`: `create --url …`, `list`, `delete`, `secret`.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
}

/// `otp-server signing-keys …`.
#[derive(Debug, Clone, Subcommand)]
pub enum SigningKeysCommand {
    /// List the keys: generation, algorithm, created, revoked.
    List,
    /// Make a new key (of `--jwt-algorithm`) the signing one now.
    Rotate {
        /// Also revoke every older key: the tokens they signed stop verifying (after a leak).
        /// Without it, older keys stay published until their tokens expire.
        #[arg(long)]
        revoke_previous: bool,
    },
}

/// `otp-server webhooks …`.
#[derive(Debug, Clone, Subcommand)]
pub enum WebhooksCommand {
    /// Add an endpoint with a new signing secret (printed once).
    Create {
        /// Where events are POSTed (`https://api.example.com/webhooks/otp`).
        #[arg(long)]
        url: String,
    },
    /// List the endpoints (not their secrets).
    List,
    /// Remove an endpoint; its events not delivered yet are given up.
    Delete {
        /// `ep_…`.
        id: String,
    },
    /// Print a new signing secret (`whsec_…`) for `--webhook-secret`.
    Secret,
}

/// `otp-server keys …`.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Make a secret key and print it (once: only its hash is kept).
    Create {
        /// What the key is for (`billing-service`), to tell keys apart.
        #[arg(long)]
        name: String,
    },
    /// List the keys (never the keys themselves: their last characters).
    List,
    /// Revoke a key by its id (`ak_…`) or its name; requests with it are refused at once.
    Revoke {
        /// The key's id or name.
        key: String,
    },
}

/// `otp-server users …`.
#[derive(Debug, Clone, Subcommand)]
pub enum UsersCommand {
    /// List users, newest first.
    List {
        /// Only users whose id, phone number or email address contains this.
        #[arg(long)]
        query: Option<String>,
        /// How many to show.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
        /// How many to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Show a user as the Backend API does (JSON).
    Show {
        /// `user_…`.
        id: String,
    },
    /// Ban a user: they can no longer sign in, and their sessions are revoked.
    Ban {
        /// `user_…`.
        id: String,
    },
    /// Lift a user's ban.
    Unban {
        /// `user_…`.
        id: String,
    },
    /// Delete a user and their personal data, ending their sessions.
    Delete {
        /// `user_…`.
        id: String,
    },
}

/// `otp-server sessions …`.
#[derive(Debug, Clone, Subcommand)]
pub enum SessionsCommand {
    /// List a user's sessions (every state), newest first.
    List {
        /// `user_…`.
        #[arg(long)]
        user: String,
    },
    /// Revoke a session: its device is signed out at its next request.
    Revoke {
        /// `sess_…`.
        id: String,
    },
}

/// Everything the server needs to start.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "OTP_BIND", default_value = "127.0.0.1:8787")]
    pub bind: SocketAddr,
    /// Directory for the default SQLite database (which also keeps the generated keys).
    #[arg(long, env = "OTP_DATA_DIR", default_value = "./otp-data")]
    pub data_dir: PathBuf,
    /// Database URL; defaults to `sqlite://<data-dir>/otp.db` (WAL mode).
    #[arg(long, env = "OTP_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Connections to the database per instance (PostgreSQL); SQLite uses a small fixed pool.
    #[arg(long, env = "OTP_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
    /// Dev mode: codes are printed to the console and kept in the dev outbox
    /// (`GET /v1/dev/outbox`). Never use it in production.
    #[arg(long, env = "OTP_DEV", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub dev: bool,
    /// The HMAC key for codes, 32 bytes in base64; generated into the data directory if unset.
    #[arg(long, env = "OTP_HMAC_KEY", hide_env_values = true)]
    pub hmac_key: Option<Secret>,
    /// A new session-token signing key is made after this many seconds (the old one stays
    /// published until its tokens expire).
    #[arg(long, env = "OTP_JWT_ROTATION_SECS", default_value_t = 30 * 24 * 3600)]
    pub jwt_rotation_secs: u64,
    /// What session tokens are signed with: `EdDSA` (Ed25519: small and fast) or `RS256` (RSA
    /// 2048, for servers that verify with Clerk's `@clerk/backend` or other RS256-only
    /// libraries). Changing it rotates the key: the old one stays published until its tokens
    /// expire.
    #[arg(long, env = "OTP_JWT_ALGORITHM", value_enum, ignore_case = true, default_value_t = JwtAlgorithm::EdDSA)]
    pub jwt_algorithm: JwtAlgorithm,
    /// How often each instance checks the signing keys for rotation, in milliseconds.
    #[arg(long, env = "OTP_KEY_REFRESH_MS", default_value_t = 60_000)]
    pub key_refresh_ms: u64,
    /// `iss` claim of session tokens; defaults to `http://<bind>`.
    #[arg(long, env = "OTP_ISSUER")]
    pub issuer: Option<String>,
    /// Region (ISO 3166 alpha-2) for phone numbers typed without a `+` country code.
    #[arg(long, env = "OTP_DEFAULT_REGION", default_value = "US")]
    pub default_region: String,
    /// Web origins whose pages may use the API from a browser, with the client in an HttpOnly
    /// cookie (`https://app.example`; repeat the flag, or comma-separate in the variable). CORS
    /// with credentials is answered for exactly these; browser requests from any other origin
    /// are refused with 403 `origin_invalid`.
    #[arg(long = "allowed-origin", env = "OTP_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub allowed_origins: Vec<String>,
    /// Also serve the API under this path prefix (`/__clerk`), for a reverse proxy that forwards
    /// a path of the app's own origin (clerk-js's `proxyUrl`). The API stays at `/` as well.
    #[arg(long, env = "OTP_FRONTEND_PATH", value_parser = parse_frontend_path)]
    pub frontend_path: Option<String>,
    /// The Backend API (for the app developer's own servers, with a secret key from
    /// `otp-server keys create`) is served under this path prefix on `--bind`, unless
    /// `--backend-bind` gives it an address of its own.
    #[arg(long, env = "OTP_BACKEND_PATH", default_value = "/backend", value_parser = parse_frontend_path)]
    pub backend_path: String,
    /// Serve the Backend API on this address (`127.0.0.1:8788`, or a private network's) and
    /// not on `--bind`: it then stays off the public internet. Its paths are `/v1/…` there.
    #[arg(long, env = "OTP_BACKEND_BIND")]
    pub backend_bind: Option<SocketAddr>,
    /// Where to POST the webhook events (`user.created`, `session.revoked`, …), signed as
    /// Standard Webhooks / Svix with `--webhook-secret`. More endpoints, each with its own
    /// secret: `otp-server webhooks create --url …`.
    #[arg(long, env = "OTP_WEBHOOK_URL", hide_env_values = true)]
    pub webhook_url: Option<UrlSetting>,
    /// The signing secret of `--webhook-url`, as Svix issues them: `whsec_` and the base64 of
    /// the key (`otp-server webhooks secret` makes one).
    #[arg(long, env = "OTP_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<Secret>,
    /// How long a webhook event is retried before it is given up (seconds; 3 days, as Svix).
    #[arg(long, env = "OTP_WEBHOOK_DEADLINE_SECS", default_value_t = 3 * 24 * 3600)]
    pub webhook_deadline_secs: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "OTP_MAX_BODY_BYTES", default_value_t = 16 * 1024)]
    pub max_body_bytes: usize,
    /// The security policy.
    #[command(flatten)]
    pub policy: Policy,
    /// How codes are delivered.
    #[command(flatten)]
    pub delivery: DeliveryConfig,
    /// The network edge: connection limits, trusted proxies, the cookie's `Secure`.
    #[command(flatten)]
    pub edge: EdgeConfig,
    /// Abuse limits: per-IP-prefix limits on unauthenticated creates, SMS-pumping detection,
    /// housekeeping.
    #[command(flatten)]
    pub abuse: AbuseConfig,
    /// Enumeration protection and test identifiers.
    #[command(flatten)]
    pub protection: ProtectionConfig,
    /// Not a flag: where codes, ids, tokens and keys are drawn from. The OS CSPRNG unless a
    /// test sets [`Random::seeded`] to make them reproducible.
    #[arg(skip)]
    pub random: Random,
}

/// Delivery providers and their abuse limits. With an email provider and an SMS provider (or one
/// of them, for a server that offers only that channel) the server runs without `--dev`.
#[derive(Debug, Clone, Args)]
pub struct DeliveryConfig {
    /// The app's name, in messages (`123456 is your <app> code`).
    #[arg(long, env = "OTP_APP_NAME", default_value = "OTP")]
    pub app_name: String,
    /// SMTP server, in lettre's URL form: `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`, or `smtp://127.0.0.1:2525` for a plain local relay.
    #[arg(long, env = "OTP_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// The From of emails: `Acme <no-reply@acme.example>`.
    #[arg(long, env = "OTP_EMAIL_FROM")]
    pub email_from: Option<String>,
    /// A directory of email templates overriding the built-in ones:
    /// `<lang>/subject.txt`, `<lang>/body.txt`, `<lang>/body.html` (minijinja; variables `code`,
    /// `app_name`, `minutes`).
    #[arg(long, env = "OTP_EMAIL_TEMPLATES_DIR")]
    pub email_templates_dir: Option<PathBuf>,
    /// Twilio account SID.
    #[arg(long, env = "OTP_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// Twilio auth token.
    #[arg(long, env = "OTP_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<Secret>,
    /// The sender number (E.164) of text messages.
    #[arg(long, env = "OTP_TWILIO_FROM")]
    pub twilio_from: Option<String>,
    /// A Messaging Service SID, instead of `--twilio-from`.
    #[arg(long, env = "OTP_TWILIO_MESSAGING_SERVICE_SID")]
    pub twilio_messaging_service_sid: Option<String>,
    /// Base URL of Twilio's API (a regional endpoint, or a compatible service).
    #[arg(
        long,
        env = "OTP_TWILIO_BASE_URL",
        default_value = "https://api.twilio.com"
    )]
    pub twilio_base_url: UrlSetting,
    /// A URL that receives each text message as a signed JSON POST (any SMS gateway).
    #[arg(long, env = "OTP_SMS_WEBHOOK_URL", hide_env_values = true)]
    pub sms_webhook_url: Option<UrlSetting>,
    /// The secret that signs webhook requests (HMAC-SHA256).
    #[arg(long, env = "OTP_SMS_WEBHOOK_SECRET", hide_env_values = true)]
    pub sms_webhook_secret: Option<Secret>,
    /// The app's domain: text messages end with `@<domain> #<code>` (WebOTP and iOS autofill).
    #[arg(long, env = "OTP_SMS_DOMAIN")]
    pub sms_domain: Option<String>,
    /// Country calling codes that may receive text messages (`1,44`); all when unset.
    #[arg(long, env = "OTP_SMS_ALLOWED_COUNTRIES", value_delimiter = ',')]
    pub sms_allowed_countries: Vec<u16>,
    /// Text messages per country calling code per hour.
    #[arg(long, env = "OTP_SMS_COUNTRY_PER_HOUR", default_value_t = 500)]
    pub sms_country_per_hour: u32,
    /// Per-country overrides of that cap: `1=2000,44=100`.
    #[arg(long, env = "OTP_SMS_COUNTRY_CAPS", value_parser = parse_caps, default_value = "")]
    pub sms_country_caps: CountryCaps,
    /// Text messages per hour, all countries together.
    #[arg(long, env = "OTP_SMS_GLOBAL_PER_HOUR", default_value_t = 5000)]
    pub sms_global_per_hour: u32,
    /// How long the worker keeps retrying a message (seconds); never past the code's expiry.
    #[arg(long, env = "OTP_DELIVERY_DEADLINE_SECS", default_value_t = 600)]
    pub delivery_deadline_secs: u64,
    /// How often the delivery worker looks for due retries, in milliseconds.
    #[arg(long, env = "OTP_DELIVERY_POLL_MS", default_value_t = 1000)]
    pub delivery_poll_ms: u64,
}

/// Per-country hourly caps: calling code to cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryCaps(pub std::collections::BTreeMap<u16, u32>);

fn parse_caps(s: &str) -> Result<CountryCaps, String> {
    let mut caps = std::collections::BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, cap) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not <calling code>=<cap>"))?;
        let code = code
            .trim()
            .trim_start_matches('+')
            .parse()
            .map_err(|_| format!("{code:?} is not a calling code"))?;
        let cap = cap
            .trim()
            .parse()
            .map_err(|_| format!("{cap:?} is not a number"))?;
        caps.insert(code, cap);
    }
    Ok(CountryCaps(caps))
}

impl DeliveryConfig {
    /// The hourly cap of text messages to a country calling code.
    pub fn country_cap(&self, calling_code: u16) -> u32 {
        self.sms_country_caps
            .0
            .get(&calling_code)
            .copied()
            .unwrap_or(self.sms_country_per_hour)
    }
}

impl Config {
    /// The database URL, defaulted from the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.as_ref().map_or_else(
            || format!("sqlite://{}", self.data_dir.join("otp.db").display()),
            |url| url.expose().to_owned(),
        )
    }

    /// The `iss` claim of session tokens.
    pub fn issuer(&self) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// A configuration for tests and embedding: dev mode, data in `data_dir`, default policy,
    /// whatever `OTP_*` variables the environment holds.
    pub fn for_dev(data_dir: PathBuf) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        // The defaults only: an `OTP_*` variable of the caller's environment (a real SMTP
        // server, a production database) must not reach an embedded or test server.
        let matches = Cli::command()
            .mut_args(|arg| arg.env(None))
            .get_matches_from(["otp-server", "--dev"]);
        let mut config = match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli.config,
            Err(e) => e.exit(),
        };
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.data_dir = data_dir;
        config
    }
}

/// The security policy. Defaults follow NIST SP 800-63B and common practice; each can be changed.
#[derive(Debug, Clone, Args)]
pub struct Policy {
    /// How long a code stays valid, in seconds.
    #[arg(long, env = "OTP_CODE_TTL_SECS", default_value_t = 600)]
    pub code_ttl_secs: u64,
    /// Wrong codes allowed per code before it is void and a new one must be prepared.
    #[arg(long, env = "OTP_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: u32,
    /// Consecutive wrong codes for one identifier before it is locked.
    #[arg(long, env = "OTP_LOCKOUT_THRESHOLD", default_value_t = 100)]
    pub lockout_threshold: u32,
    /// How long a locked identifier stays locked, in seconds.
    #[arg(long, env = "OTP_LOCKOUT_SECS", default_value_t = 3600)]
    pub lockout_secs: u64,
    /// Minimum seconds between two codes sent to one identifier.
    #[arg(long, env = "OTP_SEND_INTERVAL_SECS", default_value_t = 30)]
    pub send_interval_secs: u64,
    /// Codes sent to one identifier in any hour.
    #[arg(long, env = "OTP_SENDS_PER_HOUR", default_value_t = 5)]
    pub sends_per_hour: u32,
    /// Turns every per-IP limit off (the send cap and the limits on creates), for load tests from
    /// one address (per-identifier limits stay on). Never in production.
    #[arg(long, env = "OTP_NO_IP_LIMITS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub no_ip_limits: bool,
    /// Codes requested from one client IP address in any hour.
    #[arg(long, env = "OTP_IP_SENDS_PER_HOUR", default_value_t = 50)]
    pub ip_sends_per_hour: u32,
    /// A session idle this long (seconds) expires.
    #[arg(long, env = "OTP_SESSION_IDLE_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_idle_secs: u64,
    /// A session ends this long (seconds) after sign-in, whatever its activity.
    #[arg(long, env = "OTP_SESSION_LIFETIME_SECS", default_value_t = 30 * 24 * 3600)]
    pub session_lifetime_secs: u64,
    /// Lifetime of a session JWT, in seconds.
    #[arg(long, env = "OTP_JWT_TTL_SECS", default_value_t = 60)]
    pub jwt_ttl_secs: u64,
    /// A sensitive change (deleting the account) needs the session's first factor verified at
    /// most this many seconds ago; older, it answers 403 `session_reverification_required`.
    #[arg(long, env = "OTP_REVERIFICATION_SECS", default_value_t = 600)]
    pub reverification_secs: u64,
    /// Unfinished sign-ups and sign-ins are abandoned after this many seconds.
    #[arg(long, env = "OTP_ATTEMPT_TTL_SECS", default_value_t = 24 * 3600)]
    pub attempt_ttl_secs: u64,
}

impl Policy {
    /// Code lifetime in ms.
    pub fn code_ttl_ms(&self) -> i64 {
        ms(Duration::from_secs(self.code_ttl_secs))
    }
    /// Lock duration in ms.
    pub fn lockout_ms(&self) -> i64 {
        ms(Duration::from_secs(self.lockout_secs))
    }
    /// Session idle timeout in ms.
    pub fn session_idle_ms(&self) -> i64 {
        ms(Duration::from_secs(self.session_idle_secs))
    }
    /// The age of a first-factor verification past which sensitive changes need a new one, in ms.
    pub fn reverification_ms(&self) -> i64 {
        ms(Duration::from_secs(self.reverification_secs))
    }
    /// Session absolute lifetime in ms.
    pub fn session_lifetime_ms(&self) -> i64 {
        ms(Duration::from_secs(self.session_lifetime_secs))
    }
    /// Sign-up / sign-in lifetime in ms.
    pub fn attempt_ttl_ms(&self) -> i64 {
        ms(Duration::from_secs(self.attempt_ttl_secs))
    }
    /// Limits per identifier.
    pub fn identifier_limits(&self) -> crate::rate_limit::SendLimits {
        crate::rate_limit::SendLimits {
            min_interval_ms: ms(Duration::from_secs(self.send_interval_secs)),
            per_hour: self.sends_per_hour,
        }
    }
    /// Limits per client IP.
    pub fn ip_limits(&self) -> crate::rate_limit::SendLimits {
        crate::rate_limit::SendLimits {
            min_interval_ms: 0,
            per_hour: self.ip_sends_per_hour,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Parses a `--frontend-path` or `--backend-path`: `/` and a path, no trailing slash
/// (`/__clerk`).
pub fn parse_frontend_path(s: &str) -> Result<String, String> {
    let path = s.trim().trim_end_matches('/');
    let valid = path.starts_with('/')
        && path.len() > 1
        && path[1..].split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        });
    if valid {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a path prefix: write /name, such as /__clerk"
        ))
    }
}

/// Parses an `--allowed-origin`: `scheme://host[:port]`, nothing after it.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let uri: axum::http::Uri = s
        .parse()
        .map_err(|e| format!("{s:?} is not an origin: {e}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(authority))
            if uri.path_and_query().is_none_or(|p| p.as_str() == "/")
                && !authority.as_str().contains('@') =>
        {
            Ok(s.to_ascii_lowercase())
        }
        _ => Err(format!(
            "{s:?} is not an origin: write scheme://host[:port], such as https://app.example"
        )),
    }
}

/// A configuration that cannot work, in one sentence that names the flag and says what is
/// wrong. Startup fails with it before touching the database or the network, and the binary
/// prints it as one line and exits with status 2, as it does for a flag that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// The error for `message`, which names the flag (`--sms-webhook-secret must be …`).
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A configuration value that must never be printed (a key, a token, a URL with a password):
/// its `Debug` is redacted, so a logged configuration shows none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// The network edge: how long a client may take, how many connections are served at once, which
/// proxies are believed about the client's address and scheme, and the cookie's `Secure`.
#[derive(Debug, Clone, Args)]
pub struct EdgeConfig {
    /// Seconds a client has to send a request's headers, counted from the connection's start or
    /// from the first byte of a later request on it. 10 s is plenty for any real client and
    /// frees the connection of one that trickles its headers (slowloris).
    #[arg(long, env = "OTP_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body once its headers arrived (bodies are
    /// small: `--max-body-bytes`); a slower one gets 408 `request_timeout` and is disconnected.
    #[arg(long, env = "OTP_BODY_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request before it is closed: long
    /// enough for an app's next call to reuse it, short enough that idle sockets do not pile up.
    #[arg(long, env = "OTP_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Connections served at once; more wait in the listen queue until one closes. Keep it under
    /// the process's open-file limit (`ulimit -n`) less the database pool, so that running out of
    /// file descriptors cannot stop the server from accepting.
    #[arg(long, env = "OTP_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Proxies (load balancers) whose forwarding headers are believed: addresses or CIDR ranges
    /// (`10.0.0.0/8,192.0.2.7`). None by default, since any client can send those headers: the
    /// caller is then the connection's peer.
    #[arg(long, env = "OTP_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Which header the trusted proxies set: `x-forwarded-for` (with `X-Forwarded-Proto`, what
    /// most load balancers send) or `forwarded` (RFC 7239). Only one is read, since a client can
    /// send the other and a proxy would pass it on untouched.
    #[arg(long, env = "OTP_FORWARDED_HEADER", value_enum, default_value_t = ForwardedHeader::XForwardedFor)]
    pub forwarded_header: ForwardedHeader,
    /// `Secure` on the browser's `__client` cookie: `always`, `never`, or `auto` (the default):
    /// Secure unless the request is plain HTTP from loopback (a loopback peer with no trusted
    /// proxy, or a trusted proxy saying a loopback client came over http). Never decided by the
    /// `Host` header.
    #[arg(long, env = "OTP_COOKIE_SECURE", value_enum, default_value_t = CookieSecure::Auto)]
    pub cookie_secure: CookieSecure,
}

/// The forwarding header trusted proxies set ([`EdgeConfig::forwarded_header`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` for the address, `X-Forwarded-Proto` for the scheme.
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…;proto=…`.
    Forwarded,
}

/// When the browser's cookie gets `Secure` ([`EdgeConfig::cookie_secure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CookieSecure {
    /// Secure unless the request is plain HTTP from loopback.
    Auto,
    /// Always Secure.
    Always,
    /// Never Secure (plain HTTP on a private network).
    Never,
}

/// Parses a `--trusted-proxies` entry: a CIDR range, or one address.
pub fn parse_trusted_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{s:?} is not an address or a CIDR range such as 10.0.0.0/8"))
}

/// A configured URL that may carry a secret in its user info or its query string
/// (`https://user:pass@gw.example/sms?api_key=…`): it is printed (`Debug`, `Display`) as
/// [`redact_url`] shows it; [`UrlSetting::expose`] is for the one place that calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlSetting(String);

impl UrlSetting {
    /// The whole URL.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for UrlSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

impl std::fmt::Display for UrlSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl std::str::FromStr for UrlSetting {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<String> for UrlSetting {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for UrlSetting {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// A URL as it may be logged or stored: scheme, host, port and path, without user info, query
/// string or fragment (where secrets travel). Whatever does not parse as a URL is cut at the
/// first `?` or `#` and loses anything up to an `@`.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}{}",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default(),
                parsed.path()
            )
        }
        _ => {
            let cut = url.split(['?', '#']).next().unwrap_or_default();
            cut.rsplit_once('@')
                .map_or(cut, |(_, rest)| rest)
                .to_owned()
        }
    }
}

/// Abuse resistance: how per-IP limits group addresses, limits on the requests that create
/// something without any authentication, SMS-pumping detection, and the janitor that keeps
/// the database from growing without bound.
#[derive(Debug, Clone, Args)]
pub struct AbuseConfig {
    /// Per-IP limits count IPv4 callers by this prefix length (32: each address alone; 24 would
    /// lump a whole /24 together). An IPv4-mapped IPv6 address counts as IPv4.
    #[arg(long, env = "OTP_IP_PREFIX_V4", default_value_t = 32, value_parser = clap::value_parser!(u8).range(1..=32))]
    pub ip_prefix_v4: u8,
    /// Per-IP limits count IPv6 callers by this prefix length: 64, because one subscriber or
    /// host usually gets a whole /64 and can use any address in it.
    #[arg(long, env = "OTP_IP_PREFIX_V6", default_value_t = 64, value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ip_prefix_v6: u8,
    /// Sign-ups created (`POST /v1/client/sign_ups`) per IP prefix in any hour. A person makes
    /// one or two; 100 leaves room for an office or a household behind one NAT address.
    #[arg(long, env = "OTP_SIGN_UP_CREATES_PER_HOUR", default_value_t = 100)]
    pub sign_up_creates_per_hour: u32,
    /// Sign-ins created (`POST /v1/client/sign_ins`) per IP prefix in any hour. Higher than
    /// sign-ups (every device of every user signs in, a NATed office at the start of the day),
    /// yet far below the thousands an enumeration run needs.
    #[arg(long, env = "OTP_SIGN_IN_CREATES_PER_HOUR", default_value_t = 300)]
    pub sign_in_creates_per_hour: u32,
    /// New clients (devices, created by a first sign-up or sign-in) per IP prefix in any hour.
    #[arg(long, env = "OTP_CLIENT_CREATES_PER_HOUR", default_value_t = 300)]
    pub client_creates_per_hour: u32,
    /// SMS-pumping detection groups destination numbers by their country calling code and this
    /// many following digits (3: a US area code, a UK mobile range), which is how premium and
    /// leased number ranges are allocated.
    #[arg(long, env = "OTP_SMS_PUMPING_PREFIX_DIGITS", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=12))]
    pub sms_pumping_prefix_digits: u8,
    /// A destination prefix is judged once it received this many codes in the last hour: fewer
    /// say too little about its verification rate.
    #[arg(long, env = "OTP_SMS_PUMPING_MIN_SENDS", default_value_t = 20)]
    pub sms_pumping_min_sends: u32,
    /// A judged prefix whose codes were typed back less than this percentage of the time is
    /// blocked (people verify most codes they ask for; pumped numbers never do). 0 turns the
    /// detection off.
    #[arg(long, env = "OTP_SMS_PUMPING_MIN_VERIFY_PERCENT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub sms_pumping_min_verify_percent: u32,
    /// How long a blocked prefix receives no text message, in seconds.
    #[arg(long, env = "OTP_SMS_PUMPING_BLOCK_SECS", default_value_t = 3600)]
    pub sms_pumping_block_secs: u64,
    /// Text messages per destination prefix per hour, whatever its verification rate: the cap an
    /// attacker who also verifies some codes still meets long before the country or global cap.
    #[arg(long, env = "OTP_SMS_PREFIX_PER_HOUR", default_value_t = 100)]
    pub sms_prefix_per_hour: u32,
    /// How often each instance's janitor removes what is no longer needed, in seconds.
    #[arg(long, env = "OTP_JANITOR_INTERVAL_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub janitor_interval_secs: u64,
    /// Ended, revoked or expired sessions are kept this long (seconds) before the janitor
    /// removes them: 30 days of sign-in history for support and audits.
    #[arg(long, env = "OTP_ENDED_SESSION_RETENTION_SECS", default_value_t = 30 * 24 * 3600)]
    pub ended_session_retention_secs: u64,
    /// A client with no session and no sign-up or sign-in left, unchanged for this long
    /// (seconds), is removed: its token then names nothing, as if it had never been used.
    #[arg(long, env = "OTP_IDLE_CLIENT_RETENTION_SECS", default_value_t = 24 * 3600)]
    pub idle_client_retention_secs: u64,
    /// Delivered, failed or superseded outbox messages (their codes wiped already) are kept
    /// this long (seconds) for diagnosing delivery, then removed.
    #[arg(long, env = "OTP_OUTBOX_RETENTION_SECS", default_value_t = 7 * 24 * 3600)]
    pub outbox_retention_secs: u64,
}

impl AbuseConfig {
    /// The per-IP limit key of a caller's address ([`crate::rate_limit::ip_key`]).
    pub fn ip_key(&self, ip: std::net::IpAddr) -> String {
        crate::rate_limit::ip_key(ip, self.ip_prefix_v4, self.ip_prefix_v6)
    }

    /// The SMS-pumping rule.
    pub fn pumping_rule(&self) -> crate::rate_limit::PumpingRule {
        crate::rate_limit::PumpingRule {
            min_sends: self.sms_pumping_min_sends,
            min_verify_percent: self.sms_pumping_min_verify_percent,
        }
    }

    /// How long a blocked prefix stays blocked, in ms.
    pub fn pumping_block_ms(&self) -> i64 {
        ms(Duration::from_secs(self.sms_pumping_block_secs))
    }
}

/// What an unauthenticated caller may learn about who has an account, and the fixed-code
/// identifiers of reviewers and end-to-end tests.
#[derive(Debug, Clone, Args)]
pub struct ProtectionConfig {
    /// Answer a sign-in of an unknown identifier, and a sign-up of a taken one, exactly as the
    /// other case (status, shape, the database work it does), so nobody can find out whether an
    /// address or number has an account; the owner of a taken identifier is told that someone
    /// tried to sign up with it. On by default, as Clerk's `attack_protection`, because account
    /// enumeration is what credential stuffing and targeted phishing start with;
    /// `--enumeration-protection=false` restores Clerk's explicit `form_identifier_not_found`
    /// and `form_identifier_exists`.
    #[arg(long, env = "OTP_ENUMERATION_PROTECTION", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = true, num_args = 0..=1, default_missing_value = "true")]
    pub enumeration_protection: bool,
    /// Test identifiers: phone numbers `+1 XXX 555-0100` to `555-0199` and emails with the
    /// `+otp_test` subaddress (`jane+otp_test@example.com`) accept the fixed code `424242` and
    /// are never sent anything; attempts, limits and lock-outs still apply. For app-store
    /// reviewers and end-to-end tests; off by default since anyone who knows the rule can sign in
    /// as such an account (the server warns at start when it is on outside dev mode).
    #[arg(long, env = "OTP_TEST_IDENTIFIERS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub test_identifiers: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_the_configuration_shows_no_secret() {
        let mut config = Config::for_dev(std::path::PathBuf::from("/tmp/x"));
        config.hmac_key = Some("aGVsbG8tc2VjcmV0LWtleQ==".into());
        config.delivery.smtp_url = Some("smtp://user:hunter2@smtp.example:587".into());
        config.delivery.twilio_auth_token = Some("twilio-token-123".into());
        config.delivery.sms_webhook_secret = Some("webhook-secret-456".into());
        config.database_url = Some("postgres://otp:db-password-789@db.example/otp".into());
        let printed = format!("{config:?}");
        for secret in [
            "db-password-789",
            "aGVsbG8tc2VjcmV0LWtleQ==",
            "hunter2",
            "twilio-token-123",
            "webhook-secret-456",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn configured_urls_print_without_user_info_query_or_fragment() {
        for (url, shown) in [
            (
                "https://user:pass@gw.example:8443/sms/send?api_key=SECRET#x",
                "https://gw.example:8443/sms/send",
            ),
            (
                "http://127.0.0.1:9/hook?token=SECRET",
                "http://127.0.0.1:9/hook",
            ),
            (
                "smtp://me:SECRET@mail.example:587?tls=required",
                "smtp://mail.example:587",
            ),
            ("not a url?key=SECRET", "not a url"),
            ("weird:me:SECRET@host/x?k=SECRET", "host/x"),
        ] {
            assert_eq!(redact_url(url), shown);
            let setting = UrlSetting::from(url);
            assert!(
                !format!("{setting:?} {setting}").contains("SECRET"),
                "{url}"
            );
        }
        let mut config = Config::for_dev(std::path::PathBuf::from("/tmp/x"));
        config.delivery.sms_webhook_url = Some("https://u:SECRET@gw.example/sms?k=SECRET".into());
        config.delivery.twilio_base_url = "https://sid:SECRET@api.twilio.example".into();
        assert!(!format!("{config:?}").contains("SECRET"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert_eq!(
            parse_trusted_proxy("10.1.2.3/8").map(|n| n.to_string()),
            Ok("10.0.0.0/8".into())
        );
        assert_eq!(
            parse_trusted_proxy(" 192.0.2.7 ").map(|n| n.to_string()),
            Ok("192.0.2.7/32".into())
        );
        assert_eq!(
            parse_trusted_proxy("2001:db8::/32").map(|n| n.to_string()),
            Ok("2001:db8::/32".into())
        );
        for bad in ["", "10.0.0.0/33", "proxy.internal", "*"] {
            assert!(parse_trusted_proxy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frontend_paths_are_one_clean_prefix() {
        assert_eq!(parse_frontend_path("/__clerk/").as_deref(), Ok("/__clerk"));
        assert_eq!(parse_frontend_path("/api/auth").as_deref(), Ok("/api/auth"));
        for bad in ["/", "", "__clerk", "/a//b", "/a b"] {
            assert!(parse_frontend_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!(
            parse_origin("https://App.example/").as_deref(),
            Ok("https://app.example")
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        for bad in [
            "app.example",
            "ftp://app.example",
            "https://app.example/path",
            "*",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
