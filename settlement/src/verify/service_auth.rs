//! AT Protocol inter-service auth tokens: `Authorization: Bearer <JWT>`,
//! signed (ES256 or ES256K, compact low-S signature) with the `#atproto`
//! key of the caller's DID document. Pure: the caller resolves the key and
//! passes the time.
//!
//! Checked here: the JWT shape; `alg` is the key's; the signature; `aud`
//! is this exchange; `lxm` is the method called; `exp` is in the future but
//! not far (a stolen token is useful only briefly); `iat`, when present, is
//! not in the future. `iss` is returned for the caller to resolve first and
//! compare with whom the resource belongs to.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::atkey::AtKey;
use crate::records::formats::is_did;
use crate::records::json::{self, Value};

/// Longest token accepted.
pub const TOKEN_BYTES_MAX: usize = 4096;
/// Latest `exp` accepted, seconds after now.
pub const EXP_AHEAD_MAX_S: i64 = 300;
/// Clock skew allowed on `iat` and `exp`, seconds.
pub const SKEW_S: i64 = 30;
/// Longest `jti` accepted.
pub const JTI_BYTES_MAX: usize = 128;

/// Why a token is refused (all are `unauthorized` to clients; the message
/// says which rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service auth token: {0}")]
pub struct TokenError(pub String);

fn bad(m: impl Into<String>) -> TokenError {
    TokenError(m.into())
}

/// A token split and decoded, not yet checked against a key.
#[derive(Clone, Debug)]
pub struct Token {
    pub alg: String,
    pub iss: String,
    pub aud: String,
    pub lxm: Option<String>,
    pub exp: i64,
    pub iat: Option<i64>,
    /// The token's unique id: a state-changing call takes each (iss, jti)
    /// once.
    pub jti: Option<String>,
    signing_input: Vec<u8>,
    sig: Vec<u8>,
}

fn part(text: &str, name: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad(format!("{name}: not base64url without padding")))
}

fn claim_str(v: &Value, name: &str) -> Result<String, TokenError> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{name}: must be a string")))
}

fn claim_int(v: &Value, name: &str) -> Result<Option<i64>, TokenError> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::Int(i)) => i64::try_from(*i)
            .map(Some)
            .map_err(|_| bad(format!("{name}: out of range"))),
        Some(_) => Err(bad(format!("{name}: must be an integer (seconds)"))),
    }
}

/// Splits and decodes a token; nothing is trusted yet.
pub fn parse(token: &str) -> Result<Token, TokenError> {
    if token.len() > TOKEN_BYTES_MAX {
        return Err(bad(format!("longer than {TOKEN_BYTES_MAX} bytes")));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("must be three base64url parts separated by '.'"));
    };
    let header =
        json::parse(&part(h, "header")?).map_err(|e| bad(format!("header: not JSON: {e}")))?;
    let payload =
        json::parse(&part(p, "payload")?).map_err(|e| bad(format!("payload: not JSON: {e}")))?;
    let sig = part(s, "signature")?;
    if let Some(typ) = header.get("typ")
        && typ.as_str() != Some("JWT")
    {
        return Err(bad("header.typ: must be JWT when present"));
    }
    let alg = claim_str(&header, "alg").map_err(|e| bad(format!("header.{}", e.0)))?;
    let iss = claim_str(&payload, "iss")?;
    if !is_did(&iss) {
        return Err(bad("iss: must be a DID"));
    }
    let aud = claim_str(&payload, "aud")?;
    let lxm = match payload.get("lxm") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("lxm: must be a string")),
    };
    let exp = claim_int(&payload, "exp")?.ok_or_else(|| bad("exp: is required"))?;
    let iat = claim_int(&payload, "iat")?;
    let jti = match payload.get("jti") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= JTI_BYTES_MAX => Some(s.clone()),
        Some(_) => {
            return Err(bad(format!(
                "jti: must be a string of 1..={JTI_BYTES_MAX} bytes"
            )));
        }
    };
    Ok(Token {
        alg,
        iss,
        aud,
        lxm,
        exp,
        iat,
        jti,
        signing_input: format!("{h}.{p}").into_bytes(),
        sig,
    })
}

/// What the token must say.
#[derive(Clone, Copy, Debug)]
pub struct Expect<'a> {
    /// This exchange's DID.
    pub audience: &'a str,
    /// The method (NSID) called.
    pub method: &'a str,
    /// Now, Unix seconds.
    pub now_s: i64,
}

