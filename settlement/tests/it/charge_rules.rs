//! Every rule of a charge: one valid bundle, and for each rejection code a
//! bundle that differs from it in one respect and fails with exactly that
//! code.

use std::collections::BTreeSet;

use settlement::records::cid::Cid;
use settlement::records::formats::Datetime;
use settlement::records::json::Value;
use settlement::testkit::{
    self, Scenario, Sealed, key, object_mut, set, sign_attestation, sign_receipt,
};
use settlement::verify::{Code, Scope, verify_charge};

const OTHER: &str = "did:plc:evevevevevevevevevevevev";

/// Re-signs the receipt with the provider's key and recomputes its CID, as
/// a provider (or an attacker holding the key) would.
fn resign(s: &mut Sealed, sc: &Scenario) {
    sign_receipt(&mut s.receipt.value, &sc.provider_key);
    s.receipt.cid = Some(Cid::for_record(&s.receipt.value).unwrap().to_string());
}

fn run(s: &Sealed) -> Result<settlement::verify::Charge, Code> {
    verify_charge(&s.exchange, s.now, s.bundle()).map_err(|r| {
        assert!(!r.message.is_empty());
        r.code
    })
}

type Before = fn(&mut Scenario);
type After = fn(&mut Sealed, &Scenario);

fn case(before: Before, after: After) -> Result<settlement::verify::Charge, Code> {
    let mut sc = Scenario::default();
    before(&mut sc);
    let mut sealed = sc.seal();
    after(&mut sealed, &sc);
    run(&sealed)
}

fn none(_: &mut Scenario) {}
fn untouched(_: &mut Sealed, _: &Scenario) {}

#[test]
fn valid_session_bundle_is_charged() {
    let charge = case(none, untouched).expect("the default scenario is valid");
    assert_eq!(charge.amount.amount, 250);
    assert_eq!(charge.amount.currency, "USD");
    assert_eq!(charge.provider, testkit::PROVIDER);
    assert_eq!(charge.requester, testkit::REQUESTER);
    assert!(!charge.pro_bono);
    assert!(matches!(charge.scope, Scope::Session { ref budget } if budget.amount == 20000));
    assert_eq!(charge.nonce.as_str().len(), 32);
    let sealed = Scenario::default().seal();
    assert_eq!(charge.receipt.cid.to_string(), sealed.receipt.cid.unwrap());
    assert_eq!(charge.authorization.uri.as_str(), sealed.authorization.uri);
}

