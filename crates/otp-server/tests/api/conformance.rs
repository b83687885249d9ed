//! Conformance with Clerk's Frontend API: every response body of a full sign-up, sign-in and
//! sign-out run (phone and email; native mode with `Authorization`, browser mode with the cookie
//! and clerk-js's `_method` tunnelling; error answers too) validates against the schema Clerk's
//! OpenAPI document gives for that operation and status.
//!
//! The document is Clerk's published Frontend API document (MIT), vendored as
//! `tests/clerk-fapi-openapi.json`. Its schemas are OpenAPI 3.0: `nullable: true` becomes
//! `anyOf: [null, …]` before a JSON Schema 2020-12 validator reads them, and their
//! `#/components/…` references resolve against the document's own `components`.
//!
//! The table from (method, path, status) to schema is read from the document itself
//! ([`Clerk::response_schema`]); a status an operation does not list falls back to Clerk's
//! shared error response, `ClerkErrors`, when it is an error. A new endpoint that Clerk
//! documents needs no change here beyond being called in [`full_run`]; one Clerk does not have
//! goes in [`OURS`]. The runs must call every other served route (the coverage check).

use crate::helpers::*;
use reqwest::header::{AUTHORIZATION, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Clerk's Frontend API document.
const CLERK_DOCUMENT: &str = include_str!("../clerk-fapi-openapi.json");

/// Served routes Clerk's Frontend API does not have (ours alone, in our own `openapi.json`).
const OURS: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/dev/outbox"),
];

/// The allowed web origin of the browser runs.
const APP: &str = "http://app.test:8080";

/// Clerk's document with its schemas as JSON Schema, and a validator per schema.
struct Clerk {
    doc: Value,
    validators: Mutex<BTreeMap<String, Arc<jsonschema::Validator>>>,
}

/// The schema of one response: its name in Clerk's document, and the schema.
struct ResponseSchema {
    name: String,
    schema: Value,
}

fn clerk() -> &'static Clerk {
    static CLERK: OnceLock<Clerk> = OnceLock::new();
    CLERK.get_or_init(|| {
        let doc: Value = serde_json::from_str(CLERK_DOCUMENT).expect("Clerk's document");
        Clerk {
            doc: nullable_to_json_schema(doc),
            validators: Mutex::default(),
        }
    })
}

/// OpenAPI 3.0's `nullable: true` in JSON Schema terms: the schema, or null.
fn nullable_to_json_schema(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut map: serde_json::Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k, nullable_to_json_schema(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                json!({ "anyOf": [{ "type": "null" }, Value::Object(map)] })
            } else {
                Value::Object(map)
            }
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(nullable_to_json_schema).collect())
        }
        other => other,
    }
}

/// Whether a path of ours (`/v1/client/sign_ups/{id}`) is a path template of Clerk's
/// (`/v1/client/sign_ups/{sign_up_id}`): the same segments, parameters in the same places.
fn same_path(ours: &str, theirs: &str) -> bool {
    // A trailing slash (clerk-js adds identifiers at `/v1/me/email_addresses/`) is the same
    // operation.
    let ours = ours.strip_suffix('/').unwrap_or(ours);
    let param = |s: &str| s.starts_with('{') && s.ends_with('}');
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.split('/').collect(), theirs.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (param(x) && param(y)))
}

