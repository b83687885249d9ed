//! Starting the server: first start on a new machine, refusing to run without a way to deliver
//! codes, and how the binary says why it stops.

use crate::helpers::*;
use std::sync::Arc;

#[tokio::test]
async fn the_first_start_creates_its_data_directory() {
    let app = spawn_app_with(|c| c.data_dir = c.data_dir.join("not/yet/there")).await;
    let device = app.client();
    assert!(device.load().await.expect("server answers").is_none());
    app.sign_up(&device, PHONE).await;
}

#[tokio::test]
async fn outside_dev_mode_without_a_delivery_provider_the_server_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = otp_server::Config::for_dev(dir.path().to_path_buf());
    config.dev = false;
    let err = otp_server::Application::build(config, Arc::new(otp_server::SystemClock))
        .await
        .err()
        .expect("refuses to start");
    assert!(err.to_string().contains("no delivery provider"), "{err}");
}

#[tokio::test]
async fn the_dev_outbox_exists_only_in_dev_mode() {
    let served = |dev: bool| {
        otp_server::routes::routes(dev)
            .into_iter()
            .any(|(_, path, _)| path == "/v1/dev/outbox")
    };
    assert!(served(true));
    assert!(
        !served(false),
        "the outbox route is not even registered outside dev mode"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_with_the_keys_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = otp_server::Config::for_dev(dir.path().to_path_buf());
    let _app = otp_server::Application::build(config, Arc::new(otp_server::SystemClock))
        .await
        .expect("starts");
    for file in ["otp.db", "otp.db-wal"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .expect(file)
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file} is private");
    }
}

#[tokio::test]
async fn a_server_given_a_seeded_source_sends_the_same_code_on_every_run() {
    let first_code = || async {
        let app = TestApp::builder().seeded(11).spawn().await;
        app.sign_up_code(&app.client(), PHONE).await
    };
    assert_eq!(first_code().await, first_code().await);
}

/// The real binary, with only `RUST_BACKTRACE=1` from the environment (no `OTP_*` variable of
/// the machine running the tests), and what it printed once it stopped.
fn run_binary(args: &[&str]) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_otp-server"))
        .env_clear()
        .env("RUST_BACKTRACE", "1")
        .args(args)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn a_bad_configuration_stops_the_binary_with_one_line_naming_the_flag_and_status_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let (status, stderr) = run_binary(&[
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
        "--sms-webhook-url",
        "http://127.0.0.1:9/sms",
        "--sms-webhook-secret",
        "too-short",
    ]);
    assert_eq!(status, Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no backtrace: {stderr}"
    );
    assert!(stderr.contains("--sms-webhook-secret"), "{stderr}");
    assert!(stderr.contains("at least 16 characters"), "{stderr}");
    assert!(
        !stderr.contains("too-short"),
        "the secret is not repeated: {stderr}"
    );
}

#[test]
fn a_port_already_taken_stops_the_binary_with_one_line_and_status_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let (status, stderr) = run_binary(&["--dev", "--bind", &addr, "--data-dir", data_dir]);
    assert_eq!(status, Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no backtrace: {stderr}"
    );
    assert!(stderr.contains(&format!("binding {addr}: ")), "{stderr}");
}

#[test]
fn a_database_url_of_an_unknown_kind_is_a_bad_configuration_and_is_not_repeated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let (status, stderr) = run_binary(&[
        "--dev",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
        "--database-url",
        "mysql://root:hunter2@127.0.0.1/otp",
    ]);
    assert_eq!(status, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("--database-url"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is not printed: {stderr}"
    );
}

/// `--log-format json`: every log line is one JSON object a collector can read (the time, the
/// level and the message), never text.
#[test]
fn with_log_format_json_each_log_line_is_a_json_object() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_otp-server"))
        .env_clear()
        .args([
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            data_dir,
            "--log-format",
            "json",
            "migrate",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().expect("stdout");
    let status = child.wait().expect("it ends");
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .map(|l| l.expect("utf-8"))
        .collect();
    assert!(status.success(), "{lines:?}");
    assert!(!lines.is_empty(), "it logs");
    for line in &lines {
        let entry: serde_json::Value = serde_json::from_str(line).expect("one JSON object");
        assert!(entry["timestamp"].is_string(), "{line}");
        assert_eq!(entry["level"], "INFO", "{line}");
        assert!(entry["fields"]["message"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("migrations applied")),
        "{lines:?}"
    );
}
