//! Secrets never reach a log, an error or a trace. Two nets: URLs are
//! printed through [`redact_url`] (a password, credential-like query
//! values and API-key-like path segments become `***`), and every secret
//! the process was given is [`register`]ed, so that [`scrub`] and the log
//! writer ([`ScrubbingStderr`]) replace it wherever it would appear,
//! whatever printed it (a database driver's or an HTTP client's error
//! that quotes a URL, say).

use std::sync::RwLock;

/// `N` bytes from the operating system's generator (session secrets,
/// request ids).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use p256::elliptic_curve::rand_core::RngCore as _;
    let mut bytes = [0u8; N];
    p256::elliptic_curve::rand_core::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Query parameters whose values are credentials.
const SECRET_QUERY_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "access_token",
    "auth",
    "sslpassword",
    "signature",
    "sig",
];

/// Shortest value taken as a secret by [`register`]: shorter strings would
/// also match ordinary text.
const SECRET_LEN_MIN: usize = 6;

static REGISTERED: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Whether a path segment looks like an API key (an RPC provider's
/// `/v2/KEY`): long, of key characters, with letters and digits both.
fn key_like(segment: &str) -> bool {
    segment.len() >= 16
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment.bytes().any(|b| b.is_ascii_alphabetic())
}

fn secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_QUERY_KEYS.contains(&name.as_str())
}

/// The secret parts of `url`: the userinfo password, credential-like query
/// values, API-key-like path segments.
fn secret_parts(url: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    if let Some((userinfo, _)) = authority.rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
        && !password.is_empty()
    {
        parts.push(password.to_owned());
    }
    parts.extend(path.split('/').filter(|s| key_like(s)).map(str::to_owned));
    if let Some(q) = query {
        let q = q.split('#').next().unwrap_or("");
        for pair in q.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && secret_key(k)
                && !v.is_empty()
            {
                parts.push(v.to_owned());
            }
        }
    }
    parts
}

/// `url` with its secret parts replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    for part in secret_parts(url) {
        out = out.replace(&part, "***");
    }
    out
}

/// Remembers the secrets in `value` for [`scrub`]: the secret parts of a
/// URL, or the whole value when it is not a URL (a token, a key).
pub fn register(value: &str) {
    let parts = if value.contains("://") || value.contains('@') {
        secret_parts(value)
    } else {
        vec![value.trim().to_owned()]
    };
    let mut all = REGISTERED.write().unwrap_or_else(|p| p.into_inner());
    for p in parts {
        if p.len() >= SECRET_LEN_MIN && !all.contains(&p) {
            all.push(p);
        }
    }
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> String {
    let all = REGISTERED.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_owned();
    for secret in all.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// stderr for the log formatter, with registered secrets scrubbed from
/// each write (the formatter writes an event in one call).
#[derive(Clone, Copy, Default)]
pub struct ScrubbingStderr;

impl std::io::Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ScrubbingStderr {
    type Writer = ScrubbingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingStderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets() {
        for (url, redacted) in [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("sqlite:./data/x.db", "sqlite:./data/x.db"),
            (
                "postgres://u@h/db?sslmode=require&password=hunter22",
                "postgres://u@h/db?sslmode=require&password=***",
            ),
            (
                "https://base-sepolia.example/v2/AbCdEf0123456789xyz",
                "https://base-sepolia.example/v2/***",
            ),
            (
                "https://rpc.example/?apiKey=k3y-value-42&chain=base",
                "https://rpc.example/?apiKey=***&chain=base",
            ),
            ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ] {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn registered_secrets_are_scrubbed_from_any_text() {
        register("postgres://u:pw-for-scrub-test@h/db");
        register("admin-token-for-scrub-test");
        register("abc");
        let text = "error connecting to postgres://u:pw-for-scrub-test@h/db with admin-token-for-scrub-test; abc";
        assert_eq!(
            scrub(text),
            "error connecting to postgres://u:***@h/db with ***; abc"
        );
    }
}
