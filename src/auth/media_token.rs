//! Signed, expiring media URLs: authorization is decided when a page hands out the URL, so
//! the many range requests of one video need no database round trip, and a leaked URL
//! stops working when it expires.
//!
//! The token sits in the path (`/content/{version}/{token}/{file}`), not the query, so that
//! relative links inside an HTML package (`img/a.png`) inherit it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a handed-out URL stays valid. Expiry is rounded up to the hour so that URLs
/// stay the same (and cacheable) for a while.
pub const LIFETIME_SECS: i64 = 6 * 3600;
const ROUND_SECS: i64 = 3600;

#[derive(Clone)]
pub struct MediaSigner {
    key: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Expired,
    BadSignature,
}

impl MediaSigner {
    pub fn new(key: &[u8]) -> MediaSigner {
        MediaSigner { key: key.to_vec() }
    }

    fn signature(&self, version_id: i64, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("content:{version_id}:{expires}").as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// A token for one course version, valid for at least [`LIFETIME_SECS`] from `now`.
    pub fn issue(&self, version_id: i64, now_secs: i64) -> String {
        let expires = (now_secs + LIFETIME_SECS + ROUND_SECS - 1) / ROUND_SECS * ROUND_SECS;
        format!("{expires}-{}", self.signature(version_id, expires))
    }

    /// A key for one purpose string, e.g. `scorm-commit:{user}:{item}:{session}`: a
    /// capability that can do that one thing and nothing else.
    pub fn sign_purpose(&self, purpose: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"purpose:");
        mac.update(purpose.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    pub fn verify_purpose(&self, purpose: &str, key: &str) -> bool {
        let expected = self.sign_purpose(purpose);
        expected.len() == key.len() && expected.bytes().zip(key.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
    }

    pub fn verify(&self, version_id: i64, token: &str, now_secs: i64) -> Result<(), TokenError> {
        let (expires, signature) = token.split_once('-').ok_or(TokenError::Malformed)?;
        let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        let expected = self.signature(version_id, expires);
        let same = expected.len() == signature.len()
            && expected.bytes().zip(signature.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if !same {
            return Err(TokenError::BadSignature);
        }
        if now_secs > expires {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

pub fn now_secs() -> i64 {
    crate::db::now_ms() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_version_and_until_expiry() {
        let signer = MediaSigner::new(b"secret");
        let token = signer.issue(7, 1_000_000);
        assert_eq!(signer.verify(7, &token, 1_000_000), Ok(()));
        assert_eq!(signer.verify(8, &token, 1_000_000), Err(TokenError::BadSignature));
        assert_eq!(signer.verify(7, &token, 1_000_000 + LIFETIME_SECS + ROUND_SECS + 1), Err(TokenError::Expired));
        assert_eq!(MediaSigner::new(b"other").verify(7, &token, 1_000_000), Err(TokenError::BadSignature));
        let (exp, sig) = token.split_once('-').unwrap();
        let longer = format!("{}-{sig}", exp.parse::<i64>().unwrap() + 3600);
        assert_eq!(signer.verify(7, &longer, 1_000_000), Err(TokenError::BadSignature));
        assert_eq!(signer.verify(7, "garbage", 1_000_000), Err(TokenError::Malformed));
        assert_eq!(token, signer.issue(7, 1_000_001), "stable within the hour");
    }
}
