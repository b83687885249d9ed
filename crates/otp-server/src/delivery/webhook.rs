//! SMS through any gateway: a JSON POST `{to, channel, body, code, expires_at}` to a configured
//! URL, signed so the receiver knows it came from this server: `X-OTP-Timestamp: <unix seconds>`
//! and `X-OTP-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.

use super::{Message, SendError};
use crate::config::ConfigError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// A webhook endpoint and its signing secret.
pub struct Webhook {
    http: reqwest::Client,
    url: String,
    /// The host (and port) of `url`, the only part of it errors and logs name.
    host: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &crate::config::redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// A webhook at `url` signed with `secret`.
    pub fn new(url: &str, secret: &str) -> anyhow::Result<Self> {
        if secret.len() < 16 {
            return Err(ConfigError::new(
                "--sms-webhook-secret (OTP_SMS_WEBHOOK_SECRET) must be at least 16 characters",
            )
            .into());
        }
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()?,
            host: super::endpoint_host(url, "--sms-webhook-url")?,
            url: url.to_owned(),
            secret: secret.as_bytes().to_vec(),
        })
    }

    /// Posts one message.
    pub async fn send(&self, message: &Message, body: &str, now_ms: i64) -> Result<(), SendError> {
        // A notice carries no code (a change notice's `code` is the identifier that changed).
        let code = match message.kind {
            super::MessageKind::Code => message.code.as_str(),
            _ => "",
        };
        let payload = serde_json::json!({
            "to": message.to,
            "channel": "sms",
            "body": body,
            "code": code,
            "expires_at": message.expires_at,
        })
        .to_string();
        let timestamp = (now_ms / 1000).to_string();
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-otp-timestamp", &timestamp)
            .header(
                "x-otp-signature",
                format!("v1={}", sign(&self.secret, &timestamp, &payload)),
            )
            .body(payload)
            .send()
            .await
            .map_err(|e| super::unreachable("webhook", &self.host, e))?;
        let status = response.status();
        let answered = || format!("webhook at {} answered {status}", self.host);
        match status.as_u16() {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(SendError::Transient(answered())),
            _ => Err(SendError::Permanent(answered())),
        }
    }
}

/// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
pub fn sign(secret: &[u8], timestamp: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
