//! The web build in a real Chromium: `dx build --platform web --release` against a real
//! `otp-server` on loopback (browser mode, the page's origin allowed), served as a static site
//! the way `dx serve` does (deep links fall back to `index.html`), driven by
//! `tests/web/app.e2e.mjs` through playwright-core. Screenshots: `target/screenshots/web-*.png`.

use crate::helpers::*;
use otp_client::{Client, ErrorCode, Strategy};
use std::path::{Path, PathBuf};
use std::process::Command;
use tower_http::services::{ServeDir, ServeFile};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[tokio::test(flavor = "multi_thread")]
async fn the_web_app_signs_up_keeps_the_session_across_a_reload_and_signs_in_by_email() {
    let tools = Path::new(ROOT).join("tools/node_modules");
    assert!(
        tools.join("playwright-core").exists() && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs Chromium and the npm tools: run scripts/setup.sh test"
    );

    let _alone = one_ui_at_a_time().await;
    // The page's origin first: the backend must allow it.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app_url = format!("http://{}", site.local_addr().expect("addr"));
    let origin = app_url.clone();
    let server = spawn_server_with(move |c| {
        c.allowed_origins = vec![origin];
        // Clerk's explicit codes, so that a sign-in create below tells whether the page's
        // account exists (with enumeration protection every identifier looks known).
        c.protection.enumeration_protection = false;
        // The email's sign-up (below) and its sign-in on the page may be seconds apart when
        // the web build is cached: no 30-second wait between their codes.
        c.policy.send_interval_secs = 0;
    })
    .await;

    // A user who signed up by email elsewhere (on a native client), to sign in as on the web.
    let native = Client::new(&server.base_url);
    native
        .sign_up()
        .create_email(EMAIL)
        .await
        .expect("email sign-up");
    native
        .sign_up()
        .prepare_verification(Strategy::EmailCode)
        .await
        .expect("prepare");
    let code = server.code_for(EMAIL).await;
    native
        .sign_up()
        .attempt_verification(Strategy::EmailCode, &code)
        .await
        .expect("attempt");

    let public = {
        let api = server.base_url.clone();
        tokio::task::spawn_blocking(move || build_web(&api))
            .await
            .expect("build task")
    };
    // The build is served twice: from the allowed origin, and from another one.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let other_url = format!("http://{}", other.local_addr().expect("addr"));
    for listener in [site, other] {
        let index = ServeFile::new(public.join("index.html"));
        let router = axum::Router::new().fallback_service(ServeDir::new(&public).fallback(index));
        tokio::spawn(async move { axum::serve(listener, router).await });
    }

    let shots = Path::new(ROOT).join("target/screenshots");
    let api = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(Path::new(ROOT).join("tests/web/app.e2e.mjs"))
            .env("APP_URL", &app_url)
            .env("OTHER_URL", &other_url)
            .env("API_URL", &api)
            .env("PHONE", PHONE)
            .env("EMAIL", EMAIL)
            .env("SHOTS", &shots)
            .output()
            .expect("node runs")
    })
    .await
    .expect("browser task");
    assert!(
        out.status.success(),
        "the browser run failed (screenshots in target/screenshots/web-*.png):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The account the page created is in the backend: a sign-in for it finds it.
    let sign_in = Client::new(&server.base_url).sign_in().create(PHONE).await;
    assert!(
        sign_in.is_ok(),
        "the web sign-up left no user: {:?}",
        sign_in.err().and_then(|e| e.code().cloned())
    );
    let unknown = Client::new(&server.base_url)
        .sign_in()
        .create("+12025550111")
        .await;
    assert_eq!(
        unknown.err().and_then(|e| e.code().cloned()),
        Some(ErrorCode::FormIdentifierNotFound)
    );
}

/// Builds the web app for a backend at `api`, as a developer would with `dx`, and returns the
/// folder to serve.
fn build_web(api: &str) -> PathBuf {
    let tools_bin = Path::new(ROOT).join("tools/node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    let out = Command::new("dx")
        .args(["build", "--platform", "web", "--release"])
        .current_dir(ROOT)
        .env("OTP_API_URL", api)
        // dx uses esbuild and wasm-opt from PATH instead of downloading them.
        .env("NO_DOWNLOADS", "1")
        .env("PATH", format!("{}:{path}", tools_bin.display()))
        .output()
        .expect("dx runs (scripts/setup.sh test installs it)");
    assert!(
        out.status.success(),
        "dx build failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let public = Path::new(ROOT).join("target/dx/otp-app/release/web/public");
    assert!(
        public.join("index.html").exists(),
        "no index.html in {}",
        public.display()
    );
    public
}
