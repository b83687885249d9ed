//! This machine's SQLite commit rate with the server's settings (WAL, `synchronous=NORMAL`, one
//! `BEGIN IMMEDIATE` write transaction per commit): the physical bound of one embedded-database
//! server, since every flow needs a few commits. Measured twice: [`measure`] calls SQLite
//! directly on one thread (rusqlite: the bound itself), [`measure_through_sqlx`] goes through
//! sqlx as the server's store does today, where every statement is a round trip to the
//! connection's worker thread; the gap between the two is that design's cost.

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::path::Path;
use std::time::{Duration, Instant};

/// Small write transactions per second, SQLite called directly on one blocking thread, measured
/// for `duration` on a database in `dir`.
pub async fn measure(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = dir.join("commit-rate-direct.db");
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let mut conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, at INTEGER NOT NULL)",
            [],
        )?;
        let start = Instant::now();
        let mut commits = 0u64;
        while start.elapsed() < duration {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.prepare_cached("INSERT INTO t (scope, at) VALUES (?, ?)")?
                .execute(rusqlite::params!["to:x", commits as i64])?;
            tx.commit()?;
            commits += 1;
        }
        Ok(commits as f64 / start.elapsed().as_secs_f64())
    })
    .await?
}

/// The same transactions through sqlx, as the server's SQLite store runs them.
pub async fn measure_through_sqlx(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
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