impl Clerk {
    /// Clerk's operation for one of our routes: its path template and its description.
    fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        self.doc["paths"]
            .as_object()?
            .iter()
            .find(|(theirs, item)| same_path(path, theirs) && item.get(method).is_some())
            .map(|(theirs, item)| (theirs.as_str(), &item[method]))
    }

    /// The schema of the response to `method path` with `status`, from the document.
    fn response_schema(
        &self,
        method: &str,
        path: &str,
        status: u16,
    ) -> Result<ResponseSchema, String> {
        let (theirs, op) = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path} is not in Clerk's document"))?;
        let mut response = match op["responses"].get(status.to_string()) {
            Some(r) => r.clone(),
            // Clerk lists some error statuses per operation, all with one error shape.
            None if status >= 400 => json!({ "$ref": "#/components/responses/ClerkErrors" }),
            None => return Err(format!("{method} {theirs}: Clerk documents no {status}")),
        };
        if let Some(reference) = response["$ref"].as_str() {
            let pointer = reference.trim_start_matches('#');
            response = self
                .doc
                .pointer(pointer)
                .cloned()
                .ok_or_else(|| format!("{reference} is not in Clerk's document"))?;
        }
        let schema = response["content"]["application/json"]["schema"].clone();
        if schema.is_null() {
            return Err(format!(
                "{method} {theirs} {status}: Clerk documents no JSON body"
            ));
        }
        let name = match schema["$ref"].as_str() {
            Some(r) => r.rsplit('/').next().unwrap_or(r).to_owned(),
            None => format!("{method} {theirs} {status} (inline)"),
        };
        Ok(ResponseSchema { name, schema })
    }

    /// The validator of a response schema, its references resolved against the document.
    fn validator(&self, schema: &ResponseSchema) -> Arc<jsonschema::Validator> {
        let mut validators = self.validators.lock().expect("validators");
        validators
            .entry(schema.name.clone())
            .or_insert_with(|| {
                let mut root = schema.schema.clone();
                root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
                root["components"] = self.doc["components"].clone();
                Arc::new(jsonschema::draft202012::new(&root).expect("a valid schema"))
            })
            .clone()
    }

    /// What is wrong with `body` as the response to `method path` with `status`.
    fn violations(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<Vec<String>, String> {
        let schema = self.response_schema(method, path, status)?;
        let validator = self.validator(&schema);
        Ok(validator
            .iter_errors(body)
            .map(|e| {
                let mut said = format!("{}: {e}", e.instance_path());
                said.truncate(400);
                format!("[{}] {said}", schema.name)
            })
            .collect())
    }
}

/// How a run's requests identify the client.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// A native app: the token in `Authorization`, each way.
    Native,
    /// A page of [`APP`] as clerk-js does it: the `__client` cookie, `Origin`, only GET and
    /// POST (`?_method=` for the others), form bodies.
    Browser,
}

/// A client of one run: sends requests, checks each answer against Clerk's schema.
struct Run<'a> {
    app: &'a TestApp,
    mode: Mode,
    http: reqwest::Client,
    token: Option<String>,
    cookie: Option<String>,
    /// (method, route, status) of every answer.
    seen: BTreeSet<(String, String, u16)>,
    /// Every violation, with the request that got it.
    failures: Vec<String>,
}

impl<'a> Run<'a> {
    fn new(app: &'a TestApp, mode: Mode) -> Self {
        Self {
            app,
            mode,
            http: reqwest::Client::new(),
            token: None,
            cookie: None,
            seen: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Calls `method route` (a path of the route table, `{id}` replaced by `id`) with a form
    /// body, checks the answer, and returns its status and body.
    async fn call(
        &mut self,
        method: &str,
        route: &str,
        id: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let path = route.replace("{id}", id);
        let verb: Method = method.to_uppercase().parse().expect("method");
        let mut req = match (self.mode, &verb) {
            (Mode::Browser, &Method::PATCH | &Method::PUT | &Method::DELETE) => self
                .http
                .post(format!("{}{path}?_method={verb}", self.app.base_url)),
            _ => self
                .http
                .request(verb.clone(), format!("{}{path}", self.app.base_url)),
        };
        if verb != Method::GET {
            req = req.form(form);
        }
        match self.mode {
            Mode::Native => {
                if let Some(token) = &self.token {
                    req = req.header(AUTHORIZATION, token);
                }
            }
            Mode::Browser => {
                req = req.header(ORIGIN, APP);
                if let Some(cookie) = &self.cookie {
                    req = req.header(COOKIE, cookie);
                }
            }
        }
        let res = req.send().await.expect("sent");
        let status = res.status();
        if let Some(token) = res
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            self.token = Some(token.to_owned());
        }
        if let Some(cookie) = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__client="))
        {
            self.cookie = cookie.split(';').next().map(str::to_owned);
        }
        let text = res.text().await.expect("body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: not JSON ({e}): {text}"));
        self.seen
            .insert((method.to_owned(), route.to_owned(), status.as_u16()));
        match clerk().violations(method, route, status.as_u16(), &body) {
            Ok(violations) => self.failures.extend(
                violations
                    .into_iter()
                    .map(|v| format!("{method} {path} -> {status}: {v}")),
            ),
            Err(unmapped) => self.failures.push(unmapped),
        }
        (status, body)
    }
}

