//! Phone numbers and email addresses, parsed and normalized once at the edge.

use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentifierError {
    /// Not a phone number that could receive a text.
    #[error("is not a valid phone number")]
    InvalidPhone,
    /// Not a deliverable-looking email address.
    #[error("is not a valid email address")]
    InvalidEmail,
}

/// A phone number in E.164 (`+15551234567`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses an international number, or a national one in `default_region` (ISO 3166 alpha-2,
    /// such as `US`), and normalizes it to E.164.
    pub fn parse(
        input: &str,
        default_region: Option<phonenumber::country::Id>,
    ) -> Result<Self, IdentifierError> {
        let input = input.trim();
        if input.is_empty() || input.len() > 64 {
            return Err(IdentifierError::InvalidPhone);
        }
        let parsed =
            phonenumber::parse(default_region, input).map_err(|_| IdentifierError::InvalidPhone)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(IdentifierError::InvalidPhone);
        }
        Ok(Self(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country calling code (`1` for `+1…`, `44` for `+44…`).
    pub fn calling_code(&self) -> u16 {
        phonenumber::parse(None, &self.0)
            .map(|p| p.code().value())
            .unwrap_or(0)
    }

    /// Masked for display to someone who may not own it: `+1********67`.
    pub fn masked(&self) -> String {
        otp_proto::mask::mask_identifier(&self.0)
    }
}

/// An email address, trimmed, with its domain lowercased (the local part is kept as given:
/// only the receiving server may decide whether it is case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and normalizes an email address.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let input = input.trim();
        if input.len() > 254 {
            return Err(IdentifierError::InvalidEmail);
        }
        let parsed: email_address::EmailAddress =
            input.parse().map_err(|_| IdentifierError::InvalidEmail)?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        // Display names, IP-literal domains and dotless domains are legal in RFC 5322 but never
        // what a person typing their address means.
        if input.contains('<') || domain.starts_with('[') || !domain.contains('.') {
            return Err(IdentifierError::InvalidEmail);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The normalized form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for display: `j***@example.com`.
    pub fn masked(&self) -> String {
        otp_proto::mask::mask_identifier(&self.0)
    }
}

/// Which kind of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierKind {
    /// A phone number, verified with `phone_code`.
    Phone,
    /// An email address, verified with `email_code`.
    Email,
}

impl IdentifierKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
        }
    }

    /// The strategy that verifies this kind.
    pub fn strategy(self) -> otp_proto::Strategy {
        match self {
            Self::Phone => otp_proto::Strategy::PhoneCode,
            Self::Email => otp_proto::Strategy::EmailCode,
        }
    }

    /// The request field that carries this kind (`phone_number`, `email_address`).
    pub fn field(self) -> &'static str {
        match self {
            Self::Phone => "phone_number",
            Self::Email => "email_address",
        }
    }
}

/// A user's phone number or email address: what codes are sent to and what limits count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// A phone number.
    Phone(PhoneNumber),
    /// An email address.
    Email(EmailAddress),
}

impl Identifier {
    /// Parses whatever a user typed in a single "phone or email" field: an `@` means email.
    pub fn parse_any(
        input: &str,
        default_region: Option<phonenumber::country::Id>,
    ) -> Result<Self, IdentifierError> {
        if input.contains('@') {
            EmailAddress::parse(input).map(Self::Email)
        } else {
            PhoneNumber::parse(input, default_region).map(Self::Phone)
        }
    }

    /// Rebuilds an identifier that was normalized before it was stored.
    pub fn from_stored(kind: &str, value: String) -> Self {
        match kind {
            "email" => Self::Email(EmailAddress(value)),
            _ => Self::Phone(PhoneNumber(value)),
        }
    }

    /// The kind.
    pub fn kind(&self) -> IdentifierKind {
        match self {
            Self::Phone(_) => IdentifierKind::Phone,
            Self::Email(_) => IdentifierKind::Email,
        }
    }

    /// The normalized value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(p) => p.as_str(),
            Self::Email(e) => e.as_str(),
        }
    }

    /// The masked value.
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(p) => p.masked(),
            Self::Email(e) => e.masked(),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id;

    #[test]
    fn phone_numbers_are_normalized_to_e164() {
        let p = PhoneNumber::parse(" +1 (202) 555-0143 ", None).expect("valid");
        assert_eq!(p.as_str(), "+12025550143");
        let national = PhoneNumber::parse("(202) 555-0143", Some(Id::US)).expect("valid");
        assert_eq!(national, p);
        let uk = PhoneNumber::parse("07400 123456", Some(Id::GB)).expect("valid");
        assert_eq!(uk.as_str(), "+447400123456");
    }

    #[test]
    fn bad_phone_numbers_are_refused() {
        for bad in ["", "hello", "+1", "12345", "+999 123 456", "(202) 555-0143"] {
            assert_eq!(
                PhoneNumber::parse(bad, None),
                Err(IdentifierError::InvalidPhone),
                "{bad}"
            );
        }
    }

    #[test]
    fn emails_are_trimmed_and_their_domain_lowercased() {
        let e = EmailAddress::parse("  Jane.Doe@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Jane.Doe@example.com");
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@localhost",
            "Jane <jane@example.com>",
            "a b@example.com",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(IdentifierError::InvalidEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn masks_hide_all_but_a_hint() {
        let p = PhoneNumber::parse("+12025550143", None).expect("valid");
        assert_eq!(p.masked(), "+1********43");
        let e = EmailAddress::parse("jane@example.com").expect("valid");
        assert_eq!(e.masked(), "j***@example.com");
    }

    #[test]
    fn an_at_sign_makes_an_email() {
        assert_eq!(
            Identifier::parse_any("jane@example.com", None)
                .expect("ok")
                .kind(),
            IdentifierKind::Email
        );
        assert_eq!(
            Identifier::parse_any("+12025550143", None)
                .expect("ok")
                .kind(),
            IdentifierKind::Phone
        );
    }
}
