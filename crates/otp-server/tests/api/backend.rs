//! The Backend API (`/backend/v1/…`, or `--backend-bind`) through the SDK's
//! [`otp_client::backend::Backend`], on both databases: only a valid secret key gets in; users
//! are listed, searched, counted, created, banned (a banned user cannot sign in, and is signed
//! out everywhere), unbanned and deleted; sessions are listed and revoked; every failure has
//! Clerk's code.

use crate::helpers::*;
use otp_client::backend::{Backend, UserQuery};
use otp_client::proto::backend::CreateUser;
use otp_client::proto::{SessionStatus, VerificationStatus};
use otp_client::{Client, ErrorCode, Strategy};
use otp_server::Config;
use std::time::Duration;

/// Runs `test` against a server on SQLite, then one on a fresh PostgreSQL database.
async fn on_both_databases_with(configure: fn(&mut Config), test: impl AsyncFn(TestApp)) {
    test(spawn_app_with(configure).await).await;
    let db = PgDb::create().await;
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    test(spawn_instance(&db.url, &clock, configure).await).await;
}

async fn on_both_databases(test: impl AsyncFn(TestApp)) {
    on_both_databases_with(|_| {}, test).await;
}

/// Signs up `identifier` on a new device; the user's id and the device.
async fn user(app: &TestApp, identifier: &str) -> (String, Client) {
    let device = app.client();
    let sign_up = app.sign_up(&device, identifier).await;
    (sign_up.created_user_id.expect("a user"), device)
}

/// Signs in with `identifier` on a new device, through the right code.
async fn sign_in(app: &TestApp, identifier: &str) -> Result<Client, otp_client::Error> {
    app.advance(Duration::from_secs(31));
    let device = app.client();
    app.start_sign_in(&device, identifier).await;
    let code = app.code_for(identifier).await;
    let strategy = if identifier.contains('@') {
        Strategy::EmailCode
    } else {
        Strategy::PhoneCode
    };
    let sign_in = device
        .sign_in()
        .attempt_first_factor(strategy, &code)
        .await?;
    device
        .set_active(sign_in.created_session_id.as_deref().expect("a session"))
        .await?;
    Ok(device)
}

fn ids(users: &[otp_client::proto::backend::User]) -> Vec<&str> {
    users.iter().map(|u| u.user.id.as_str()).collect()
}

#[tokio::test]
async fn only_a_valid_secret_key_gets_in_and_a_revoked_one_is_refused_at_once() {
    on_both_databases(async |app| {
        let url = app.backend_url();
        for key in [
            "",
            "sk_live_nope",
            "Bearer",
            "sk_test_0000000000000000000000000000000000000000000",
        ] {
            let e = code_of(Backend::new(&url, key).users(&UserQuery::default()).await);
            assert_eq!(
                (e.status, e.code),
                (401, ErrorCode::ClerkKeyInvalid),
                "{key:?}"
            );
        }
        let key = app.secret_key("billing").await;
        let backend = Backend::new(&url, &key);
        assert!(
            backend
                .users(&UserQuery::default())
                .await
                .expect("in")
                .is_empty()
        );
        let store = otp_server::store::connect(&app.config().database_url(), 1)
            .await
            .expect("db");
        let keys = store.api_keys().await.expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].name, "billing");
        assert!(key.ends_with(keys[0].hint.trim_start_matches('…')));
        assert_eq!(
            store
                .revoke_api_key("billing", app.now_ms())
                .await
                .expect("revoked"),
            1
        );
        let e = code_of(backend.users(&UserQuery::default()).await);
        assert_eq!(e.code, ErrorCode::ClerkKeyInvalid);
        // The Frontend API's routes are not the Backend API's, and the reverse.
        let e = code_of(backend.user("user_x").await);
        assert_eq!(e.status, 401, "the key is checked before anything else");
    })
    .await;
}

