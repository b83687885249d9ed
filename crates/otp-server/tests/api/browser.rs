//! Browser mode: the client lives in an HttpOnly cookie that page scripts cannot read, only the
//! allowed origins may change anything with it, and CORS answers exactly those origins.

use crate::helpers::*;
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION, COOKIE, HOST,
    ORIGIN, SET_COOKIE,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const APP: &str = "http://app.test:8080";
const EVIL: &str = "http://evil.test";

async fn browser_app() -> TestApp {
    spawn_app_with(|c| c.allowed_origins = vec![APP.into()]).await
}

/// What a page of `origin` sends: form data, the cookie if it has one.
async fn post(
    app: &TestApp,
    path: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.base_url))
        .form(form);
    if let Some(origin) = origin {
        req = req.header(ORIGIN, origin);
    }
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    req.send().await.expect("request")
}

/// The `name=value` part of the response's `__client` cookie, and the whole header.
fn client_cookie(res: &reqwest::Response) -> (String, String) {
    let header = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__client="))
        .expect("a __client cookie")
        .to_owned();
    let pair = header.split(';').next().unwrap_or_default().to_owned();
    (pair, header)
}

/// `GET /v1/client` carrying only `cookie`, as a same-origin page load does.
async fn get_client(app: &TestApp, cookie: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/v1/client", app.base_url))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get client")
        .json()
        .await
        .expect("json")
}

