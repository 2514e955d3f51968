//! A manifest's `userKey`: a public key of RSA (2048 to 8192 bits), ECDSA
//! P-256 or P-384, or Ed25519, as PEM (`BEGIN PUBLIC KEY`) or standard
//! base64 of a DER SubjectPublicKeyInfo. Its fingerprint is the SHA-256 of
//! that DER, which is re-encoded and must come back byte for byte (one
//! key, one encoding, one fingerprint).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, ED25519, ParsedPublicKey,
    RSA_PKCS1_2048_8192_SHA256, VerificationAlgorithm,
};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::records::formats::lower_hex as hex;

/// Longest key accepted (an 8192-bit RSA key's SPKI is about 1.1 KiB).
const DER_MAX: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::P256 => "ECDSA P-256",
            KeyKind::P384 => "ECDSA P-384",
            KeyKind::Ed25519 => "Ed25519",
        }
    }
    fn algorithm(self) -> &'static dyn VerificationAlgorithm {
        match self {
            KeyKind::Rsa => &RSA_PKCS1_2048_8192_SHA256,
            KeyKind::P256 => &ECDSA_P256_SHA256_ASN1,
            KeyKind::P384 => &ECDSA_P384_SHA384_ASN1,
            KeyKind::Ed25519 => &ED25519,
        }
    }
}

/// A parsed public key.
#[derive(Debug)]
pub struct UserKey {
    pub kind: KeyKind,
    /// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex.
    pub fingerprint: String,
    key: ParsedPublicKey,
}

impl UserKey {
    /// Parses a `userKey`; the error says which rule it broke.
    pub fn parse(text: &str) -> Result<UserKey, String> {
        let der = decode(text)?;
        if der.len() > DER_MAX {
            return Err(format!("must be at most {DER_MAX} bytes of DER"));
        }
        if der.first() != Some(&0x30) {
            return Err("must be a DER SubjectPublicKeyInfo (a SEQUENCE)".into());
        }
        for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::P384, KeyKind::Rsa] {
            let Ok(key) = ParsedPublicKey::new(kind.algorithm(), &der) else {
                continue;
            };
            let canonical = key
                .as_der()
                .map_err(|_| "cannot be re-encoded".to_owned())?;
            if canonical.as_ref() != der.as_slice() {
                return Err("must be the DER SubjectPublicKeyInfo encoding of the key".into());
            }
            return Ok(UserKey {
                kind,
                fingerprint: hex(&Sha256::digest(&der)),
                key,
            });
        }
        Err("must be an RSA (2048-8192 bits), ECDSA P-256 or P-384, or Ed25519 public key".into())
    }

    /// Whether `signature` is this key's over `message` (RSA PKCS#1 v1.5
    /// with SHA-256; ECDSA DER with SHA-256 or SHA-384; Ed25519).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// PEM with the label `PUBLIC KEY`, or standard base64 of the DER.
fn decode(text: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let trimmed = text.trim();
    let body = if let Some(rest) = trimmed.strip_prefix("-----BEGIN ") {
        if !trimmed.starts_with(BEGIN) {
            let label = rest.split("-----").next().unwrap_or("");
            return Err(format!(
                "PEM label must be PUBLIC KEY (a SubjectPublicKeyInfo), not {label:?}"
            ));
        }
        trimmed[BEGIN.len()..]
            .strip_suffix(END)
            .ok_or_else(|| format!("PEM must end with {END}"))?
    } else {
        trimmed
    };
    let b64: String = body.split_ascii_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| "must be PEM or standard base64 of a DER public key".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::computation::testkeys::TestKey;

    #[test]
    fn every_kind_parses_from_pem_and_base64_and_verifies() {
        for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::P384, KeyKind::Rsa] {
            let k = TestKey::generate(kind);
            for text in [k.pem(), k.base64()] {
                let key = UserKey::parse(&text).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
                assert_eq!(key.kind, kind);
                assert_eq!(key.fingerprint, hex(&Sha256::digest(k.spki())));
                let sig = k.sign(b"message");
                assert!(key.verifies(b"message", &sig), "{kind:?}");
                assert!(!key.verifies(b"massage", &sig), "{kind:?}");
            }
        }
    }

    #[test]
    fn other_encodings_and_garbage_are_refused() {
        let k = TestKey::generate(KeyKind::P256);
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        let e = UserKey::parse(private).unwrap_err();
        assert!(e.contains("PUBLIC KEY"), "{e}");
        assert!(!e.contains("AAAA"), "the key's body is never echoed: {e}");
        assert!(UserKey::parse("not base64!").is_err());
        // 32 raw bytes are an Ed25519 key to the library, not an SPKI.
        let raw = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(UserKey::parse(&raw).is_err());
        // Trailing bytes after the SPKI.
        let mut long = k.spki().to_vec();
        long.push(0);
        let long = base64::engine::general_purpose::STANDARD.encode(long);
        assert!(UserKey::parse(&long).is_err());
    }
}
