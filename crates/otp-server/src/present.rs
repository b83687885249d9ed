//! Rows to wire objects: how stored state looks to a client, with Clerk's shapes. Derived states
//! (expired codes, abandoned attempts, expired sessions) are computed here from `now`.

use crate::config::Policy;
use crate::domain::{Identifier, IdentifierKind};
use crate::otp::CodeState;
use crate::rate_limit::ceil_secs;
use crate::store::{
    ClientState, CodeRow, IdentifierRow, SessionRow, SignInRow, SignUpRow, UserRow,
};
use otp_proto::*;
use serde_json::json;

/// The `object` of every verification here: all are one-time codes.
const VERIFICATION_OTP: &str = "verification_otp";

/// The whole client: active sessions only. `all_factors`: see [`sign_in`].
pub fn client(state: &ClientState, now: i64, policy: &Policy, all_factors: bool) -> Client {
    let idle = policy.session_idle_ms();
    let sessions: Vec<Session> = state
        .sessions
        .iter()
        .filter(|(s, _)| s.is_active(now, idle))
        .map(|(s, u)| session(s, u, now, policy))
        .collect();
    let last_active_session_id = state
        .client
        .last_active_session_id
        .clone()
        .filter(|id| sessions.iter().any(|s| &s.id == id))
        .or_else(|| sessions.last().map(|s| s.id.clone()));
    Client {
        object: "client".into(),
        id: state.client.id.clone(),
        sessions,
        sign_in: state.sign_in.as_ref().map(|s| sign_in(s, now, all_factors)),
        sign_up: state.sign_up.as_ref().map(|s| sign_up(s, now)),
        last_active_session_id,
        cookie_expires_at: None,
        captcha_bypass: false,
        sign_in_delivery_status: state
            .sign_in
            .as_ref()
            .and_then(|s| s.code.as_ref())
            .map(delivery_status),
        created_at: state.client.created_at,
        updated_at: state.client.updated_at,
    }
}

/// Where the message carrying a code stands.
fn delivery_status(code: &CodeRow) -> DeliveryStatus {
    // Without an outbox row the code went to the dev console, synchronously.
    code.delivery.unwrap_or(DeliveryStatus::Sent)
}

/// A code's verification as the client sees it (Clerk's `Stubs.Verification.OTP`, which allows
/// no other field: a sign-up adds its own).
fn verification(code: Option<&CodeRow>, now: i64) -> Option<Verification> {
    let code = code?;
    let status = match code.state {
        CodeState::Pending if now >= code.expire_at => VerificationStatus::Expired,
        CodeState::Pending => VerificationStatus::Unverified,
        CodeState::Verified => VerificationStatus::Verified,
        CodeState::Failed => VerificationStatus::Failed,
        CodeState::Expired => VerificationStatus::Expired,
    };
    Some(Verification {
        object: VERIFICATION_OTP.into(),
        status,
        strategy: Some(code.strategy),
        attempts: Some(code.attempts),
        expire_at: Some(code.expire_at),
        next_action: None,
        supported_strategies: None,
        delivery_status: None,
    })
}

/// An identifier's verification: verified, or (added and not verified yet) the state of the
/// last code sent to it when `code` is given, else none (`null`: no code asked for yet, or
/// not loaded, as in a user's list).
fn identifier_verification(
    row: &IdentifierRow,
    code: Option<&CodeRow>,
    now: i64,
) -> Option<Verification> {
    if !row.verified {
        return verification(code, now);
    }
    Some(Verification {
        object: VERIFICATION_OTP.into(),
        status: VerificationStatus::Verified,
        strategy: Some(row.kind.strategy()),
        attempts: None,
        // Clerk's `Stubs.Verification.OTP` requires a time: the code that verified it was
        // consumed when the identifier was verified, and cannot be used after that.
        expire_at: Some(row.created_at),
        next_action: None,
        supported_strategies: None,
        delivery_status: None,
    })
}

/// A phone number of a user (`code`: see [`identifier_verification`]).
pub fn phone_number(row: &IdentifierRow, code: Option<&CodeRow>, now: i64) -> PhoneNumber {
    PhoneNumber {
        id: row.id.clone(),
        object: "phone_number".into(),
        phone_number: row.value.clone(),
        reserved_for_second_factor: false,
        default_second_factor: false,
        reserved: false,
        verification: identifier_verification(row, code, now),
        linked_to: vec![],
        created_at: row.created_at,
        updated_at: row.created_at,
    }
}

