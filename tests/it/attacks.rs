//! The attack catalogue: forged, tampered, replayed and malformed inputs
//! against the running exchange over real HTTP, on SQLite and PostgreSQL.
//!
//! One table of cases. Each case builds its requests from a fresh sealed
//! scenario (changed before sealing to reach a rule, after sealing to tamper
//! with signed content, or sent as raw bytes), optionally after legitimate
//! charges it then attacks. The requests run in order until one is refused;
//! the refusal must come at the expected step with the expected status and
//! problem `code`, and nothing may move: balances, the authorizations'
//! states and the settlements are the same before and after. Every case
//! runs, and all failures are reported together.
//!
//! Beside the table, a race of 1,000 receipts against one session budget.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use settlement::accounts;
use settlement::records::cid::Cid;
use settlement::records::json::{self, Map, Value};
use settlement::records::{NSID_JOB, RawRecord};
use settlement::store::SettlementColumn;
use settlement::testkit::{
    PROVIDER, REQUESTER, Scenario, Sealed, key, object_mut, rkey_for, set, sign_attestation,
    sign_receipt,
};

use crate::app::{ADMIN_TOKEN, App, Backend, Reply, spawn_app, spawn_app_with};

/// A second requester, the usual thief.
const EVE: &str = "did:plc:evevevevevevevevevevevev";
/// A second provider, with an attestation of its own.
const MALLORY: &str = "did:plc:mallorymallorymallorymal";
/// A requester who never deposited anything.
const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";
/// The P-256 group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// 2^63 - 1: the largest amount the ledger holds.
const I64_MAX: &str = "9223372036854775807";
/// 2^63 and 2^64 - 1: amounts the JSON parser reads but no ledger can hold.
const TWO_POW_63: &str = "9223372036854775808";
const U64_MAX: &str = "18446744073709551615";
/// 2^64: not an integer this exchange reads at all.
const TWO_POW_64: &str = "18446744073709551616";

// ---------------------------------------------------------------------------
// Plans: the requests of one case.

/// One request of an attack.
enum Step {
    /// `POST /v1/records` with this exact body; `label` names the record.
    Post { label: &'static str, body: String },
    /// `POST /v1/settle` for this receipt URI.
    Settle(String),
    /// Any request, bytes as given.
    Http {
        method: reqwest::Method,
        path: String,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    },
}

impl Step {
    fn label(&self) -> &'static str {
        match self {
            Step::Post { label, .. } => label,
            Step::Settle(_) => "settle",
            Step::Http { .. } => "http",
        }
    }
}

/// What a case does: legitimate charges first (each must settle), then the
/// attack, whose requests run until the first refusal.
struct Plan {
    setup: Vec<Sealed>,
    attack: Vec<Step>,
    /// Authorizations whose state must not change.
    watch: Vec<String>,
}

impl Plan {
    fn attack(attack: Vec<Step>) -> Plan {
        Plan {
            setup: Vec::new(),
            attack,
            watch: Vec::new(),
        }
    }

    /// Posts the four records of `s`, then settles its receipt.
    fn charge(s: &Sealed) -> Plan {
        let mut attack = posts(s);
        attack.push(Step::Settle(s.receipt.uri.clone()));
        Plan {
            setup: Vec::new(),
            attack,
            watch: vec![s.authorization.uri.clone()],
        }
    }

    fn after(mut self, setup: Vec<Sealed>) -> Plan {
        self.watch
            .extend(setup.iter().map(|s| s.authorization.uri.clone()));
        self.setup = setup;
        self
    }
}

fn body_of(r: &RawRecord) -> String {
    format!(
        r#"{{"uri":{},"value":{}}}"#,
        json::to_canonical_string(&Value::String(r.uri.clone())),
        json::to_canonical_string(&r.value)
    )
}

fn post(label: &'static str, r: &RawRecord) -> Step {
    Step::Post {
        label,
        body: body_of(r),
    }
}

fn posts(s: &Sealed) -> Vec<Step> {
    vec![
        post("authorization", &s.authorization),
        post("job", &s.job),
        post("attestation", &s.attestation),
        post("receipt", &s.receipt),
    ]
}

type Build = Box<dyn Fn(&str) -> Plan>;

struct Case {
    name: String,
    build: Build,
    /// The step that must refuse: a record's label, "settle" or "http".
    at: &'static str,
    status: u16,
    code: &'static str,
}

