//! What every page shares: the HTML answer with its security headers,
//! the error page, amounts, times and cursors as a page shows them.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::failure::{Failure, FailureKind};
use crate::records::formats::{Datetime, Micros};

/// Rows on one page of any list.
pub const PAGE_ROWS: i64 = 50;

/// How many decimal places of minor units a currency has (ISO 4217; the
/// stablecoins as their fiat). `None`: not known here, and amounts are
/// shown in minor units.
pub fn minor_digits(currency: &str) -> Option<u32> {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "XOF" | "XAF" => Some(0),
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => Some(3),
        "USD" | "USDC" | "USDT" | "EUR" | "EURC" | "GBP" | "CHF" | "CAD" | "AUD" | "NZD"
        | "SEK" | "NOK" | "DKK" | "PLN" | "CZK" | "SGD" | "HKD" | "CNY" | "INR" | "BRL" | "MXN"
        | "ZAR" => Some(2),
        _ => None,
    }
}

/// What the navigation shows: the operator's links and sign-out form
/// when signed in (with the session's CSRF token).
#[derive(Clone, Debug, Default)]
pub struct Nav {
    pub signed_in: bool,
    pub csrf: String,
}

/// `minor` as a decimal amount with its currency: `250, "USD"` is
/// `2.50 USD`, `250, "JPY"` is `250 JPY`; a currency not known here is
/// shown in minor units (`250 minor units of XTS`). Integers only.
pub fn money(minor: i64, currency: &str) -> String {
    let Some(digits) = minor_digits(currency) else {
        return format!("{minor} minor units of {currency}");
    };
    if digits == 0 {
        return format!("{minor} {currency}");
    }
    let scale = 10i128.pow(digits);
    let m = i128::from(minor);
    let sign = if m < 0 { "-" } else { "" };
    let a = m.abs();
    format!(
        "{sign}{}.{:0width$} {currency}",
        a / scale,
        a % scale,
        width = digits as usize
    )
}

/// A time in microseconds as RFC 3339 (UTC).
pub fn when(micros: Micros) -> String {
    Datetime::from_unix_micros(micros).to_string()
}

/// `value` escaped for HTML text and quoted attributes.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A cursor from a previous page: the `seq` the next page starts below.
/// Absent: from the newest.
pub fn cursor(text: Option<&str>) -> Result<i64, String> {
    match text {
        None | Some("") => Ok(i64::MAX),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| "cursor: must be a cursor from a previous page".to_owned()),
    }
}

/// The cursor of the page after `seqs` (the last one's seq), when the
/// page is full.
pub fn next_cursor(last_seq: Option<i64>, rows: usize) -> Option<String> {
    last_seq
        .filter(|_| i64::try_from(rows).unwrap_or(0) == PAGE_ROWS)
        .map(|s| s.to_string())
}

/// The headers every page carries: no script or style from elsewhere,
/// no framing, no sniffing, no referrer to other sites; private pages
/// are not cached.
fn secure(mut r: Response, private: bool) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // same-origin, not no-referrer: under no-referrer a browser sends
    // `Origin: null` with the console's own forms, which `session`
    // refuses.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// A rendered page; a template that fails to render is a 500 page.
pub fn html(status: StatusCode, page: &impl Template, private: bool) -> Response {
    match page.render() {
        Ok(body) => secure((status, body).into_response(), private),
        Err(e) => {
            tracing::error!("console template failed: {e}");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &Nav::default(),
                "internal error",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    nav: &'a Nav,
    status: u16,
    reason: &'a str,
    message: &'a str,
}

/// An error as a page: its status and a sentence for the reader.
pub fn error_page(status: StatusCode, nav: &Nav, message: &str) -> Response {
    let page = ErrorPage {
        nav,
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("error"),
        message,
    };
    match page.render() {
        Ok(body) => secure((status, body).into_response(), true),
        Err(_) => (status, "error").into_response(),
    }
}

/// A failure of a lower layer as a page. Internal errors are logged and
/// shown without their text (it may name tables or hosts).
pub fn failure_page(f: Failure, nav: &Nav) -> Response {
    let status = match f.kind {
        FailureKind::BadRequest => StatusCode::BAD_REQUEST,
        FailureKind::Unauthorized => StatusCode::UNAUTHORIZED,
        FailureKind::NotFound => StatusCode::NOT_FOUND,
        FailureKind::Conflict => StatusCode::CONFLICT,
        FailureKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        FailureKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        FailureKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(code = f.code, "console: {}", f.message);
        return error_page(status, nav, "internal error");
    }
    error_page(status, nav, &format!("{}: {}", f.code, f.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact() {
        assert_eq!(money(250, "USD"), "2.50 USD");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(-1206, "USDC"), "-12.06 USDC");
        assert_eq!(money(i64::MIN, "USD"), "-92233720368547758.08 USD");
        assert_eq!(money(250, "JPY"), "250 JPY");
        assert_eq!(money(1250, "BHD"), "1.250 BHD");
        assert_eq!(money(250, "XTS"), "250 minor units of XTS");
    }

    #[test]
    fn cursors() {
        assert_eq!(cursor(None), Ok(i64::MAX));
        assert_eq!(cursor(Some("17")), Ok(17));
        assert!(cursor(Some("-1")).is_err());
        assert!(cursor(Some("x")).is_err());
        assert_eq!(next_cursor(Some(9), 50), Some("9".into()));
        assert_eq!(next_cursor(Some(9), 49), None);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
