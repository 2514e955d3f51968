//! Attacks on the rules of a charge and its state: work that is not the
//! job's, other exchanges, replays and reuse, another requester's
//! authorization, and records missing one by one.

use super::*;

/// The work is not the job's; exchanges that are not this one.
pub(super) fn rules() -> Vec<Case> {
    use reqwest::Method;
    vec![
        // -- The work is not the job's (signed, so the rules decide).
        case(
            "rule: receipt model differs from the job's",
            "settle",
            422,
            "model-mismatch",
            before(|sc| set(&mut sc.receipt, "model", r#""llama-3.1-70b""#)),
        ),
        case(
            "rule: input commitment differs from the job's",
            "settle",
            422,
            "commitment-mismatch",
            before(|sc| set(&mut sc.receipt, "inputCommitment", &quoted(&"c".repeat(64)))),
        ),
        case(
            "rule: price currency differs from the ceilings'",
            "settle",
            422,
            "currency-mismatch",
            before(|sc| set(&mut sc.receipt, "price.currency", r#""USDC""#)),
        ),
        case(
            "rule: a currency the exchange does not settle",
            "settle",
            422,
            "currency-not-supported",
            before(|sc| {
                set(&mut sc.receipt, "price.currency", r#""EUR""#);
                set(&mut sc.job, "priceCeiling.currency", r#""EUR""#);
                set(&mut sc.authorization, "ceiling.currency", r#""EUR""#);
                set(&mut sc.authorization, "sessionBudget.currency", r#""EUR""#);
            }),
        ),
        case(
            "rule: price over the job's ceiling",
            "settle",
            422,
            "price-over-job-ceiling",
            before(|sc| set(&mut sc.receipt, "price.amount", "1001")),
        ),
        case(
            "rule: price over the authorization's ceiling",
            "settle",
            422,
            "price-over-auth-ceiling",
            before(|sc| {
                set(&mut sc.job, "priceCeiling.amount", "100000");
                set(&mut sc.receipt, "price.amount", "5001");
            }),
        ),
        case(
            "rule: tokens.out over the job's maxTokensOut",
            "settle",
            422,
            "tokens-over-job-ceiling",
            before(|sc| set(&mut sc.receipt, "tokens.out", U64_MAX)),
        ),
        case(
            "rule: authorization expired",
            "settle",
            422,
            "auth-expired",
            before(|sc| {
                set(
                    &mut sc.authorization,
                    "expiresAt",
                    r#""2026-11-21T11:59:59Z""#,
                )
            }),
        ),
        case(
            "rule: unknown scope",
            "settle",
            422,
            "unknown-scope",
            before(|sc| set(&mut sc.authorization, "scope", r#""forever""#)),
        ),
        case(
            "rule: scope in another case (SingleJob)",
            "settle",
            422,
            "unknown-scope",
            before(|sc| {
                single_job(sc);
                set(&mut sc.authorization, "scope", r#""SingleJob""#);
            }),
        ),
        case(
            "rule: session scope without a budget",
            "settle",
            422,
            "invalid-record",
            before(|sc| {
                sc.authorization.remove("sessionBudget");
            }),
        ),
        case(
            "rule: pro bono with a price",
            "settle",
            422,
            "pro-bono-nonzero-price",
            before(|sc| set(&mut sc.receipt, "proBono", "true")),
        ),
        case(
            "rule: pro bono with tokens",
            "settle",
            422,
            "pro-bono-nonzero-tokens",
            before(|sc| {
                set(&mut sc.receipt, "proBono", "true");
                set(&mut sc.receipt, "price.amount", "0");
            }),
        ),
        case(
            "rule: receipt model with a Cyrillic 'а'",
            "settle",
            422,
            "model-mismatch",
            before(|sc| set(&mut sc.receipt, "model", "\"ll\u{0430}ma-3.1-8b-instruct\"")),
        ),
        case(
            "rule: commitments in upper-case hex on both sides",
            "job",
            422,
            "invalid-record",
            before(|sc| {
                let upper = sc.job["inputCommitment"]
                    .as_str()
                    .unwrap()
                    .to_ascii_uppercase();
                set(&mut sc.job, "inputCommitment", &quoted(&upper));
                set(&mut sc.receipt, "inputCommitment", &quoted(&upper));
            }),
        ),
        case(
            "rule: commitments of 64 non-hex characters on both sides",
            "job",
            422,
            "invalid-record",
            before(|sc| {
                let z = quoted(&"z".repeat(64));
                set(&mut sc.job, "inputCommitment", &z);
                set(&mut sc.receipt, "inputCommitment", &z);
            }),
        ),
        case(
            "rule: session budget in another currency",
            "settle",
            422,
            "currency-mismatch",
            before(|sc| set(&mut sc.authorization, "sessionBudget.currency", r#""USDC""#)),
        ),
        case(
            "rule: currency in lower case throughout",
            "settle",
            422,
            "currency-not-supported",
            before(|sc| {
                set(&mut sc.receipt, "price.currency", r#""usd""#);
                set(&mut sc.job, "priceCeiling.currency", r#""usd""#);
                set(&mut sc.authorization, "ceiling.currency", r#""usd""#);
                set(&mut sc.authorization, "sessionBudget.currency", r#""usd""#);
            }),
        ),
        case(
            "rule: currency with a trailing space throughout",
            "settle",
            422,
            "currency-not-supported",
            before(|sc| {
                set(&mut sc.receipt, "price.currency", r#""USD ""#);
                set(&mut sc.job, "priceCeiling.currency", r#""USD ""#);
                set(&mut sc.authorization, "ceiling.currency", r#""USD ""#);
                set(&mut sc.authorization, "sessionBudget.currency", r#""USD ""#);
            }),
        ),
        case(
            "rule: zero session budget",
            "settle",
            422,
            "session-budget-exceeded",
            before(|sc| set(&mut sc.authorization, "sessionBudget.amount", "0")),
        ),
        case(
            "rule: zero authorization ceiling",
            "settle",
            422,
            "price-over-auth-ceiling",
            before(|sc| set(&mut sc.authorization, "ceiling.amount", "0")),
        ),
        case(
            "rule: job's acceptedProviders lists only another provider",
            "settle",
            422,
            "provider-not-accepted",
            before(|sc| {
                set(
                    &mut sc.job,
                    "acceptedProviders",
                    &format!("[{}]", quoted(MALLORY)),
                )
            }),
        ),
        case(
            "rule: completed after now",
            "settle",
            422,
            "completed-in-future",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "expiresAt",
                    r#""2026-11-23T00:00:00Z""#,
                );
                set(&mut sc.job, "expiresAt", r#""2026-11-23T00:00:00Z""#);
                set(&mut sc.receipt, "completedAt", r#""2026-11-21T12:01:01Z""#);
            }),
        ),
        case(
            "rule: completed before started",
            "settle",
            422,
            "completed-before-started",
            before(|sc| {
                set(
                    &mut sc.receipt,
                    "startedAt",
                    r#""2026-11-21T11:00:05.251Z""#,
                )
            }),
        ),
        case(
            "rule: completed after the job expired",
            "settle",
            422,
            "job-completed-after-expiry",
            before(|sc| set(&mut sc.job, "expiresAt", r#""2026-11-21T11:00:05.249Z""#)),
        ),
        case(
            "amount: maxTokensOut over the lexicon's maximum",
            "job",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.job, "maxTokensOut", "2000001")),
        ),
        case(
            "amount: negative tokens.out",
            "receipt",
            422,
            "invalid-record",
            before(|sc| set(&mut sc.receipt, "tokens.out", "-1")),
        ),
        case(
            "http: a path that is not UTF-8",
            "http",
            400,
            "invalid-request",
            http(Method::GET, "/v1/requesters/%FF%FE/balance", "", Vec::new()),
        ),
        case(
            "http: a query that is not UTF-8 (read lossily, names nothing)",
            "http",
            404,
            "record-not-found",
            http(Method::GET, "/v1/authorizations?uri=%FF", "", Vec::new()),
        ),
        case(
            "http: a settle body that is not JSON",
            "http",
            400,
            "invalid-request",
            http(Method::POST, "/v1/settle", "receipt=at://x", Vec::new()),
        ),
        case(
            "http: a settle body whose receipt is a number",
            "http",
            400,
            "invalid-request",
            http(Method::POST, "/v1/settle", r#"{"receipt":5}"#, Vec::new()),
        ),
        case(
            "rule: a pro bono receipt for a settled job",
            "settle",
            422,
            "job-already-settled",
            Box::new(|tag| {
                let sc = scenario(tag);
                let first = sc.seal();
                let mut free = sc.clone();
                free.receipt_uri = free
                    .receipt_uri
                    .replace(&rkey_for(tag), &rkey_for(&format!("{tag}-free")));
                set(&mut free.receipt, "proBono", "true");
                set(&mut free.receipt, "price.amount", "0");
                set(&mut free.receipt, "tokens", r#"{"in":0,"out":0}"#);
                Plan::charge(&free.seal()).after(vec![first])
            }),
        ),
        case(
            "rule: job's acceptedProviders longer than the lexicon allows",
            "job",
            422,
            "invalid-record",
            before(|sc| {
                let list = vec![quoted(PROVIDER); 65].join(",");
                set(&mut sc.job, "acceptedProviders", &format!("[{list}]"));
            }),
        ),
        case(
            "trust: job accepts only hardware-attested work, the provider is self-attested",
            "settle",
            422,
            "trust-level-not-accepted",
            before(|sc| set(&mut sc.job, "acceptedTrustLevel", r#""hardware-attested""#)),
        ),
        case(
            "trust: job accepts only a trust level nobody knows",
            "settle",
            422,
            "trust-level-not-accepted",
            before(|sc| set(&mut sc.job, "acceptedTrustLevel", r#""quantum-attested""#)),
        ),
        case(
            "rule: requester without funds",
            "settle",
            422,
            "insufficient-funds",
            Box::new(|tag| {
                let mut sc = Scenario::new(CAROL, PROVIDER, tag);
                sc.attestation_uri = scenario(tag).attestation_uri;
                Plan::charge(&sc.seal())
            }),
        ),
        // -- Exchanges that are not this one.
        case(
            "exchange: authorization names another exchange",
            "settle",
            422,
            "wrong-exchange",
            before(|sc| {
                set(
                    &mut sc.authorization,
                    "exchange",
                    r#""did:web:evil.example""#,
                )
            }),
        ),
        case(
            "exchange: authorization names ours in upper case host",
            "authorization",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.authorization,
                    "exchange",
                    r#""did:web:EXCHANGE.example""#,
                )
            }),
        ),
        case(
            "exchange: authorization names ours as DID:WEB:",
            "authorization",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.authorization,
                    "exchange",
                    r#""DID:WEB:exchange.example""#,
                )
            }),
        ),
        case(
            "exchange: authorization names ours with a trailing space",
            "authorization",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.authorization,
                    "exchange",
                    r#""did:web:exchange.example ""#,
                )
            }),
        ),
        case(
            "exchange: job's acceptedExchanges lists only another",
            "settle",
            422,
            "exchange-not-allowed",
            before(|sc| {
                set(
                    &mut sc.job,
                    "acceptedExchanges",
                    r#"["did:web:evil.example"]"#,
                )
            }),
        ),
        case(
            "exchange: job's acceptedExchanges is empty",
            "settle",
            422,
            "exchange-not-allowed",
            before(|sc| set(&mut sc.job, "acceptedExchanges", "[]")),
        ),
        case(
            "exchange: job's acceptedExchanges has ours with a Cyrillic 'е'",
            "job",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.job,
                    "acceptedExchanges",
                    "[\"did:web:\u{0435}xchange.example\"]",
                )
            }),
        ),
        case(
            "exchange: job's acceptedExchanges has ours percent-encoded",
            "job",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.job,
                    "acceptedExchanges",
                    r#"["did:web:exchange%2Eexample"]"#,
                )
            }),
        ),
    ]
}

/// Replays, reuse, and another requester's authorization.
pub(super) fn replays() -> Vec<Case> {
    vec![
        // -- Replays and reuse of what was already charged.
        case(
            "replay: a consumed singleJob authorization with a new job",
            "settle",
            422,
            "authorization-already-consumed",
            Box::new(|tag| {
                let mut base = scenario(tag);
                single_job(&mut base);
                let first = base.seal();
                let second = share(&base, &format!("{tag}-again")).seal();
                Plan::charge(&second).after(vec![first])
            }),
        ),
        case(
            "replay: a consumed nonce under a new authorization record",
            "settle",
            422,
            "authorization-already-consumed",
            Box::new(|tag| {
                let mut first = scenario(tag);
                single_job(&mut first);
                let mut second = scenario(&format!("{tag}-second"));
                single_job(&mut second);
                second
                    .authorization
                    .insert("nonce".into(), first.authorization["nonce"].clone());
                set(&mut second.authorization, "ceiling.amount", "4000");
                Plan::charge(&second.seal()).after(vec![first.seal()])
            }),
        ),
        case(
            "replay: a second receipt for a settled job",
            "settle",
            422,
            "job-already-settled",
            Box::new(|tag| {
                let sc = scenario(tag);
                let first = sc.seal();
                let mut other = sc.clone();
                other.receipt_uri = other
                    .receipt_uri
                    .replace(&rkey_for(tag), &rkey_for(&format!("{tag}-other")));
                set(&mut other.receipt, "price.amount", "1");
                Plan::charge(&other.seal()).after(vec![first])
            }),
        ),
        case(
            "replay: a settled receipt's URI with another CID",
            "receipt",
            409,
            "record-conflict",
            Box::new(|tag| {
                let sc = scenario(tag);
                let first = sc.seal();
                let mut cheaper = sc.clone();
                set(&mut cheaper.receipt, "price.amount", "200");
                let cheaper = cheaper.seal();
                let mut plan = Plan::charge(&cheaper).after(vec![first]);
                plan.attack.drain(..3);
                plan
            }),
        ),
        case(
            "replay: a settled receipt with its signature malleated (n - s)",
            "receipt",
            409,
            "record-conflict",
            Box::new(|tag| {
                let first = scenario(tag).seal();
                let mut copy = first.clone();
                set_der(&mut copy, &malleated(&first));
                Plan::attack(vec![post("receipt", &copy.receipt)]).after(vec![first])
            }),
        ),
        case(
            "replay: a settled receipt malleated (n - s) under a new record key",
            "settle",
            422,
            "job-already-settled",
            Box::new(|tag| {
                let first = scenario(tag).seal();
                let mut copy = first.clone();
                set_der(&mut copy, &malleated(&first));
                copy.receipt.uri = copy
                    .receipt
                    .uri
                    .replace(&rkey_for(tag), &rkey_for(&format!("{tag}-copy")));
                Plan::attack(vec![
                    post("receipt", &copy.receipt),
                    Step::Settle(copy.receipt.uri.clone()),
                ])
                .after(vec![first])
            }),
        ),
        case(
            "replay: a session spent to its budget, then one more",
            "settle",
            422,
            "session-budget-exceeded",
            Box::new(|tag| {
                let mut base = scenario(tag);
                set(&mut base.authorization, "sessionBudget.amount", "500");
                let spent = vec![base.seal(), share(&base, &format!("{tag}-2")).seal()];
                Plan::charge(&share(&base, &format!("{tag}-3")).seal()).after(spent)
            }),
        ),
        // -- Another requester's authorization or nonce.
        case(
            "nonce: a job names another requester's authorization",
            "settle",
            422,
            "authorization-owner-mismatch",
            Box::new(|tag| {
                let alice = scenario(tag);
                let mut eve = Scenario::new(EVE, PROVIDER, &format!("{tag}-eve"));
                eve.attestation_uri = alice.attestation_uri.clone();
                eve.authorization = alice.authorization.clone();
                eve.authorization_uri = alice.authorization_uri.clone();
                Plan::charge(&eve.seal())
            }),
        ),
        case(
            "nonce: a job names another requester's consumed authorization",
            "settle",
            422,
            "authorization-owner-mismatch",
            Box::new(|tag| {
                let mut alice = scenario(tag);
                single_job(&mut alice);
                let mut eve = Scenario::new(EVE, PROVIDER, &format!("{tag}-eve"));
                eve.attestation_uri = alice.attestation_uri.clone();
                eve.authorization = alice.authorization.clone();
                eve.authorization_uri = alice.authorization_uri.clone();
                Plan::charge(&eve.seal()).after(vec![alice.seal()])
            }),
        ),
        case(
            "nonce: the thief's job billed to the victim as receipt.requester",
            "settle",
            422,
            "job-owner-mismatch",
            Box::new(|tag| {
                let mut eve = Scenario::new(EVE, PROVIDER, tag);
                eve.attestation_uri = scenario(tag).attestation_uri;
                set(&mut eve.receipt, "requester", &quoted(REQUESTER));
                Plan::charge(&eve.seal())
            }),
        ),
    ]
}

/// Receipt, job and authorization missing one by one.
pub(super) fn missing() -> Vec<Case> {
    let mut cases = Vec::new();
    // Receipt, job and authorization missing one by one.
    for (name, skip) in [
        ("missing: the receipt's job", 1),
        ("missing: the job's authorization", 0),
        ("missing: the receipt's attestation", 2),
    ] {
        cases.push(case(
            name,
            "settle",
            422,
            "record-not-found",
            Box::new(move |tag| {
                let mut plan = Plan::charge(&scenario(tag).seal());
                plan.attack.remove(skip);
                plan
            }),
        ));
    }
    cases
}