impl Token {
    /// Checks the claims and the signature against the issuer's key.
    pub fn verify(&self, key: &AtKey, expect: Expect<'_>) -> Result<(), TokenError> {
        if self.alg != key.jwt_alg() {
            return Err(bad(format!(
                "header.alg: is {}, but the issuer's #atproto key signs {}",
                self.alg,
                key.jwt_alg()
            )));
        }
        key.verify(&self.signing_input, &self.sig)
            .map_err(|e| bad(format!("signature: {e}")))?;
        if self.aud != expect.audience {
            return Err(bad(format!(
                "aud: is {}, not this exchange ({})",
                self.aud, expect.audience
            )));
        }
        match &self.lxm {
            Some(m) if m == expect.method => {}
            Some(m) => {
                return Err(bad(format!(
                    "lxm: is {m}, not the method called ({})",
                    expect.method
                )));
            }
            None => return Err(bad(format!("lxm: is required ({})", expect.method))),
        }
        if self.exp <= expect.now_s - SKEW_S {
            return Err(bad("exp: the token has expired"));
        }
        if self.exp > expect.now_s + EXP_AHEAD_MAX_S + SKEW_S {
            return Err(bad(format!(
                "exp: more than {EXP_AHEAD_MAX_S} s ahead; service tokens must be short-lived"
            )));
        }
        if self.iat.is_some_and(|iat| iat > expect.now_s + SKEW_S) {
            return Err(bad("iat: is in the future"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;

    const NOW: i64 = 1_800_000_000;

    fn token(sk: &p256::ecdsa::SigningKey, header: &str, payload: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig: p256::ecdsa::Signature = sk.sign(input.as_bytes());
        let sig = sig.normalize_s().unwrap_or(sig);
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    fn check(payload: &str, header: &str, want: Result<(), &str>) {
        let sk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let key = AtKey::P256(*sk.verifying_key());
        let t = token(&sk, header, payload);
        let expect = Expect {
            audience: "did:web:exchange.example",
            method: "dev.cocore.compute.getStatement",
            now_s: NOW,
        };
        let got = parse(&t).and_then(|t| t.verify(&key, expect));
        match (got, want) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(w)) => assert!(e.0.contains(w), "{payload}: {e} vs {w}"),
            (got, want) => panic!("{payload}: got {got:?}, want {want:?}"),
        }
    }

    const H: &str = r#"{"typ":"JWT","alg":"ES256"}"#;

    fn payload(aud: &str, lxm: &str, exp: i64) -> String {
        format!(
            r#"{{"iss":"did:plc:alicealicealicealicealic","aud":"{aud}","lxm":"{lxm}","exp":{exp},"iat":{NOW}}}"#
        )
    }

    #[test]
    fn claims() {
        let aud = "did:web:exchange.example";
        let lxm = "dev.cocore.compute.getStatement";
        check(&payload(aud, lxm, NOW + 60), H, Ok(()));
        check(
            &payload("did:web:other.example", lxm, NOW + 60),
            H,
            Err("aud: is did:web:other"),
        );
        check(
            &payload(aud, "dev.cocore.compute.other", NOW + 60),
            H,
            Err("lxm: is"),
        );
        check(&payload(aud, lxm, NOW - 31), H, Err("expired"));
        check(&payload(aud, lxm, NOW + 3600), H, Err("short-lived"));
        check(
            &payload(aud, lxm, NOW + 60),
            r#"{"alg":"ES256K"}"#,
            Err("header.alg"),
        );
        check(
            &payload(aud, lxm, NOW + 60),
            r#"{"typ":"at+jwt","alg":"ES256"}"#,
            Err("typ"),
        );
        check(
            r#"{"iss":"did:plc:alicealicealicealicealic","aud":"did:web:exchange.example","exp":1800000060}"#,
            H,
            Err("lxm: is required"),
        );
        check(
            r#"{"iss":"alice","aud":"x","exp":1}"#,
            H,
            Err("iss: must be a DID"),
        );
        check(
            r#"{"iss":"did:plc:alicealicealicealicealic","aud":"x"}"#,
            H,
            Err("exp: is required"),
        );
        check(
            r#"{"iss":"did:plc:alicealicealicealicealic","aud":"x","exp":1.5}"#,
            H,
            Err("not JSON"),
        );
        assert!(parse("a.b").unwrap_err().0.contains("three"));
        assert!(parse("!.b.c").unwrap_err().0.contains("header"));
    }

    #[test]
    fn signature_by_another_key_is_refused() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let other = p256::ecdsa::SigningKey::from_slice(&[8u8; 32]).unwrap();
        let t = token(&sk, H, &payload("a", "m", NOW + 60));
        let e = parse(&t)
            .unwrap()
            .verify(
                &AtKey::P256(*other.verifying_key()),
                Expect {
                    audience: "a",
                    method: "m",
                    now_s: NOW,
                },
            )
            .unwrap_err();
        assert!(e.0.contains("signature"), "{e}");
    }
}
