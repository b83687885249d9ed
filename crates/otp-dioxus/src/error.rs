//! [`Error`]: what every call of this crate fails with. It keeps the protocol's error code and
//! gives the sentence to show, next to the field it concerns, with the way out a user needs
//! (resend, sign in instead, retry). Nothing is left to the console.

use crate::channel::Channel;
use crate::strings::{Strings, Text};
use otp_client::ErrorCode;

/// Which field an error is shown next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The phone number or email input.
    Identifier,
    /// The code input.
    Code,
    /// The form as a whole (connection problems, expired attempts).
    Form,
}

/// What the user can do about an error, offered as a button beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// No account: create one with the same identifier.
    SignUpInstead,
    /// Already an account: sign in with the same identifier.
    SignInInstead,
    /// Send a new code.
    Resend,
    /// Try the same request again (the backend was unreachable).
    Retry,
    /// Start over from the identifier screen.
    StartOver,
}

/// A failed call, as the user should hear it.
///
/// ```
/// # use otp_dioxus::{Error, Field};
/// fn show(e: &Error) -> String {
///     match e.code.as_ref() {
///         Some(code) => format!("{e} ({code})"),
///         None => e.to_string(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The protocol's error code (`form_code_incorrect`, …); `None` when no answer came (the
    /// server was unreachable or too slow) or the answer made no sense.
    pub code: Option<ErrorCode>,
    /// Next to which field.
    pub field: Field,
    /// The sentence, in the provider's language.
    pub message: String,
    /// The offered way out, if any.
    pub remedy: Option<Remedy>,
    /// Seconds to wait before the request can succeed (429, locks).
    pub retry_after_secs: Option<u64>,
}

/// What the user was doing when the error came (it decides the field and some sentences).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Starting a sign-up with this channel.
    SignUp(Channel),
    /// Starting a sign-in.
    SignIn(Channel),
    /// Checking a code.
    Verify,
    /// Asking for another code.
    Resend,
    /// Loading the client at start, or signing out.
    Session,
    /// Adding a phone number or email address to the signed-in user's account (or verifying,
    /// making primary or removing one).
    Account(Channel),
}

