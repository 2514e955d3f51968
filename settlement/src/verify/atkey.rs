//! AT Protocol signing keys: the `#atproto` key of a DID document
//! (Multikey `publicKeyMultibase`, or a `did:key`), P-256 or secp256k1,
//! and the signatures made with them over repository commits and
//! inter-service auth tokens.
//!
//! Unlike receipts (DER, high-S accepted), AT Protocol signatures are
//! 64-byte compact `r || s` over SHA-256 of the message, and a high-S
//! signature is refused: the protocol requires low-S so that a signature has
//! exactly one form.

use std::fmt;

use p256::ecdsa::signature::Verifier as _;

/// Multicodec of a compressed P-256 public key (varint 0x80 0x24).
const MULTICODEC_P256_PUB: u64 = 0x1200;
/// Multicodec of a compressed secp256k1 public key (varint 0xe7 0x01).
const MULTICODEC_SECP256K1_PUB: u64 = 0xe7;
/// Longest multibase key accepted: a 35-byte key is ~48 base58 characters.
const MULTIBASE_KEY_MAX: usize = 128;

/// A verified-to-be-on-curve public key of one of the two curves.
#[derive(Clone, PartialEq, Eq)]
pub enum AtKey {
    P256(p256::ecdsa::VerifyingKey),
    K256(k256::ecdsa::VerifyingKey),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtKeyError {
    #[error("key must be multibase base58btc (start with 'z')")]
    Multibase,
    #[error("key is not valid base58btc")]
    Base58,
    #[error("key is longer than {MULTIBASE_KEY_MAX} characters")]
    TooLong,
    #[error("unsupported key type (multicodec 0x{0:x}); only P-256 and secp256k1 are accepted")]
    Codec(u64),
    #[error("key bytes are not a compressed point on the curve")]
    NotOnCurve,
    #[error("a did:key must start with did:key:")]
    NotDidKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AtSigError {
    #[error("signature must be 64 bytes (r || s), got {0}")]
    Length(usize),
    #[error("signature is not a valid (r, s) pair")]
    Range,
    #[error("signature is high-S; AT Protocol requires low-S")]
    HighS,
    #[error("signature does not verify against the key")]
    Mismatch,
}

impl AtKey {
    /// Parses a Multikey `publicKeyMultibase` (`z` + base58btc of the
    /// multicodec varint and the 33-byte compressed point).
    pub fn from_multibase(text: &str) -> Result<AtKey, AtKeyError> {
        if text.len() > MULTIBASE_KEY_MAX {
            return Err(AtKeyError::TooLong);
        }
        let body = text.strip_prefix('z').ok_or(AtKeyError::Multibase)?;
        let bytes = base58_decode(body).ok_or(AtKeyError::Base58)?;
        let (codec, point) = split_varint(&bytes).ok_or(AtKeyError::Base58)?;
        match codec {
            MULTICODEC_P256_PUB if point.len() == 33 => {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(AtKey::P256)
                    .map_err(|_| AtKeyError::NotOnCurve)
            }
            MULTICODEC_SECP256K1_PUB if point.len() == 33 => {
                k256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(AtKey::K256)
                    .map_err(|_| AtKeyError::NotOnCurve)
            }
            MULTICODEC_P256_PUB | MULTICODEC_SECP256K1_PUB => Err(AtKeyError::NotOnCurve),
            other => Err(AtKeyError::Codec(other)),
        }
    }

    /// Parses `did:key:z...`.
    pub fn from_did_key(text: &str) -> Result<AtKey, AtKeyError> {
        AtKey::from_multibase(text.strip_prefix("did:key:").ok_or(AtKeyError::NotDidKey)?)
    }

    /// The Multikey form of this key (`z...`).
    pub fn to_multibase(&self) -> String {
        let (codec, point) = match self {
            AtKey::P256(k) => (
                MULTICODEC_P256_PUB,
                k.to_encoded_point(true).as_bytes().to_vec(),
            ),
            AtKey::K256(k) => (
                MULTICODEC_SECP256K1_PUB,
                k.to_encoded_point(true).as_bytes().to_vec(),
            ),
        };
        let mut bytes = Vec::with_capacity(35);
        let mut n = codec;
        while n >= 0x80 {
            bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        bytes.push(n as u8);
        bytes.extend_from_slice(&point);
        format!("z{}", base58_encode(&bytes))
    }

    /// The JWT `alg` this key signs with.
    pub fn jwt_alg(&self) -> &'static str {
        match self {
            AtKey::P256(_) => "ES256",
            AtKey::K256(_) => "ES256K",
        }
    }

    /// Checks a compact low-S signature over SHA-256 of `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), AtSigError> {
        let raw: &[u8; 64] = sig.try_into().map_err(|_| AtSigError::Length(sig.len()))?;
        match self {
            AtKey::P256(k) => {
                let s = p256::ecdsa::Signature::from_slice(raw).map_err(|_| AtSigError::Range)?;
                if s.normalize_s().is_some() {
                    return Err(AtSigError::HighS);
                }
                k.verify(msg, &s).map_err(|_| AtSigError::Mismatch)
            }
            AtKey::K256(k) => {
                let s = k256::ecdsa::Signature::from_slice(raw).map_err(|_| AtSigError::Range)?;
                if s.normalize_s().is_some() {
                    return Err(AtSigError::HighS);
                }
                k.verify(msg, &s).map_err(|_| AtSigError::Mismatch)
            }
        }
    }
}

impl fmt::Debug for AtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtKey({})", self.to_multibase())
    }
}

