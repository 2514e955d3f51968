//! Attacks on the HTTP edge's admin endpoints.

use super::*;

/// The admin endpoint cases.
pub(super) fn cases() -> Vec<Case> {
    use reqwest::Method;
    vec![
        // -- Admin endpoints.
        case(
            "admin: deposit without a token",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                Vec::new(),
            ),
        ),
        case(
            "admin: deposit id with a control character (found by fuzzing)",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                format!(
                    r#"{{"id":"a\u0001","requester":"{REQUESTER}","amount":{{"amount":1,"currency":"USD"}}}}"#
                ),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: deposit with a wrong token",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                bearer("wrong"),
            ),
        ),
        case(
            "admin: deposit with the token's prefix",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                bearer(&ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
            ),
        ),
        case(
            "admin: deposit with two spaces before the token",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                vec![("authorization", format!("Bearer  {ADMIN_TOKEN}"))],
            ),
        ),
        case(
            "admin: deposit with the token in upper case",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                bearer(&ADMIN_TOKEN.to_ascii_uppercase()),
            ),
        ),
        case(
            "admin: deposit with the token as Basic credentials",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5"),
                vec![(
                    "authorization",
                    format!("Basic {}", B64.encode(format!("admin:{ADMIN_TOKEN}"))),
                )],
            ),
        ),
        case(
            "admin: deposit with the token in the query",
            "http",
            401,
            "unauthorized",
            http(
                Method::POST,
                &format!("/v1/admin/deposits?token={ADMIN_TOKEN}"),
                deposit_body("5"),
                Vec::new(),
            ),
        ),
        case(
            "admin: payout run without a token",
            "http",
            401,
            "unauthorized",
            http(Method::POST, "/v1/admin/payouts/run", "{}", Vec::new()),
        ),
        case(
            "admin: payout destination with a wrong token",
            "http",
            401,
            "unauthorized",
            http(
                Method::PUT,
                &format!("/v1/admin/payout-destinations/{PROVIDER}"),
                r#"{"address":"0x0000000000000000000000000000000000000001"}"#,
                bearer("wrong"),
            ),
        ),
        case(
            "admin: negative deposit with the token",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("-5"),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: deposit of 2^63 with the token",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body(TWO_POW_63),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: float deposit with the token",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5.0"),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: string deposit with the token",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body(r#""5""#),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: deposit with two amount keys",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body(r#"5,"amount":500000"#),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: a deposit id replayed with another amount",
            "http",
            409,
            "idempotency-conflict",
            http(
                Method::POST,
                "/v1/admin/deposits",
                r#"{"id":"alice","requester":"did:plc:alicealicealicealicealic","amount":{"amount":5,"currency":"USD"}}"#,
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: a deposit id replayed for another requester",
            "http",
            409,
            "idempotency-conflict",
            http(
                Method::POST,
                "/v1/admin/deposits",
                r#"{"id":"alice","requester":"did:plc:evevevevevevevevevevevev","amount":{"amount":10000000,"currency":"USD"}}"#,
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: a deposit in a lower-case currency",
            "http",
            400,
            "currency-not-supported",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5").replace("USD", "usd"),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "admin: a deposit for a DID in upper case",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/admin/deposits",
                deposit_body("5").replace("did:plc:", "DID:PLC:"),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "http: settle by GET",
            "http",
            405,
            "method-not-allowed",
            http(Method::GET, "/v1/settle", "", Vec::new()),
        ),
        case(
            "http: a route that does not exist",
            "http",
            404,
            "not-found",
            http(
                Method::POST,
                "/v1/admin/withdrawals",
                deposit_body("5"),
                bearer(ADMIN_TOKEN),
            ),
        ),
        case(
            "json: a record whose value is a string",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| {
                    let at = b.find(r#""value":"#).unwrap() + r#""value":"#.len();
                    format!("{}{}}}", &b[..at], quoted(&b[at..b.len() - 1]))
                },
            ),
        ),
        case(
            "json: a declared CID that is a number",
            "receipt",
            400,
            "invalid-request",
            raw(Rec::Receipt, |_| {}, |b| b.replacen('{', r#"{"cid":1,"#, 1)),
        ),
        case(
            "settle: a receipt that is not stored",
            "settle",
            422,
            "record-not-found",
            settle_uri(&format!(
                "at://{PROVIDER}/dev.cocore.compute.receipt/3zzzzzzzzzzzz"
            )),
        ),
    ]
}
