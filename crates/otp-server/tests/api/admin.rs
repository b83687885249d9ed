//! The operator's commands, run as the real binary against a running server's database (SQLite,
//! then PostgreSQL): `keys create|list|revoke`, `users list|show|ban|unban|delete`,
//! `sessions list|revoke`; what they do is what the running server then does.

use crate::helpers::*;
use otp_client::ErrorCode;
use otp_client::backend::{Backend, UserQuery};

/// Runs `otp-server <database options> <args>`: exit status, stdout, stderr.
fn otp_server(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let config = app.config();
    let database_url = config.database_url();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otp-server"))
        .env_clear()
        .args(["--database-url", &database_url])
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that must succeed; its stdout.
fn ok(app: &TestApp, args: &[&str]) -> String {
    let (success, stdout, stderr) = otp_server(app, args);
    assert!(success, "{args:?}: {stdout}{stderr}");
    stdout
}

async fn the_commands_change_what_the_server_does(app: TestApp) {
    // A key, printed once, that the Backend API takes.
    let created = ok(&app, &["keys", "create", "--name", "ci-runner"]);
    let key = created
        .lines()
        .find(|l| l.starts_with("sk_live_"))
        .unwrap_or_else(|| panic!("the key is printed: {created}"));
    let backend = Backend::new(app.backend_url(), key);
    assert!(backend.users(&UserQuery::default()).await.is_ok());
    let listed = ok(&app, &["keys", "list"]);
    assert!(
        listed.contains("ci-runner") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(key),
        "the key itself is never listed again"
    );

    let device = app.client();
    let id = app
        .sign_up(&device, PHONE)
        .await
        .created_user_id
        .expect("a user");
    let listed = ok(&app, &["users", "list", "--query", "555-0143"]);
    assert!(listed.contains(&id) && listed.contains(PHONE), "{listed}");
    assert!(listed.contains("1 of 1 user(s)"), "{listed}");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&app, &["users", "show", &id])).expect("JSON");
    assert_eq!(shown["phone_numbers"][0]["phone_number"], PHONE);

    assert!(ok(&app, &["users", "ban", &id]).contains("BANNED"));
    assert_eq!(
        code_of(device.session_token().await).code,
        ErrorCode::AuthenticationInvalid
    );
    assert!(backend.user(&id).await.expect("user").user.banned);
    ok(&app, &["users", "unban", &id]);
    assert!(!backend.user(&id).await.expect("user").user.banned);
    let sessions = ok(&app, &["sessions", "list", "--user", &id]);
    assert!(
        sessions.contains("Revoked") && sessions.contains("1 session(s)"),
        "{sessions}"
    );

    ok(&app, &["users", "delete", &id]);
    let (success, _, stderr) = otp_server(&app, &["users", "show", &id]);
    assert!(!success);
    assert!(stderr.contains("no user has the id"), "{stderr}");
    let (success, _, stderr) = otp_server(&app, &["sessions", "revoke", "sess_nobody"]);
    assert!(!success && stderr.contains("no session"), "{stderr}");

    // The signing keys: a rotation that revokes the older key.
    let listed = ok(&app, &["signing-keys", "list"]);
    assert!(
        listed.starts_with("1  EdDSA") && listed.contains("published"),
        "{listed}"
    );
    let rotated = ok(&app, &["signing-keys", "rotate", "--revoke-previous"]);
    assert!(rotated.contains("Signing key 2"), "{rotated}");
    let listed = ok(&app, &["signing-keys", "list"]);
    assert!(
        listed.contains("1  EdDSA") && listed.contains("revoked"),
        "{listed}"
    );

    ok(&app, &["keys", "revoke", "ci-runner"]);
    assert_eq!(
        code_of(backend.users(&UserQuery::default()).await).code,
        ErrorCode::ClerkKeyInvalid
    );
    assert!(ok(&app, &["keys", "list"]).contains("revoked"));
    let (success, _, stderr) = otp_server(&app, &["keys", "revoke", "ci-runner"]);
    assert!(
        !success && stderr.contains("no active secret key"),
        "{stderr}"
    );
}

#[tokio::test]
async fn operator_commands_on_sqlite() {
    the_commands_change_what_the_server_does(spawn_app().await).await;
}

#[tokio::test]
async fn operator_commands_on_postgres() {
    let db = PgDb::create().await;
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    the_commands_change_what_the_server_does(spawn_instance(&db.url, &clock, |_| {}).await).await;
}

/// On a new machine `keys create` may come before the server ever ran: it makes the data
/// directory and the database, as the server would.
#[test]
fn the_first_command_on_a_new_machine_makes_the_data_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("not-yet");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otp-server"))
        .env_clear()
        .arg("--data-dir")
        .arg(&data)
        .args(["keys", "create", "--name", "first"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l.starts_with("sk_live_")),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("otp.db").exists());
}
