//! P-256: the provider keys of attestations and the DER signatures of
//! receipts and attestations.
//!
//! DER is parsed here, strictly, rather than by the signature crate: one
//! signature must have exactly one encoding (short-form lengths, minimal
//! positive integers, no trailing bytes), so that nobody can re-encode a
//! signature into a "new" one. High-S signatures are accepted: about half of
//! the signatures the enclaves produce are high-S.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;
pub use p256::ecdsa::{SigningKey, VerifyingKey};

/// The implementation that checks signatures, as the bench names it.
pub const VERIFIER: &str = "aws-lc-rs";

/// Longest DER ECDSA P-256 signature: 2 + 2 * (2 + 33).
pub const DER_MAX: usize = 72;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("not a DER SEQUENCE")]
    NotSequence,
    #[error("DER length is wrong or not in short form")]
    Length,
    #[error("trailing bytes after the DER SEQUENCE")]
    Trailing,
    #[error("expected a DER INTEGER")]
    NotInteger,
    #[error("DER INTEGER is not minimally encoded")]
    NonMinimal,
    #[error("DER INTEGER is negative")]
    Negative,
    #[error("DER INTEGER is longer than 32 bytes")]
    TooLong,
    #[error("r or s is zero or not below the curve order")]
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("signature is not standard base64")]
    Base64,
    #[error("signature is not strict DER: {0}")]
    Der(#[from] DerError),
    #[error("signature does not verify")]
    Mismatch,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("public key is not standard base64")]
    Base64,
    #[error("public key must be 64 bytes (X||Y), got {0}")]
    Length(usize),
    #[error("public key is not a point on P-256")]
    NotOnCurve,
}

/// Reads one INTEGER, returning its 32-byte big-endian value and the rest.
fn der_integer(bytes: &[u8]) -> Result<([u8; 32], &[u8]), DerError> {
    let (&tag, rest) = bytes.split_first().ok_or(DerError::NotInteger)?;
    if tag != 0x02 {
        return Err(DerError::NotInteger);
    }
    let (&len, rest) = rest.split_first().ok_or(DerError::Length)?;
    let len = usize::from(len);
    if len == 0 || len >= 0x80 || rest.len() < len {
        return Err(DerError::Length);
    }
    let (v, rest) = rest.split_at(len);
    if v[0] & 0x80 != 0 {
        return Err(DerError::Negative);
    }
    if len > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
        return Err(DerError::NonMinimal);
    }
    let v = if v[0] == 0 && len > 1 { &v[1..] } else { v };
    if v.len() > 32 {
        return Err(DerError::TooLong);
    }
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(v);
    Ok((out, rest))
}

/// Parses a strict DER ECDSA signature into `(r, s)`.
pub fn parse_der(bytes: &[u8]) -> Result<Signature, DerError> {
    if bytes.len() > DER_MAX {
        return Err(DerError::Length);
    }
    let (&tag, rest) = bytes.split_first().ok_or(DerError::NotSequence)?;
    if tag != 0x30 {
        return Err(DerError::NotSequence);
    }
    let (&len, body) = rest.split_first().ok_or(DerError::Length)?;
    let len = usize::from(len);
    if len >= 0x80 || body.len() < len {
        return Err(DerError::Length);
    }
    if body.len() > len {
        return Err(DerError::Trailing);
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return Err(DerError::Length);
    }
    Signature::from_scalars(r, s).map_err(|_| DerError::Range)
}

/// The strict DER encoding of a signature.
pub fn to_der(sig: &Signature) -> Vec<u8> {
    fn int(v: &[u8], out: &mut Vec<u8>) {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len() - 1);
        let v = &v[start..];
        out.push(0x02);
        if v[0] & 0x80 != 0 {
            out.push(v.len() as u8 + 1);
            out.push(0);
        } else {
            out.push(v.len() as u8);
        }
        out.extend_from_slice(v);
    }
    let bytes = sig.to_bytes();
    let mut body = Vec::with_capacity(DER_MAX);
    int(&bytes[..32], &mut body);
    int(&bytes[32..], &mut body);
    let mut out = vec![0x30, body.len() as u8];
    out.extend_from_slice(&body);
    out
}

/// Parses `publicKey`: standard base64 of the 64 raw bytes X||Y.
pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, KeyError> {
    let raw = STANDARD.decode(b64).map_err(|_| KeyError::Base64)?;
    if raw.len() != 64 {
        return Err(KeyError::Length(raw.len()));
    }
    let point = p256::EncodedPoint::from_untagged_bytes(raw.as_slice().into());
    VerifyingKey::from_encoded_point(&point).map_err(|_| KeyError::NotOnCurve)
}

/// The `publicKey` form of a key: standard base64 of X||Y.
pub fn public_key_b64(key: &VerifyingKey) -> String {
    let point = key.to_encoded_point(false);
    STANDARD.encode(&point.as_bytes()[1..])
}