#[tokio::test]
async fn users_are_listed_newest_first_searched_filtered_counted_and_read() {
    on_both_databases(async |app| {
        let backend = app.backend().await;
        let (phone_user, _) = user(&app, PHONE).await;
        app.advance(Duration::from_secs(1));
        let (email_user, _) = user(&app, EMAIL).await;

        let all = backend.users(&UserQuery::default()).await.expect("list");
        assert_eq!(ids(&all), [email_user.as_str(), phone_user.as_str()]);
        assert_eq!(
            backend
                .count_users(&UserQuery::default())
                .await
                .expect("count"),
            2
        );
        let oldest = UserQuery {
            oldest_first: true,
            ..UserQuery::default()
        };
        assert_eq!(
            ids(&backend.users(&oldest).await.expect("list")),
            [phone_user.as_str(), email_user.as_str()]
        );
        let second = UserQuery {
            limit: Some(1),
            offset: Some(1),
            ..UserQuery::default()
        };
        assert_eq!(
            ids(&backend.users(&second).await.expect("page")),
            [phone_user.as_str()]
        );

        // Search: part of an email, a phone number as people type it, part of an id.
        for (text, expected) in [
            ("JANE.DOE", &email_user),
            ("(202) 555-0143", &phone_user),
            ("555014", &phone_user),
            (&phone_user[5..15], &phone_user),
        ] {
            let found = backend
                .users(&UserQuery::search(text))
                .await
                .expect("search");
            assert_eq!(ids(&found), [expected.as_str()], "{text:?}");
            assert_eq!(
                backend
                    .count_users(&UserQuery::search(text))
                    .await
                    .expect("count"),
                1
            );
        }
        // `%` and `_` are characters to find, not wildcards.
        assert!(
            backend
                .users(&UserQuery::search("%"))
                .await
                .expect("search")
                .is_empty()
        );
        assert!(
            backend
                .users(&UserQuery::search("jane_doe"))
                .await
                .expect("search")
                .is_empty()
        );
        // Exact filters, as typed (the server finds the canonical form).
        let by_email = UserQuery {
            email_address: vec!["Jane.Doe@Example.com".into()],
            ..UserQuery::default()
        };
        assert_eq!(
            ids(&backend.users(&by_email).await.expect("email")),
            [email_user.as_str()]
        );
        let by_phone = UserQuery {
            phone_number: vec!["+1 202-555-0143".into(), PHONE_2.into()],
            ..UserQuery::default()
        };
        assert_eq!(
            ids(&backend.users(&by_phone).await.expect("phone")),
            [phone_user.as_str()]
        );
        let by_id = UserQuery {
            user_id: vec![email_user.clone(), "user_nobody".into()],
            ..UserQuery::default()
        };
        assert_eq!(
            ids(&backend.users(&by_id).await.expect("id")),
            [email_user.as_str()]
        );

        // One user, as Clerk shapes it.
        let shown = backend.user(&phone_user).await.expect("user");
        let phone = &shown.user.phone_numbers[0];
        assert_eq!(phone.phone_number, PHONE);
        assert_eq!(
            phone.verification.as_ref().map(|v| v.status),
            Some(VerificationStatus::Verified)
        );
        assert_eq!(
            shown.user.primary_phone_number_id.as_deref(),
            Some(phone.id.as_str())
        );
        assert!(!shown.user.banned);
        assert_eq!(shown.private_metadata, serde_json::json!({}));

        // A filter of Clerk's this server does not have is refused, not ignored.
        let unknown = reqwest::Client::new()
            .get(format!("{}/v1/users?external_id=ext_1", app.backend_url()))
            .bearer_auth(app.secret_key("raw").await)
            .send()
            .await
            .expect("sent");
        assert_eq!(unknown.status(), 422);
        let body: serde_json::Value = unknown.json().await.expect("json");
        assert!(
            body["errors"][0]["long_message"]
                .as_str()
                .is_some_and(|m| m.contains("external_id")),
            "{body}"
        );
        // An id is one path segment, whatever it holds.
        let e = code_of(backend.user("../sessions").await);
        assert_eq!(
            (e.status, e.code.clone()),
            (404, ErrorCode::ResourceNotFound)
        );

        // Clear errors.
        let e = code_of(backend.user("user_nobody").await);
        assert_eq!(
            (e.status, e.code.clone()),
            (404, ErrorCode::ResourceNotFound)
        );
        assert!(e.long_message.contains("user_nobody"), "{}", e.long_message);
        for (query, param) in [
            (
                UserQuery {
                    limit: Some(0),
                    ..UserQuery::default()
                },
                "limit",
            ),
            (
                UserQuery {
                    limit: Some(501),
                    ..UserQuery::default()
                },
                "limit",
            ),
            (
                UserQuery {
                    email_address: vec!["not an email".into()],
                    ..UserQuery::default()
                },
                "email_address",
            ),
            (
                UserQuery {
                    phone_number: vec!["12".into()],
                    ..UserQuery::default()
                },
                "phone_number",
            ),
        ] {
            let e = code_of(backend.users(&query).await);
            assert_eq!(
                (e.status, e.code, e.param_name.as_deref()),
                (422, ErrorCode::FormParamFormatInvalid, Some(param))
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_banned_user_is_signed_out_everywhere_and_cannot_sign_in_until_unbanned() {
    on_both_databases(async |app| {
        let backend = app.backend().await;
        let (id, first_device) = user(&app, PHONE).await;
        let second_device = sign_in(&app, PHONE).await.expect("signed in");
        let (other, other_device) = user(&app, PHONE_2).await;

        let banned = backend.ban_user(&id).await.expect("banned");
        assert!(banned.user.banned);
        for device in [&first_device, &second_device] {
            let e = code_of(device.session_token().await);
            assert_eq!(e.code, ErrorCode::AuthenticationInvalid);
        }
        let sessions = backend.sessions(&id).await.expect("sessions");
        assert_eq!(sessions.len(), 2);
        assert!(sessions.iter().all(|s| s.status == SessionStatus::Revoked));
        // The right code signs them in no more, with Clerk's answer.
        let e = code_of(sign_in(&app, PHONE).await);
        assert_eq!((e.status, e.code), (403, ErrorCode::UserBanned));
        // Nobody else is touched.
        assert!(other_device.session_token().await.is_ok());
        assert!(!backend.user(&other).await.expect("other").user.banned);

        assert!(!backend.unban_user(&id).await.expect("unbanned").user.banned);
        let device = sign_in(&app, PHONE).await.expect("signed in again");
        assert!(device.session_token().await.is_ok());

        let e = code_of(backend.ban_user("user_nobody").await);
        assert_eq!((e.status, e.code), (404, ErrorCode::ResourceNotFound));
    })
    .await;
}

#[tokio::test]
async fn an_operator_lists_and_revokes_one_session_of_a_user() {
    on_both_databases(async |app| {
        let backend = app.backend().await;
        let (id, first_device) = user(&app, EMAIL).await;
        let second_device = sign_in(&app, EMAIL).await.expect("signed in");
        let sessions = backend.sessions(&id).await.expect("sessions");
        assert_eq!(sessions.len(), 2);
        let newest = &sessions[0];
        assert!(newest.created_at > sessions[1].created_at, "newest first");
        assert_eq!(newest.user_id, id);
        assert_eq!(newest.status, SessionStatus::Active);

        let revoked = backend.revoke_session(&newest.id).await.expect("revoked");
        assert_eq!(revoked.status, SessionStatus::Revoked);
        assert_eq!(
            backend.session(&newest.id).await.expect("read").status,
            SessionStatus::Revoked
        );
        assert_eq!(
            code_of(second_device.session_token().await).code,
            ErrorCode::AuthenticationInvalid
        );
        assert!(
            first_device.session_token().await.is_ok(),
            "the other session stays"
        );

        let e = code_of(backend.revoke_session("sess_nobody").await);
        assert_eq!((e.status, e.code), (404, ErrorCode::ResourceNotFound));
        // A list needs whose sessions.
        let e = code_of(backend.sessions("").await);
        assert_eq!((e.status, e.code), (422, ErrorCode::FormParamMissing));
    })
    .await;
}

#[tokio::test]
async fn an_imported_user_signs_in_and_a_deleted_one_is_gone() {
    on_both_databases(async |app| {
        let backend = app.backend().await;
        let created = backend
            .create_user(&CreateUser {
                phone_number: vec!["(202) 555-0143".into()],
                email_address: vec![EMAIL.into()],
            })
            .await
            .expect("created");
        let id = created.user.id.clone();
        assert_eq!(
            created.user.last_sign_in_at, None,
            "imported, never signed in"
        );
        assert_eq!(created.user.phone_numbers[0].phone_number, PHONE);
        assert_eq!(created.user.email_addresses[0].email_address, EMAIL);
        assert!(
            app.client().dev_outbox(EMAIL).await.is_err(),
            "an import sends nothing"
        );
        let device = sign_in(&app, EMAIL).await.expect("the import signs in");
        assert_eq!(device.me().await.expect("me").id, id);

        for (body, code, param) in [
            (
                CreateUser {
                    phone_number: vec![PHONE.into()],
                    ..CreateUser::default()
                },
                ErrorCode::FormIdentifierExists,
                "identifier",
            ),
            (
                CreateUser {
                    phone_number: vec!["12".into()],
                    ..CreateUser::default()
                },
                ErrorCode::FormParamFormatInvalid,
                "phone_number",
            ),
            (
                CreateUser::default(),
                ErrorCode::FormParamMissing,
                "phone_number",
            ),
        ] {
            let e = code_of(backend.create_user(&body).await);
            assert_eq!(
                (e.status, e.code, e.param_name.as_deref()),
                (422, code, Some(param))
            );
        }
        assert_eq!(
            backend
                .count_users(&UserQuery::default())
                .await
                .expect("count"),
            1
        );

        let deleted = backend.delete_user(&id).await.expect("deleted");
        assert!(deleted.deleted);
        assert_eq!(deleted.id, id);
        // Their session is gone with them.
        assert_eq!(
            code_of(device.session_token().await).code,
            ErrorCode::ResourceNotFound
        );
        assert_eq!(
            code_of(backend.user(&id).await).code,
            ErrorCode::ResourceNotFound
        );
        assert_eq!(
            code_of(backend.delete_user(&id).await).code,
            ErrorCode::ResourceNotFound
        );
        // Their phone number is free for a new sign-up.
        user(&app, PHONE).await;
    })
    .await;
}

#[tokio::test]
async fn with_backend_bind_the_backend_api_is_only_on_its_own_address() {
    let app = spawn_app_with(|c| {
        c.backend_bind = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    let backend = app.backend().await;
    assert!(!app.backend_url().starts_with(&app.base_url));
    assert!(backend.users(&UserQuery::default()).await.is_ok());
    // Not under --backend-path on the public address.
    let public = Backend::new(
        format!("{}/backend", app.base_url),
        app.secret_key("x").await,
    );
    let e = code_of(public.users(&UserQuery::default()).await);
    assert_eq!((e.status, e.code), (404, ErrorCode::ResourceNotFound));
    // And the Frontend API is not on the backend address.
    let device = Client::new(app.backend_url());
    assert!(device.sign_up().create_phone(PHONE).await.is_err());
}

#[test]
fn the_backend_api_document_lists_exactly_the_served_routes() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/backend-api.md"),
    )
    .expect("docs/backend-api.md");
    let documented: std::collections::BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|l| l.starts_with("GET /") || l.starts_with("POST /") || l.starts_with("DELETE /"))
        .map(str::to_owned)
        .collect();
    let served: std::collections::BTreeSet<String> = otp_server::backend::routes()
        .into_iter()
        .map(|(m, p, _)| format!("{} {p}", m.to_uppercase()))
        .collect();
    assert_eq!(documented, served);
}
