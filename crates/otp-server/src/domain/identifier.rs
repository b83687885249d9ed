//! Phone numbers and email addresses, parsed and normalized once at the edge.

use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_security::{GeneralSecurityProfile, MixedScript};

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

/// An email address: what the user typed, and the canonical key that stands for the mailbox.
///
/// Two addresses are the same identifier (one account, one set of send limits, one lock-out)
/// when their keys are equal: the key is the address in Unicode NFC with its local part
/// lowercased and its domain lowercased and IDNA-encoded (UTS 46), so `Alice@Example.com`,
/// `alice@example.COM`, and `alice@exämple.com` / `alice@xn--exmple-cua.com` are one each.
/// (RFC 5321 lets a receiving server treat `Alice` and `alice` as two mailboxes; no provider in
/// use does, and two accounts for one person's mailbox is the worse risk.) What is refused is
/// what a person would not type and cannot see: quoted local parts, control, invisible and
/// format characters (anything outside UTS 39's identifier characters), and a local part or
/// domain label that mixes scripts (a Cyrillic `а` among Latin letters). Equality compares keys.
#[derive(Debug, Clone)]
pub struct EmailAddress {
    /// As typed, trimmed: what responses show and where messages go.
    display: String,
    /// The canonical key: what matching, limits and uniqueness use.
    key: String,
    /// What the server stored for this input before keys existed (the local part as typed, the
    /// domain ASCII-lowercased): how an account kept from then under that form is found.
    legacy: String,
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for EmailAddress {}

impl EmailAddress {
    /// Parses an email address and computes its canonical key; refuses what is not an address
    /// a person types (see the type's documentation).
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let input = input.trim();
        if input.len() > 254 {
            return Err(IdentifierError::InvalidEmail);
        }
        let parsed: email_address::EmailAddress =
            input.parse().map_err(|_| IdentifierError::InvalidEmail)?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        // Display names, IP-literal domains and quoted local parts are legal in RFC 5322 but
        // never what a person typing their address means (a quoted `"alice"` is `alice` to
        // most servers, a second key to us).
        if input.contains('<') || domain.starts_with('[') || local.contains(['"', '\\']) {
            return Err(IdentifierError::InvalidEmail);
        }
        let legacy = format!("{local}@{}", domain.to_ascii_lowercase());
        let local: String = local.nfc().collect();
        if !visible_identifier_chars(&local) || !local.as_str().is_single_script() {
            return Err(IdentifierError::InvalidEmail);
        }
        let domain: String = domain.nfc().collect();
        if !visible_identifier_chars(&domain) {
            return Err(IdentifierError::InvalidEmail);
        }
        let ascii_domain =
            idna::domain_to_ascii_strict(&domain).map_err(|_| IdentifierError::InvalidEmail)?;
        // A dotless domain is legal but never what a person typing their address means.
        if !ascii_domain.contains('.') {
            return Err(IdentifierError::InvalidEmail);
        }
        let (unicode_domain, decoded) = idna::domain_to_unicode(&ascii_domain);
        if decoded.is_err()
            || !unicode_domain
                .split('.')
                .all(|label| label.is_single_script())
        {
            return Err(IdentifierError::InvalidEmail);
        }
        let lower_local: String = local.to_lowercase().nfc().collect();
        let key = format!("{lower_local}@{ascii_domain}");
        if key.len() > 254 {
            return Err(IdentifierError::InvalidEmail);
        }
        Ok(Self {
            display: input.to_owned(),
            key,
            legacy,
        })
    }

    /// Rebuilds a stored address (any form this type ever stored): parsed again for its key,
    /// or, when it no longer parses (an address kept from before the refusals), kept as it is
    /// with itself as its key.
    fn from_stored(value: String) -> Self {
        if let Some(legacy) = plain_ascii_legacy(&value) {
            return Self {
                key: value.to_ascii_lowercase(),
                legacy,
                display: value,
            };
        }
        Self::parse(&value).unwrap_or_else(|_| Self {
            key: value.clone(),
            legacy: value.clone(),
            display: value,
        })
    }

