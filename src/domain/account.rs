//! Account rules: what a username may be and how long a password must be.

/// What a username may be, in the words shown when one is refused.
pub const USERNAME_RULE: &str = "username must be 2-64 letters, digits, '_', '.' or '-'";

/// A password has at least this many characters (not bytes).
pub const PASSWORD_MIN_CHARS: usize = 8;

/// A username: 2 to 64 ASCII letters, digits, `_`, `.` or `-`, so that it is safe in a URL,
/// a CSV roster and a log line alike. Every way of creating an account checks it here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Trims the text and checks it against the rule; the error is `USERNAME_RULE`.
    pub fn parse(text: &str) -> Result<Username, String> {
        let text = text.trim();
        if is_valid_username(text) {
            Ok(Username(text.to_string()))
        } else {
            Err(USERNAME_RULE.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The username rule on text that is already trimmed.
pub fn is_valid_username(name: &str) -> bool {
    (2..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub fn is_long_enough_password(password: &str) -> bool {
    password.chars().count() >= PASSWORD_MIN_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_plain_ascii() {
        assert_eq!(Username::parse("  li.na_2-b ").unwrap().as_str(), "li.na_2-b");
        assert!(Username::parse("a").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("bad name").is_err());
        assert!(Username::parse("张三").is_err());
    }

    #[test]
    fn passwords_count_characters() {
        assert!(is_long_enough_password("密码密码密码密码"));
        assert!(!is_long_enough_password("1234567"));
    }
}