impl Error {
    /// Describes an SDK error for the user, in `strings`' language.
    pub fn describe(error: &otp_client::Error, context: Context, strings: &Strings) -> Self {
        let entry_field = match context {
            Context::SignUp(_) | Context::SignIn(_) => Field::Identifier,
            Context::Verify | Context::Resend => Field::Code,
            Context::Session => Field::Form,
            Context::Account(_) => Field::Identifier,
        };
        let api = match error {
            otp_client::Error::Api(api) => api,
            otp_client::Error::Transport(_) => {
                return Self::form(strings.get(Text::Unreachable), Some(Remedy::Retry));
            }
            otp_client::Error::Protocol(_) | otp_client::Error::State(_) => {
                return Self::form(strings.get(Text::Unexpected), Some(Remedy::Retry));
            }
        };
        let email = matches!(
            context,
            Context::SignUp(Channel::Email)
                | Context::SignIn(Channel::Email)
                | Context::Account(Channel::Email)
        );
        let account = matches!(context, Context::Account(_));
        let pick = |phone: Text, mail: Text| if email { mail } else { phone };
        let text = |key: Text| strings.get(key).to_owned();
        let count = |one: Text, many: Text, n: u64| match n {
            1 => text(one),
            n => strings.fill(many, &[("n", &n.to_string())]),
        };
        let (field, message, remedy) = match &api.code {
            ErrorCode::FormParamMissing => match api.param_name.as_deref() {
                Some("code") => (Field::Code, text(Text::EnterCode), None),
                _ => (
                    entry_field,
                    text(pick(Text::EnterPhone, Text::EnterEmail)),
                    None,
                ),
            },
            ErrorCode::FormParamFormatInvalid => match api.param_name.as_deref() {
                Some("code") => (Field::Code, text(Text::CodeFormat), None),
                Some("phone_number") => (Field::Identifier, text(Text::PhoneInvalid), None),
                Some("email_address") => (Field::Identifier, text(Text::EmailInvalid), None),
                Some("identifier") => (
                    Field::Identifier,
                    text(pick(Text::PhoneInvalid, Text::EmailInvalid)),
                    None,
                ),
                _ => (entry_field, text(Text::FormInvalid), None),
            },
            ErrorCode::FormIdentifierExists if account => {
                (Field::Identifier, text(Text::IdentifierInUse), None)
            }
            ErrorCode::FormIdentifierExists => (
                Field::Identifier,
                text(pick(Text::PhoneExists, Text::EmailExists)),
                Some(Remedy::SignInInstead),
            ),
            ErrorCode::FormIdentifierNotFound => (
                Field::Identifier,
                text(pick(Text::PhoneNotFound, Text::EmailNotFound)),
                Some(Remedy::SignUpInstead),
            ),
            ErrorCode::FormCodeIncorrect => {
                let message = match api.remaining_attempts {
                    Some(n) => count(
                        Text::CodeIncorrectOneLeft,
                        Text::CodeIncorrectLeft,
                        u64::from(n),
                    ),
                    None => text(Text::CodeIncorrect),
                };
                (Field::Code, message, None)
            }
            ErrorCode::VerificationExpired => {
                (Field::Code, text(Text::CodeExpired), Some(Remedy::Resend))
            }
            ErrorCode::VerificationFailed => (
                Field::Code,
                text(Text::TooManyAttempts),
                Some(Remedy::Resend),
            ),
            ErrorCode::VerificationAlreadyVerified => (
                Field::Form,
                text(Text::CodeAlreadyUsed),
                Some(Remedy::StartOver),
            ),
            ErrorCode::StrategyForUserInvalid => (
                entry_field,
                text(pick(Text::PhoneStrategyInvalid, Text::EmailStrategyInvalid)),
                None,
            ),
            ErrorCode::TooManyRequests => {
                let message = match api.retry_after_secs {
                    Some(s) => count(Text::TooManyRequestsOneSecond, Text::TooManyRequestsIn, s),
                    None => text(Text::TooManyRequestsLater),
                };
                (entry_field, message, None)
            }
            ErrorCode::UserLocked => {
                let message = match api.retry_after_secs.map(|s| s.div_ceil(60)) {
                    Some(m) => count(Text::LockedOneMinute, Text::LockedFor, m),
                    None => text(Text::LockedLater),
                };
                (entry_field, message, None)
            }
            ErrorCode::ResourceNotFound => (
                Field::Form,
                text(Text::AttemptExpired),
                Some(Remedy::StartOver),
            ),
            ErrorCode::AuthenticationInvalid => (Field::Form, text(Text::SessionEnded), None),
            ErrorCode::RequestBodyTooLarge => (entry_field, text(Text::TooLong), None),
            ErrorCode::OriginInvalid => (Field::Form, text(Text::OriginInvalid), None),
            ErrorCode::InternalClerkError => {
                (Field::Form, text(Text::ServerError), Some(Remedy::Retry))
            }
            ErrorCode::RequestTimeout => {
                (Field::Form, text(Text::RequestTimeout), Some(Remedy::Retry))
            }
            ErrorCode::MethodNotAllowed => (Field::Form, text(Text::MethodNotAllowed), None),
            ErrorCode::SessionReverificationRequired => {
                (Field::Form, text(Text::ReverificationRequired), None)
            }
            ErrorCode::IdentificationDeletionFailed => {
                (Field::Form, text(Text::LastIdentifier), None)
            }
            ErrorCode::FormVerificationNeeded => (Field::Form, text(Text::VerifyFirst), None),
            ErrorCode::UserBanned => (Field::Form, text(Text::Banned), Some(Remedy::StartOver)),
            ErrorCode::ClerkKeyInvalid => (Field::Form, text(Text::KeyInvalid), None),
            ErrorCode::Other(_) => (Field::Form, api.long_message.clone(), Some(Remedy::Retry)),
        };
        Self {
            code: Some(api.code.clone()),
            field,
            message,
            remedy,
            retry_after_secs: api.retry_after_secs,
        }
    }

