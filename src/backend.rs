//! Which OTP backend the app talks to: `OTP_API_URL` (at run time on desktop, at build time on
//! every platform); otherwise, with the `dev-backend` feature (on by default, desktop only), an
//! `otp-server` embedded in dev mode, with its database in the platform's data directory, so the
//! app works with no setup. A debug build without it (mobile, the web, the production desktop
//! build while it is developed) and without `OTP_API_URL` falls back to [`DEFAULT_URL`], and
//! says so in the log and a banner; a release build without a backend talks to none (what a user
//! types must not go over plain HTTP to whatever listens on a local port) and says so.

/// The backend, as the screens see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    /// Base URL of the backend.
    pub url: String,
    /// Whether it is the dev server embedded in this process (the dev banner shows codes).
    pub embedded: bool,
    /// Why the embedded server could not start, if it could not.
    pub error: Option<String>,
    /// No backend was configured: `url` is [`DEFAULT_URL`], which works only with an
    /// `otp-server --dev` on this machine (a banner says so).
    pub fallback: bool,
}

/// The URL of a separately run `otp-server --dev`.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8787";

/// Where a release build with no backend configured sends nothing (`.invalid` never resolves).
pub const UNCONFIGURED_URL: &str = "http://no-backend-configured.invalid";

/// Chooses (and with `dev-backend`, starts) the backend, and logs which one.
pub fn start() -> Backend {
    let configured = std::env::var("OTP_API_URL")
        .ok()
        .or_else(|| option_env!("OTP_API_URL").map(str::to_owned));
    if let Some(url) = configured.filter(|u| !u.trim().is_empty()) {
        let url = url.trim().trim_end_matches('/').to_owned();
        tracing::info!("backend: {url} (OTP_API_URL)");
        return Backend {
            url,
            embedded: false,
            error: None,
            fallback: false,
        };
    }
    #[cfg(all(feature = "dev-backend", feature = "desktop"))]
    {
        let backend = embedded::start();
        match &backend.error {
            None => tracing::info!("backend: the embedded dev server at {}", backend.url),
            Some(e) => tracing::error!("backend: the embedded dev server could not start: {e}"),
        }
        backend
    }
    #[cfg(not(all(feature = "dev-backend", feature = "desktop")))]
    {
        let url = if cfg!(debug_assertions) {
            DEFAULT_URL
        } else {
            UNCONFIGURED_URL
        };
        tracing::warn!(
            "backend: none configured (OTP_API_URL is unset at run time and was at build time), \
             so the app talks to {url}"
        );
        Backend {
            url: url.to_owned(),
            embedded: false,
            error: None,
            fallback: true,
        }
    }
}

#[cfg(all(feature = "dev-backend", feature = "desktop"))]
mod embedded {
    use super::{Backend, DEFAULT_URL};
    use std::sync::Arc;

    /// Starts a dev-mode `otp-server` on a free loopback port, on its own thread and runtime.
    pub fn start() -> Backend {
        let data_dir = dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("otp-app")
            .join("dev-server");
        let (tx, rx) = std::sync::mpsc::channel::<Result<String, String>>();
        let spawned = std::thread::Builder::new()
            .name("otp-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(format!(
                            "cannot start the embedded server's runtime: {e}"
                        )));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let config = otp_server::Config::for_dev(data_dir);
                    match otp_server::Application::build(config, Arc::new(otp_server::SystemClock))
                        .await
                    {
                        Ok(app) => {
                            let url = app
                                .local_addr()
                                .map(|a| format!("http://{a}"))
                                .map_err(|e| e.to_string());
                            let _ = tx.send(url);
                            let _ = app.run_until(std::future::pending()).await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(format!("{e:#}")));
                        }
                    }
                });
            });
        let result = match spawned {
            Ok(_) => rx
                .recv()
                .unwrap_or_else(|_| Err("the embedded server stopped while starting".into())),
            Err(e) => Err(format!("cannot start the embedded server's thread: {e}")),
        };
        match result {
            Ok(url) => Backend {
                url,
                embedded: true,
                error: None,
                fallback: false,
            },
            Err(error) => Backend {
                url: DEFAULT_URL.to_owned(),
                embedded: true,
                error: Some(error),
                fallback: false,
            },
        }
    }
}
