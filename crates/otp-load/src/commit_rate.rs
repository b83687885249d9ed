//! This machine's SQLite commit rate with the server's settings (WAL, `synchronous=NORMAL`, one
//! `BEGIN IMMEDIATE` write transaction per commit): the physical bound of one embedded-database
//! server, since every flow needs a few commits.

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::path::Path;
use std::time::{Duration, Instant};

/// Small write transactions per second, measured for `duration` on a database in `dir`.
pub async fn measure(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("commit-rate.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, at INTEGER NOT NULL)")
        .execute(&mut conn)
        .await?;
    let start = Instant::now();
    let mut commits = 0u64;
    while start.elapsed() < duration {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO t (scope, at) VALUES (?, ?)")
            .bind("to:x")
            .bind(commits as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        commits += 1;
    }
    Ok(commits as f64 / start.elapsed().as_secs_f64())
}