    /// An error about the form as a whole, with no protocol code.
    pub(crate) fn form(message: &str, remedy: Option<Remedy>) -> Self {
        Self {
            code: None,
            field: Field::Form,
            message: message.to_owned(),
            remedy,
            retry_after_secs: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::Locale;
    use otp_client::ApiError;

    fn api(code: ErrorCode, param: Option<&str>) -> ApiError {
        ApiError {
            status: code.http_status(),
            code,
            message: String::new(),
            long_message: "from the server".into(),
            param_name: param.map(Into::into),
            retry_after_secs: None,
            remaining_attempts: None,
        }
    }

    fn said_in(locale: Locale, e: ApiError, context: Context) -> Error {
        Error::describe(&otp_client::Error::from(e), context, &Strings::new(locale))
    }

    fn said(e: ApiError, context: Context) -> Error {
        said_in(Locale::En, e, context)
    }

    #[test]
    fn every_protocol_error_code_has_its_own_sentence_in_each_language() {
        for locale in [Locale::En, Locale::Fr, Locale::Es] {
            let mut sentences = std::collections::HashSet::new();
            for code in ErrorCode::ALL {
                let e = said_in(locale, api(code.clone(), None), Context::Verify);
                assert!(
                    !e.message.is_empty() && e.message.ends_with('.'),
                    "{code}: {}",
                    e.message
                );
                assert_eq!(e.code.as_ref(), Some(&code), "the code is kept");
                sentences.insert(e.message);
            }
            assert_eq!(
                sentences.len(),
                ErrorCode::ALL.len(),
                "no two codes read the same in {locale:?}"
            );
        }
    }

    #[test]
    fn a_wrong_code_says_how_many_attempts_are_left() {
        let mut e = api(ErrorCode::FormCodeIncorrect, Some("code"));
        e.remaining_attempts = Some(1);
        let f = said(e.clone(), Context::Verify);
        assert_eq!(
            (f.field, f.message.as_str()),
            (Field::Code, "That code is incorrect. 1 attempt left.")
        );
        e.remaining_attempts = Some(3);
        let f = said_in(Locale::Fr, e, Context::Verify);
        assert_eq!(f.message, "Ce code est incorrect. Il reste 3 essais.");
    }

    #[test]
    fn an_expired_or_failed_code_offers_a_new_one() {
        for code in [
            ErrorCode::VerificationExpired,
            ErrorCode::VerificationFailed,
        ] {
            assert_eq!(
                said(api(code, Some("code")), Context::Verify).remedy,
                Some(Remedy::Resend)
            );
        }
    }

    #[test]
    fn too_many_requests_says_how_long_to_wait() {
        let mut e = api(ErrorCode::TooManyRequests, None);
        e.retry_after_secs = Some(25);
        let f = said(e, Context::SignUp(Channel::Phone));
        assert_eq!(f.field, Field::Identifier);
        assert_eq!(f.message, "Too many requests. Try again in 25 seconds.");
        assert_eq!(f.retry_after_secs, Some(25));
    }

    #[test]
    fn identifiers_that_exist_or_do_not_offer_the_other_flow() {
        let f = said(
            api(ErrorCode::FormIdentifierExists, Some("phone_number")),
            Context::SignUp(Channel::Phone),
        );
        assert_eq!(
            (f.field, f.remedy),
            (Field::Identifier, Some(Remedy::SignInInstead))
        );
        assert_eq!(
            f.message,
            "An account with this phone number already exists."
        );
        let f = said(
            api(ErrorCode::FormIdentifierNotFound, Some("identifier")),
            Context::SignIn(Channel::Email),
        );
        assert_eq!(f.message, "No account uses this email address.");
        assert_eq!(f.remedy, Some(Remedy::SignUpInstead));
    }

    #[test]
    fn an_invalid_number_says_how_to_write_one() {
        let f = said(
            api(ErrorCode::FormParamFormatInvalid, Some("phone_number")),
            Context::SignUp(Channel::Phone),
        );
        assert_eq!(f.field, Field::Identifier);
        assert!(f.message.contains("country code"));
    }
}
