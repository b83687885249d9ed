//! How codes leave the server. Preparing a code writes its message to the durable outbox in the
//! same transaction (see [`crate::store`]); the [`worker`] sends it through the provider of its
//! channel, retrying transient failures until a deadline. Dev mode prints each message to the
//! console and keeps it in the dev outbox instead (or as well, when a provider is configured).
//!
//! - `smtp.rs`: email over SMTP (lettre).
//! - `twilio.rs`: SMS through Twilio's Messages API, or any service that speaks it.
//! - `webhook.rs`: SMS through a signed JSON POST to any gateway.
//! - `templates.rs`: the texts, per language.
//! - `console.rs`: dev mode's console line.
//! - [`worker`]: the outbox worker.

mod console;
mod smtp;
mod templates;
mod twilio;
mod webhook;
pub mod worker;

use crate::config::{Config, ConfigError};
use crate::domain::{Identifier, IdentifierKind};
use otp_proto::dev::{Channel, OutboxMessage};
use std::sync::Arc;

pub use templates::{Texts, language};

/// A message to deliver: what the templates need.
#[derive(Debug, Clone)]
pub struct Message {
    /// SMS or email.
    pub channel: Channel,
    /// E.164 number or email address.
    pub to: String,
    /// The code, in clear (only ever in memory, or sealed in the outbox); for a change notice
    /// ([`MessageKind::IdentifierAdded`], [`MessageKind::IdentifierRemoved`]) the identifier
    /// that changed, masked.
    pub code: String,
    /// When the code expires (ms).
    pub expires_at: i64,
    /// Minutes the code lasts, for the text.
    pub minutes: u64,
    /// The user's language (`fr`), from the request's `Accept-Language`.
    pub locale: Option<String>,
    /// What the message says.
    pub kind: MessageKind,
}

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A verification code.
    #[default]
    Code,
    /// Enumeration protection: someone tried to sign up with an identifier that has an account.
    /// It tells the owner so, and carries no code.
    SignUpAttempt,
    /// A phone number or email address was added to the account (verified): sent to the
    /// account's other identifiers, so that an intruder's change does not go unnoticed.
    IdentifierAdded,
    /// A phone number or email address was removed from the account: sent to the others.
    IdentifierRemoved,
    /// Enumeration protection: the outbox row of a decoy sign-in (an identifier nobody has),
    /// stored like any other so the two cases write the same rows. The worker records it as sent
    /// without calling a provider: nothing is ever sent.
    Decoy,
}

/// Why a send failed, as lettre sorts SMTP errors: retry, or give up.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: timeouts, connection failures, 429 and 5xx answers, SMTP 4xx.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying cannot help: invalid recipient, rejected credentials, SMTP 5xx.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl SendError {
    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// The SMS provider.
#[derive(Debug)]
pub enum SmsProvider {
    /// Twilio's Messages API.
    Twilio(twilio::Twilio),
    /// A signed JSON webhook.
    Webhook(webhook::Webhook),
}

/// The configured ways to deliver codes.
#[derive(Debug, Clone)]
pub struct Delivery {
    dev: bool,
    email: Option<Arc<smtp::Smtp>>,
    sms: Option<Arc<SmsProvider>>,
    texts: Arc<Texts>,
}