/// Verifies a base64 DER signature over `msg` (ECDSA P-256 with SHA-256).
/// The DER is held to our strict form first; the arithmetic is aws-lc's,
/// the fastest P-256 verifier `settlement bench` finds here (about five
/// times the p256 crate's rate).
pub fn verify_b64_der(key: &VerifyingKey, msg: &[u8], sig_b64: &str) -> Result<(), SigError> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    let der = STANDARD.decode(sig_b64).map_err(|_| SigError::Base64)?;
    parse_der(&der)?;
    let point = key.to_encoded_point(false);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point.as_bytes())
        .verify(msg, &der)
        .map_err(|_| SigError::Mismatch)
}

/// Signs `msg` and returns standard base64 of the DER signature.
pub fn sign_b64_der(key: &SigningKey, msg: &[u8]) -> String {
    let sig: Signature = key.sign(msg);
    STANDARD.encode(to_der(&sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn check(der_hex: &str, expected: Result<(), DerError>) {
        assert_eq!(parse_der(&hex(der_hex)).map(|_| ()), expected, "{der_hex}");
    }

    #[test]
    fn der_vectors() {
        let r = "00c3aa3b8c5a8f8ef6d2d9c0e5fe07b2e7a1e4b1d8a5d2e0c9f3b6a4d2c1e0f9a8";
        let s = "4f3e2d1c0b0a09080706050403020100ffeeddccbbaa99887766554433221100";
        let good = format!("3045022100{}0220{s}", &r[2..]);
        check(&good, Ok(()));
        // Trailing byte after the sequence.
        check(&format!("{good}00"), Err(DerError::Trailing));
        // Sequence length one too long / too short.
        check(
            &format!("3046022100{}0220{s}", &r[2..]),
            Err(DerError::Length),
        );
        check(
            &format!("3044022100{}0220{s}", &r[2..]),
            Err(DerError::Trailing),
        );
        // Long-form length (0x81) for a short body.
        check(
            &format!("308145022100{}0220{s}", &r[2..]),
            Err(DerError::Length),
        );
        // r with a high bit set and no 0x00 pad: negative.
        check(
            &format!("30440220{}0220{s}", &r[2..]),
            Err(DerError::Negative),
        );
        // s with a needless leading zero.
        check(
            &format!("3046022100{}022100{s}", &r[2..]),
            Err(DerError::NonMinimal),
        );
        // Wrong tags.
        check(
            &format!("3145022100{}0220{s}", &r[2..]),
            Err(DerError::NotSequence),
        );
        check(
            &format!("3045032100{}0220{s}", &r[2..]),
            Err(DerError::NotInteger),
        );
        // r = 0.
        check(&format!("30250201000220{s}"), Err(DerError::Range));
        // s = n (the curve order) is out of range.
        check(
            "3026020101022100ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
            Err(DerError::Range),
        );
        // 33-byte integer without the pad: too long.
        check(
            &format!("3045022101{}0220{s}", &r[2..]),
            Err(DerError::TooLong),
        );
        check("", Err(DerError::NotSequence));
        check("30", Err(DerError::Length));
        check("3000", Err(DerError::NotInteger));
        // Short integers are fine: r = 1, s = 1.
        check("3006020101020101", Ok(()));
    }

    #[test]
    fn der_roundtrip_and_high_s() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let vk = *key.verifying_key();
        let mut seen_high = false;
        for i in 0..64u8 {
            let msg = [i; 16];
            let sig: Signature = key.sign(&msg);
            let der = to_der(&sig);
            assert_eq!(parse_der(&der).unwrap(), sig);
            // The same signature with s replaced by n - s must also verify.
            let flipped =
                Signature::from_scalars(sig.r().to_bytes(), (-*sig.s()).to_bytes()).unwrap();
            let b64 = STANDARD.encode(to_der(&flipped));
            assert_eq!(verify_b64_der(&vk, &msg, &b64), Ok(()));
            seen_high |= sig.normalize_s().is_some() || flipped.normalize_s().is_some();
            assert_eq!(
                verify_b64_der(&vk, &[i ^ 1; 16], &b64),
                Err(SigError::Mismatch)
            );
        }
        assert!(seen_high);
    }

    #[test]
    fn public_keys() {
        let key = SigningKey::from_slice(&[9u8; 32]).unwrap();
        let b64 = public_key_b64(key.verifying_key());
        assert_eq!(parse_public_key(&b64).unwrap(), *key.verifying_key());
        // With the 0x04 prefix: 65 bytes, refused.
        let mut tagged = vec![4u8];
        tagged.extend(STANDARD.decode(&b64).unwrap());
        assert_eq!(
            parse_public_key(&STANDARD.encode(&tagged)),
            Err(KeyError::Length(65))
        );
        // A point not on the curve.
        assert_eq!(
            parse_public_key(&STANDARD.encode([1u8; 64])),
            Err(KeyError::NotOnCurve)
        );
        assert_eq!(parse_public_key("not base64!"), Err(KeyError::Base64));
    }
}