/// An email address of a user (`code`: see [`identifier_verification`]).
pub fn email_address(row: &IdentifierRow, code: Option<&CodeRow>, now: i64) -> EmailAddress {
    EmailAddress {
        id: row.id.clone(),
        object: "email_address".into(),
        email_address: row.value.clone(),
        reserved: false,
        verification: identifier_verification(row, code, now),
        linked_to: vec![],
        created_at: row.created_at,
        updated_at: row.created_at,
    }
}

/// A sign-up.
pub fn sign_up(row: &SignUpRow, now: i64) -> SignUp {
    let kind = row.identifier.kind();
    let strategy = kind.strategy();
    let mut v = verification(row.code.as_ref(), now).unwrap_or(Verification {
        object: VERIFICATION_OTP.into(),
        status: VerificationStatus::Unverified,
        strategy: None,
        attempts: None,
        expire_at: None,
        next_action: None,
        supported_strategies: None,
        delivery_status: None,
    });
    v.next_action = Some(match (row.code.as_ref(), v.status) {
        (_, VerificationStatus::Verified) => NextAction::None,
        (Some(_), VerificationStatus::Unverified) => NextAction::NeedsAttempt,
        _ => NextAction::NeedsPrepare,
    });
    v.supported_strategies = Some(vec![strategy]);
    // Clerk's `Stubs.SignUpVerification` allows fields of our own.
    v.delivery_status = row.code.as_ref().map(delivery_status);
    let complete = row.status == SignUpStatus::Complete;
    let status = if !complete && now >= row.abandon_at {
        SignUpStatus::Abandoned
    } else {
        row.status
    };
    let (phone, email) = match kind {
        IdentifierKind::Phone => (Some(row.identifier.as_str().to_owned()), None),
        IdentifierKind::Email => (None, Some(row.identifier.as_str().to_owned())),
    };
    let mut verifications = SignUpVerifications::default();
    match kind {
        IdentifierKind::Phone => verifications.phone_number = Some(v),
        IdentifierKind::Email => verifications.email_address = Some(v),
    }
    SignUp {
        object: "sign_up_attempt".into(),
        id: row.id.clone(),
        status,
        required_fields: vec![],
        optional_fields: vec!["email_address".into(), "phone_number".into()],
        missing_fields: vec![],
        unverified_fields: if complete {
            vec![]
        } else {
            vec![kind.field().into()]
        },
        verifications,
        username: None,
        email_address: email,
        phone_number: phone,
        web3_wallet: None,
        password_enabled: false,
        first_name: None,
        last_name: None,
        unsafe_metadata: json!({}),
        public_metadata: json!({}),
        custom_action: false,
        external_id: None,
        created_session_id: row.created_session_id.clone(),
        created_user_id: row.created_user_id.clone(),
        abandon_at: row.abandon_at,
        legal_accepted_at: None,
    }
}

/// A sign-in. Its factors are every verified identifier of the user with `all_factors`, else
/// (enumeration protection) only the one typed: a decoy can show no other, so a list of several
/// would tell a real account from a decoy. The user signs in with any of them by typing it.
pub fn sign_in(row: &SignInRow, now: i64, all_factors: bool) -> SignIn {
    let factors = row
        .factors
        .iter()
        .filter(|f| all_factors || f.identifier().key() == row.identifier.key())
        .enumerate()
        .map(|(i, f)| factor(f, i == 0, &row.identifier))
        .collect();
    let status = if row.status != SignInStatus::Complete && now >= row.abandon_at {
        SignInStatus::Abandoned
    } else {
        row.status
    };
    SignIn {
        object: "sign_in_attempt".into(),
        id: row.id.clone(),
        status,
        supported_identifiers: vec!["email_address".into(), "phone_number".into()],
        supported_first_factors: Some(factors),
        supported_second_factors: None,
        first_factor_verification: verification(row.code.as_ref(), now),
        second_factor_verification: None,
        identifier: Some(row.identifier.as_str().to_owned()),
        user_data: None,
        created_session_id: row.created_session_id.clone(),
        abandon_at: row.abandon_at,
    }
}

/// A factor of a sign-in of `typed`. The factor that is the identifier typed is masked as it
/// was typed this time, not as it was stored at sign-up: a decoy can only show what was typed,
/// so a stored spelling (`Alice@Example.com` for `alice@example.com`) would tell a real account
/// from a decoy.
fn factor(row: &IdentifierRow, primary: bool, typed: &Identifier) -> SignInFactor {
    let identifier = row.identifier();
    let safe_identifier = if identifier.key() == typed.key() {
        typed.masked()
    } else {
        identifier.masked()
    };
    SignInFactor {
        strategy: row.kind.strategy(),
        safe_identifier,
        phone_number_id: (row.kind == IdentifierKind::Phone).then(|| row.id.clone()),
        email_address_id: (row.kind == IdentifierKind::Email).then(|| row.id.clone()),
        primary: Some(primary),
        default: primary,
    }
}