impl Delivery {
    /// The delivery the configuration asks for, or why there is none.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let d = &config.delivery;
        let texts = Texts::load(
            d.app_name.clone(),
            d.email_templates_dir.as_deref(),
            d.sms_domain.clone(),
        )
        // The built-in texts always load: a failure is the directory's.
        .map_err(|e| ConfigError::new(format!("--email-templates-dir: {e:#}")))?;
        let texts = Arc::new(texts);
        let email = match (&d.smtp_url, &d.email_from) {
            (Some(url), Some(from)) => Some(Arc::new(smtp::Smtp::new(url.expose(), from)?)),
            (Some(_), None) => {
                return Err(refuse("--smtp-url needs --email-from (OTP_EMAIL_FROM)"));
            }
            (None, Some(_)) => return Err(refuse("--email-from needs --smtp-url (OTP_SMTP_URL)")),
            (None, None) => None,
        };
        let twilio = match (&d.twilio_account_sid, &d.twilio_auth_token) {
            (Some(sid), Some(token)) => Some(twilio::Twilio::new(
                d.twilio_base_url.expose(),
                sid,
                token.expose(),
                d.twilio_from.clone(),
                d.twilio_messaging_service_sid.clone(),
            )?),
            (None, None) => None,
            _ => {
                return Err(refuse(
                    "Twilio needs both --twilio-account-sid and --twilio-auth-token",
                ));
            }
        };
        let webhook = match (&d.sms_webhook_url, &d.sms_webhook_secret) {
            (Some(url), Some(secret)) => {
                Some(webhook::Webhook::new(url.expose(), secret.expose())?)
            }
            (None, None) => None,
            _ => {
                return Err(refuse(
                    "the SMS webhook needs both --sms-webhook-url and --sms-webhook-secret",
                ));
            }
        };
        let sms = match (twilio, webhook) {
            (Some(_), Some(_)) => {
                return Err(refuse(
                    "configure one SMS provider: Twilio or the webhook, not both",
                ));
            }
            (Some(t), None) => Some(Arc::new(SmsProvider::Twilio(t))),
            (None, Some(w)) => Some(Arc::new(SmsProvider::Webhook(w))),
            (None, None) => None,
        };
        if !config.dev && email.is_none() && sms.is_none() {
            return Err(refuse(
                "no delivery provider is configured, so codes could not reach users: configure SMTP \
                 (--smtp-url, --email-from) and/or an SMS provider (Twilio or --sms-webhook-url), \
                 or start with --dev (OTP_DEV=1) for local development",
            ));
        }
        if sms.is_some() && d.sms_allowed_countries.is_empty() {
            tracing::warn!(
                "text messages may go to every country: set --sms-allowed-countries (OTP_SMS_ALLOWED_COUNTRIES) \
                 to the calling codes of your users to limit SMS pumping"
            );
        }
        Ok(Self {
            dev: config.dev,
            email,
            sms,
            texts,
        })
    }

    /// Whether this is dev mode (console and dev outbox).
    pub fn is_dev(&self) -> bool {
        self.dev
    }

    /// Whether codes can be delivered to this kind of identifier.
    pub fn supports(&self, kind: IdentifierKind) -> bool {
        self.dev || self.provider_for(kind)
    }

    /// Whether messages to this kind of identifier go through the outbox and a provider.
    pub fn provider_for(&self, kind: IdentifierKind) -> bool {
        match kind {
            IdentifierKind::Email => self.email.is_some(),
            IdentifierKind::Phone => self.sms.is_some(),
        }
    }

    /// The texts, for the dev outbox.
    pub fn texts(&self) -> &Texts {
        &self.texts
    }

    /// Dev mode: prints the message on the console.
    pub fn print_dev(&self, message: &OutboxMessage) {
        console::print(message);
    }

    /// Sends a message through its channel's provider; `Ok` carries the provider's message id.
    pub async fn send(&self, message: &Message, now_ms: i64) -> Result<Option<String>, SendError> {
        match message.channel {
            Channel::Email => {
                let smtp = self
                    .email
                    .as_ref()
                    .ok_or_else(|| SendError::Permanent("no email provider".into()))?;
                let (subject, text, html) = self
                    .texts
                    .email(message)
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                smtp.send(&message.to, &subject, text, html).await
            }
            Channel::Sms => {
                let body = self
                    .texts
                    .sms(message)
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                match self
                    .sms
                    .as_deref()
                    .ok_or_else(|| SendError::Permanent("no SMS provider".into()))?
                {
                    SmsProvider::Twilio(t) => t.send(&message.to, &body).await.map(Some),
                    SmsProvider::Webhook(w) => w.send(message, &body, now_ms).await.map(|()| None),
                }
            }
        }
    }
}

/// A provider's HTTP endpoint, by the host and port it may be named by in logs and in the
/// outbox's `last_error`: never the URL, whose user info or query string may hold a secret.
pub(crate) fn endpoint_host(url: &str, flag: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| refuse(&format!("{flag} must be an http:// or https:// URL")))?;
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}{port}", parsed.host_str().unwrap_or_default()))
}

/// A request that got no answer, as a transient error naming the provider, its host and the
/// cause: reqwest's own message quotes the whole URL.
fn unreachable(provider: &str, host: &str, error: reqwest::Error) -> SendError {
    let error = error.without_url();
    let cause = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        let mut root: &dyn std::error::Error = &error;
        while let Some(source) = root.source() {
            root = source;
        }
        root.to_string()
    };
    SendError::Transient(format!("{provider} at {host} unreachable: {cause}"))
}

/// A configuration the delivery cannot work with (see [`ConfigError`]).
fn refuse(message: &str) -> anyhow::Error {
    ConfigError::new(message).into()
}

/// The channel that reaches an identifier.
pub fn channel_of(to: &Identifier) -> Channel {
    match to.kind() {
        IdentifierKind::Phone => Channel::Sms,
        IdentifierKind::Email => Channel::Email,
    }
}