fn case(name: &str, at: &'static str, status: u16, code: &'static str, build: Build) -> Case {
    Case {
        name: name.to_owned(),
        build,
        at,
        status,
        code,
    }
}

/// A valid scenario of its own: record keys, nonces and the attestation's
/// URI all derive from `tag`.
fn scenario(tag: &str) -> Scenario {
    let mut sc = Scenario::new(REQUESTER, PROVIDER, tag);
    sc.attestation_uri = sc
        .attestation_uri
        .replace("3lattestaaaa2", &rkey_for(&format!("att:{tag}")));
    sc
}

/// Another job and receipt under `base`'s authorization and attestation.
fn share(base: &Scenario, tag: &str) -> Scenario {
    let mut sc = base.sharing(tag);
    sc.attestation_uri = base.attestation_uri.clone();
    sc.attestation = base.attestation.clone();
    sc
}

fn single_job(sc: &mut Scenario) {
    set(&mut sc.authorization, "scope", r#""singleJob""#);
    sc.authorization.remove("sessionBudget");
}

/// A scenario changed before sealing and its sealed records after, then
/// charged.
fn bundle(
    edit: impl Fn(&mut Scenario) + 'static,
    tamper: impl Fn(&mut Sealed, &Scenario) + 'static,
) -> Build {
    Box::new(move |tag| {
        let mut sc = scenario(tag);
        edit(&mut sc);
        let mut s = sc.seal();
        tamper(&mut s, &sc);
        Plan::charge(&s)
    })
}

/// A rule case: the scenario is changed, then sealed (and so re-signed).
fn before(edit: impl Fn(&mut Scenario) + 'static) -> Build {
    bundle(edit, |_, _| {})
}

/// A tampering case: the sealed records are changed after signing.
fn after(tamper: impl Fn(&mut Sealed, &Scenario) + 'static) -> Build {
    bundle(|_| {}, tamper)
}

/// Which record of a bundle a raw edit applies to.
#[derive(Clone, Copy)]
enum Rec {
    Authorization,
    Job,
    Receipt,
}

/// A charge where one record's request body is edited as text (for what
/// no `Value` can hold: floats, duplicate keys, huge integers, nesting).
fn raw(
    which: Rec,
    edit: impl Fn(&mut Scenario) + 'static,
    text: impl Fn(String) -> String + 'static,
) -> Build {
    Box::new(move |tag| {
        let mut sc = scenario(tag);
        edit(&mut sc);
        let s = sc.seal();
        let mut plan = Plan::charge(&s);
        let index = match which {
            Rec::Authorization => 0,
            Rec::Job => 1,
            Rec::Receipt => 3,
        };
        if let Step::Post { body, .. } = &mut plan.attack[index] {
            let edited = text(body.clone());
            assert_ne!(&edited, body, "the raw edit of {tag} changed nothing");
            *body = edited;
        }
        plan
    })
}

fn http(
    method: reqwest::Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
) -> Build {
    let path = path.to_owned();
    let body = body.into();
    Box::new(move |_| {
        Plan::attack(vec![Step::Http {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            headers: headers.clone(),
        }])
    })
}

fn settle_uri(uri: &str) -> Build {
    let uri = uri.to_owned();
    Box::new(move |_| Plan::attack(vec![Step::Settle(uri.clone())]))
}

// ---------------------------------------------------------------------------
// Editing signed records.

fn cid(v: &Value) -> String {
    Cid::for_record(v).expect("a record's CID").to_string()
}

fn edit(v: &mut Value, path: &str, json: &str) {
    set(object_mut(v), path, json);
}

fn resign(s: &mut Sealed, sc: &Scenario) {
    sign_receipt(&mut s.receipt.value, &sc.provider_key);
}

fn quoted(s: &str) -> String {
    json::to_canonical_string(&Value::String(s.to_owned()))
}

/// The receipt's signature, decoded from base64.
fn der(s: &Sealed) -> Vec<u8> {
    let b64 = s
        .receipt
        .value
        .get("enclaveSignature")
        .and_then(Value::as_str);
    B64.decode(b64.expect("a sealed receipt is signed"))
        .expect("base64")
}

fn set_signature(s: &mut Sealed, b64: &str) {
    edit(&mut s.receipt.value, "enclaveSignature", &quoted(b64));
}

fn set_der(s: &mut Sealed, bytes: &[u8]) {
    set_signature(s, &B64.encode(bytes));
}

/// The two INTEGERs of a DER signature, as encoded (sign byte included).
fn der_integers(d: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!((d[0], d[2]), (0x30, 0x02), "a strict DER signature");
    let rl = usize::from(d[3]);
    let r = d[4..4 + rl].to_vec();
    let s = d[4 + rl + 2..].to_vec();
    (r, s)
}

/// A DER SEQUENCE of two INTEGERs given as they are to be encoded.
fn der_of(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30, (4 + r.len() + s.len()) as u8, 0x02, r.len() as u8];
    out.extend_from_slice(r);
    out.extend_from_slice(&[0x02, s.len() as u8]);
    out.extend_from_slice(s);
    out
}