/// A session with its user.
pub fn session(row: &SessionRow, user_row: &UserRow, now: i64, policy: &Policy) -> Session {
    let idle = policy.session_idle_ms();
    let status = session_status(row, now, idle);
    let user = user(user_row, now);
    Session {
        object: "session".into(),
        id: row.id.clone(),
        status,
        expire_at: row.expire_at(idle),
        abandon_at: row.abandon_at,
        last_active_at: row.last_active_at,
        last_active_token: None,
        actor: None,
        public_user_data: PublicUserData {
            first_name: None,
            last_name: None,
            image_url: None,
            has_image: false,
            identifier: user.identifier().unwrap_or_default().to_owned(),
            user_id: Some(user.id.clone()),
        },
        user,
        factor_verification_age: vec![(now - row.verified_at).max(0) / 60_000, -1],
        last_active_organization_id: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
        latest_activity: None,
    }
}

/// Where a stored session stands at `now` (`expired` is derived from its times).
fn session_status(row: &SessionRow, now: i64, idle_ms: i64) -> SessionStatus {
    match row.status {
        crate::store::StoredSessionStatus::Active if row.is_active(now, idle_ms) => {
            SessionStatus::Active
        }
        crate::store::StoredSessionStatus::Active => SessionStatus::Expired,
        crate::store::StoredSessionStatus::Ended => SessionStatus::Ended,
        crate::store::StoredSessionStatus::Revoked => SessionStatus::Revoked,
    }
}

/// A session as the Backend API shows it (Clerk's Backend `Session`: ids, no user object).
pub fn backend_session(row: &SessionRow, now: i64, policy: &Policy) -> otp_proto::backend::Session {
    let idle = policy.session_idle_ms();
    otp_proto::backend::Session {
        object: "session".into(),
        id: row.id.clone(),
        client_id: row.client_id.clone(),
        user_id: row.user_id.clone(),
        status: session_status(row, now, idle),
        last_active_at: row.last_active_at,
        expire_at: row.expire_at(idle),
        abandon_at: row.abandon_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_active_organization_id: None,
        actor: None,
        latest_activity: Some(activity(row)),
    }
}

/// A user as the Backend API shows it (Clerk's Backend `User`).
pub fn backend_user(row: &UserRow, now: i64) -> otp_proto::backend::User {
    otp_proto::backend::User {
        user: user(row, now),
        private_metadata: json!({}),
    }
}

/// A session's reverification: `complete` while its user's last code is at most
/// `--reverification-secs` old, else `needs_first_factor`, with the user's verified identifiers
/// (masked) as the factors a code can go to.
pub fn session_verification(
    row: &SessionRow,
    user_row: &UserRow,
    code: Option<&CodeRow>,
    now: i64,
    policy: &Policy,
) -> SessionVerification {
    let status = if now - row.verified_at <= policy.reverification_ms() {
        SessionVerificationStatus::Complete
    } else {
        SessionVerificationStatus::NeedsFirstFactor
    };
    let factors = user_row
        .identifiers
        .iter()
        .filter(|i| i.verified)
        .enumerate()
        .map(|(n, i)| {
            let identifier = i.identifier();
            factor(i, n == 0, &identifier)
        })
        .collect();
    SessionVerification {
        object: "session_reverification".into(),
        status,
        level: "first_factor".into(),
        session: session(row, user_row, now, policy),
        supported_first_factors: Some(factors),
        supported_second_factors: None,
        first_factor_verification: verification(code, now),
        second_factor_verification: None,
    }
}

