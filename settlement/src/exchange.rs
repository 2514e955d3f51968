//! The exchange's own identity and terms: its DID, its settlement signing
//! key, its fee policy, and the signed `settlement` records it writes.
//!
//! Settlement `sig` = ES256 (P-256, SHA-256) over the canonical JSON of the
//! record without `sig` and `$type`, as the raw 64-byte r||s, base64url
//! without padding: the form other verifiers of this record family expect.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

use crate::records::json::{self, Map, Value};

/// The exchange's fee schedule (`exchangePolicy.fee`) and currencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeePolicy {
    /// Basis points of the charge, 0..=10000.
    pub bps: u32,
    /// Smallest fee in minor units (capped by the charge itself).
    pub min_minor: u64,
    /// Currencies this exchange settles.
    pub currencies: Vec<String>,
    /// Whether a charge where requester and provider are the same DID pays
    /// no fee.
    pub self_loop_fee_waived: bool,
    /// Whether a receipt for a job that names no provider
    /// (`acceptedProviders` absent or empty) is charged. Off by default:
    /// anyone can publish a self-attested receipt for an open job from
    /// public data and be charged first, and a pro-bono one settles the job
    /// before its real provider. A brokerage's countersignature does not
    /// name a provider here yet.
    pub open_jobs: bool,
}

impl Default for FeePolicy {
    fn default() -> Self {
        FeePolicy {
            bps: 250,
            min_minor: 1,
            currencies: vec!["USD".into(), "USDC".into()],
            self_loop_fee_waived: true,
            open_jobs: false,
        }
    }
}

impl FeePolicy {
    /// fee = min(max(floor(amount * bps / 10000), minMinor), amount), exact
    /// in integers (u128 cannot overflow: amount < 2^64, bps <= 10^4).
    pub fn fee(&self, amount_minor: u64, self_loop: bool) -> u64 {
        if self_loop && self.self_loop_fee_waived {
            return 0;
        }
        let proportional = (u128::from(amount_minor) * u128::from(self.bps) / 10_000) as u64;
        proportional.max(self.min_minor).min(amount_minor)
    }

    pub fn supports(&self, currency: &str) -> bool {
        self.currencies.iter().any(|c| c == currency)
    }
}

/// Why the signing key could not be had. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or create the signing key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the signing key file {path} does not hold a P-256 private key (32 bytes, hex)")]
    Format { path: String },
    #[error("the signing key file {path} is readable by others (mode {mode:o}); it must be 0600")]
    Permissions { path: String, mode: u32 },
}