/// Minimal positive INTEGER encoding of a big-endian number.
fn integer(v: &[u8]) -> Vec<u8> {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len() - 1);
    let mut out = Vec::new();
    if v[start] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&v[start..]);
    out
}

fn to_32(enc: &[u8]) -> [u8; 32] {
    let v = if enc.len() == 33 { &enc[1..] } else { enc };
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(v);
    out
}

/// n - s: the other valid signature of the same message (high/low S).
fn negate(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// The receipt's signature with s replaced by n - s: still valid.
fn malleated(s: &Sealed) -> Vec<u8> {
    let (r, sv) = der_integers(&der(s));
    der_of(&r, &integer(&negate(&to_32(&sv))))
}

/// `depth` nested arrays.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn deposit_body(amount: &str) -> String {
    format!(
        r#"{{"id":"attack-deposit","requester":"{REQUESTER}","amount":{{"amount":{amount},"currency":"USD"}}}}"#
    )
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

// ---------------------------------------------------------------------------
// The catalogue.

fn catalogue() -> Vec<Case> {
    use reqwest::Method;
    let price_250 = r#""price":{"amount":250,"currency":"USD"}"#;
    let mut cases = vec![
        // -- The receipt's enclaveSignature: forged, missing, malformed.
        case(
            "signature: one bit of s flipped",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                *d.last_mut().unwrap() ^= 1;
                set_der(s, &d);
            }),
        ),
        case(
            "signature: one bit of r flipped",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                d[8] ^= 0x10;
                set_der(s, &d);
            }),
        ),
        case(
            "signature: truncated DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let d = der(s);
                set_der(s, &d[..d.len() - 1]);
            }),
        ),
        case(
            "signature: trailing byte after the DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                d.push(0);
                set_der(s, &d);
            }),
        ),
        case(
            "signature: r = 0",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (_, sv) = der_integers(&der(s));
                set_der(s, &der_of(&[0], &sv));
            }),
        ),
        case(
            "signature: s = n, out of range",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, _) = der_integers(&der(s));
                set_der(s, &der_of(&r, &integer(&ORDER)));
            }),
        ),
        case(
            "signature: r = 2^256 - 1, out of range",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (_, sv) = der_integers(&der(s));
                set_der(s, &der_of(&integer(&[0xff; 32]), &sv));
            }),
        ),
        case(
            "signature: r with a superfluous leading zero (non-minimal DER)",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, sv) = der_integers(&der(s));
                let mut padded = vec![0];
                padded.extend_from_slice(&r);
                set_der(s, &der_of(&padded, &sv));
            }),
        ),
        case(
            "signature: SEQUENCE length in long form",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let d = der(s);
                let mut long = vec![0x30, 0x81];
                long.extend_from_slice(&d[1..]);
                set_der(s, &long);
            }),
        ),
        case(
            "signature: raw r||s (64 bytes) instead of DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, sv) = der_integers(&der(s));
                let mut p1363 = to_32(&r).to_vec();
                p1363.extend_from_slice(&to_32(&sv));
                set_der(s, &p1363);
            }),
        ),
        case(
            "signature: not base64",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| set_signature(s, "!!not-base64!!")),
        ),
        case(
            "signature: base64 with a line break",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let b64 = B64.encode(der(s));
                set_signature(s, &format!("{}\n{}", &b64[..40], &b64[40..]));
            }),
        ),
        case(
            "signature: the attestation's selfSignature copied in",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let sig = s.attestation.value.get("selfSignature").cloned().unwrap();
                object_mut(&mut s.receipt.value).insert("enclaveSignature".into(), sig);
            }),
        ),
        case(
            "signature: by a key that is not the attestation's",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| sign_receipt(&mut s.receipt.value, &key("someone else"))),
        ),
        case(
            "signature: empty",
            "receipt",
            422,
            "no-signature",
            after(|s, _| set_signature(s, "")),
        ),
        case(
            "signature: missing",
            "receipt",
            422,
            "no-signature",
            after(|s, _| {
                object_mut(&mut s.receipt.value).remove("enclaveSignature");
            }),
        ),
        case(
            "signature: null",
            "receipt",
            422,
            "no-signature",
            after(|s, _| edit(&mut s.receipt.value, "enclaveSignature", "null")),
        ),
        case(
            "signature: a number",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| edit(&mut s.receipt.value, "enclaveSignature", "12345")),
        ),
        case(
            "signature: longer than the lexicon allows",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| set_signature(s, &"A".repeat(400))),
        ),
        // -- Signed content changed after signing.
        case(
            "tampered after signing: model",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "model", r#""llama-3.1-70b""#)),
        ),
        case(
            "tampered after signing: inputCommitment",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "inputCommitment",
                    &quoted(&"a".repeat(64)),
                )
            }),
        ),
        case(
            "tampered after signing: outputCommitment",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "outputCommitment",
                    &quoted(&"b".repeat(64)),
                )
            }),
        ),
        case(
            "tampered after signing: price.amount raised",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "price.amount", "999")),
        ),
        case(
            "tampered after signing: price.currency",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "price.currency", r#""USDC""#)),
        ),
        case(
            "tampered after signing: tokens.in",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "tokens.in", "121")),
        ),
        case(
            "tampered after signing: tokens.out",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "tokens.out", "4000")),
        ),
        case(
            "tampered after signing: requester",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "requester", &quoted(EVE))),
        ),
        case(
            "tampered after signing: completedAt",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "completedAt",
                    r#""2026-11-21T11:00:06Z""#,
                )
            }),
        ),
        case(
            "tampered after signing: proBono added",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "proBono", "false")),
        ),
        case(
            "tampered after signing: job model, so the job's CID changed",
            "settle",
            422,
            "cid-mismatch",
            after(|s, _| edit(&mut s.job.value, "model", r#""other-model""#)),
        ),
        case(
            "tampered after signing: authorization ceiling raised",
            "settle",
            422,
            "cid-mismatch",
            after(|s, _| edit(&mut s.authorization.value, "ceiling.amount", "4999")),
        ),
        case(
            "tampered after signing: attestation window widened",
            "settle",
            422,
            "attestation-selfsig-invalid",
            after(|s, _| {
                edit(
                    &mut s.attestation.value,
                    "expiresAt",
                    r#""2027-11-22T00:00:00Z""#,
                )
            }),
        ),
        // -- Attestations.
        case(
            "attestation: self-signed by another key",
            "settle",
            422,
            "attestation-selfsig-invalid",
            after(|s, _| sign_attestation(&mut s.attestation.value, &key("someone else"))),
        ),
        case(
            "attestation: selfSignature missing",
            "attestation",
            422,
            "no-signature",
            after(|s, _| {
                object_mut(&mut s.attestation.value).remove("selfSignature");
            }),
        ),
        case(
            "attestation: expired before the work completed",
            "settle",
            422,
            "attestation-window",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "expiresAt",
                    r#""2026-11-21T11:00:05Z""#,
                )
            }),
        ),
        case(
            "attestation: not yet valid when the work completed",
            "settle",
            422,
            "attestation-window",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "attestedAt",
                    r#""2026-11-21T11:30:00Z""#,
                )
            }),
        ),
        case(
            "attestation: publicKey not a P-256 point",
            "settle",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "publicKey",
                    &quoted(&B64.encode([7u8; 64])),
                )
            }),
        ),
        case(
            "attestation: another provider's, receipt signed by our provider",
            "settle",
            422,
            "signature-invalid",
            Box::new(|tag| {
                let theirs = Scenario::new(REQUESTER, MALLORY, &format!("{tag}-mallory")).seal();
                let sc = scenario(tag);
                let mut s = sc.seal();
                let mut r = Map::new();
                r.insert("uri".into(), theirs.attestation.uri.clone().into());
                r.insert("cid".into(), cid(&theirs.attestation.value).into());
                object_mut(&mut s.receipt.value).insert("attestation".into(), Value::Object(r));
                resign(&mut s, &sc);
                let mut plan = Plan::charge(&s);
                plan.attack
                    .insert(0, post("attestation", &theirs.attestation));
                plan
            }),
        ),
        case(
            "attestation: another provider's, receipt signed with its key",
            "settle",
            422,
            "attestation-owner-mismatch",
            before(|sc| {
                let mallory = Scenario::new(REQUESTER, MALLORY, "x");
                sc.attestation_uri = sc.attestation_uri.replace(PROVIDER, MALLORY);
                sc.attestation = mallory.attestation;
                sc.provider_key = mallory.provider_key;
            }),
        ),
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
    ];
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

