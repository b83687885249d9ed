//! `otp-load seed`: fills a server's database (its schema already made by the server) with a
//! large, plausible past, so that a load run measures what a grown service does rather than an
//! empty one. Per user: one verified email, two devices (clients) with an active session each.
//! Over the last week: one sent message per user in the delivery log (`outbox`, kept a week),
//! the last hour of those also in the send limiter's window (`send_events`, which the janitor
//! trims to an hour). Every date is inside the server's retention windows, so the janitor finds
//! nothing to remove and the run measures the flows, not a sweep.
//!
//! Rows are made here from a seeded generator (ids random-looking, as the server's are, so the
//! indexes grow as in production) and written in bulk: SQLite through prepared inserts in large
//! transactions, PostgreSQL through `COPY … FROM STDIN`.

use anyhow::Context;
use std::fmt::Write as _;

/// What to seed.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedConfig {
    /// The server's database (`sqlite://PATH` or `postgres://…`), migrated by the server once.
    #[arg(long)]
    pub database_url: String,
    /// Users, each with one verified email.
    #[arg(long, default_value_t = 1_000_000)]
    pub users: u64,
    /// Active sessions per user, each on a device (client) of its own.
    #[arg(long, default_value_t = 2)]
    pub sessions_per_user: u64,
    /// Messages sent over the last week (the delivery log); the last hour's also count in the
    /// send limiter's window.
    #[arg(long, default_value_t = 1_000_000)]
    pub week_sends: u64,
    /// Seed of the row generator (the same seed makes the same rows).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// How many rows went in.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Seeded {
    pub users: u64,
    pub sessions: u64,
    pub messages: u64,
    pub send_events: u64,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// One column's value.
enum Value {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A table's rows, written in one bulk operation.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Value>>,
}

/// Seeds the database at `config.database_url` as of `now` (ms since the epoch).
pub async fn seed(config: &SeedConfig, now: i64) -> anyhow::Result<Seeded> {
    let url = config.database_url.as_str();
    let mut sink = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Sink::Postgres(
            <sqlx::PgConnection as sqlx::Connection>::connect(url)
                .await
                .context("connecting to PostgreSQL")?,
        )
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .context("--database-url must start with sqlite: or postgres://")?;
        let path = path.split('?').next().unwrap_or(path);
        Sink::Sqlite(open_sqlite(path)?)
    };
    let mut rng = Rng(config.seed);
    let mut seeded = Seeded::default();
    // Users in chunks, so memory stays small whatever the count.
    const CHUNK: u64 = 50_000;
    let mut first = 0;
    while first < config.users {
        let last = (first + CHUNK).min(config.users);
        for table in users_chunk(&mut rng, config, first..last, now) {
            sink.write(table).await?;
        }
        seeded.users += last - first;
        seeded.sessions += (last - first) * config.sessions_per_user;
        first = last;
    }
    let mut first = 0;
    while first < config.week_sends {
        let last = (first + CHUNK).min(config.week_sends);
        let (messages, events) = sends_chunk(&mut rng, config, first..last, now);
        seeded.messages += messages.rows.len() as u64;
        seeded.send_events += events.rows.len() as u64;
        sink.write(messages).await?;
        sink.write(events).await?;
        first = last;
    }
    sink.finish().await?;
    Ok(seeded)
}

/// Users `range`, with their emails, clients and sessions.
fn users_chunk(
    rng: &mut Rng,
    config: &SeedConfig,
    range: std::ops::Range<u64>,
    now: i64,
) -> [Table; 4] {
    let mut users = Table::new(
        "users",
        &[
            "id",
            "last_sign_in_at",
            "created_at",
            "updated_at",
            "primary_email_id",
        ],
    );
    let mut emails = Table::new(
        "user_identifiers",
        &[
            "id",
            "user_id",
            "kind",
            "value",
            "canonical",
            "verified_strategy",
            "created_at",
            "updated_at",
        ],
    );
    let mut clients = Table::new(
        "clients",
        &[
            "id",
            "token_hash",
            "last_active_session_id",
            "created_at",
            "updated_at",
        ],
    );
    let mut sessions = Table::new(
        "sessions",
        &[
            "id",
            "client_id",
            "user_id",
            "status",
            "last_active_at",
            "abandon_at",
            "created_at",
            "updated_at",
            "verified_at",
        ],
    );
    for n in range {
        let user_id = rng.id("user");
        let email_id = rng.id("idn");
        let created = now - 30 * DAY_MS - rng.below(335 * DAY_MS);
        let email = seed_email(config.seed, n);
        let mut last_sign_in = created;
        for _ in 0..config.sessions_per_user {
            let (session_id, client_id) = (rng.id("sess"), rng.id("client"));
            // Inside the session lifetime (30 days) and idle limit (7 days).
            let started = now - rng.below(29 * DAY_MS);
            let active = (now - rng.below(6 * DAY_MS)).max(started);
            last_sign_in = last_sign_in.max(started);
            clients.rows.push(vec![
                Value::Text(client_id.clone()),
                Value::Bytes(rng.bytes32().to_vec()),
                Value::Text(session_id.clone()),
                Value::Int(started),
                Value::Int(active),
            ]);
            sessions.rows.push(vec![
                Value::Text(session_id),
                Value::Text(client_id),
                Value::Text(user_id.clone()),
                Value::Text("active".into()),
                Value::Int(active),
                Value::Int(started + 30 * DAY_MS),
                Value::Int(started),
                Value::Int(active),
                Value::Int(started),
            ]);
        }
        users.rows.push(vec![
            Value::Text(user_id.clone()),
            Value::Int(last_sign_in),
            Value::Int(created),
            Value::Int(last_sign_in),
            Value::Text(email_id.clone()),
        ]);
        emails.rows.push(vec![
            Value::Text(email_id),
            Value::Text(user_id),
            Value::Text("email".into()),
            Value::Text(email.clone()),
            Value::Text(email),
            Value::Text("email_code".into()),
            Value::Int(created),
            Value::Int(created),
        ]);
    }
    [users, emails, clients, sessions]
}