/// The exchange: who it is and the key it signs settlements with.
#[derive(Clone)]
pub struct Exchange {
    pub did: String,
    key: SigningKey,
    /// The same key in aws-lc, which signs about three times faster than
    /// the p256 crate (one signature per settlement).
    signer: std::sync::Arc<aws_lc_rs::signature::EcdsaKeyPair>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never printed.
        f.debug_struct("Exchange")
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    pub fn new(did: impl Into<String>, key: SigningKey) -> Exchange {
        let public = key.verifying_key().to_encoded_point(false);
        let signer = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.to_bytes(),
            public.as_bytes(),
        )
        .expect("a valid P-256 key pair is accepted by aws-lc");
        Exchange {
            did: did.into(),
            key,
            signer: std::sync::Arc::new(signer),
        }
    }

    /// Loads the key from `path` (hex of the 32-byte scalar), creating it
    /// with mode 0600 if absent. A key file others can read is refused.
    pub fn load_or_create_key(path: &Path) -> Result<SigningKey, KeyFileError> {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let io = |source| KeyFileError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeyFileError::Permissions {
                        path: path.display().to_string(),
                        mode,
                    });
                }
                let bytes = decode_hex(text.trim()).ok_or_else(|| KeyFileError::Format {
                    path: path.display().to_string(),
                })?;
                SigningKey::from_slice(&bytes).map_err(|_| KeyFileError::Format {
                    path: path.display().to_string(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let key = SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
                let hex = crate::records::formats::lower_hex(&key.to_bytes());
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(io)?;
                file.write_all(format!("{hex}\n").as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key as a JWK (`kty` EC, `crv` P-256, `x`, `y` base64url).
    pub fn jwk(&self) -> Value {
        jwk(self.verifying_key())
    }

    /// Adds `sig` to any record the exchange publishes (a dispute, a
    /// refund): the same ES256 over the canonical JSON of the other fields.
    pub fn sign_record(&self, record: &mut Map) {
        self.sign_settlement(record);
    }

    /// Adds `sig` to a settlement record.
    pub fn sign_settlement(&self, record: &mut Map) {
        let input = settlement_signing_input(record);
        let sig = match self
            .signer
            .sign(&aws_lc_rs::rand::SystemRandom::new(), &input)
        {
            Ok(sig) => sig.as_ref().to_vec(),
            // aws-lc fails only on an internal error; the p256 crate then
            // signs instead.
            Err(_) => {
                let sig: Signature = self.key.sign(&input);
                sig.to_bytes().to_vec()
            }
        };
        record.insert("sig".into(), URL_SAFE_NO_PAD.encode(sig).into());
    }
}

/// The JWK form of a P-256 public key.
pub fn jwk(key: &VerifyingKey) -> Value {
    let point = key.to_encoded_point(false);
    let bytes = point.as_bytes();
    let mut m = Map::new();
    m.insert("kty".into(), "EC".into());
    m.insert("crv".into(), "P-256".into());
    m.insert("alg".into(), "ES256".into());
    m.insert("use".into(), "sig".into());
    m.insert("x".into(), URL_SAFE_NO_PAD.encode(&bytes[1..33]).into());
    m.insert("y".into(), URL_SAFE_NO_PAD.encode(&bytes[33..65]).into());
    Value::Object(m)
}

/// Reads a JWK back into a key.
pub fn key_from_jwk(jwk: &Value) -> Option<VerifyingKey> {
    if jwk.get("kty")?.as_str()? != "EC" || jwk.get("crv")?.as_str()? != "P-256" {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(jwk.get("x")?.as_str()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.get("y")?.as_str()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let point = p256::EncodedPoint::from_affine_coordinates(
        x.as_slice().into(),
        y.as_slice().into(),
        false,
    );
    VerifyingKey::from_encoded_point(&point).ok()
}

/// The bytes a settlement's `sig` covers.
pub fn settlement_signing_input(record: &Map) -> Vec<u8> {
    let mut m = record.clone();
    m.remove("sig");
    m.remove("$type");
    json::to_canonical(&Value::Object(m))
}

/// Checks a settlement record's `sig` against `key`.
pub fn verify_settlement(record: &Map, key: &VerifyingKey) -> bool {
    let Some(sig) = record.get("sig").and_then(Value::as_str) else {
        return false;
    };
    let Ok(raw) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&raw) else {
        return false;
    };
    key.verify(&settlement_signing_input(record), &sig).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_is_exact() {
        let p = FeePolicy {
            bps: 250,
            min_minor: 5,
            currencies: vec!["USD".into()],
            self_loop_fee_waived: true,
            open_jobs: false,
        };
        // (amount, self_loop, fee)
        for (amount, self_loop, fee) in [
            (0, false, 0),
            (1, false, 1),
            (4, false, 4),
            (5, false, 5),
            (199, false, 5),
            (399, false, 9),
            (400, false, 10),
            (10_000, false, 250),
            (
                u64::MAX,
                false,
                (u128::from(u64::MAX) * 250 / 10_000) as u64,
            ),
            (10_000, true, 0),
        ] {
            assert_eq!(p.fee(amount, self_loop), fee, "amount {amount}");
        }
        let all = FeePolicy {
            bps: 10_000,
            min_minor: 0,
            ..p.clone()
        };
        assert_eq!(all.fee(u64::MAX, false), u64::MAX);
        let none = FeePolicy {
            bps: 0,
            min_minor: 0,
            ..p
        };
        assert_eq!(none.fee(12345, false), 0);
    }

    #[test]
    fn settlement_sig_round_trip_and_key_file() {
        let dir = std::env::temp_dir().join(format!("exchange-key-{}", std::process::id()));
        let path = dir.join("key.hex");
        let _ = std::fs::remove_dir_all(&dir);
        let key = Exchange::load_or_create_key(&path).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(Exchange::load_or_create_key(&path).unwrap(), key);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Exchange::load_or_create_key(&path),
            Err(KeyFileError::Permissions { .. })
        ));
        std::fs::write(&path, "zz").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = Exchange::load_or_create_key(&path).unwrap_err().to_string();
        assert!(!err.contains("zz"));
        let _ = std::fs::remove_dir_all(&dir);

        let ex = Exchange::new("did:web:exchange.example", key);
        assert!(!format!("{ex:?}").contains("key"));
        let mut rec = json::parse_str(
            r#"{"$type":"dev.cocore.compute.settlement","status":"settled","x":1}"#,
        )
        .unwrap()
        .as_object()
        .unwrap()
        .clone();
        ex.sign_settlement(&mut rec);
        let vk = key_from_jwk(&ex.jwk()).unwrap();
        assert!(verify_settlement(&rec, &vk));
        rec.insert("x".into(), Value::Int(2));
        assert!(!verify_settlement(&rec, &vk));
    }
}
