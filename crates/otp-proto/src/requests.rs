//! Request bodies. The server accepts each as `application/x-www-form-urlencoded` (what Clerk's
//! SDKs send) or as JSON. Every field is optional on the wire so that a missing one is reported
//! as `form_param_missing` naming it, rather than as an unreadable body.

use serde::{Deserialize, Serialize};

/// `POST /v1/client/sign_ups`: exactly one of the two identifiers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateSignUp {
    /// A phone number, in E.164 or in the server's default region's national format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// An email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// `POST /v1/client/sign_ups/{id}/prepare_verification`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrepareVerification {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
}

/// `POST /v1/client/sign_ups/{id}/attempt_verification` and
/// `POST /v1/client/sign_ins/{id}/attempt_first_factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttemptVerification {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The six-digit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `POST /v1/client/sign_ins`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateSignIn {
    /// A phone number or an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Accepted for compatibility; a code strategy is chosen with `prepare_first_factor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
}

/// `POST /v1/client/sign_ins/{id}/prepare_first_factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrepareFirstFactor {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// With `phone_code`: the `phone_number_id` of the chosen factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// With `email_code`: the `email_address_id` of the chosen factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address_id: Option<String>,
}

/// `POST /v1/me/email_addresses` (`email_address`) and `POST /v1/me/phone_numbers`
/// (`phone_number`): an identifier to add to the signed-in user, unverified until a code sent
/// to it is typed back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AddIdentifier {
    /// The email address to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    /// The phone number to add, in E.164 or the server's default region's national format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// `PATCH /v1/me`: the user's primary identifiers (each a verified one of theirs). Other fields
/// of Clerk's (names, username) are not kept by this server and are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateUser {
    /// The `idn_…` of the email address to make primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email_address_id: Option<String>,
    /// The `idn_…` of the phone number to make primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone_number_id: Option<String>,
}

/// `POST /v1/client/sessions/{id}/verify`: start a reverification of the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VerifySession {
    /// `first_factor` (`second_factor` and `multi_factor` fall back to it: this server has
    /// no second factors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}
