//! The signed-in user's account (`/v1/me`), on both databases: who is signed in, the devices
//! they are signed in on, and signing one of them out from another.

use crate::helpers::*;
use otp_client::proto::SessionStatus;
use otp_client::{Client, ErrorCode, Strategy};
use std::time::Duration;

/// Runs `test` against a server on SQLite, then one on a fresh PostgreSQL database.
async fn on_both_databases(test: impl AsyncFn(TestApp)) {
    test(spawn_app().await).await;
    let db = PgDb::create().await;
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    test(spawn_instance(&db.url, &clock, |_| {}).await).await;
}

/// Signs `identifier`'s existing account in on a new device.
async fn sign_in(app: &TestApp, identifier: &str) -> Client {
    let device = app.client();
    // One code per identifier per 30 s.
    app.advance(Duration::from_secs(31));
    app.start_sign_in(&device, identifier).await;
    let code = app.code_for(identifier).await;
    let done = device
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code)
        .await
        .expect("signed in");
    device
        .set_active(&done.created_session_id.expect("session"))
        .await
        .expect("active");
    device
}

fn code(e: otp_client::Error) -> Option<ErrorCode> {
    e.code().cloned()
}

#[tokio::test]
async fn me_is_the_signed_in_user_and_nobody_once_signed_out() {
    on_both_databases(async |app| {
        let device = app.client();
        let sign_up = app.sign_up(&device, PHONE).await;
        let me = device.me().await.expect("me");
        assert_eq!(Some(me.id.clone()), sign_up.created_user_id);
        assert_eq!(me.phone_numbers[0].phone_number, PHONE);

        device.sign_out().await.expect("signed out");
        let refused = device.me().await.expect_err("nobody is signed in");
        assert_eq!(code(refused), Some(ErrorCode::AuthenticationInvalid));
        let stranger = app.client().me().await.expect_err("no client at all");
        assert_eq!(code(stranger), Some(ErrorCode::AuthenticationInvalid));
    })
    .await;
}

#[tokio::test]
async fn a_user_sees_each_device_and_signs_one_out_from_another() {
    on_both_databases(async |app| {
        let phone = app.client();
        app.sign_up(&phone, PHONE).await;
        let laptop = sign_in(&app, PHONE).await;
        let laptop_session = laptop.session().expect("laptop session");

        // Both devices, from either.
        let sessions = phone.active_sessions().await.expect("sessions");
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        assert_eq!(sessions[1].id, laptop_session.id, "oldest first");
        assert!(sessions.iter().all(|s| s.status == SessionStatus::Active));
        // Each with where it was last used from: the SDK names itself and its OS.
        let activity = sessions[1].latest_activity.clone().expect("activity");
        assert_eq!(activity.browser_name.as_deref(), Some("otp-client"));
        assert_eq!(activity.device_type.as_deref(), Some(std::env::consts::OS));
        assert_eq!(activity.ip_address.as_deref(), Some("127.0.0.1"));
        assert!(!activity.is_mobile);
        assert!(laptop.session_token().await.is_ok(), "the laptop gets JWTs");

        // The phone signs the laptop out.
        let revoked = phone
            .revoke_session(&laptop_session.id)
            .await
            .expect("revoked");
        assert_eq!(revoked.status, SessionStatus::Revoked);
        let sessions = phone.active_sessions().await.expect("sessions");
        assert_eq!(sessions.len(), 1);
        assert_ne!(sessions[0].id, laptop_session.id);

        // At once, on the laptop: no JWT, no user, and its client has no session left.
        let refused = laptop.session_token().await.expect_err("no more JWTs");
        assert_eq!(code(refused), Some(ErrorCode::AuthenticationInvalid));
        let client = laptop
            .load()
            .await
            .expect("load")
            .expect("the client remains");
        assert!(client.last_active_session().is_none());
        assert!(laptop.me().await.is_err());
        // The phone stays signed in.
        assert!(phone.session_token().await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn a_user_cannot_revoke_another_users_session() {
    on_both_databases(async |app| {
        let jane = app.client();
        app.sign_up(&jane, PHONE).await;
        let john = app.client();
        app.sign_up(&john, PHONE_2).await;
        let johns = john.session().expect("john's session");

        let refused = jane.revoke_session(&johns.id).await.expect_err("not hers");
        assert_eq!(code(refused), Some(ErrorCode::ResourceNotFound));
        assert!(
            john.session_token().await.is_ok(),
            "john is still signed in"
        );
        let unknown = jane.revoke_session("sess_unknown").await.expect_err("none");
        assert_eq!(code(unknown), Some(ErrorCode::ResourceNotFound));
    })
    .await;
}

#[tokio::test]
async fn deleting_the_account_signs_out_every_device_and_frees_its_number_at_once() {
    on_both_databases(async |app| {
        let phone = app.client();
        let first = app.sign_up(&phone, PHONE).await;
        let laptop = sign_in(&app, PHONE).await;

        let deleted = laptop.delete_account().await.expect("deleted");
        assert!(deleted.deleted);
        assert_eq!(deleted.id, first.created_user_id);

        // Both devices are signed out at once.
        // (The sessions are gone with the account: a JWT for one is `resource_not_found`.)
        for device in [&phone, &laptop] {
            assert!(device.session_token().await.is_err(), "no more JWTs");
            let client = device
                .load()
                .await
                .expect("load")
                .expect("the device's client");
            assert!(client.last_active_session().is_none() && client.sessions.is_empty());
            let refused = device.me().await.expect_err("nobody");
            assert_eq!(code(refused), Some(ErrorCode::AuthenticationInvalid));
        }
        // The number makes a new account right away. (Its send limits stay: deleting an account
        // must not be a way around them; the 30 s between codes to one number still holds.)
        app.advance(Duration::from_secs(31));
        let again = app.client();
        let second = app.sign_up(&again, PHONE).await;
        assert_ne!(second.created_user_id, first.created_user_id);
        assert_eq!(
            again.me().await.expect("me").phone_numbers[0].phone_number,
            PHONE
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_the_account_needs_a_recent_sign_in() {
    on_both_databases(async |app| {
        let device = app.client();
        app.sign_up(&device, PHONE).await;
        app.advance(Duration::from_secs(11 * 60));
        let refused = device.delete_account().await.expect_err("too old");
        assert_eq!(
            code(refused),
            Some(ErrorCode::SessionReverificationRequired)
        );
        assert!(device.me().await.is_ok(), "nothing was deleted");

        // A fresh sign-in may.
        let fresh = sign_in(&app, PHONE).await;
        assert!(fresh.delete_account().await.expect("deleted").deleted);
    })
    .await;
}
