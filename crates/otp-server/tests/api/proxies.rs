//! Trusted proxies: `X-Forwarded-For` and `X-Forwarded-Proto` count only when the connection
//! comes from an address of `--trusted-proxies`, and then the client is the rightmost address no
//! trusted proxy owns; the cookie's `Secure` follows `--cookie-secure`, never the Host header.
//! A second loopback address, 127.0.0.2, stands in for the load balancer.

use crate::helpers::*;
use otp_server::config::{CookieSecure, parse_trusted_proxy};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HOST, ORIGIN, SET_COOKIE};
use std::net::{IpAddr, Ipv4Addr};

/// The load balancer's address.
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// A client that connects directly.
const DIRECT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The page allowed to use the API from a browser.
const APP: &str = "http://app.test:8080";

/// An HTTP client whose connections come from `addr`.
fn from(addr: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(addr)
        .build()
        .expect("client")
}

/// Starts a sign-up of `phone` and asks for its code, both requests carrying `headers`; the
/// status of the second, which the per-IP send cap judges.
async fn send_code(
    app: &TestApp,
    http: &reqwest::Client,
    phone: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let with = |mut req: reqwest::RequestBuilder| {
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req
    };
    let created = with(http.post(format!("{}/v1/client/sign_ups?_is_native=1", app.base_url)))
        .form(&[("phone_number", phone)])
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), StatusCode::OK, "create {phone}");
    let token = created.headers()[AUTHORIZATION]
        .to_str()
        .expect("token")
        .to_owned();
    let body: serde_json::Value = created.json().await.expect("json");
    let id = body["response"]["id"].as_str().expect("id").to_owned();
    with(http.post(format!(
        "{}/v1/client/sign_ups/{id}/prepare_verification",
        app.base_url
    )))
    .header(AUTHORIZATION, token)
    .form(&[("strategy", "phone_code")])
    .send()
    .await
    .expect("prepare")
    .status()
}

fn phone(n: usize) -> String {
    format!("+1202555{:04}", 100 + n)
}

async fn proxied_app(configure: impl FnOnce(&mut otp_server::Config)) -> TestApp {
    spawn_app_with(|c| {
        c.edge.trusted_proxies = vec![parse_trusted_proxy("127.0.0.2").expect("cidr")];
        c.policy.ip_sends_per_hour = 2;
        c.allowed_origins = vec![APP.into()];
        configure(c);
    })
    .await
}

#[tokio::test]
async fn a_spoofed_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = proxied_app(|_| {}).await;
    let direct = from(DIRECT);
    // Each request claims another address; the cap still counts the connection's.
    for (n, claimed) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        let spoof = [
            ("x-forwarded-for", claimed),
            ("forwarded", "for=203.0.113.7"),
        ];
        assert_eq!(
            send_code(&app, &direct, &phone(n), &spoof).await,
            StatusCode::OK
        );
    }
    let spoof = [("x-forwarded-for", "203.0.113.3")];
    assert_eq!(
        send_code(&app, &direct, &phone(2), &spoof).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Without --trusted-proxies nobody is believed, not even loopback.
    let app = spawn_app_with(|c| c.policy.ip_sends_per_hour = 1).await;
    let proxy = from(PROXY);
    let spoof = [("x-forwarded-for", "203.0.113.1")];
    assert_eq!(
        send_code(&app, &proxy, &phone(0), &spoof).await,
        StatusCode::OK
    );
    let spoof = [("x-forwarded-for", "203.0.113.2")];
    assert_eq!(
        send_code(&app, &proxy, &phone(1), &spoof).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_address() {
    let app = proxied_app(|_| {}).await;
    let proxy = from(PROXY);
    // Three clients behind one balancer: each has its own cap.
    for (n, client) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let xff = [("x-forwarded-for", client)];
        assert_eq!(
            send_code(&app, &proxy, &phone(n), &xff).await,
            StatusCode::OK
        );
    }
    // One client that prepends made-up addresses: the balancer appended the real one, which
    // keeps counting.
    let mut statuses = Vec::new();
    for (n, made_up) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
        .into_iter()
        .enumerate()
    {
        let chain = format!("{made_up}, 198.51.100.50");
        let xff = [("x-forwarded-for", chain.as_str())];
        statuses.push(send_code(&app, &proxy, &phone(10 + n), &xff).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn forwarded_rfc_7239_is_read_instead_when_configured() {
    let app = proxied_app(|c| {
        c.edge.forwarded_header = otp_server::config::ForwardedHeader::Forwarded;
    })
    .await;
    let proxy = from(PROXY);
    for (n, client) in ["203.0.113.1", "\"[2001:db8::1]:4711\"", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let forwarded = format!("for={client};proto=https");
        // X-Forwarded-For is what a client could add: it is not read.
        let headers = [
            ("forwarded", forwarded.as_str()),
            ("x-forwarded-for", "198.51.100.50"),
        ];
        assert_eq!(
            send_code(&app, &proxy, &phone(n), &headers).await,
            StatusCode::OK
        );
    }
}

/// Whether the `__client` cookie of a browser sign-up sent from `peer` with `headers` is Secure.
async fn cookie_is_secure(app: &TestApp, peer: IpAddr, headers: &[(&str, &str)]) -> bool {
    let mut req = from(peer)
        .post(format!("{}/v1/client/sign_ups", app.base_url))
        .header(ORIGIN, APP)
        .form(&[("phone_number", PHONE)]);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("sign-up");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__client="))
        .expect("a __client cookie")
        .to_owned();
    cookie.split(';').any(|a| a.trim() == "Secure")
}

#[tokio::test]
async fn auto_keeps_secure_behind_a_proxy_that_says_https_even_with_host_localhost() {
    // Finding 7 of issue 13: a proxy forwarding `Host: localhost` made the cookie lose Secure.
    let app = proxied_app(|_| {}).await;
    let https = [
        (HOST.as_str(), "localhost"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(cookie_is_secure(&app, PROXY, &https).await);
    // Even a loopback client, when the proxy says it came over https.
    let https_local = [
        (HOST.as_str(), "localhost"),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(cookie_is_secure(&app, PROXY, &https_local).await);
    // Plain http through the proxy from far away: Secure still (the safe side).
    let http_remote = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "http"),
    ];
    assert!(cookie_is_secure(&app, PROXY, &http_remote).await);
    // A local development proxy on plain http: not Secure, or the browser would drop it.
    let http_local = [
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-proto", "http"),
    ];
    assert!(!cookie_is_secure(&app, PROXY, &http_local).await);
    // A direct loopback client: not Secure, whatever it claims.
    let claims = [
        (HOST.as_str(), "auth.app.test"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(!cookie_is_secure(&app, DIRECT, &claims).await);
}

#[tokio::test]
async fn cookie_secure_always_and_never_override_what_the_request_says() {
    let always = proxied_app(|c| c.edge.cookie_secure = CookieSecure::Always).await;
    assert!(cookie_is_secure(&always, DIRECT, &[]).await);
    let http_local = [
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-proto", "http"),
    ];
    assert!(cookie_is_secure(&always, PROXY, &http_local).await);

    let never = proxied_app(|c| c.edge.cookie_secure = CookieSecure::Never).await;
    let https = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(!cookie_is_secure(&never, PROXY, &https).await);
    assert!(!cookie_is_secure(&never, DIRECT, &[]).await);
}
