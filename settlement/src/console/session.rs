//! The operator's sign-in: the admin token exchanged for a session cookie
//! (HttpOnly, SameSite=Strict, Secure), a CSRF token per session checked
//! on every form with the form's origin, sign-out.
//!
//! The cookie holds 256 random bits; the database holds their SHA-256, so
//! a copy of the table signs nobody in. A session also keeps a
//! fingerprint of the admin token it was opened with: once the exchange
//! runs with another token, or none, no older session signs in. The
//! sign-in form itself carries a token bound to a short-lived cookie, so
//! another site cannot sign a browser in to a session of its choosing.

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::store;
use crate::failure::Failure;
use crate::records::formats::lower_hex;
use crate::service::Service;

/// The session's cookie.
pub const SESSION_COOKIE: &str = "console_session";
/// The sign-in form's cookie (its CSRF token).
pub const SIGN_IN_COOKIE: &str = "console_sign_in";
/// How long a session lasts from sign-in.
pub const SESSION_SECS: i64 = 8 * 3600;
/// How long a sign-in form stays usable.
const SIGN_IN_SECS: i64 = 600;

/// A signed-in operator: the session (by its hash) and its CSRF token.
#[derive(Clone, Debug)]
pub struct Operator {
    pub id_hash: String,
    pub csrf: String,
}

/// 256 random bits as 64 lowercase hex characters.
pub fn secret() -> String {
    lower_hex(&crate::secrets::random_bytes::<32>())
}

fn hash(secret: &str) -> String {
    lower_hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether two secrets are equal, in time that depends neither on where
/// they differ nor on their lengths (their SHA-256 digests are compared).
pub fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(Sha256::digest(a.as_bytes()).ct_eq(&Sha256::digest(b.as_bytes())))
}

/// What a session keeps of the admin token: a hash under a label of its
/// own, so it is never the token's plain SHA-256.
fn fingerprint(admin_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"settlement console operator\0");
    h.update(admin_token.as_bytes());
    lower_hex(&h.finalize())
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `value` for `max_age` seconds (0 removes it).
/// Always `Secure`: browsers keep such cookies over https, and over plain
/// http only for a server on their own machine (localhost, 127.0.0.1),
/// which is where a console without TLS belongs.
pub fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The sign-in form's token and the cookie that carries it.
pub fn sign_in_form() -> (String, HeaderValue) {
    let token = secret();
    let c = set_cookie(SIGN_IN_COOKIE, &token, SIGN_IN_SECS);
    (token, c)
}

/// Why a sign-in was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The form's token is missing or not the cookie's.
    Csrf,
    /// No admin token is configured: there is no operator to sign in.
    NoOperator,
    /// The token is not the admin token.
    WrongToken,
}

/// Signs in with the admin token: checks the form's CSRF token against
/// its cookie, then the token; returns the new session's secret.
pub async fn sign_in(
    s: &Service,
    headers: &HeaderMap,
    form_csrf: &str,
    token: &str,
) -> Result<Result<String, Refused>, Failure> {
    let Some(expected) = cookie(headers, SIGN_IN_COOKIE) else {
        return Ok(Err(Refused::Csrf));
    };
    if !same(form_csrf, expected) {
        return Ok(Err(Refused::Csrf));
    }
    let Some(admin) = s.admin_token.as_deref() else {
        return Ok(Err(Refused::NoOperator));
    };
    if !same(token, admin) {
        tracing::warn!("console: sign-in refused (wrong admin token)");
        return Ok(Err(Refused::WrongToken));
    }
    let session = secret();
    let now = s.clock.now_us();
    store::put_session(
        &s.store,
        &hash(&session),
        &secret(),
        &fingerprint(admin),
        now,
        now.saturating_add(SESSION_SECS * 1_000_000),
    )
    .await?;
    tracing::info!("console: operator signed in");
    Ok(Ok(session))
}

/// The operator whose session cookie this request carries, if that
/// session exists and has not expired.
pub async fn operator(s: &Service, headers: &HeaderMap) -> Result<Option<Operator>, Failure> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(admin) = s.admin_token.as_deref() else {
        return Ok(None);
    };
    let id_hash = hash(secret);
    let found = store::session(&s.store, &id_hash, s.clock.now_us()).await?;
    Ok(found
        .filter(|(_, operator)| same(operator, &fingerprint(admin)))
        .map(|(csrf, _)| Operator { id_hash, csrf }))
}

/// Ends the session.
pub async fn sign_out(s: &Service, op: &Operator) -> Result<(), Failure> {
    store::delete_session(&s.store, &op.id_hash).await?;
    tracing::info!("console: operator signed out");
    Ok(())
}

/// Whether a form posted by `op` carries its session's CSRF token, and
/// (when the browser says where the form came from) came from this
/// server.
pub fn form_is_genuine(op: &Operator, headers: &HeaderMap, form_csrf: &str) -> bool {
    same(form_csrf, &op.csrf) && same_origin(headers)
}

/// A browser's `Origin`, when sent, names the host the request was sent
/// to (its `Host`; a proxy in front must pass the browser's on). An
/// opaque origin (`null`) is another site.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[("cookie", "a=1; console_session=abc; console_session_x=2")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "console"), None);
    }

    #[test]
    fn cookies_are_secure_httponly_and_strict() {
        let v = set_cookie("c", "v", 5);
        let v = v.to_str().unwrap();
        assert!(v.contains("; Secure") && v.contains("HttpOnly") && v.contains("SameSite=Strict"));
    }

    #[test]
    fn equal_secrets_and_fingerprints() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abcd"));
        assert!(!same("", ""));
        assert_ne!(fingerprint("t"), fingerprint("u"));
        assert_ne!(fingerprint("t"), lower_hex(&Sha256::digest(b"t")));
    }

    #[test]
    fn a_form_from_another_origin_or_without_its_token_is_not_genuine() {
        let op = Operator {
            id_hash: "h".into(),
            csrf: "t0k".into(),
        };
        let here = headers(&[("host", "127.0.0.1:7"), ("origin", "http://127.0.0.1:7")]);
        assert!(form_is_genuine(&op, &here, "t0k"));
        assert!(!form_is_genuine(&op, &here, ""));
        assert!(!form_is_genuine(&op, &here, "t0K"));
        let there = headers(&[("host", "127.0.0.1:7"), ("origin", "https://evil.example")]);
        assert!(!form_is_genuine(&op, &there, "t0k"));
        let opaque = headers(&[("host", "127.0.0.1:7"), ("origin", "null")]);
        assert!(!form_is_genuine(&op, &opaque, "t0k"));
    }
}
