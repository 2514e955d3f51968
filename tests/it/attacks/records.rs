//! Attacks through the records themselves: strong references to the
//! wrong record, DIDs and AT URIs with case, unicode and encoding tricks,
//! amounts out of range, and parser tricks.

use super::*;

/// Strong references pointing at the wrong record.
pub(super) fn strong_refs() -> Vec<Case> {
    vec![
        // -- Strong references pointing at the wrong record.
        case(
            "strongRef: job.paymentAuthorization.cid is the job's attestation CID",
            "settle",
            422,
            "cid-mismatch",
            after(|s, sc| {
                let att = cid(&s.attestation.value);
                edit(&mut s.job.value, "paymentAuthorization.cid", &quoted(&att));
                let job = cid(&s.job.value);
                edit(&mut s.receipt.value, "job.cid", &quoted(&job));
                resign(s, sc);
            }),
        ),
        case(
            "strongRef: receipt.job.cid is the authorization's CID",
            "settle",
            422,
            "cid-mismatch",
            after(|s, sc| {
                let auth = cid(&s.authorization.value);
                edit(&mut s.receipt.value, "job.cid", &quoted(&auth));
                resign(s, sc);
            }),
        ),
        case(
            "strongRef: receipt.attestation.cid is the job's CID",
            "settle",
            422,
            "cid-mismatch",
            after(|s, sc| {
                let job = cid(&s.job.value);
                edit(&mut s.receipt.value, "attestation.cid", &quoted(&job));
                resign(s, sc);
            }),
        ),
        case(
            "strongRef: receipt.job names the authorization record",
            "settle",
            422,
            "invalid-record",
            after(|s, sc| {
                let (uri, c) = (s.authorization.uri.clone(), cid(&s.authorization.value));
                edit(&mut s.receipt.value, "job.uri", &quoted(&uri));
                edit(&mut s.receipt.value, "job.cid", &quoted(&c));
                resign(s, sc);
            }),
        ),
        case(
            "strongRef: receipt.job.uri in the wrong collection",
            "settle",
            422,
            "record-not-found",
            after(|s, sc| {
                let uri = s.job.uri.replace(NSID_JOB, "dev.cocore.compute.dispute");
                edit(&mut s.receipt.value, "job.uri", &quoted(&uri));
                resign(s, sc);
            }),
        ),
        case(
            "strongRef: declared CID of a posted record is another record's",
            "receipt",
            422,
            "cid-mismatch",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut plan = Plan::charge(&s);
                plan.attack[3] = Step::Post {
                    label: "receipt",
                    body: format!(
                        r#"{{"cid":"{}","uri":{},"value":{}}}"#,
                        cid(&s.job.value),
                        quoted(&s.receipt.uri),
                        json::to_canonical_string(&s.receipt.value)
                    ),
                };
                plan
            }),
        ),
    ]
}

