//! Every protocol error as a clear sentence, placed next to the field it concerns, with the way
//! out a user needs (resend, sign in instead, retry). Nothing is left to the console.

use super::machine::{Channel, Field, FormError, Remedy};
use otp_client::{Error, ErrorCode};

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
}

/// Describes an SDK error for the user.
pub fn describe(error: &Error, context: Context) -> FormError {
    let entry_field = match context {
        Context::SignUp(_) | Context::SignIn(_) => Field::Identifier,
        Context::Verify | Context::Resend => Field::Code,
        Context::Session => Field::Form,
    };
    let api = match error {
        Error::Api(api) => api,
        Error::Transport(_) => {
            return FormError {
                field: Field::Form,
                message: "Can't reach the server. Check your connection and try again.".into(),
                remedy: Some(Remedy::Retry),
                retry_after_secs: None,
            };
        }
        Error::Protocol(_) | Error::State(_) => {
            return FormError {
                field: Field::Form,
                message: "Something went wrong. Please try again.".into(),
                remedy: Some(Remedy::Retry),
                retry_after_secs: None,
            };
        }
    };
    let what = match context {
        Context::SignUp(Channel::Email) | Context::SignIn(Channel::Email) => "email address",
        _ => "phone number",
    };
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let (field, message, remedy) = match &api.code {
        ErrorCode::FormParamMissing => match api.param_name.as_deref() {
            Some("code") => (Field::Code, "Enter the 6-digit code.".to_owned(), None),
            _ => (entry_field, format!("Enter your {what}."), None),
        },
        ErrorCode::FormParamFormatInvalid => match api.param_name.as_deref() {
            Some("code") => (
                Field::Code,
                "Enter the 6-digit code from the message.".to_owned(),
                None,
            ),
            Some("phone_number") => (
                Field::Identifier,
                "That phone number isn't valid. Include the country code, like +1 202 555 0143."
                    .to_owned(),
                None,
            ),
            Some("email_address") => (
                Field::Identifier,
                "That email address isn't valid. Check it and try again.".to_owned(),
                None,
            ),
            Some("identifier") => (
                Field::Identifier,
                format!("That {what} isn't valid. Check it and try again."),
                None,
            ),
            _ => (
                entry_field,
                "Something in the form isn't valid. Check it and try again.".to_owned(),
                None,
            ),
        },
        ErrorCode::FormIdentifierExists => (
            Field::Identifier,
            format!("An account with this {what} already exists."),
            Some(Remedy::SignInInstead),
        ),
        ErrorCode::FormIdentifierNotFound => (
            Field::Identifier,
            format!("No account uses this {what}."),
            Some(Remedy::SignUpInstead),
        ),
        ErrorCode::FormCodeIncorrect => {
            let message = match api.remaining_attempts {
                Some(n) => format!(
                    "That code is incorrect. {n} attempt{} left.",
                    plural(u64::from(n))
                ),
                None => "That code is incorrect.".to_owned(),
            };
            (Field::Code, message, None)
        }
        ErrorCode::VerificationExpired => (
            Field::Code,
            "This code has expired. Send a new code.".to_owned(),
            Some(Remedy::Resend),
        ),
        ErrorCode::VerificationFailed => (
            Field::Code,
            "Too many incorrect attempts. Send a new code.".to_owned(),
            Some(Remedy::Resend),
        ),
        ErrorCode::VerificationAlreadyVerified => (
            Field::Form,
            "This code was already used. Start again.".to_owned(),
            Some(Remedy::StartOver),
        ),
        ErrorCode::StrategyForUserInvalid => (
            entry_field,
            format!("This account can't receive a code by {what}."),
            None,
        ),
        ErrorCode::TooManyRequests => {
            let message = match api.retry_after_secs {
                Some(s) => format!("Too many requests. Try again in {s} second{}.", plural(s)),
                None => "Too many requests. Try again later.".to_owned(),
            };
            (entry_field, message, None)
        }
        ErrorCode::UserLocked => {
            let minutes = api.retry_after_secs.map(|s| s.div_ceil(60));
            let message = match minutes {
                Some(m) => format!(
                    "Too many incorrect codes. This account is locked for {m} minute{}.",
                    plural(m)
                ),
                None => "Too many incorrect codes. This account is locked for a while.".to_owned(),
            };
            (entry_field, message, None)
        }
        ErrorCode::ResourceNotFound => (
            Field::Form,
            "This sign-in attempt has expired. Start again.".to_owned(),
            Some(Remedy::StartOver),
        ),
        ErrorCode::AuthenticationInvalid => (
            Field::Form,
            "Your session has ended. Sign in again.".to_owned(),
            None,
        ),
        ErrorCode::RequestBodyTooLarge => (
            entry_field,
            "That is too long. Check it and try again.".to_owned(),
            None,
        ),
        ErrorCode::OriginInvalid => (
            Field::Form,
            "The sign-in server doesn't accept requests from this web address. Its operator must \
             allow it (--allowed-origin)."
                .to_owned(),
            None,
        ),
        ErrorCode::InternalClerkError => (
            Field::Form,
            "Something went wrong on the server. Try again in a moment.".to_owned(),
            Some(Remedy::Retry),
        ),
        ErrorCode::RequestTimeout => (
            Field::Form,
            "The connection was too slow to send the request. Try again.".to_owned(),
            Some(Remedy::Retry),
        ),
        ErrorCode::MethodNotAllowed => (
            Field::Form,
            "The sign-in server doesn't support this request. Update the app, or tell its \
             developer."
                .to_owned(),
            None,
        ),
        ErrorCode::Other(_) => (Field::Form, api.long_message.clone(), Some(Remedy::Retry)),
    };
    FormError {
        field,
        message,
        remedy,
        retry_after_secs: api.retry_after_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn said(e: ApiError, context: Context) -> FormError {
        describe(&Error::from(e), context)
    }

    #[test]
    fn every_protocol_error_code_has_its_own_sentence() {
        let mut sentences = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let e = said(api(code.clone(), None), Context::Verify);
            assert!(
                !e.message.is_empty() && e.message.ends_with('.'),
                "{code}: {}",
                e.message
            );
            sentences.insert(e.message);
        }
        assert_eq!(
            sentences.len(),
            ErrorCode::ALL.len(),
            "no two codes read the same"
        );
    }

    #[test]
    fn a_wrong_code_says_how_many_attempts_are_left() {
        let mut e = api(ErrorCode::FormCodeIncorrect, Some("code"));
        e.remaining_attempts = Some(1);
        let f = said(e, Context::Verify);
        assert_eq!(
            (f.field, f.message.as_str()),
            (Field::Code, "That code is incorrect. 1 attempt left.")
        );
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
