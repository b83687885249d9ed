//! Time and sleeping, the same on native and wasm targets.

use std::time::Duration;

/// Now, in ms since the Unix epoch (`web-time` reads `Date.now()` on wasm).
#[allow(clippy::disallowed_methods)] // the app's one wall-clock read
pub fn now_ms() -> i64 {
    let since_epoch = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// Waits for `d` without blocking the UI.
pub async fn sleep(d: Duration) {
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(d).await;
    #[cfg(target_arch = "wasm32")]
    gloo_timers::future::sleep(d).await;
}