/// Sends `range` of the week: delivered messages (their codes wiped, as after delivery), and
/// for those of the last hour the limiter's events (per address and per caller IP).
fn sends_chunk(
    rng: &mut Rng,
    config: &SeedConfig,
    range: std::ops::Range<u64>,
    now: i64,
) -> (Table, Table) {
    let mut messages = Table::new(
        "outbox",
        &[
            "owner_id",
            "channel",
            "recipient",
            "status",
            "attempts",
            "next_attempt_at",
            "deadline_at",
            "created_at",
            "finished_at",
        ],
    );
    let mut events = Table::new("send_events", &["scope", "at"]);
    let users = config.users.max(1);
    let week = 7 * DAY_MS - HOUR_MS;
    for n in range {
        // Spread evenly over the week, newest last.
        let at = now - week + (n as i64) * week / (config.week_sends.max(1) as i64);
        let email = seed_email(config.seed, rng.below(users as i64) as u64);
        messages.rows.push(vec![
            Value::Text(rng.id("sua")),
            Value::Text("email".into()),
            Value::Text(email.clone()),
            Value::Text("sent".into()),
            Value::Int(1),
            Value::Int(at),
            Value::Int(at + 10 * 60_000),
            Value::Int(at),
            Value::Int(at + 500),
        ]);
        if at > now - HOUR_MS {
            let ip = format!(
                "ip:10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            );
            events
                .rows
                .push(vec![Value::Text(format!("id:{email}")), Value::Int(at)]);
            events.rows.push(vec![Value::Text(ip), Value::Int(at)]);
        }
    }
    (messages, events)
}

/// The email of seeded user `n` (lower case: its own canonical key).
fn seed_email(seed: u64, n: u64) -> String {
    format!("seed{seed}-{n}@seed.test")
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            name,
            columns,
            rows: Vec::new(),
        }
    }
}

/// Where the rows go.
enum Sink {
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::PgConnection),
}

fn open_sqlite(path: &str) -> anyhow::Result<rusqlite::Connection> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .with_context(|| format!("opening {path} (start the server on it once to make it)"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Seeding is rebuilt if lost: no sync until the final checkpoint; a large page cache.
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -1_048_576)?;
    Ok(conn)
}

impl Sink {
    async fn write(&mut self, table: Table) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(conn) => write_sqlite(conn, &table),
            Self::Postgres(conn) => write_postgres(conn, &table).await,
        }
        .with_context(|| format!("seeding {}", table.name))
    }

    async fn finish(self) -> anyhow::Result<()> {
        match self {
            // No ANALYZE on SQLite: the server never runs it, and its planner's choices with
            // statistics differ from those without (a claim query then scanned the outbox).
            Self::Sqlite(conn) => {
                conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
            }
            // PostgreSQL's autovacuum analyzes a table this size on its own, soon after.
            Self::Postgres(mut conn) => {
                sqlx::query("ANALYZE").execute(&mut conn).await?;
            }
        }
        Ok(())
    }
}

fn write_sqlite(conn: &mut rusqlite::Connection, table: &Table) -> anyhow::Result<()> {
    let placeholders = vec!["?"; table.columns.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({placeholders})",
        table.name,
        table.columns.join(", ")
    );
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(&sql)?;
        for row in &table.rows {
            let values = row.iter().map(|v| match v {
                Value::Int(i) => rusqlite::types::Value::Integer(*i),
                Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                Value::Bytes(b) => rusqlite::types::Value::Blob(b.clone()),
            });
            insert.execute(rusqlite::params_from_iter(values))?;
        }
    }
    tx.commit()?;
    Ok(())
}

async fn write_postgres(conn: &mut sqlx::PgConnection, table: &Table) -> anyhow::Result<()> {
    // COPY's text format: tab-separated, bytea as `\\x…` (the backslash doubled).
    let mut text = String::with_capacity(table.rows.len() * 128);
    for row in &table.rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            match value {
                Value::Int(n) => write!(text, "{n}")?,
                Value::Text(s) => text.push_str(s),
                Value::Bytes(b) => {
                    text.push_str("\\\\x");
                    for byte in b {
                        write!(text, "{byte:02x}")?;
                    }
                }
            }
        }
        text.push('\n');
    }
    let statement = format!(
        "COPY {} ({}) FROM STDIN",
        table.name,
        table.columns.join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    copy.send(text.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// splitmix64: fast, seeded, and good enough to scatter ids over the indexes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n) (n > 0), close enough for dates and picks.
    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n.max(1) as u64) as i64
    }

    fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }

    /// An id in the server's shape: a prefix and 24 base62 characters.
    fn id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8; 62] =
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut id = String::with_capacity(prefix.len() + 25);
        id.push_str(prefix);
        id.push('_');
        // 8 characters per draw: 62^8 < 2^64.
        for _ in 0..3 {
            let mut x = self.next();
            for _ in 0..8 {
                id.push(ALPHABET[(x % 62) as usize] as char);
                x /= 62;
            }
        }
        id
    }
}
