//! Identifiers formatted for reading.

/// A phone number in E.164 (`+12025550143`) as people write it internationally
/// (`+1 202-555-0143`); anything else (an email, a number libphonenumber does not know) as it is.
///
/// ```
/// assert_eq!(otp_dioxus::format_identifier("+12025550143"), "+1 202-555-0143");
/// assert_eq!(otp_dioxus::format_identifier("+33612345678"), "+33 6 12 34 56 78");
/// assert_eq!(otp_dioxus::format_identifier("jane@example.com"), "jane@example.com");
/// ```
pub fn format_identifier(identifier: &str) -> String {
    if !identifier.starts_with('+') {
        return identifier.to_owned();
    }
    match phonenumber::parse(None, identifier) {
        Ok(number) => number
            .format()
            .mode(phonenumber::Mode::International)
            .to_string(),
        Err(_) => identifier.to_owned(),
    }
}
