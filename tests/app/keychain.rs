//! The client token in the real OS keychain (Secret Service, inside the D-Bus session of
//! `scripts/with-desktop.sh`): saved by this process, read by another, deleted by sign-out.

use crate::helpers::*;
use otp_dioxus::*;
use std::process::Command;
use std::sync::Arc;

/// What another process (`secret-tool`, libsecret's command line) reads for the app's entry.
fn read_from_another_process(backend_url: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            otp_app::KEYCHAIN_SERVICE,
            "username",
            backend_url,
        ])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn the_token_lives_in_the_keychain_until_sign_out() {
    require_desktop_session();
    let server = spawn_server().await;
    let keychain = Arc::new(
        KeychainTokenStore::open(otp_app::KEYCHAIN_SERVICE, &server.base_url)
            .expect("the Secret Service is reachable"),
    );
    let client = AuthClient::new(&server.base_url, keychain.clone());
    let pending = client
        .start_sign_up(PHONE, Channel::Phone)
        .await
        .expect("code sent");
    let code = server.code_for(PHONE).await;
    client.verify(&pending, &code).await.expect("signed in");

    let token = client.sdk().token().expect("token");
    assert_eq!(
        read_from_another_process(&server.base_url).as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        keychain.load().expect("load").as_deref(),
        Some(token.as_str())
    );
    assert_eq!(client.take_warning(), None, "no keychain trouble");

    // A new run of the app (a new store on the same entry) is still signed in.
    let again = AuthClient::new(
        &server.base_url,
        Arc::new(
            KeychainTokenStore::open(otp_app::KEYCHAIN_SERVICE, &server.base_url).expect("open"),
        ),
    );
    assert!(again.restore().await.expect("restore").is_some());

    again.sign_out().await.expect("signed out");
    assert_eq!(
        read_from_another_process(&server.base_url),
        None,
        "sign-out deleted the entry"
    );
}