async fn error_code(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.expect("json error");
    (
        status,
        body["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_browser_gets_its_client_in_an_httponly_cookie_and_never_in_a_header() {
    let app = browser_app().await;
    let res = post(
        &app,
        "/v1/client/sign_ups",
        Some(APP),
        None,
        &[("phone_number", PHONE)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get(AUTHORIZATION).is_none(),
        "token exposed in a header"
    );
    // The page may read `Retry-After` (how long a 429 says to wait); CORS hides it otherwise.
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    let (cookie, header) = client_cookie(&res);
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=34560000"] {
        assert!(
            header.contains(attribute),
            "{attribute} missing from {header}"
        );
    }
    assert!(
        !header.contains("Secure"),
        "loopback is plain HTTP: {header}"
    );
    let sign_up: Value = res.json().await.expect("json");
    let id = sign_up["response"]["id"]
        .as_str()
        .expect("sign-up id")
        .to_owned();

    // The cookie alone carries the client on the next calls.
    let path = format!("/v1/client/sign_ups/{id}/prepare_verification");
    let res = post(
        &app,
        &path,
        Some(APP),
        Some(&cookie),
        &[("strategy", "phone_code")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let code = app.code_for(PHONE).await;
    let path = format!("/v1/client/sign_ups/{id}/attempt_verification");
    let form = [("strategy", "phone_code"), ("code", code.as_str())];
    let res = post(&app, &path, Some(APP), Some(&cookie), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The token rotates when the session starts: the browser gets the new one as a cookie.
    let (rotated, _) = client_cookie(&res);
    assert_ne!(rotated, cookie);

    // A reload: a same-origin GET sends no Origin, only the cookie.
    let client = get_client(&app, &rotated).await;
    assert_eq!(client["response"]["sessions"][0]["status"], "active");
    let old = get_client(&app, &cookie).await;
    assert_eq!(
        old["response"],
        Value::Null,
        "the pre-session token still works"
    );
}

#[tokio::test]
async fn the_host_header_never_decides_the_cookies_secure_attribute() {
    // Finding 7 of issue 13: `Secure` followed the Host header. Now only the peer and the trusted
    // proxies count (tests/api/proxies.rs): from loopback with no proxy, no Host makes it Secure
    // and none removes it.
    let app = browser_app().await;
    for host in ["auth.app.test", "localhost", "127.0.0.1"] {
        let res = reqwest::Client::new()
            .post(format!("{}/v1/client/sign_ups", app.base_url))
            .header(HOST, host)
            .header(ORIGIN, APP)
            .form(&[("phone_number", PHONE)])
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let (_, header) = client_cookie(&res);
        assert!(!header.contains("Secure"), "{host}: {header}");
    }
}

#[tokio::test]
async fn a_browser_request_from_another_origin_is_refused_and_changes_nothing() {
    let app = browser_app().await;
    let res = post(
        &app,
        "/v1/client/sign_ups",
        Some(APP),
        None,
        &[("phone_number", PHONE)],
    )
    .await;
    let (cookie, _) = client_cookie(&res);
    let sign_up: Value = res.json().await.expect("json");
    let id = sign_up["response"]["id"].as_str().expect("id").to_owned();
    let prepare = format!("/v1/client/sign_ups/{id}/prepare_verification");

    // A forged request from another site, riding on the cookie.
    let forged = post(
        &app,
        &prepare,
        Some(EVIL),
        Some(&cookie),
        &[("strategy", "phone_code")],
    );
    assert_eq!(
        error_code(forged.await).await,
        (StatusCode::FORBIDDEN, "origin_invalid".into())
    );
    // The cookie without any Origin (no browser sends a POST like that).
    let bare = post(
        &app,
        &prepare,
        None,
        Some(&cookie),
        &[("strategy", "phone_code")],
    );
    assert_eq!(
        error_code(bare.await).await,
        (StatusCode::FORBIDDEN, "origin_invalid".into())
    );
    // A new client from another origin: refused, and the answer grants that page nothing with
    // credentials (it may read the fixed refusal without them, to say what to configure).
    let create = post(
        &app,
        "/v1/client/sign_ups",
        Some(EVIL),
        None,
        &[("phone_number", PHONE_2)],
    );
    let create = create.await;
    assert_eq!(create.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], EVIL);
    assert!(
        create
            .headers()
            .get(ACCESS_CONTROL_ALLOW_CREDENTIALS)
            .is_none()
    );
    assert!(create.headers().get(SET_COOKIE).is_none());
    assert_eq!(
        error_code(create).await,
        (StatusCode::FORBIDDEN, "origin_invalid".into())
    );

    // Reading the client from another site's page: refused too, not just unreadable.
    let read = reqwest::Client::new()
        .get(format!("{}/v1/client", app.base_url))
        .header(ORIGIN, EVIL)
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("get client");
    assert_eq!(
        error_code(read).await,
        (StatusCode::FORBIDDEN, "origin_invalid".into())
    );

    for to in [PHONE, PHONE_2] {
        assert!(
            app.client().dev_outbox(to).await.is_err(),
            "a refused request sent a code"
        );
    }
}

#[tokio::test]
async fn cors_preflight_is_answered_for_an_allowed_origin_only() {
    let app = browser_app().await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                Method::OPTIONS,
                format!("{}/v1/client/sign_ups", app.base_url),
            )
            .header(ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(APP).await.expect("preflight");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], APP);
    assert_eq!(allowed.headers()[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii");
    assert!(methods.contains("POST"), "{methods}");

    let refused = preflight(EVIL).await.expect("preflight");
    assert!(refused.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    // Answers to the allowed origin name it, and vary by origin for caches.
    let res = reqwest::Client::new()
        .get(format!("{}/v1/client", app.base_url))
        .header(ORIGIN, APP)
        .send()
        .await
        .expect("get client");
    assert_eq!(res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], APP);
    let vary: Vec<&str> = res
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        vary.iter()
            .any(|v| v.split(',').any(|t| t.trim() == "origin")),
        "{vary:?}"
    );
}

#[tokio::test]
async fn native_clients_keep_the_authorization_header_whatever_their_origin() {
    let app = browser_app().await;
    // `_is_native=1` (what Clerk's native SDKs send before they have a token), even with an
    // Origin: no cookie, the token in the header.
    let res = post(
        &app,
        "/v1/client/sign_ups?_is_native=1",
        Some(EVIL),
        None,
        &[("phone_number", PHONE)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert!(res.headers().get(AUTHORIZATION).is_some());
    // And the SDK, which sends no Origin, works as before.
    let device = app.client();
    device
        .sign_up()
        .create_phone(PHONE_2)
        .await
        .expect("native sign-up");
    assert!(device.token().is_some());
}

/// Finding 7 of issue 13: the 403 echoed any Origin, `null` included (sandboxed iframes and
/// `data:` pages send it), with `Access-Control-Allow-Credentials: true`. Now nothing is granted
/// with credentials, and `null` is never echoed; another origin may read the refusal without
/// credentials only (so that the app can say what to configure).
#[tokio::test]
async fn a_refused_origin_is_never_granted_credentials_and_null_is_never_echoed() {
    let app = browser_app().await;
    for origin in ["null", EVIL, "http://app.test:8080.evil.test"] {
        for (method, path) in [
            (Method::POST, "/v1/client/sign_ups"),
            (Method::GET, "/v1/client"),
            (Method::GET, "/v1/no/such/path"),
        ] {
            let res = reqwest::Client::new()
                .request(method.clone(), format!("{}{path}", app.base_url))
                .header(ORIGIN, origin)
                .header(COOKIE, "__client=whatever")
                .send()
                .await
                .expect("request");
            let headers = res.headers().clone();
            let echoed = headers.get(ACCESS_CONTROL_ALLOW_ORIGIN);
            if origin == "null" {
                assert!(echoed.is_none(), "{origin} {method} {path}: {headers:?}");
            } else {
                assert_eq!(
                    echoed.and_then(|v| v.to_str().ok()),
                    Some(origin),
                    "readable without credentials: {method} {path}"
                );
            }
            assert!(
                headers.get(ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none(),
                "{origin} {method} {path}: {headers:?}"
            );
            assert_eq!(
                error_code(res).await,
                (StatusCode::FORBIDDEN, "origin_invalid".into()),
                "{origin} {method} {path}"
            );
        }
    }
    // The allowed origin still gets its CORS answer.
    let res = post(
        &app,
        "/v1/client/sign_ups",
        Some(APP),
        None,
        &[("phone_number", PHONE)],
    )
    .await;
    assert_eq!(res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], APP);
    assert_eq!(res.headers()[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
}
