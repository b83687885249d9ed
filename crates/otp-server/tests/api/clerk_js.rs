//! Clerk compatibility, proven with a client nobody on the team wrote: `examples/clerk-js` (Clerk's
//! vanilla-JS OTP flow on the real `@clerk/clerk-js`, pinned in its package-lock.json) in headless
//! Chromium against this server, on SQLite and on PostgreSQL. The page is served from its own
//! origin; clerk-js reaches the API through `proxyUrl` under `--frontend-path /__clerk`, with the
//! client in the HttpOnly cookie. The browser halves are `tests/browser/clerk-js.e2e.mjs` (sign-up
//! and sign-in) and `tests/browser/clerk-js-account.e2e.mjs` (the account's `/v1/me` API).

use crate::helpers::*;
use otp_client::Client;
use otp_server::{Clock, ManualClock, SystemClock};
use std::path::{Path, PathBuf};
use std::process::Command;
use tower_http::services::ServeDir;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_signs_up_and_in_on_sqlite() {
    clerk_js_signs_up_and_in(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_signs_up_and_in_on_postgres() {
    let db = PgDb::create().await;
    clerk_js_signs_up_and_in(Some(&db.url)).await;
}

/// One browser run at a time: each takes a core for Chromium.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn clerk_js_signs_up_and_in(database_url: Option<&str>) {
    let _alone = ONE_BROWSER.lock().await;
    let site = serve_example(database_url).await;
    let seen = run_browser(&site, "clerk-js.e2e.mjs", "clerk-*.png").await;

    // The users clerk-js reported are the ones in our database: a native sign-in finds them.
    for (identifier, key) in [(PHONE, "phoneUser"), (EMAIL, "emailUser")] {
        let device = site.app.client();
        let user_id = signed_in_user(&site.app, &device, identifier).await;
        assert_eq!(Some(user_id.as_str()), seen[key].as_str(), "{identifier}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_manages_the_account_on_sqlite() {
    clerk_js_manages_the_account(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_manages_the_account_on_postgres() {
    let db = PgDb::create().await;
    clerk_js_manages_the_account(Some(&db.url)).await;
}

/// clerk-js's account API on three cookie jars (`tests/browser/clerk-js-account.e2e.mjs`): a
/// phone user adds and verifies an email address, signs in with it elsewhere, revokes that
/// session, then deletes the account; the phone signs up again as a new user.
async fn clerk_js_manages_the_account(database_url: Option<&str>) {
    let _alone = ONE_BROWSER.lock().await;
    let site = serve_example(database_url).await;
    let seen = run_browser(&site, "clerk-js-account.e2e.mjs", "clerk-account-*.png").await;

    // In our database: the phone signs in as the new user, who has none of the deleted user's
    // email addresses.
    let (deleted, new) = (seen["deletedUser"].as_str(), seen["newUser"].as_str());
    assert!(
        deleted.is_some() && new.is_some() && deleted != new,
        "{seen}"
    );
    let device = site.app.client();
    let user_id = signed_in_user(&site.app, &device, PHONE).await;
    assert_eq!(Some(user_id.as_str()), new);
    let me = device.me().await.expect("me");
    assert!(
        me.email_addresses.is_empty(),
        "the deleted user's email went with it: {me:?}"
    );
}

/// A dev-mode server for clerk-js, and `examples/clerk-js` built for it and served from its own
/// origin (which the server allows); clerk-js reaches the API through `proxyUrl` under
/// `--frontend-path /__clerk`.
struct ExampleSite {
    app: TestApp,
    app_url: String,
    _bundle: tempfile::TempDir,
}

async fn serve_example(database_url: Option<&str>) -> ExampleSite {
    let root = Path::new(ROOT);
    assert!(
        root.join("tools/node_modules/playwright-core").exists()
            && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs Chromium and the npm tools: run scripts/setup.sh test"
    );

    // The page's origin first: the server must allow it.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app_url = format!("http://{}", site.local_addr().expect("addr"));
    // The browser's clock runs: the server's starts at the real time (JWT iat/exp are checked).
    let clock = ManualClock::new(SystemClock.now_ms());
    let origin = app_url.clone();
    let configure = move |c: &mut otp_server::Config| {
        c.allowed_origins = vec![origin];
        c.frontend_path = Some("/__clerk".into());
        // The flows send several codes to the same phone or email within seconds.
        c.policy.send_interval_secs = 0;
    };
    let app = match database_url {
        Some(url) => spawn_instance(url, &clock, configure).await,
        None => spawn_instance(&sqlite_url(), &clock, configure).await,
    };

    let bundle = tempfile::tempdir().expect("dir");
    let built = Command::new("bash")
        .arg(root.join("examples/clerk-js/build.sh"))
        .arg(format!("{}/__clerk", app.base_url))
        .arg(bundle.path())
        .output()
        .expect("bash runs");
    assert!(
        built.status.success(),
        "examples/clerk-js/build.sh failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let served: PathBuf = bundle.path().to_path_buf();
    tokio::spawn(async move {
        axum::serve(
            site,
            axum::Router::new().fallback_service(ServeDir::new(served)),
        )
        .await
    });
    ExampleSite {
        app,
        app_url,
        _bundle: bundle,
    }
}

/// Runs `tests/browser/<script>` in node against `site`, with screenshots in
/// `target/screenshots`; the JSON summary it prints last.
async fn run_browser(site: &ExampleSite, script: &str, shots_glob: &str) -> serde_json::Value {
    let (app_url, api) = (site.app_url.clone(), site.app.base_url.clone());
    let shots = Path::new(ROOT).join("target/screenshots");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("APP_URL", &app_url)
            .env("API_URL", &api)
            .env("PHONE", PHONE)
            .env("EMAIL", EMAIL)
            .env("SHOTS", &shots)
            .output()
            .expect("node runs")
    })
    .await
    .expect("browser task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the clerk-js run failed (screenshots in target/screenshots/{shots_glob}):\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("JSON summary")
}

/// Signs `identifier` in on `device` (native) and returns its user id.
async fn signed_in_user(app: &TestApp, device: &Client, identifier: &str) -> String {
    let prepared = app.start_sign_in(device, identifier).await;
    let strategy = prepared
        .first_factor_verification
        .and_then(|v| v.strategy)
        .expect("a prepared factor");
    let code = app.code_for(identifier).await;
    let done = device
        .sign_in()
        .attempt_first_factor(strategy, &code)
        .await
        .expect("attempt");
    let session = device
        .set_active(done.created_session_id.as_deref().expect("session"))
        .await
        .expect("active");
    session.user.id
}

fn sqlite_url() -> String {
    let dir = tempfile::tempdir().expect("dir").keep();
    format!("sqlite://{}", dir.join("otp.db").display())
}

// What clerk-js relies on, one request at a time.

#[tokio::test]
async fn the_environment_describes_the_instance_as_configured() {
    let app = spawn_app().await;
    let env: serde_json::Value = reqwest::get(format!("{}/v1/environment", app.base_url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let auth = &env["auth_config"];
    assert_eq!(
        auth["first_factors"],
        serde_json::json!(["email_code", "phone_code"])
    );
    assert_eq!(auth["password"], "off");
    assert_eq!(env["user_settings"]["sign_up"]["captcha_enabled"], false);
    assert_eq!(
        env["user_settings"]["attributes"]["phone_number"]["verifications"][0],
        "phone_code"
    );
    // clerk-js with a pk_test_ key sends it as a tunnelled PATCH: the same answer.
    let patched: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/environment?_method=PATCH", app.base_url))
        .send()
        .await
        .expect("patch")
        .json()
        .await
        .expect("json");
    assert_eq!(patched, env);
}

#[tokio::test]
async fn a_tunnelled_delete_signs_out_and_answers_with_the_client() {
    let app = spawn_app().await;
    let device = app.client();
    app.sign_up(&device, PHONE).await;
    let token = device.token().expect("token");
    let res = reqwest::Client::new()
        .post(format!(
            "{}/v1/client/sessions?_method=DELETE&_clerk_js_version=6.40.0",
            app.base_url
        ))
        .header("authorization", token)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["response"]["object"], "client");
    assert_eq!(body["response"]["sessions"], serde_json::json!([]));
    assert_eq!(body["client"]["id"], body["response"]["id"]);
}

#[tokio::test]
async fn the_api_is_also_served_under_the_frontend_path() {
    let app = spawn_app_with(|c| c.frontend_path = Some("/__clerk".into())).await;
    let device = Client::new(format!("{}/__clerk", app.base_url));
    device
        .sign_up()
        .create_phone(PHONE)
        .await
        .expect("under the prefix");
    let res = reqwest::get(format!("{}/v1/environment", app.base_url))
        .await
        .expect("get");
    assert_eq!(res.status(), 200, "and still at the root");
}
