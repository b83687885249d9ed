//! This machine's SQLite commit rate with the server's settings (WAL, `synchronous=NORMAL`, one
//! `BEGIN IMMEDIATE` write transaction per commit), SQLite called directly on one thread as the
//! server's store calls it: the physical bound of one embedded-database server, since every flow
//! needs a few commits.

use std::path::Path;
use std::time::Duration;

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
        let start = crate::system::now();
        let mut commits = 0u64;
        while crate::system::elapsed(start) < duration {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.prepare_cached("INSERT INTO t (scope, at) VALUES (?, ?)")?
                .execute(rusqlite::params!["to:x", commits as i64])?;
            tx.commit()?;
            commits += 1;
        }
        Ok(commits as f64 / crate::system::elapsed(start).as_secs_f64())
    })
    .await?
}