fn split_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return None;
            }
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Base58btc (Bitcoin alphabet). Inputs are short (keys), so the quadratic
/// big-number conversion is fine.
fn base58_decode(text: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    for c in text.bytes() {
        let mut carry = B58.iter().position(|&x| x == c)? as u32;
        for b in out.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    let zeros = text.bytes().take_while(|&c| c == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(out.into_iter().skip_while(|&b| b == 0));
    Some(full)
}

fn base58_encode(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new();
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut().rev() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.insert(0, (carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    let mut out = "1".repeat(zeros);
    out.extend(digits.iter().map(|&d| B58[usize::from(d)] as char));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;

    // did:key values the reference implementation (@atproto/crypto) parses
    // as P-256 and secp256k1 keys.
    const P256_DID_KEY: &str = "did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo";
    const K256_DID_KEY: &str = "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc";

    #[test]
    fn parses_reference_did_keys_and_round_trips() {
        let p = AtKey::from_did_key(P256_DID_KEY).unwrap();
        assert!(matches!(p, AtKey::P256(_)));
        assert_eq!(format!("did:key:{}", p.to_multibase()), P256_DID_KEY);
        let k = AtKey::from_did_key(K256_DID_KEY).unwrap();
        assert!(matches!(k, AtKey::K256(_)));
        assert_eq!(format!("did:key:{}", k.to_multibase()), K256_DID_KEY);
        assert_eq!(p.jwt_alg(), "ES256");
        assert_eq!(k.jwt_alg(), "ES256K");
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(
            AtKey::from_multibase("Q3shqwJEJ"),
            Err(AtKeyError::Multibase)
        );
        assert_eq!(AtKey::from_multibase("z0OIl"), Err(AtKeyError::Base58));
        assert_eq!(AtKey::from_did_key("zQ3sh"), Err(AtKeyError::NotDidKey));
        // An ed25519 key (multicodec 0xed).
        assert_eq!(
            AtKey::from_multibase("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Err(AtKeyError::Codec(0xed))
        );
        // A P-256 prefix with a point that is not on the curve.
        let mut bytes = vec![0x80, 0x24, 0x02];
        bytes.extend_from_slice(&[0xff; 32]);
        assert_eq!(
            AtKey::from_multibase(&format!("z{}", base58_encode(&bytes))),
            Err(AtKeyError::NotOnCurve)
        );
    }

    #[test]
    fn base58_round_trips_with_leading_zeros() {
        for bytes in [vec![], vec![0], vec![0, 0, 1], vec![255; 40], vec![1, 2, 3]] {
            assert_eq!(base58_decode(&base58_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base58_encode(b"hello world"), "StV1DL6CwTryKyV");
    }

    #[test]
    fn compact_signatures_must_be_low_s() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let key = AtKey::P256(*sk.verifying_key());
        let sig: p256::ecdsa::Signature = sk.sign(b"commit");
        let low = sig.normalize_s().unwrap_or(sig);
        key.verify(b"commit", &low.to_bytes()).unwrap();
        assert_eq!(
            key.verify(b"other", &low.to_bytes()),
            Err(AtSigError::Mismatch)
        );
        // The same signature with s replaced by n - s: valid ECDSA, refused.
        let (r, s) = (low.r(), low.s());
        let high = p256::ecdsa::Signature::from_scalars(r, -*s.as_ref()).unwrap();
        assert_eq!(
            key.verify(b"commit", &high.to_bytes()),
            Err(AtSigError::HighS)
        );
        assert_eq!(key.verify(b"commit", &[0; 63]), Err(AtSigError::Length(63)));
        assert_eq!(key.verify(b"commit", &[0; 64]), Err(AtSigError::Range));

        let sk = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let key = AtKey::K256(*sk.verifying_key());
        let sig: k256::ecdsa::Signature = k256::ecdsa::signature::Signer::sign(&sk, b"commit");
        let low = sig.normalize_s().unwrap_or(sig);
        key.verify(b"commit", &low.to_bytes()).unwrap();
        let high = k256::ecdsa::Signature::from_scalars(low.r(), -*low.s().as_ref()).unwrap();
        assert_eq!(
            key.verify(b"commit", &high.to_bytes()),
            Err(AtSigError::HighS)
        );
    }
}