// ---------------------------------------------------------------------------
// Running the catalogue.

/// Everything a refused attack must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot(BTreeMap<String, String>);

async fn snapshot(app: &App, plan: &Plan) -> Snapshot {
    let mut out = BTreeMap::new();
    for did in [REQUESTER, EVE, CAROL] {
        let r = app.get(&format!("/v1/requesters/{did}/balance")).await;
        out.insert(
            format!("requester {did}"),
            format!("{} {:?}", r.status, r.body),
        );
        let n = app
            .service
            .store
            .settlements_where(SettlementColumn::Requester, did, 0, 10_000)
            .await
            .expect("settlements")
            .len();
        out.insert(format!("settlements of {did}"), n.to_string());
    }
    for did in [PROVIDER, MALLORY] {
        let r = app.get(&format!("/v1/providers/{did}/balance")).await;
        out.insert(
            format!("provider {did}"),
            format!("{} {:?}", r.status, r.body),
        );
    }
    let ledger = app.service.store.ledger();
    for currency in ["USD", "USDC"] {
        for (name, id) in [
            ("fees", accounts::fees(currency)),
            ("escrow", accounts::escrow(currency)),
            ("deposits", accounts::deposits(currency)),
        ] {
            let b = ledger.balance(&id).await.ok().map(|b| {
                (
                    b.debits_posted,
                    b.credits_posted,
                    b.debits_pending,
                    b.credits_pending,
                )
            });
            out.insert(format!("{name} {currency}"), format!("{b:?}"));
        }
    }
    for uri in &plan.watch {
        let r = app.get(&format!("/v1/authorizations?uri={uri}")).await;
        out.insert(
            format!("authorization {uri}"),
            format!("{} {:?}", r.status, r.body),
        );
    }
    for step in &plan.attack {
        if let Step::Settle(uri) = step {
            let s = app.service.store.settlement_by_receipt(uri).await;
            let s = s.ok().flatten().map(|row| (row.uri, row.cid));
            out.insert(format!("settlement of {uri}"), format!("{s:?}"));
        }
    }
    Snapshot(out)
}

