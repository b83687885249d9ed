//! `GET /v1/environment`: what this instance offers, in the shape of Clerk's `Environment`, for
//! clerk-js (which reads it at `load()`). Derived from the configuration, so it never claims
//! what the server does not do: one-time codes by phone and/or email (whichever can be
//! delivered), no passwords, no social or enterprise sign-in, no organizations, captcha off,
//! several sessions per client, no hosted pages (their URLs are empty). Every field Clerk's
//! `Client.Environment` schema requires is present, and no other (the conformance test checks
//! it).

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
    let enumeration_protection = state.config.protection.enumeration_protection;
    // Clerk calls its fixed-code test phone numbers and emails "test mode".
    let test_identifiers = state.config.protection.test_identifiers;
    // This server hosts no sign-in, profile or organization pages: clerk-js falls back to its
    // own options (as for `undefined`).
    let no_page = "";
    // Split in parts: one `json!` this large reaches the macro recursion limit.
    let auth_config = json!({
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
        "test_mode": test_identifiers,
        "cookieless_dev": false,
        "url_based_session_syncing": false,
        "claimed_at": null,
        "reverification": false,
    });
    let display_config = json!({
        "object": "display_config",
        "id": "display_config_otp_server",
        "instance_environment_type": if state.delivery.is_dev() { "development" } else { "production" },
        "application_name": name,
        "home_url": no_page,
        "sign_in_url": no_page,
        "sign_up_url": no_page,
        "user_profile_url": no_page,
        "waitlist_url": no_page,
        "after_sign_in_url": no_page,
        "after_sign_up_url": no_page,
        "after_sign_out_one_url": no_page,
        "after_sign_out_all_url": no_page,
        "after_switch_session_url": no_page,
        "after_join_waitlist_url": no_page,
        "organization_profile_url": no_page,
        "create_organization_url": no_page,
        "after_leave_organization_url": no_page,
        "after_create_organization_url": no_page,
        "logo_link_url": no_page,
        "support_email": null,
        "help_url": null,
        "privacy_policy_url": null,
        "terms_url": null,
        "logo_url": null,
        "favicon_url": null,
        "logo_image": null,
        "favicon_image": null,
        "branded": false,
        "experimental_force_oauth_first": false,
        // clerk-js is the page's own (npm): no version to load from a CDN.
        "clerk_js_version": null,
        "google_one_tap_client_id": null,
        "captcha_public_key": null,
        "captcha_widget_type": null,
        "captcha_public_key_invisible": null,
        "captcha_provider": null,
        "captcha_oauth_bypass": [],
        "show_devmode_warning": false,
        "preferred_sign_in_strategy": "otp",
        "theme": {},
    });
    let user_settings = json!({
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
            // Required and never null in Clerk's schema; unused with captcha off.
            "captcha_widget_type": "smart",
            "custom_action_required": false,
            "progressive": true,
            "mode": "public",
            "legal_consent_enabled": false,
        },
        "restrictions": {
            "allowlist": { "enabled": false },
            "blocklist": { "enabled": false },
            "allowlist_blocklist_disabled_on_sign_in": { "enabled": false },
            "block_email_subaddresses": { "enabled": false },
            "block_disposable_email_domains": { "enabled": false },
        },
        "password_settings": {
            "disable_hibp": true,
            "min_length": 0,
            "max_length": 0,
            "require_special_char": false,
            "require_numbers": false,
            "require_uppercase": false,
            "require_lowercase": false,
            "show_zxcvbn": false,
            "min_zxcvbn_strength": 0,
            "enforce_hibp_on_sign_in": false,
            "allowed_special_characters": "",
        },
        "username_settings": {
            "min_length": 0,
            "max_length": 0,
            "allow_extended_special_characters": false,
        },
        "actions": {
            "delete_self": false,
            "create_organization": false,
            "create_organizations_limit": null,
        },
        "attack_protection": {
            "user_lockout": {
                "enabled": true,
                "max_attempts": state.config.policy.lockout_threshold,
                "duration_in_minutes": state.config.policy.lockout_secs.div_ceil(60),
            },
            "pii": { "enabled": true },
            "email_link": { "require_same_client": false },
            // Sign-in and sign-up answer alike whether an identifier is known or not.
            "enumeration_protection": { "enabled": enumeration_protection },
        },
        "passkey_settings": { "allow_autofill": false, "show_sign_in_button": false },
    });
    json!({
        "auth_config": auth_config,
        "display_config": display_config,
        "user_settings": user_settings,
        "organization_settings": {
            "enabled": false,
            "max_allowed_memberships": 0,
            "actions": { "admin_delete": false },
            "domains": { "enabled": false, "enrollment_modes": [], "default_role": "" },
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
