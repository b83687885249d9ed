//! Masking identifiers for display to someone who may not own them (Clerk's `safe_identifier`):
//! shared so that the server's sign-in factors and the app's sign-up screen hide the same way.

/// `+12025550143` → `+1********43`; `jane@example.com` → `j***@example.com`.
/// Expects a normalized identifier (E.164 phone number or email address).
pub fn mask_identifier(identifier: &str) -> String {
    match identifier.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => {
            let digits: Vec<char> = identifier.trim_start_matches('+').chars().collect();
            let keep_start = digits.len().min(1);
            let keep_end = 2.min(digits.len().saturating_sub(keep_start));
            let hidden = digits.len() - keep_start - keep_end;
            let mut out = String::from("+");
            out.extend(&digits[..keep_start]);
            out.extend(std::iter::repeat_n('*', hidden));
            out.extend(&digits[digits.len() - keep_end..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask_identifier;

    #[test]
    fn masks_keep_only_a_hint() {
        assert_eq!(mask_identifier("+12025550143"), "+1********43");
        assert_eq!(mask_identifier("+447400123456"), "+4*********56");
        assert_eq!(mask_identifier("jane@example.com"), "j***@example.com");
    }
}