/// Sends one step of a case as it is, bytes and headers.
async fn send(app: &App, step: &Step) -> Reply {
    let (method, path, body, headers) = match step {
        Step::Post { body, .. } => (
            reqwest::Method::POST,
            "/v1/records".to_owned(),
            body.clone().into_bytes(),
            Vec::new(),
        ),
        Step::Settle(uri) => {
            let mut m = Map::new();
            m.insert("receipt".into(), uri.as_str().into());
            (
                reqwest::Method::POST,
                "/v1/settle".to_owned(),
                json::to_canonical(&Value::Object(m)),
                Vec::new(),
            )
        }
        Step::Http {
            method,
            path,
            body,
            headers,
        } => (method.clone(), path.clone(), body.clone(), headers.clone()),
    };
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    Reply::read(req.send().await.expect("request")).await
}

/// What went wrong in one case: the answer (where and how it was
/// refused), and anything else (state moved, malformed problem, set-up).
#[derive(Default)]
struct Verdict {
    answer: Option<String>,
    harm: Vec<String>,
}

async fn run_case(app: &App, case: &Case, tag: &str) -> Verdict {
    let plan = (case.build)(tag);
    let mut verdict = Verdict::default();
    for s in &plan.setup {
        for step in posts(s) {
            let a = send(app, &step).await;
            if !(a.status == 200 || a.status == 201) {
                let label = step.label();
                verdict
                    .harm
                    .push(format!("setup {label}: {} {:?}", a.status, a.body));
                return verdict;
            }
        }
        let a = send(app, &Step::Settle(s.receipt.uri.clone())).await;
        if a.status != 201 {
            verdict
                .harm
                .push(format!("setup settle: {} {:?}", a.status, a.body));
            return verdict;
        }
    }
    let before = snapshot(app, &plan).await;
    let mut refusal = None;
    for step in &plan.attack {
        let a = send(app, step).await;
        if a.status >= 300 {
            refusal = Some((step.label(), a));
            break;
        }
    }
    let after = snapshot(app, &plan).await;
    match &refusal {
        None => {
            verdict.answer = Some("every request was accepted".to_owned());
        }
        Some((at, a)) => {
            let code = a.body.get("code").and_then(Value::as_str).unwrap_or("");
            if (*at, a.status, code) != (case.at, case.status, case.code) {
                verdict.answer = Some(format!(
                    "refused at {at} with {} {code:?}, expected at {} with {} {:?}: {:?}",
                    a.status,
                    case.at,
                    case.status,
                    case.code,
                    a.body.get("detail")
                ));
            }
            let shape = a.content_type == "application/problem+json"
                && a.body.get("status").and_then(Value::as_int) == Some(i128::from(a.status))
                && a.body.get("type").and_then(Value::as_str)
                    == Some(format!("urn:settlement:problem:{code}").as_str())
                && a.body.get("title").and_then(Value::as_str) == Some(code)
                && a.body
                    .get("detail")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.is_empty());
            if !shape {
                verdict.harm.push(format!(
                    "not a complete problem document ({}): {:?}",
                    a.content_type, a.body
                ));
            }
        }
    }
    if before != after {
        let moved: Vec<String> = before
            .0
            .iter()
            .filter(|(k, v)| after.0.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}: {v} -> {:?}", after.0.get(k)))
            .collect();
        verdict.harm.push(format!("state moved: {moved:?}"));
    }
    verdict
}