/// Where a session was last used from, for a list of the user's devices: its address and what
/// its `User-Agent` says (read by woothee: browser or app, its version, the OS, a phone or not).
pub fn activity(row: &SessionRow) -> SessionActivity {
    let ua = row.activity.user_agent.as_deref().unwrap_or_default();
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned());
    let agent = woothee::parser::Parser::new()
        .parse(ua)
        .filter(|a| known(a.name).is_some());
    let mut activity = SessionActivity {
        object: "session_activity".into(),
        id: format!("sess_activity_{}", row.id.trim_start_matches("sess_")),
        ip_address: row.activity.ip.clone(),
        ..SessionActivity::default()
    };
    match agent {
        Some(a) => {
            activity.device_type = known(a.os);
            activity.is_mobile = matches!(a.category, "smartphone" | "mobilephone");
            activity.browser_name = known(a.name);
            activity.browser_version = known(a.version);
        }
        // An app that names itself as `name/version (os)`, as otp-client does.
        None => {
            let (product, rest) = ua.split_once(' ').unwrap_or((ua, ""));
            let (name, version) = product.split_once('/').unwrap_or((product, ""));
            let os = rest.trim().trim_start_matches('(').split([')', ';']).next();
            activity.browser_name = known(name.trim());
            activity.browser_version = known(version.trim());
            activity.device_type = os.and_then(|os| known(os.trim()));
            activity.is_mobile = matches!(activity.device_type.as_deref(), Some("android" | "ios"));
        }
    }
    activity
}

/// A user.
pub fn user(row: &UserRow, now: i64) -> User {
    let phones: Vec<PhoneNumber> = row
        .identifiers
        .iter()
        .filter(|i| i.kind == IdentifierKind::Phone)
        .map(|i| phone_number(i, None, now))
        .collect();
    let emails: Vec<EmailAddress> = row
        .identifiers
        .iter()
        .filter(|i| i.kind == IdentifierKind::Email)
        .map(|i| email_address(i, None, now))
        .collect();
    // The primary one the user chose while it is theirs and verified, else their oldest
    // verified one (the identifiers come verified first, oldest first).
    let primary = |kind: IdentifierKind, chosen: &Option<String>| {
        let verified = || {
            row.identifiers
                .iter()
                .filter(|i| i.kind == kind && i.verified)
        };
        verified()
            .find(|i| chosen.as_deref() == Some(i.id.as_str()))
            .or_else(|| verified().next())
            .map(|i| i.id.clone())
    };
    let lock_secs = row
        .locked_until
        .filter(|until| *until > now)
        .map(|until| ceil_secs(until - now));
    User {
        id: row.id.clone(),
        object: "user".into(),
        username: None,
        first_name: None,
        last_name: None,
        image_url: String::new(),
        has_image: false,
        primary_email_address_id: primary(IdentifierKind::Email, &row.primary_email_id),
        primary_phone_number_id: primary(IdentifierKind::Phone, &row.primary_phone_id),
        primary_web3_wallet_id: None,
        password_enabled: false,
        two_factor_enabled: false,
        totp_enabled: false,
        backup_code_enabled: false,
        email_addresses: emails,
        phone_numbers: phones,
        web3_wallets: vec![],
        passkeys: vec![],
        external_accounts: vec![],
        saml_accounts: vec![],
        enterprise_accounts: vec![],
        public_metadata: json!({}),
        unsafe_metadata: json!({}),
        external_id: None,
        last_sign_in_at: row.last_sign_in_at,
        banned: row.banned_at.is_some(),
        locked: lock_secs.is_some(),
        lockout_expires_in_seconds: lock_secs,
        verification_attempts_remaining: None,
        delete_self_enabled: true,
        create_organization_enabled: false,
        last_active_at: row.last_sign_in_at,
        mfa_enabled_at: None,
        mfa_disabled_at: None,
        legal_accepted_at: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

#[cfg(test)]
mod activity_tests {
    use super::*;
    use crate::store::{Activity, StoredSessionStatus};

    fn seen_with(user_agent: &str) -> SessionActivity {
        activity(&SessionRow {
            id: "sess_1".into(),
            client_id: "client_1".into(),
            user_id: "user_1".into(),
            status: StoredSessionStatus::Active,
            last_active_at: 0,
            abandon_at: 0,
            created_at: 0,
            updated_at: 0,
            verified_at: 0,
            activity: Activity {
                ip: Some("203.0.113.7".into()),
                user_agent: Some(user_agent.into()),
            },
        })
    }

    #[test]
    fn a_phones_browser_is_told_apart_from_a_desktop_app() {
        let iphone = seen_with(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(iphone.browser_name.as_deref(), Some("Safari"));
        assert_eq!(iphone.device_type.as_deref(), Some("iPhone"));
        assert!(iphone.is_mobile);
        assert_eq!(iphone.ip_address.as_deref(), Some("203.0.113.7"));

        let app = seen_with("otp-client/0.1.0 (android)");
        assert_eq!(
            (app.browser_name.as_deref(), app.browser_version.as_deref()),
            (Some("otp-client"), Some("0.1.0"))
        );
        assert_eq!(app.device_type.as_deref(), Some("android"));
        assert!(app.is_mobile);
    }
}