#[test]
fn valid_single_job_and_pro_bono_bundles() {
    let charge = case(
        |s| {
            set(&mut s.authorization, "scope", r#""singleJob""#);
            s.authorization.remove("sessionBudget");
        },
        untouched,
    )
    .unwrap();
    assert_eq!(charge.scope, Scope::SingleJob);

    let charge = case(
        |s| {
            set(&mut s.receipt, "proBono", "true");
            set(&mut s.receipt, "price.amount", "0");
            set(&mut s.receipt, "tokens", r#"{"in":0,"out":0}"#);
        },
        untouched,
    )
    .unwrap();
    assert!(charge.pro_bono);
    assert_eq!(charge.amount.amount, 0);

    // Boundaries that are allowed: price equal to every ceiling, tokens equal
    // to maxTokensOut, completion exactly at the job's expiry and at the
    // attestation's expiry, now one nanosecond before the authorization
    // expires, an empty acceptedProviders (means any), extra unknown fields.
    case(
        |s| {
            set(&mut s.job, "priceCeiling.amount", "5000");
            set(&mut s.receipt, "price.amount", "5000");
            set(&mut s.receipt, "tokens.out", "4096");
            set(&mut s.job, "expiresAt", r#""2026-11-21T11:00:05.250Z""#);
            set(
                &mut s.attestation,
                "expiresAt",
                r#""2026-11-21T11:00:05.250Z""#,
            );
            set(&mut s.job, "acceptedProviders", "[]");
            set(&mut s.receipt, "futureField", r#"{"nested":[1,2,3]}"#);
            set(&mut s.attestation, "futureField", "null");
            s.now = Datetime::parse("2026-11-30T23:59:59.999999999Z").unwrap();
        },
        untouched,
    )
    .unwrap();
}

#[test]
fn each_rule_has_its_code() {
    let cases: Vec<(Code, Before, After)> = vec![
        (
            Code::InvalidRecord,
            |s| set(&mut s.receipt, "price.amount", "-1"),
            untouched,
        ),
        (
            Code::InvalidRecord,
            |s| {
                set(
                    &mut s.job,
                    "inputCommitment",
                    &format!("\"{}\"", "A".repeat(64)),
                )
            },
            untouched,
        ),
        (
            Code::InvalidRecord,
            |s| {
                set(
                    &mut s.authorization,
                    "nonce",
                    r#""0123456789ABCDEF0123456789abcdef""#,
                )
            },
            untouched,
        ),
        (
            Code::InvalidRecord,
            |s| {
                s.authorization.remove("sessionBudget");
            },
            untouched,
        ),
        (
            Code::InvalidRecord,
            |s| set(&mut s.attestation, "publicKey", r#""AAAA""#),
            untouched,
        ),
        (Code::InvalidRecord, none, |x, _| {
            x.receipt.uri = x.receipt.uri.replace("receipt", "job")
        }),
        (Code::InvalidRecord, none, |x, _| {
            object_mut(&mut x.receipt.value).remove("$type");
        }),
        (Code::CidMismatch, none, |x, _| {
            x.job.cid = x.authorization.cid.clone()
        }),
        (Code::CidMismatch, none, |x, sc| {
            let job = object_mut(&mut x.receipt.value);
            set(
                job,
                "job.cid",
                &format!("\"{}\"", Cid::for_record(&Value::Null).unwrap()),
            );
            resign(x, sc);
        }),
        (Code::RefMismatch, none, |x, sc| {
            let other = x.job.uri.replace("/3", "/2");
            set(
                object_mut(&mut x.receipt.value),
                "job.uri",
                &format!("\"{other}\""),
            );
            resign(x, sc);
        }),
        (
            Code::JobOwnerMismatch,
            |s| set(&mut s.receipt, "requester", &format!("\"{OTHER}\"")),
            untouched,
        ),
        (
            Code::AuthorizationOwnerMismatch,
            |s| s.authorization_uri = s.authorization_uri.replace(testkit::REQUESTER, OTHER),
            untouched,
        ),
        (
            Code::AttestationOwnerMismatch,
            |s| s.attestation_uri = s.attestation_uri.replace(testkit::PROVIDER, OTHER),
            untouched,
        ),
        (
            Code::WrongExchange,
            |s| {
                set(
                    &mut s.authorization,
                    "exchange",
                    r#""did:web:other-exchange.example""#,
                )
            },
            untouched,
        ),
        (
            Code::ExchangeNotAllowed,
            |s| {
                set(
                    &mut s.job,
                    "acceptedExchanges",
                    r#"["did:web:other-exchange.example"]"#,
                )
            },
            untouched,
        ),
        (
            Code::ExchangeNotAllowed,
            |s| set(&mut s.job, "acceptedExchanges", "[]"),
            untouched,
        ),
        (
            Code::ProviderNotAccepted,
            |s| set(&mut s.job, "acceptedProviders", &format!("[\"{OTHER}\"]")),
            untouched,
        ),
        (
            Code::TrustLevelNotAccepted,
            |s| set(&mut s.job, "acceptedTrustLevel", r#""hardware-attested""#),
            untouched,
        ),
        (Code::NoSignature, none, |x, _| {
            object_mut(&mut x.receipt.value).remove("enclaveSignature");
        }),
        (Code::NoSignature, none, |x, _| {
            set(
                object_mut(&mut x.receipt.value),
                "enclaveSignature",
                r#""""#,
            )
        }),
        (Code::NoSignature, none, |x, _| {
            object_mut(&mut x.attestation.value).remove("selfSignature");
        }),
        (Code::SignatureInvalid, none, |x, _| {
            set(
                object_mut(&mut x.receipt.value),
                "model",
                r#""llama-3.1-70b-instruct""#,
            );
            x.receipt.cid = None;
        }),
        (Code::SignatureInvalid, none, |x, _| {
            // Signed by a key that is not the attestation's.
            sign_receipt(&mut x.receipt.value, &key("someone else"));
            x.receipt.cid = None;
        }),
        (Code::SignatureInvalid, none, |x, _| {
            set(
                object_mut(&mut x.receipt.value),
                "enclaveSignature",
                r#""MEUCIQD/""#,
            );
            x.receipt.cid = None;
        }),
        (Code::AttestationSelfsigInvalid, none, |x, _| {
            sign_attestation(&mut x.attestation.value, &key("someone else"));
            x.attestation.cid = None;
        }),
        (
            Code::AttestationWindow,
            |s| set(&mut s.attestation, "expiresAt", r#""2026-11-21T11:00:05Z""#),
            untouched,
        ),
        (
            Code::AttestationWindow,
            |s| {
                set(
                    &mut s.attestation,
                    "attestedAt",
                    r#""2026-11-21T11:00:06Z""#,
                )
            },
            untouched,
        ),
        (
            Code::CompletedBeforeStarted,
            |s| set(&mut s.receipt, "startedAt", r#""2026-11-21T11:00:05.251Z""#),
            untouched,
        ),
        (
            Code::CompletedInFuture,
            |s| s.now = Datetime::parse("2026-11-21T10:59:05.249Z").unwrap(),
            untouched,
        ),
        (
            Code::CommitmentMismatch,
            |s| {
                set(
                    &mut s.receipt,
                    "inputCommitment",
                    &format!("\"{}\"", "0".repeat(64)),
                )
            },
            untouched,
        ),
        (
            Code::ModelMismatch,
            |s| set(&mut s.receipt, "model", r#""llama-3.1-70b-instruct""#),
            untouched,
        ),
        (
            Code::TokensOverJobCeiling,
            |s| set(&mut s.receipt, "tokens.out", "4097"),
            untouched,
        ),
        (
            Code::CurrencyMismatch,
            |s| set(&mut s.receipt, "price.currency", r#""EUR""#),
            untouched,
        ),
        (
            Code::CurrencyMismatch,
            |s| set(&mut s.authorization, "sessionBudget.currency", r#""EUR""#),
            untouched,
        ),
        (
            Code::PriceOverJobCeiling,
            |s| set(&mut s.receipt, "price.amount", "1001"),
            untouched,
        ),
        (
            Code::PriceOverAuthCeiling,
            |s| {
                set(&mut s.job, "priceCeiling.amount", "10000");
                set(&mut s.receipt, "price.amount", "5001");
            },
            untouched,
        ),
        (
            Code::SessionBudgetExceeded,
            |s| set(&mut s.authorization, "sessionBudget.amount", "249"),
            untouched,
        ),
        (
            Code::AuthExpired,
            |s| s.now = Datetime::parse("2026-12-01T00:00:00Z").unwrap(),
            untouched,
        ),
        (
            Code::JobCompletedAfterExpiry,
            |s| set(&mut s.job, "expiresAt", r#""2026-11-21T11:00:05.249Z""#),
            untouched,
        ),
        (
            Code::UnknownScope,
            |s| set(&mut s.authorization, "scope", r#""Session""#),
            untouched,
        ),
        (
            Code::UnknownScope,
            |s| set(&mut s.authorization, "scope", r#""unlimited""#),
            untouched,
        ),
        (
            Code::ProBonoNonzeroPrice,
            |s| set(&mut s.receipt, "proBono", "true"),
            untouched,
        ),
        (
            Code::ProBonoNonzeroTokens,
            |s| {
                set(&mut s.receipt, "proBono", "true");
                set(&mut s.receipt, "price.amount", "0");
            },
            untouched,
        ),
    ];
    let mut covered = BTreeSet::new();
    for (n, (expected, before, after)) in cases.into_iter().enumerate() {
        let got = case(before, after).map(|_| ());
        assert_eq!(got, Err(expected), "case #{n}");
        covered.insert(expected);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");
}

#[test]
fn rejections_name_the_field() {
    let err = verify_charge_err(|s| set(&mut s.receipt, "price.amount", "-1"));
    assert_eq!(err, "receipt.price.amount: must be an integer >= 0");
    let err = verify_charge_err(|s| set(&mut s.receipt, "price.amount", r#""250""#));
    assert_eq!(err, "receipt.price.amount: must be an integer >= 0");
    let err = verify_charge_err(|s| {
        s.job.remove("model");
    });
    assert_eq!(err, "job.model: is required");
    let err =
        verify_charge_err(|s| set(&mut s.receipt, "completedAt", r#""2026-11-21 11:00:05Z""#));
    assert!(
        err.starts_with("receipt.completedAt: must be an RFC 3339 datetime"),
        "{err}"
    );
}

fn verify_charge_err(before: Before) -> String {
    let mut sc = Scenario::default();
    before(&mut sc);
    let s = sc.seal();
    verify_charge(&s.exchange, s.now, s.bundle())
        .unwrap_err()
        .message
}