async fn attack_catalogue(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 10_000_000, "alice").await.status,
        201
    );
    assert_eq!(app.deposit(EVE, 1_000_000, "eve").await.status, 201);
    let cases = catalogue();
    let start = Instant::now();
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let v = run_case(&app, case, &format!("attack-{n}")).await;
        let name = format!("#{n} {}", case.name);
        failures.extend(v.harm.iter().map(|h| format!("{name}: {h}")));
        if let Some(a) = v.answer {
            failures.push(format!("{name}: {a}"));
        }
    }
    println!(
        "attack catalogue ({b:?}): {} cases, {} failed, {:.1} s",
        cases.len(),
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(cases.len() >= 50);
    assert!(
        failures.is_empty(),
        "{} of {} attacks failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// One session budget against 1,000 concurrent receipts.

const RACERS: usize = 1000;

async fn a_thousand_receipts_race_one_session_budget(b: Backend) {
    let limits = settlement::api::Limits {
        in_flight_max: 2 * RACERS,
        queue_wait: Duration::from_secs(120),
        request_timeout: Duration::from_secs(120),
        connections_per_client_max: 2 * RACERS,
        ..settlement::api::Limits::default()
    };
    let app = spawn_app_with(b, limits).await;
    assert_eq!(app.deposit(REQUESTER, 1_000_000, "race").await.status, 201);
    // Budget 20000 at 250 a receipt: exactly 80 fit.
    let base = scenario("race");
    let (budget, price, fee) = (20_000i128, 250i128, 6i128);
    let fits = usize::try_from(budget / price).unwrap();
    let start = Instant::now();
    let sealed: Vec<Sealed> = (0..RACERS)
        .map(|i| share(&base, &format!("race-{i}")).seal())
        .collect();
    let sealed_in = start.elapsed();
    let start = Instant::now();
    let mut bodies = vec![
        body_of(&sealed[0].authorization),
        body_of(&sealed[0].attestation),
    ];
    for s in &sealed {
        bodies.push(body_of(&s.job));
        bodies.push(body_of(&s.receipt));
    }
    let ingest = count(&app, "/v1/records", bodies, 16).await;
    assert_eq!(
        ingest,
        BTreeMap::from([((201, String::new()), 2 * RACERS + 2)])
    );
    let ingested = start.elapsed();

    let start = Instant::now();
    let settles = sealed
        .iter()
        .map(|s| format!(r#"{{"receipt":{}}}"#, quoted(&s.receipt.uri)))
        .collect();
    let results = count(&app, "/v1/settle", settles, RACERS).await;
    let raced = start.elapsed();
    println!(
        "race ({b:?}): {RACERS} receipts sealed in {:.1} s, ingested in {:.1} s, settled at once in {:.1} s: {results:?}",
        sealed_in.as_secs_f64(),
        ingested.as_secs_f64(),
        raced.as_secs_f64()
    );
    assert_eq!(
        results,
        BTreeMap::from([
            ((201, String::new()), fits),
            ((422, "session-budget-exceeded".to_owned()), RACERS - fits),
        ])
    );
    // The ledger holds exactly the budget's worth of charges.
    let charges = i128::try_from(fits).unwrap();
    assert_eq!(
        app.requester_usd(REQUESTER).await,
        (1_000_000 - budget, 0, 1_000_000 - budget)
    );
    let p = app
        .get(&format!("/v1/providers/{PROVIDER}/balance?currency=USD"))
        .await;
    assert_eq!(
        p.body
            .get("USD")
            .and_then(|u| u.get("payable"))
            .and_then(Value::as_int),
        Some(charges * (price - fee))
    );
    let fees = app
        .service
        .store
        .ledger()
        .balance(&accounts::fees("USD"))
        .await
        .expect("fees account");
    assert_eq!(
        i128::from(fees.credits_posted - fees.debits_posted),
        charges * fee
    );
    assert_eq!(
        app.charged(&base.authorization_uri).await,
        (Some(budget), Some(charges))
    );
    let rows = app
        .service
        .store
        .settlements_where(SettlementColumn::Requester, REQUESTER, 0, 10_000)
        .await
        .expect("settlements");
    assert_eq!(rows.len(), fits);
}

// ---------------------------------------------------------------------------
// Many versions of one receipt URI at once.

const VERSIONS: usize = 32;

async fn one_receipt_uri_many_versions_at_once(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 1_000_000, "versions").await.status,
        201
    );
    let base = scenario("versions");
    let first = base.seal();
    for r in [&first.authorization, &first.job, &first.attestation] {
        assert_eq!(app.post_record(r).await.status, 201, "{}", r.uri);
    }
    // Each version validly signed, at its own price.
    let versions: Vec<Sealed> = (0..VERSIONS)
        .map(|i| {
            let mut sc = base.clone();
            set(&mut sc.receipt, "price.amount", &(100 + i).to_string());
            sc.seal()
        })
        .collect();
    let bodies = versions.iter().map(|s| body_of(&s.receipt)).collect();
    let results = count(&app, "/v1/records", bodies, VERSIONS).await;
    assert_eq!(
        results,
        BTreeMap::from([
            ((201, String::new()), 1),
            ((409, "record-conflict".to_owned()), VERSIONS - 1),
        ])
    );
    // The one stored is the one charged, once; no other version moves it.
    let stored = app
        .get(&format!("/v1/records?uri={}", base.receipt_uri))
        .await;
    let price = stored
        .body
        .get("value")
        .and_then(|v| v.get("price"))
        .and_then(|p| p.get("amount"))
        .and_then(Value::as_int)
        .expect("stored price");
    assert_eq!(app.settle(&base.receipt_uri).await.status, 201);
    let bodies = versions.iter().map(|s| body_of(&s.receipt)).collect();
    let again = count(&app, "/v1/records", bodies, VERSIONS).await;
    assert_eq!(
        again,
        BTreeMap::from([
            ((200, String::new()), 1),
            ((409, "record-conflict".to_owned()), VERSIONS - 1),
        ])
    );
    let (balance, _, _) = app.requester_usd(REQUESTER).await;
    assert_eq!(balance, 1_000_000 - price);
    let rows = app
        .service
        .store
        .settlements_where(SettlementColumn::Requester, REQUESTER, 0, 100)
        .await
        .expect("settlements");
    assert_eq!(rows.len(), 1);
}

/// Posts each body to `path`, `parallel` at a time; counts the outcomes.
async fn count(
    app: &App,
    path: &str,
    bodies: Vec<String>,
    parallel: usize,
) -> BTreeMap<(u16, String), usize> {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (client, url, gate) = (
            app.client.clone(),
            format!("{}{path}", app.base),
            gate.clone(),
        );
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            let resp = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            let body = json::parse(&resp.bytes().await.expect("body")).unwrap_or(Value::Null);
            let code = body.get("code").and_then(Value::as_str).unwrap_or("");
            (status, code.to_owned())
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        *out.entry(r.expect("task")).or_insert(0) += 1;
    }
    out
}

on_both_backends!(
    attack_catalogue,
    a_thousand_receipts_race_one_session_budget,
    one_receipt_uri_many_versions_at_once,
);