/// A full run for one identifier on a fresh client: sign up (a missing field, a wrong code,
/// the right one), use the session, sign out, sign in (an unknown identifier, a wrong code, the
/// right one), end the session, sign up again with the taken identifier, and ask for codes until
/// the limit answers 429.
async fn full_run(run: &mut Run<'_>, identifier: &str) {
    let (field, strategy, id_field) = if identifier.contains('@') {
        ("email_address", "email_code", "email_address_id")
    } else {
        ("phone_number", "phone_code", "phone_number_id")
    };
    run.call("get", "/v1/environment", "", &[]).await;
    run.call("patch", "/v1/environment", "", &[]).await;
    run.call("get", "/.well-known/jwks.json", "", &[]).await;
    run.call("get", "/v1/client", "", &[]).await;

    // Sign-up.
    let (status, _) = run.call("post", "/v1/client/sign_ups", "", &[]).await;
    assert_eq!(status, 422, "a sign-up without an identifier");
    let (status, body) = run
        .call("post", "/v1/client/sign_ups", "", &[(field, identifier)])
        .await;
    assert_eq!(status, 200, "{body}");
    let sign_up = body["response"]["id"]
        .as_str()
        .expect("sign-up id")
        .to_owned();
    run.call("get", "/v1/client/sign_ups/{id}", &sign_up, &[])
        .await;
    run.call(
        "post",
        "/v1/client/sign_ups/{id}/prepare_verification",
        &sign_up,
        &[("strategy", strategy)],
    )
    .await;
    let (status, _) = run
        .call(
            "post",
            "/v1/client/sign_ups/{id}/attempt_verification",
            &sign_up,
            &[("strategy", strategy), ("code", "000000")],
        )
        .await;
    assert_eq!(status, 422, "a wrong code");
    run.call("get", "/v1/client/sign_ups/{id}", &sign_up, &[])
        .await;
    let code = run.app.code_for(identifier).await;
    let (status, body) = run
        .call(
            "post",
            "/v1/client/sign_ups/{id}/attempt_verification",
            &sign_up,
            &[("strategy", strategy), ("code", &code)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = body["response"]["created_session_id"]
        .as_str()
        .expect("session")
        .to_owned();

    // The session, and sign-out.
    run.call("post", "/v1/client/sessions/{id}/touch", &session, &[])
        .await;
    let (status, _) = run
        .call("post", "/v1/client/sessions/{id}/tokens", &session, &[])
        .await;
    assert_eq!(status, 200);
    let (status, _) = run
        .call(
            "post",
            "/v1/client/sessions/{id}/touch",
            "sess_unknown",
            &[],
        )
        .await;
    assert!(status.is_client_error());
    run.call("get", "/v1/client", "", &[]).await;

    // The account: who, on which devices; then this device signs itself out by revoking.
    let (status, _) = run.call("get", "/v1/me", "", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = run.call("get", "/v1/me/sessions/active", "", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = run
        .call("post", "/v1/me/sessions/{id}/revoke", "sess_unknown", &[])
        .await;
    assert_eq!(status, 404);
    let (status, _) = run
        .call("post", "/v1/me/sessions/{id}/revoke", &session, &[])
        .await;
    assert_eq!(status, 200);
    let (status, _) = run.call("delete", "/v1/client/sessions", "", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = run
        .call("post", "/v1/client/sessions/{id}/tokens", &session, &[])
        .await;
    assert!(status.is_client_error(), "no token after sign-out");

    // Sign-in.
    run.call(
        "post",
        "/v1/client/sign_ins",
        "",
        &[("identifier", "+12025550100")],
    )
    .await;
    let (status, body) = run
        .call(
            "post",
            "/v1/client/sign_ins",
            "",
            &[("identifier", identifier)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sign_in = body["response"]["id"]
        .as_str()
        .expect("sign-in id")
        .to_owned();
    let factor = body["response"]["supported_first_factors"][0][id_field]
        .as_str()
        .expect("factor id")
        .to_owned();
    let prepare = [("strategy", strategy), (id_field, factor.as_str())];
    run.call(
        "post",
        "/v1/client/sign_ins/{id}/prepare_first_factor",
        &sign_in,
        &prepare,
    )
    .await;
    let (status, _) = run
        .call(
            "post",
            "/v1/client/sign_ins/{id}/attempt_first_factor",
            &sign_in,
            &[("strategy", strategy), ("code", "000000")],
        )
        .await;
    assert_eq!(status, 422, "a wrong code");
    run.call("get", "/v1/client/sign_ins/{id}", &sign_in, &[])
        .await;
    let code = run.app.code_for(identifier).await;
    let (status, body) = run
        .call(
            "post",
            "/v1/client/sign_ins/{id}/attempt_first_factor",
            &sign_in,
            &[("strategy", strategy), ("code", &code)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = body["response"]["created_session_id"]
        .as_str()
        .expect("session")
        .to_owned();
    run.call("get", "/v1/client/sign_ins/{id}", &sign_in, &[])
        .await;
    run.call("post", "/v1/client/sessions/{id}/end", &session, &[])
        .await;
    run.call("get", "/v1/client/sign_ups/{id}", "sua_unknown", &[])
        .await;

    // The identifier is taken; then codes until the per-identifier limit answers.
    run.call("post", "/v1/client/sign_ups", "", &[(field, identifier)])
        .await;
    let (_, body) = run
        .call(
            "post",
            "/v1/client/sign_ins",
            "",
            &[("identifier", identifier)],
        )
        .await;
    let sign_in = body["response"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut limited = false;
    for _ in 0..10 {
        let (status, _) = run
            .call(
                "post",
                "/v1/client/sign_ins/{id}/prepare_first_factor",
                &sign_in,
                &prepare,
            )
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the send limit answers 429");
}

/// A short run that ends by deleting the account it signed up (`DELETE /v1/me`).
async fn delete_run(run: &mut Run<'_>, phone: &str) {
    let (status, body) = run
        .call(
            "post",
            "/v1/client/sign_ups",
            "",
            &[("phone_number", phone)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sign_up = body["response"]["id"].as_str().expect("id").to_owned();
    let strategy = [("strategy", "phone_code")];
    run.call(
        "post",
        "/v1/client/sign_ups/{id}/prepare_verification",
        &sign_up,
        &strategy,
    )
    .await;
    let code = run.app.code_for(phone).await;
    let (status, body) = run
        .call(
            "post",
            "/v1/client/sign_ups/{id}/attempt_verification",
            &sign_up,
            &[("strategy", "phone_code"), ("code", &code)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = body["response"]["created_session_id"]
        .as_str()
        .expect("session")
        .to_owned();
    account_run(run, phone, &session).await;
    let (status, body) = run.call("delete", "/v1/me", "", &[]).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = run.call("get", "/v1/me", "", &[]).await;
    assert_eq!(status, 401, "nobody is signed in any more");
}

/// The account's routes, signed in as `phone` in `session`: update, add, list, read, verify and
/// remove an email address and a phone number (each also added at the trailing-slash path
/// clerk-js uses), and reverify the session with a code.
async fn account_run(run: &mut Run<'_>, phone: &str, session: &str) {
    let (_, me) = run.call("patch", "/v1/me", "", &[]).await;
    let phone_id = me["response"]["phone_numbers"][0]["id"]
        .as_str()
        .expect("the phone's id")
        .to_owned();
    for (base, field, strategy, value, typo) in [
        (
            "/v1/me/email_addresses",
            "email_address",
            "email_code",
            "account.run@example.com",
            "account.typo@example.com",
        ),
        (
            "/v1/me/phone_numbers",
            "phone_number",
            "phone_code",
            "+12025550166",
            "+12025550155",
        ),
    ] {
        let one = format!("{base}/{{id}}");
        let (status, body) = run.call("post", base, "", &[(field, value)]).await;
        assert_eq!(status, 200, "{body}");
        let id = body["response"]["id"].as_str().expect("id").to_owned();
        let slash = format!("{base}/");
        let (status, body) = run.call("post", &slash, "", &[(field, typo)]).await;
        assert_eq!(status, 200, "{body}");
        let typo_id = body["response"]["id"].as_str().expect("id").to_owned();
        run.call("get", base, "", &[]).await;
        run.call(
            "post",
            &format!("{one}/prepare_verification"),
            &id,
            &[("strategy", strategy)],
        )
        .await;
        run.call("get", &one, &id, &[]).await;
        let code = run.app.code_for(value).await;
        let (status, body) = run
            .call(
                "post",
                &format!("{one}/attempt_verification"),
                &id,
                &[("code", &code)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = run.call("delete", &one, &typo_id, &[]).await;
        assert_eq!(status, 200, "{body}");
        run.call("get", &one, "idn_unknown", &[]).await;
    }
    let (status, body) = run
        .call(
            "patch",
            "/v1/me",
            "",
            &[("primary_phone_number_id", &phone_id)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Reverification: fresh already, then a code anyway.
    let verify = "/v1/client/sessions/{id}/verify";
    run.call("post", verify, session, &[("level", "first_factor")])
        .await;
    let (status, body) = run
        .call(
            "post",
            &format!("{verify}/prepare_first_factor"),
            session,
            &[("strategy", "phone_code"), ("phone_number_id", &phone_id)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let code = run.app.code_for(phone).await;
    let (status, body) = run
        .call(
            "post",
            &format!("{verify}/attempt_first_factor"),
            session,
            &[("strategy", "phone_code"), ("code", &code)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A server for the runs: codes may be sent back to back (the limit per hour still holds).
async fn conformance_app(database_url: Option<&str>) -> TestApp {
    let configure = |c: &mut otp_server::Config| {
        c.allowed_origins = vec![APP.into()];
        c.policy.send_interval_secs = 0;
    };
    match database_url {
        Some(url) => {
            spawn_instance(
                url,
                &otp_server::ManualClock::new(1_700_000_000_000),
                configure,
            )
            .await
        }
        None => spawn_app_with(configure).await,
    }
}

/// Runs phone and email in `mode`, and fails with every violation found.
async fn runs_conform(mode: Mode, database_url: Option<&str>) -> BTreeSet<(String, String, u16)> {
    let app = conformance_app(database_url).await;
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for identifier in [PHONE, EMAIL] {
        let mut run = Run::new(&app, mode);
        full_run(&mut run, identifier).await;
        seen.extend(run.seen);
        failures.extend(run.failures);
    }
    let mut run = Run::new(&app, mode);
    delete_run(&mut run, "+12025550177").await;
    seen.extend(run.seen);
    failures.extend(run.failures);
    assert!(
        failures.is_empty(),
        "{} responses do not conform to Clerk's schemas:\n{}",
        failures.len(),
        failures.join("\n")
    );
    seen
}

#[tokio::test]
async fn every_response_of_a_native_run_conforms_to_clerks_schemas() {
    let seen = runs_conform(Mode::Native, None).await;
    // Every served route of Clerk's API was called and answered with success at least once: a
    // new endpoint must join the run (or `OURS`).
    let ours: BTreeSet<(String, String)> = OURS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let served: BTreeSet<(String, String)> = otp_server::routes::routes(true)
        .into_iter()
        .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
        .filter(|route| !ours.contains(route))
        .collect();
    let succeeded: BTreeSet<(String, String)> = seen
        .iter()
        .filter(|(_, _, status)| (200..300).contains(status))
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let missing: Vec<_> = served.difference(&succeeded).collect();
    assert!(missing.is_empty(), "not covered by the run: {missing:?}");
    let errors: BTreeSet<u16> = seen
        .iter()
        .map(|(_, _, s)| *s)
        .filter(|s| *s >= 400)
        .collect();
    assert!(
        [401, 404, 422, 429].iter().all(|s| errors.contains(s)),
        "error answers checked: {errors:?}"
    );
}

#[tokio::test]
async fn every_response_of_a_native_run_on_postgres_conforms_to_clerks_schemas() {
    let db = PgDb::create().await;
    runs_conform(Mode::Native, Some(&db.url)).await;
}

#[tokio::test]
async fn every_response_of_a_browser_run_conforms_to_clerks_schemas() {
    runs_conform(Mode::Browser, None).await;
    // A refused origin's answer is a Clerk error too.
    let app = conformance_app(None).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v1/client/sign_ups", app.base_url))
        .header(ORIGIN, "http://evil.test")
        .form(&[("phone_number", PHONE)])
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 403);
    let violations = clerk()
        .violations("post", "/v1/client/sign_ups", status, &body)
        .expect("mapped");
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn the_schema_table_is_read_from_clerks_document() {
    let schema = |m, p, s| clerk().response_schema(m, p, s).map(|r| r.name);
    assert_eq!(
        schema("post", "/v1/client/sign_ups/{id}/attempt_verification", 200).as_deref(),
        Ok("Client.ClientWrappedSignUp")
    );
    assert_eq!(
        schema("get", "/v1/environment", 200).as_deref(),
        Ok("Client.Environment")
    );
    assert_eq!(
        schema("delete", "/v1/client/sessions", 200).as_deref(),
        Ok("Client.DeleteSession")
    );
    // Statuses an operation does not list are Clerk's shared error shape.
    assert_eq!(
        schema("post", "/v1/client/sign_ins", 429).as_deref(),
        Ok("ClerkErrors")
    );
    assert!(schema("get", "/healthz", 200).is_err());
    // Every route of ours that Clerk has maps to a success schema.
    for (method, path, _) in otp_server::routes::routes(true) {
        if !OURS.contains(&(method, path)) {
            assert!(
                schema(method, path, 200).is_ok(),
                "{method} {path}: {:?}",
                schema(method, path, 200)
            );
        }
    }
}

/// The validator is not vacuous: each drift of issue 13's finding 8 is caught.
#[tokio::test]
async fn the_validator_catches_the_drift_clerk_js_would_see() {
    let app = conformance_app(None).await;
    let device = app.client();
    app.sign_up(&device, PHONE).await;
    app.start_sign_in(&device, PHONE).await;
    let good: Value = reqwest::Client::new()
        .get(format!("{}/v1/client", app.base_url))
        .header(AUTHORIZATION, device.token().expect("token"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let check = |body: &Value| {
        clerk()
            .violations("get", "/v1/client", 200, body)
            .expect("mapped")
    };
    assert_eq!(check(&good), Vec::<String>::new());

    let mut drift = good.clone();
    drift["response"]["sessions"][0]["user"]["phone_numbers"][0]["verification"]["expire_at"] =
        Value::Null;
    assert!(
        !check(&drift).is_empty(),
        "a verified phone number's expire_at: null"
    );
    let mut drift = good.clone();
    drift["response"]["sign_in"]["first_factor_verification"]["delivery_status"] = json!("sent");
    assert!(
        !check(&drift).is_empty(),
        "delivery_status in a sign-in's verification"
    );
    let mut drift = good.clone();
    drift["response"]["sign_in"]["first_factor_verification"]["object"] = json!("verification");
    assert!(!check(&drift).is_empty(), "a verification's object");

    let env: Value = reqwest::get(format!("{}/v1/environment", app.base_url))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let env_check = |body: &Value| {
        clerk()
            .violations("get", "/v1/environment", 200, body)
            .expect("mapped")
    };
    assert_eq!(env_check(&env), Vec::<String>::new());
    assert_eq!(
        env["user_settings"]["attack_protection"]["enumeration_protection"]["enabled"],
        json!(true)
    );
    let mut drift = env.clone();
    drift["user_settings"]["attack_protection"]
        .as_object_mut()
        .expect("attack_protection")
        .remove("enumeration_protection");
    assert!(!env_check(&drift).is_empty(), "no enumeration_protection");
    let mut drift = env;
    drift["object"] = json!("environment");
    assert!(
        !env_check(&drift).is_empty(),
        "a field Client.Environment does not have"
    );
}

/// A sign-in's delivery status lives in the client (Clerk's sign-in allows no field of ours),
/// and an answer that carries `failed` still conforms.
#[tokio::test]
async fn a_sign_ins_failed_delivery_is_in_the_client_and_conforms() {
    let sms = crate::providers::SmsServer::start().await;
    let app = spawn_app_with(|c| {
        // Reported only without enumeration protection (a decoy's message cannot fail).
        c.protection.enumeration_protection = false;
        c.dev = false;
        c.delivery.sms_webhook_url = Some(format!("{}/sms", sms.url).into());
        c.delivery.sms_webhook_secret = Some("whsec-0123456789abcdef".into());
        c.delivery.sms_domain = Some("app.example".into());
        c.delivery.delivery_poll_ms = 20;
        c.policy.send_interval_secs = 0;
    })
    .await;
    let device = app.client();
    sign_up_without_outbox(&device, PHONE, &sms, 1).await;
    assert_eq!(
        device.state().expect("client").sign_in_delivery_status,
        None,
        "no sign-in yet"
    );
    sms.fail_next(400, "{}");
    let sign_in = app.start_sign_in(&device, PHONE).await;
    assert!(sign_in.first_factor_verification.is_some());
    let mut status = None;
    for _ in 0..100 {
        device.sign_in().get(&sign_in.id).await.expect("get");
        status = device.state().expect("client").sign_in_delivery_status;
        if status == Some(otp_client::proto::DeliveryStatus::Failed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, Some(otp_client::proto::DeliveryStatus::Failed));

    let res = reqwest::Client::new()
        .get(format!(
            "{}/v1/client/sign_ins/{}",
            app.base_url, sign_in.id
        ))
        .header(AUTHORIZATION, device.token().expect("token"))
        .send()
        .await
        .expect("sent");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["client"]["sign_in_delivery_status"], "failed");
    assert!(
        body["response"]["first_factor_verification"]
            .get("delivery_status")
            .is_none()
    );
    let violations = clerk()
        .violations("get", "/v1/client/sign_ins/{id}", 200, &body)
        .expect("mapped");
    assert_eq!(violations, Vec::<String>::new());
}
