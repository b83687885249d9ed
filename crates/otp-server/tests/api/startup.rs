//! Starting the server: first start on a new machine, and refusing to run without a way to
//! deliver codes.

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
        let app = spawn_app_with(|c| c.random = otp_server::Random::seeded(11)).await;
        app.phone_code(&app.client(), PHONE).await
    };
    assert_eq!(first_code().await, first_code().await);
}