/// DIDs, AT URIs, amounts and parser tricks.
pub(super) fn formats() -> Vec<Case> {
    use reqwest::Method;
    let price_250 = r#""price":{"amount":250,"currency":"USD"}"#;
    vec![
        // -- DIDs and AT URIs with case, unicode and encoding tricks.
        case(
            "did: receipt.requester as DID:PLC:",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                let upper = REQUESTER.replace("did:plc:", "DID:PLC:");
                set(&mut sc.receipt, "requester", &quoted(&upper));
            }),
        ),
        case(
            "did: receipt.requester in upper case",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                let upper = format!("did:plc:{}", REQUESTER[8..].to_ascii_uppercase());
                set(&mut sc.receipt, "requester", &quoted(&upper));
            }),
        ),
        case(
            "did: receipt.requester with a Cyrillic 'а'",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                let homoglyph = REQUESTER.replacen('a', "\u{0430}", 1);
                set(&mut sc.receipt, "requester", &quoted(&homoglyph));
            }),
        ),
        case(
            "did: receipt.requester with trailing whitespace",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.receipt,
                    "requester",
                    &quoted(&format!("{REQUESTER} ")),
                )
            }),
        ),
        case(
            "did: receipt.requester is another requester",
            "settle",
            422,
            "job-owner-mismatch",
            before(|sc| set(&mut sc.receipt, "requester", &quoted(EVE))),
        ),
        case(
            "uri: job posted under a percent-encoded DID",
            "job",
            422,
            "invalid-record",
            before(|sc| sc.job_uri = sc.job_uri.replace("did:plc:", "did%3Aplc%3A")),
        ),
        case(
            "uri: receipt posted as AT:// in upper case",
            "receipt",
            422,
            "invalid-record",
            before(|sc| sc.receipt_uri = sc.receipt_uri.replace("at://", "AT://")),
        ),
        case(
            "uri: receipt posted under the job collection",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                sc.receipt_uri = sc
                    .receipt_uri
                    .replace("dev.cocore.compute.receipt", NSID_JOB)
            }),
        ),
        case(
            "uri: receipt posted with the record key ..",
            "receipt",
            422,
            "invalid-record",
            before(|sc| {
                let rkey = sc.receipt_uri.rsplit('/').next().unwrap().to_owned();
                sc.receipt_uri = sc.receipt_uri.replace(&rkey, "..");
            }),
        ),
        case(
            "uri: receipt posted under a path with an extra segment",
            "receipt",
            422,
            "invalid-record",
            before(|sc| sc.receipt_uri.push_str("/extra")),
        ),
        case(
            "uri: receipt posted with a trailing space",
            "receipt",
            422,
            "invalid-record",
            before(|sc| sc.receipt_uri.push(' ')),
        ),
        case(
            "uri: settle a job's URI",
            "http",
            400,
            "invalid-request",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut m = Map::new();
                m.insert("receipt".into(), s.job.uri.clone().into());
                Plan::attack(vec![Step::Http {
                    method: reqwest::Method::POST,
                    path: "/v1/settle".into(),
                    body: json::to_canonical(&Value::Object(m)),
                    headers: Vec::new(),
                }])
            }),
        ),
        case(
            "uri: settle a stored receipt by its URI in upper case",
            "settle",
            400,
            "invalid-request",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut plan = Plan::charge(&s);
                plan.attack[4] = Step::Settle(s.receipt.uri.replace("did:plc:", "DID:PLC:"));
                plan
            }),
        ),
        case(
            "uri: settle a stored receipt with a trailing space",
            "settle",
            400,
            "invalid-request",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut plan = Plan::charge(&s);
                plan.attack[4] = Step::Settle(format!("{} ", s.receipt.uri));
                plan
            }),
        ),
        case(
            "did: a balance read for a homoglyph DID",
            "http",
            400,
            "invalid-request",
            http(
                Method::GET,
                "/v1/requesters/did:plc:%D0%B0licealicealicealicealic/balance",
                "",
                Vec::new(),
            ),
        ),
        // -- Amounts: negative, float, string, huge.
        case(
            "amount: negative price",
            "receipt",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.receipt, "price.amount", "-250")),
        ),
        case(
            "amount: negative job ceiling",
            "job",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.job, "priceCeiling.amount", "-1")),
        ),
        case(
            "amount: string price",
            "receipt",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.receipt, "price.amount", r#""250""#)),
        ),
        case(
            "amount: string session budget",
            "authorization",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.authorization, "sessionBudget.amount", r#""20000""#)),
        ),
        case(
            "amount: float price",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replace(r#""amount":250,"#, r#""amount":250.0,"#),
            ),
        ),
        case(
            "amount: price in exponent notation",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replace(r#""amount":250,"#, r#""amount":2.5e2,"#),
            ),
        ),
        case(
            "amount: float ceiling",
            "authorization",
            422,
            "invalid-record",
            raw(
                Rec::Authorization,
                |_| {},
                |b| b.replace(r#""amount":5000,"#, r#""amount":5000.5,"#),
            ),
        ),
        case(
            "amount: price of 2^63",
            "settle",
            422,
            "amount-out-of-range",
            before(|sc| {
                set(&mut sc.receipt, "price.amount", TWO_POW_63);
                set(&mut sc.job, "priceCeiling.amount", TWO_POW_63);
                set(&mut sc.authorization, "ceiling.amount", TWO_POW_63);
                set(&mut sc.authorization, "sessionBudget.amount", TWO_POW_63);
            }),
        ),
        case(
            "amount: price of 2^64 - 1",
            "settle",
            422,
            "amount-out-of-range",
            before(|sc| {
                set(&mut sc.receipt, "price.amount", U64_MAX);
                set(&mut sc.job, "priceCeiling.amount", U64_MAX);
                set(&mut sc.authorization, "ceiling.amount", U64_MAX);
                set(&mut sc.authorization, "sessionBudget.amount", U64_MAX);
            }),
        ),
        case(
            "amount: price of 2^63 - 1, more than anyone holds",
            "settle",
            422,
            "insufficient-funds",
            before(|sc| {
                set(&mut sc.receipt, "price.amount", I64_MAX);
                set(&mut sc.job, "priceCeiling.amount", I64_MAX);
                set(&mut sc.authorization, "ceiling.amount", I64_MAX);
                set(&mut sc.authorization, "sessionBudget.amount", I64_MAX);
            }),
        ),
        case(
            "amount: session budget of 2^63 - 1, more than anyone holds",
            "settle",
            422,
            "insufficient-funds",
            before(|sc| set(&mut sc.authorization, "sessionBudget.amount", I64_MAX)),
        ),
        case(
            "amount: session budget of 2^63",
            "settle",
            422,
            "amount-out-of-range",
            before(|sc| set(&mut sc.authorization, "sessionBudget.amount", TWO_POW_63)),
        ),
        case(
            "amount: singleJob ceiling of 2^64 - 1",
            "settle",
            422,
            "amount-out-of-range",
            before(|sc| {
                single_job(sc);
                set(&mut sc.authorization, "ceiling.amount", U64_MAX);
            }),
        ),
        case(
            "amount: price of 2^64",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replace(r#""amount":250,"#, &format!(r#""amount":{TWO_POW_64},"#)),
            ),
        ),
        case(
            "amount: session budget of 2^64",
            "authorization",
            422,
            "invalid-record",
            raw(
                Rec::Authorization,
                |_| {},
                |b| b.replace(r#""amount":20000,"#, &format!(r#""amount":{TWO_POW_64},"#)),
            ),
        ),
        case(
            "amount: job ceiling of -2^63 - 1",
            "job",
            422,
            "invalid-record",
            raw(
                Rec::Job,
                |_| {},
                |b| b.replace(r#""amount":1000,"#, r#""amount":-9223372036854775809,"#),
            ),
        ),
        // -- Parser tricks.
        case(
            "json: two price keys, the first one cheaper",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                move |b| {
                    b.replace(
                        price_250,
                        &format!(r#""price":{{"amount":1,"currency":"USD"}},{price_250}"#),
                    )
                },
            ),
        ),
        case(
            "json: two amount keys inside the price",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replace(r#""amount":250,"#, r#""amount":250,"amount":2500,"#),
            ),
        ),
        case(
            "json: two price keys, one spelled with a \\u escape",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                move |b| {
                    b.replace(
                        price_250,
                        &format!(r#""pr\u0069ce":{{"amount":1,"currency":"USD"}},{price_250}"#),
                    )
                },
            ),
        ),
        case(
            "json: a lone surrogate escape in the model",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replace(r#""model":"llama"#, r#""model":"\ud800llama"#),
            ),
        ),
        case(
            "json: invalid UTF-8 in the model",
            "http",
            400,
            "invalid-request",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut plan = Plan::charge(&s);
                let body =
                    body_of(&s.receipt).replace(r#""model":"llama"#, "\"model\":\"\u{1}llama");
                let body = body.into_bytes();
                let at = body.iter().position(|&b| b == 1).expect("marker");
                let mut bytes = body[..at].to_vec();
                bytes.extend_from_slice(&[0xc0, 0xaf]);
                bytes.extend_from_slice(&body[at + 1..]);
                plan.attack[3] = Step::Http {
                    method: reqwest::Method::POST,
                    path: "/v1/records".into(),
                    body: bytes,
                    headers: Vec::new(),
                };
                plan
            }),
        ),
        case(
            "json: trailing bytes after the request object",
            "receipt",
            400,
            "invalid-request",
            raw(Rec::Receipt, |_| {}, |b| format!("{b}{b}")),
        ),
        case(
            "json: a byte order mark before the request object",
            "receipt",
            400,
            "invalid-request",
            raw(Rec::Receipt, |_| {}, |b| format!("\u{feff}{b}")),
        ),
        case(
            "json: receipt $type changed after signing",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| edit(&mut s.receipt.value, "$type", &quoted(NSID_JOB))),
        ),
        case(
            "json: receipt $type removed after signing",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| {
                object_mut(&mut s.receipt.value).remove("$type");
            }),
        ),
        case(
            "json: two uri keys in the request",
            "receipt",
            400,
            "invalid-request",
            raw(
                Rec::Receipt,
                |_| {},
                |b| b.replacen(r#"{"uri":"#, r#"{"uri":"at://x/y/z","uri":"#, 1),
            ),
        ),
        case(
            "json: a record nested 65 deep",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| {
                    b.replacen(
                        r#""value":{"#,
                        &format!(r#""value":{{"deep":{},"#, nested(65)),
                        1,
                    )
                },
            ),
        ),
        case(
            "json: a record nested 100,000 deep",
            "receipt",
            422,
            "invalid-record",
            raw(
                Rec::Receipt,
                |_| {},
                |b| {
                    b.replacen(
                        r#""value":{"#,
                        &format!(r#""value":{{"deep":{},"#, nested(100_000)),
                        1,
                    )
                },
            ),
        ),
        case(
            "json: a settle request nested 65 deep",
            "http",
            400,
            "invalid-request",
            http(
                Method::POST,
                "/v1/settle",
                format!(r#"{{"x":{},"receipt":"at://a/b/c"}}"#, nested(65)),
                Vec::new(),
            ),
        ),
        case(
            "json: two receipt keys in a settle request",
            "http",
            400,
            "invalid-request",
            Box::new(|tag| {
                let s = scenario(tag).seal();
                let mut plan = Plan::charge(&s);
                plan.attack[4] = Step::Http {
                    method: reqwest::Method::POST,
                    path: "/v1/settle".into(),
                    body: format!(r#"{{"receipt":{0},"receipt":{0}}}"#, quoted(&s.receipt.uri))
                        .into_bytes(),
                    headers: Vec::new(),
                };
                plan
            }),
        ),
        case(
            "json: a record body over the size limit",
            "receipt",
            413,
            "payload-too-large",
            raw(
                Rec::Receipt,
                |_| {},
                |b| {
                    let pad = "a".repeat(settlement::api::BODY_BYTES_MAX);
                    b.replacen(r#""value":{"#, &format!(r#""value":{{"pad":"{pad}","#), 1)
                },
            ),
        ),
        case(
            "json: a settle body over the size limit",
            "http",
            413,
            "payload-too-large",
            http(
                Method::POST,
                "/v1/settle",
                format!(
                    r#"{{"receipt":"{}"}}"#,
                    "a".repeat(settlement::api::BODY_BYTES_MAX + 1)
                ),
                Vec::new(),
            ),
        ),
    ]
}
