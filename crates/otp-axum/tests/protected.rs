//! `examples/protected.rs` run against a real `otp-server` (EdDSA, then RS256): a session token
//! from the real SDK opens `GET /me` and names its user; no token, a forged one, another
//! server's, an expired one and another issuer's are refused with 401; the JWKS is fetched once.

#[path = "../examples/protected.rs"]
#[allow(dead_code)] // its `main` is the example's, not the test's
mod example;

use otp_axum::SessionVerifier;
use otp_server::config::JwtAlgorithm;
use otp_server::{Clock, ManualClock, SystemClock};
use otp_testkit::TestServer;
use std::time::Duration;

/// The example app on a loopback port; its URL.
async fn serve(verifier: SessionVerifier) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, example::app(verifier)).await });
    url
}

async fn get_me(url: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().get(format!("{url}/me"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

/// A server on the wall clock (the app checks `exp` against real time) and a signed-in device.
async fn signed_in(algorithm: JwtAlgorithm) -> (TestServer, String, String) {
    let server = TestServer::builder()
        .system_clock()
        .configure(|c| c.jwt_algorithm = algorithm)
        .spawn()
        .await;
    let device = server.client();
    let user = server
        .sign_up(&device, "+12025550143")
        .await
        .created_user_id
        .expect("user");
    let token = device.session_token().await.expect("token");
    (server, user, token)
}

#[tokio::test]
async fn a_session_token_opens_the_protected_route_and_nothing_else_does() {
    for algorithm in [JwtAlgorithm::EdDSA, JwtAlgorithm::Rs256] {
        let (server, user, token) = signed_in(algorithm).await;
        let verifier = SessionVerifier::new(format!("{}/.well-known/jwks.json", server.base_url))
            .with_issuer(server.base_url.clone());
        let url = serve(verifier.clone()).await;

        let (status, body) = get_me(&url, Some(&token)).await;
        assert_eq!(
            (status, body["user_id"].as_str()),
            (200, Some(user.as_str())),
            "{algorithm:?}"
        );
        assert!(
            body["session_id"]
                .as_str()
                .is_some_and(|s| s.starts_with("sess_"))
        );
        get_me(&url, Some(&token)).await;
        assert_eq!(verifier.jwks_fetches(), 1, "the JWKS is cached");

        let (status, body) = get_me(&url, None).await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (401, Some("authentication_invalid"))
        );
        let mut forged = token.clone();
        forged.replace_range(forged.len() - 6.., "AAAAAA");
        assert_eq!(
            get_me(&url, Some(&forged)).await.0,
            401,
            "a changed signature"
        );
        assert_eq!(get_me(&url, Some("not.a.jwt")).await.0, 401);

        // Another server's token: its key is not in this JWKS. The JWKS was fetched moments
        // ago, so a key id nobody published does not make every request fetch it again.
        let (_other, _, foreign) = signed_in(algorithm).await;
        assert_eq!(get_me(&url, Some(&foreign)).await.0, 401);
        assert_eq!(get_me(&url, Some(&foreign)).await.0, 401);
        assert_eq!(verifier.jwks_fetches(), 1, "no fetch per forged key id");
    }
}

#[tokio::test]
async fn an_expired_token_and_a_token_of_another_issuer_are_refused() {
    // A server whose clock is two hours behind: its token expired long ago in real time.
    let behind = ManualClock::new(SystemClock.now_ms() - 2 * 3600 * 1000);
    let server = TestServer::builder().clock(&behind).spawn().await;
    let device = server.client();
    server.sign_up(&device, "+12025550143").await;
    let token = device.session_token().await.expect("token");
    let jwks = format!("{}/.well-known/jwks.json", server.base_url);
    let url = serve(SessionVerifier::new(jwks.clone())).await;
    assert_eq!(get_me(&url, Some(&token)).await.0, 401, "expired");

    let (server, _, token) = signed_in(JwtAlgorithm::EdDSA).await;
    let jwks = format!("{}/.well-known/jwks.json", server.base_url);
    let url = serve(SessionVerifier::new(jwks.clone()).with_issuer("https://elsewhere")).await;
    assert_eq!(get_me(&url, Some(&token)).await.0, 401, "another issuer");
    let url = serve(SessionVerifier::new(jwks)).await;
    assert_eq!(get_me(&url, Some(&token)).await.0, 200);
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn without_the_keys_and_none_cached_the_answer_is_503_not_401() {
    let verifier = SessionVerifier::new("http://127.0.0.1:9/.well-known/jwks.json");
    let url = serve(verifier.clone()).await;
    let (_server, _, token) = signed_in(JwtAlgorithm::EdDSA).await;
    assert_eq!(get_me(&url, Some(&token)).await.0, 503);
    assert_eq!(
        verifier.jwks_fetches(),
        1,
        "an unreachable JWKS is not asked per request"
    );
    let (status, body) = get_me(&url, Some(&token)).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (503, Some("service_unavailable"))
    );
}
