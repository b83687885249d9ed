//! `GET /v1/environment`: what this instance offers, in the shape of Clerk's `Environment`, for
//! clerk-js (which reads it at `load()`). Derived from the configuration, so it never claims
//! what the server does not do: one-time codes by phone and/or email (whichever can be
//! delivered), no passwords, no social or enterprise sign-in, no organizations, captcha off,
//! several sessions per client.

use crate::domain::IdentifierKind;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `GET /v1/environment` (and `POST ?_method=PATCH`, which clerk-js sends with `pk_test_` keys
/// and which changes nothing here): a bare object, not enveloped.
pub async fn get_environment(State(state): State<AppState>) -> Response {
    axum::Json(environment(&state)).into_response()
}

fn environment(state: &AppState) -> Value {
    let phone = state.delivery.supports(IdentifierKind::Phone);
    let email = state.delivery.supports(IdentifierKind::Email);
    let off = attribute(false, &[]);
    let identification: Vec<&str> = [(email, "email_address"), (phone, "phone_number")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let first_factors: Vec<&str> = [(email, "email_code"), (phone, "phone_code")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let name = &state.config.delivery.app_name;
    json!({
        "object": "environment",
        "auth_config": {
            "object": "auth_config",
            "id": "aac_otp_server",
            "first_name": "off",
            "last_name": "off",
            "email_address": if email { "on" } else { "off" },
            "phone_number": if phone { "on" } else { "off" },
            "username": "off",
            "password": "off",
            "identification_requirements": [identification.clone()],
            "identification_strategies": identification,
            "first_factors": first_factors,
            "second_factors": [],
            "email_address_verification_strategies": if email { vec!["email_code"] } else { vec![] },
            // A client may hold several sessions: each completed sign-in adds one (the newest is
            // `last_active_session_id`), and signing out ends them all.
            "single_session_mode": false,
            "enhanced_email_deliverability": false,
            "test_mode": state.delivery.is_dev(),
            "cookieless_dev": false,
            "url_based_session_syncing": false,
            "claimed_at": null,
            "reverification": false,
        },
        "display_config": {
            "object": "display_config",
            "id": "display_config_otp_server",
            "instance_environment_type": if state.delivery.is_dev() { "development" } else { "production" },
            "application_name": name,
            "branded": false,
            "captcha_public_key": null,
            "captcha_widget_type": null,
            "captcha_public_key_invisible": null,
            "captcha_provider": null,
            "captcha_oauth_bypass": [],
            "show_devmode_warning": false,
            "preferred_sign_in_strategy": "otp",
            "theme": {},
        },
        "user_settings": {
            "attributes": {
                "email_address": attribute(email, &["email_code"]),
                "phone_number": attribute(phone, &["phone_code"]),
                "username": off,
                "web3_wallet": off,
                "first_name": off,
                "last_name": off,
                "password": off,
                "authenticator_app": off,
                "ticket": off,
                "backup_code": off,
                "passkey": off,
            },
            "social": {},
            "saml": { "enabled": false },
            "enterprise_sso": { "enabled": false },
            "sign_in": { "second_factor": { "required": false } },
            "sign_up": {
                "captcha_enabled": false,
                "captcha_widget_type": null,
                "custom_action_required": false,
                "progressive": true,
                "mode": "public",
                "legal_consent_enabled": false,
            },
            "restrictions": {
                "allowlist": { "enabled": false },
                "blocklist": { "enabled": false },
            },
            "password_settings": { "disable_hibp": true, "min_length": 0, "max_length": 0 },
            "username_settings": { "min_length": 0, "max_length": 0 },
            "actions": { "delete_self": false, "create_organization": false },
            "attack_protection": {
                "user_lockout": {
                    "enabled": true,
                    "max_attempts": state.config.policy.lockout_threshold,
                    "duration_in_minutes": state.config.policy.lockout_secs.div_ceil(60),
                },
                "pii": { "enabled": true },
                "email_link": { "require_same_client": false },
            },
            "passkey_settings": { "allow_autofill": false, "show_sign_in_button": false },
        },
        "organization_settings": {
            "enabled": false,
            "max_allowed_memberships": 0,
            "actions": { "admin_delete": false },
            "domains": { "enabled": false, "enrollment_modes": [], "default_role": null },
            "creator_role": "",
        },
        "maintenance_mode": false,
        "client_debug_mode": false,
    })
}

/// One `user_settings.attributes` entry: an identifier verified and used to sign in by `codes`.
fn attribute(enabled: bool, codes: &[&str]) -> Value {
    json!({
        "enabled": enabled,
        "required": false,
        "used_for_first_factor": enabled,
        "first_factors": if enabled { codes } else { &[] },
        "used_for_second_factor": false,
        "second_factors": [],
        "verifications": if enabled { codes } else { &[] },
        "verify_at_sign_up": enabled,
    })
}
