//! What differs per platform behind one call: sleeping (native and wasm), and the SDK client with
//! the platform's TLS (chosen in Cargo.toml). The time of day comes from a
//! [`Clock`](crate::clock::Clock).

use std::time::Duration;

/// Waits for `d` without blocking the UI.
pub async fn sleep(d: Duration) {
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(d).await;
    #[cfg(target_arch = "wasm32")]
    gloo_timers::future::sleep(d).await;
}

/// The SDK client for `base_url`, with this platform's TLS (chosen in Cargo.toml): rustls
/// (aws-lc-rs, the OS's roots) on Linux and Windows, Security.framework on macOS and iOS, the
/// browser's fetch on the web, and on Android rustls with the pure-Rust graviola provider and
/// Mozilla's roots.
pub fn sdk_client(base_url: &str) -> otp_client::Client {
    #[cfg(target_os = "android")]
    if let Some(http) = android_http() {
        return otp_client::Client::with_http(base_url, http);
    }
    otp_client::Client::new(base_url)
}

#[cfg(target_os = "android")]
fn android_http() -> Option<reqwest::Client> {
    let provider = std::sync::Arc::new(rustls_graviola::default_provider());
    // Also the process default, so that any other TLS user in the app finds a provider.
    let _ = rustls::crypto::CryptoProvider::install_default((*provider).clone());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .ok()
}