    /// The address as the user typed it (trimmed): what responses show and where messages go.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The canonical key: what the server matches, counts limits on, and keeps unique.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What the server stored for this input before canonical keys (see `docs/protocol.md`,
    /// "Email addresses"): the exact form under which a kept duplicate account is found.
    pub fn legacy_value(&self) -> &str {
        &self.legacy
    }

    /// Masked for display: `j***@example.com`.
    pub fn masked(&self) -> String {
        otp_proto::mask::mask_identifier(&self.display)
    }
}

/// Whether every character of `s` is printable ASCII or a character UTS 39 allows in
/// identifiers: that excludes control, format (Cf: zero-width space and joiners, bidi
/// controls) and other default-ignorable characters, compatibility forms (full-width letters),
/// symbols and emoji, and obsolete or limited-use scripts.
fn visible_identifier_chars(s: &str) -> bool {
    s.chars().all(|c| {
        if c.is_ascii() {
            c.is_ascii_graphic()
        } else {
            c.identifier_allowed()
        }
    })
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

/// The legacy form of a stored address in the plain ASCII shape nearly every address has
/// (letters, digits, `.`, `_`, `+`, `-`; LDH domain labels, no punycode, a letters-only top
/// level), or `None` for anything else. For such an address [`EmailAddress::parse`] always
/// succeeds, its key is the address in ASCII lower case and its legacy form lowercases only the
/// domain, so rebuilding a stored one skips the Unicode and IDNA work: the full parse cost 7 %
/// of the server's instructions per sign-up flow, rebuilding the stored addresses it shows
/// (callgrind). `plain_addresses_rebuild_as_parsed` checks the claim.
fn plain_ascii_legacy(value: &str) -> Option<String> {
    let (local, domain) = value.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
                && !l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    (local_ok && domain_ok && value.len() <= 254)
        .then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
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

    /// Rebuilds an identifier that was parsed before it was stored (an email's key is
    /// computed again: only what the user typed is stored with sign-ups, sign-ins and codes).
    pub fn from_stored(kind: &str, value: String) -> Self {
        match kind {
            "email" => Self::Email(EmailAddress::from_stored(value)),
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

    /// The value to show and send to: an email as typed, a phone number in E.164.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(p) => p.as_str(),
            Self::Email(e) => e.as_str(),
        }
    }

    /// The canonical key: what matching, send limits, lock-outs and uniqueness use (E.164 for
    /// a phone number, [`EmailAddress::key`] for an email).
    pub fn key(&self) -> &str {
        match self {
            Self::Phone(p) => p.as_str(),
            Self::Email(e) => e.key(),
        }
    }

    /// The form the server stored before canonical keys: how an account kept from then under
    /// its exact form is found ([`EmailAddress::legacy_value`]; E.164 for a phone number).
    pub fn legacy_value(&self) -> &str {
        match self {
            Self::Phone(p) => p.as_str(),
            Self::Email(e) => e.legacy_value(),
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

    fn key(input: &str) -> String {
        EmailAddress::parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .key()
            .to_owned()
    }

    #[test]
    fn emails_keep_what_was_typed_for_display() {
        let e = EmailAddress::parse("  Jane.Doe@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Jane.Doe@Example.COM");
        assert_eq!(e.key(), "jane.doe@example.com");
        assert_eq!(e.legacy_value(), "Jane.Doe@example.com");
        assert_eq!(e.masked(), "J***@Example.COM");
    }

    #[test]
    fn casings_of_one_address_have_one_key() {
        for same in [
            "Alice@Example.com",
            "ALICE@example.COM",
            "alice@EXAMPLE.com",
        ] {
            assert_eq!(key(same), "alice@example.com", "{same}");
        }
        assert_eq!(
            EmailAddress::parse("Alice@example.com"),
            EmailAddress::parse("aLiCe@example.com")
        );
        assert_ne!(key("alice@example.com"), key("alice2@example.com"));
        // Beyond ASCII: full lowercase, not just ASCII's.
        assert_eq!(key("ÉLODIE@example.fr"), key("élodie@example.fr"));
        assert_eq!(key("STRASSE@example.de"), "strasse@example.de");
    }

    #[test]
    fn unicode_domains_and_their_punycode_are_one_key() {
        assert_eq!(key("alice@exämple.com"), "alice@xn--exmple-cua.com");
        assert_eq!(key("alice@xn--exmple-cua.com"), "alice@xn--exmple-cua.com");
        assert_eq!(key("alice@EXÄMPLE.com"), "alice@xn--exmple-cua.com");
    }

    #[test]
    fn composed_and_decomposed_forms_are_one_key() {
        let composed = "jos\u{e9}@example.com";
        let decomposed = "jose\u{301}@example.com";
        assert_eq!(key(composed), key(decomposed));
        assert_eq!(
            key("jos\u{e9}@ex\u{e4}mple.com"),
            key("jose\u{301}@exa\u{308}mple.com")
        );
    }

    #[test]
    fn single_script_local_parts_beyond_latin_are_accepted() {
        for ok in [
            "иван@example.ru",
            "ИВАН@пример.рф",
            "müller.straße@example.de",
            "山田@example.jp",
            "やまだ太郎@example.jp",
            "jane+news@example.com",
            "o'brien@example.ie",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(key("ИВАН@example.ru"), key("иван@example.ru"));
    }

    #[test]
    fn invisible_quoted_and_mixed_script_addresses_are_refused() {
        for bad in [
            "\"alice\"@example.com",
            "\"al ice\"@example.com",
            "al\u{200b}ice@example.com",
            "alice\u{200d}@example.com",
            "\u{feff}alice@example.com",
            "al\u{ad}ice@example.com",
            "ali\u{202e}ecod@example.com",
            "al\u{7}ice@example.com",
            "al\u{85}ice@example.com",
            "\u{430}lice@example.com",
            "p\u{430}ypal@example.com",
            "alice@ex\u{430}mple.com",
            "alice@ex\u{200b}ample.com",
            "\u{ff41}lice@example.com",
            "alice\u{1f600}@example.com",
            "alice@xn--exmple-4nf.com",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(IdentifierError::InvalidEmail),
                "{}",
                bad.escape_unicode()
            );
        }
    }

    #[test]
    fn stored_addresses_get_their_key_back() {
        let typed = EmailAddress::parse("Alice@Example.com").expect("valid");
        let Identifier::Email(stored) = Identifier::from_stored("email", typed.as_str().to_owned())
        else {
            panic!("an email");
        };
        assert_eq!(stored.as_str(), "Alice@Example.com");
        assert_eq!(stored.key(), "alice@example.com");
        // A value stored before the refusals still loads, as its own key.
        let old = Identifier::from_stored("email", "\u{430}lice@example.com".to_owned());
        assert_eq!(old.key(), "\u{430}lice@example.com");
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

    #[test]
    fn plain_addresses_rebuild_as_parsed() {
        // Every address the fast path takes must parse to the same key and legacy form; drawn
        // from the characters at its edges (dots, dashes, case, `xn--`, lengths).
        let parts = [
            "a", "Z", "0", ".", "-", "+", "_", "..", "xn--", "XN--", "bob", "Ann.Lee", "a-b", "-a",
            "a-", "é", "1", "com", "Com", "c0m", "io", "x",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut taken = 0;
        for _ in 0..50_000 {
            let local: String = (0..1 + next(3)).map(|_| parts[next(parts.len())]).collect();
            let labels: Vec<String> = (0..1 + next(3))
                .map(|_| (0..1 + next(2)).map(|_| parts[next(parts.len())]).collect())
                .collect();
            let value = format!("{local}@{}", labels.join("."));
            if let Some(legacy) = plain_ascii_legacy(&value) {
                taken += 1;
                let parsed = EmailAddress::parse(&value).unwrap_or_else(|e| {
                    panic!("{value} took the fast path but does not parse: {e}")
                });
                assert_eq!(parsed.key(), value.to_ascii_lowercase(), "{value}");
                assert_eq!(parsed.legacy_value(), legacy, "{value}");
                assert_eq!(parsed.as_str(), value);
            }
        }
        assert!(taken > 1_000, "only {taken} addresses took the fast path");
        assert!(plain_ascii_legacy("Jane.Doe@Example.COM").is_some());
        for other in [
            "jane@xn--bcher-kva.example",
            "jané@example.com",
            "a@b",
            "a..b@example.com",
            "a@1.23",
        ] {
            assert!(plain_ascii_legacy(other).is_none(), "{other}");
        }
    }
}
