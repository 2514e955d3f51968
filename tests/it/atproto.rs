//! Record authenticity against fixtures from the reference AT Protocol
//! implementation: proofs verified by the pure checker; then the exchange
//! over real HTTP (SQLite and PostgreSQL) acting only on records proven in
//! their owners' repositories, resolving DIDs from a PLC directory and
//! did:web, with service auth on a requester's statement.

use std::sync::OnceLock;

use settlement::computation::keys::KeyKind;
use settlement::computation::testkeys::Fixture;
use settlement::computation::{NSID_COMPUTATION, Role};
use settlement::identity::IdentityConfig;
use settlement::records::RawRecord;
use settlement::records::cid::Cid;
use settlement::records::formats::{AtUri, Datetime};
use settlement::records::json::{Map, Value};
use settlement::testkit::{self, EXCHANGE, PROVIDER, REQUESTER, Scenario, Sealed};
use settlement::verify::atkey::AtKey;
use settlement::verify::repo::verify_record_proof;

use crate::app::{App, Backend, Reply, spawn_app_proven};
use crate::pds::{Alg, Pds, RepoFixture, RepoSpec, TokenSpec, make_fixtures};

const EVE: &str = "did:plc:evevevevevevevevevevevev";
const ALGORITHM_AUTHOR: &str = "did:plc:algoalgoalgoalgoalgoalgo";
const ALICE_KEY: &str = "alice atproto key";
const ALICE_ROTATED_KEY: &str = "alice atproto key, rotated";
const BOB_KEY: &str = "bob atproto key";
const EVE_KEY: &str = "eve atproto key";
const STATEMENT_LXM: &str = settlement::authentic::LXM_REQUESTER_STATEMENT;

struct Fixtures {
    /// A genuine charge: alice's authorization and job, bob's attestation
    /// and receipt.
    sealed: Sealed,
    /// A job of alice naming her computation (bob 60 %, an algorithm
    /// author 40 %), and bob's receipt for it.
    split: Sealed,
    /// The computation's URI.
    computation: String,
    /// Eve's receipt against an authorization and job "from" alice that
    /// alice never made.
    forged: Sealed,
    alice: RepoFixture,
    bob: RepoFixture,
    /// alice's DID and records, signed with eve's key.
    alice_by_eve: RepoFixture,
    /// alice's repository after she rotated her key.
    alice_rotated: RepoFixture,
    eve: RepoFixture,
    /// A second job and receipt under the genuine authorization.
    second: Sealed,
    /// alice's repository (her key) at a later commit, after she deleted
    /// the authorization: its proof of absence.
    alice_deleted: RepoFixture,
    /// For alice's statement: good, other audience, other method (her
    /// balance: the token that reads it), expired, eve's own, eve's key
    /// claiming to be alice; then bob's for his provider balance.
    tokens: Vec<String>,
}

fn now_s() -> i64 {
    Datetime::parse(testkit::NOW).unwrap().unix_seconds()
}

fn claims(iss: &str, aud: &str, lxm: &str, exp: i64) -> Value {
    let mut m = Map::new();
    m.insert("iss".into(), iss.into());
    m.insert("aud".into(), aud.into());
    m.insert("lxm".into(), lxm.into());
    m.insert("exp".into(), exp.into());
    m.insert("iat".into(), (exp - 60).into());
    Value::Object(m)
}

fn with_jti(mut claims: Value, jti: &str) -> Value {
    if let Value::Object(m) = &mut claims {
        m.insert("jti".into(), jti.into());
    }
    claims
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let genuine = Scenario::new(REQUESTER, PROVIDER, "atproto");
        let sealed = genuine.seal();
        let second = genuine.sharing("atproto-second").seal();
        let forged = Scenario::new(REQUESTER, EVE, "atproto-forged").seal();
        // A computation in alice's repository, and a job naming it.
        let terms = Fixture::new(KeyKind::P256, &[KeyKind::Ed25519]);
        let computation = RawRecord {
            uri: format!("at://{REQUESTER}/{NSID_COMPUTATION}/3lcomputatom2"),
            cid: None,
            value: terms.record(
                10_000,
                &[
                    (Role::Compute, None, None, Some(6000)),
                    (Role::Algorithm, Some(ALGORITHM_AUTHOR), None, Some(4000)),
                ],
                "2026-11-21T09:00:00Z",
            ),
        };
        let mut split = genuine.sharing("atproto-split");
        split.name_computation(&computation, 997);
        let split = split.seal();
        let alice_records = vec![
            &sealed.authorization,
            &sealed.job,
            &second.job,
            &computation,
            &split.job,
        ];
        let forged_paths = vec![forged.authorization.uri.as_str(), forged.job.uri.as_str()];
        let repos = [
            RepoSpec {
                did: REQUESTER,
                alg: Alg::P256,
                key_seed: ALICE_KEY,
                // Enough records for a tree of more than one level.
                filler: 80,
                records: alice_records.clone(),
                absent: forged_paths.clone(),
            },
            RepoSpec {
                did: PROVIDER,
                alg: Alg::K256,
                key_seed: BOB_KEY,
                filler: 5,
                records: vec![
                    &sealed.attestation,
                    &sealed.receipt,
                    &second.receipt,
                    &split.receipt,
                ],
                absent: vec![],
            },
            RepoSpec {
                did: REQUESTER,
                alg: Alg::P256,
                key_seed: EVE_KEY,
                filler: 0,
                records: vec![&sealed.authorization, &forged.authorization, &forged.job],
                absent: vec![],
            },
            RepoSpec {
                did: REQUESTER,
                alg: Alg::K256,
                key_seed: ALICE_ROTATED_KEY,
                filler: 80,
                records: alice_records,
                absent: vec![],
            },
            RepoSpec {
                did: EVE,
                alg: Alg::P256,
                key_seed: EVE_KEY,
                filler: 0,
                records: vec![&forged.attestation, &forged.receipt],
                absent: vec![],
            },
            RepoSpec {
                did: REQUESTER,
                alg: Alg::P256,
                key_seed: ALICE_KEY,
                filler: 80,
                records: vec![&sealed.job, &second.job],
                absent: vec![sealed.authorization.uri.as_str()],
            },
        ];
        let now = now_s();
        let token = |seed, iss: &str, aud: &str, lxm: &str, exp| TokenSpec {
            alg: Alg::P256,
            key_seed: seed,
            payload: claims(iss, aud, lxm, exp),
        };
        let tokens = [
            token(ALICE_KEY, REQUESTER, EXCHANGE, STATEMENT_LXM, now + 60),
            token(
                ALICE_KEY,
                REQUESTER,
                "did:web:other.example",
                STATEMENT_LXM,
                now + 60,
            ),
            token(
                ALICE_KEY,
                REQUESTER,
                EXCHANGE,
                "dev.cocore.compute.getRequesterBalance",
                now + 60,
            ),
            token(ALICE_KEY, REQUESTER, EXCHANGE, STATEMENT_LXM, now - 120),
            token(EVE_KEY, EVE, EXCHANGE, STATEMENT_LXM, now + 60),
            token(EVE_KEY, REQUESTER, EXCHANGE, STATEMENT_LXM, now + 60),
            TokenSpec {
                alg: Alg::K256,
                key_seed: BOB_KEY,
                payload: claims(
                    PROVIDER,
                    EXCHANGE,
                    "dev.cocore.compute.getProviderBalance",
                    now + 60,
                ),
            },
            TokenSpec {
                alg: Alg::K256,
                key_seed: BOB_KEY,
                payload: claims(
                    PROVIDER,
                    EXCHANGE,
                    "dev.cocore.compute.getProviderPayouts",
                    now + 60,
                ),
            },
            TokenSpec {
                alg: Alg::K256,
                key_seed: BOB_KEY,
                payload: with_jti(
                    claims(
                        PROVIDER,
                        EXCHANGE,
                        "dev.cocore.compute.setPayoutDestination",
                        now + 60,
                    ),
                    "bob-set-destination-1",
                ),
            },
            // The same method without a jti: not single-use, refused.
            TokenSpec {
                alg: Alg::K256,
                key_seed: BOB_KEY,
                payload: claims(
                    PROVIDER,
                    EXCHANGE,
                    "dev.cocore.compute.setPayoutDestination",
                    now + 60,
                ),
            },
            // 10: Alice disputes one of her settlements.
            TokenSpec {
                alg: Alg::P256,
                key_seed: ALICE_KEY,
                payload: with_jti(
                    claims(REQUESTER, EXCHANGE, DISPUTE_LXM, now + 60),
                    "alice-dispute-1",
                ),
            },
            // 11: Bob, the provider, tries to dispute Alice's settlement.
            TokenSpec {
                alg: Alg::K256,
                key_seed: BOB_KEY,
                payload: with_jti(
                    claims(PROVIDER, EXCHANGE, DISPUTE_LXM, now + 60),
                    "bob-dispute-1",
                ),
            },
            // 12: Alice without a jti: not single-use, refused.
            token(ALICE_KEY, REQUESTER, EXCHANGE, DISPUTE_LXM, now + 60),
        ];
        let (mut repos, tokens) = make_fixtures(&repos, &tokens);
        assert_eq!(repos.len(), 6);
        let alice_deleted = repos.pop().unwrap();
        let eve = repos.pop().unwrap();
        let alice_rotated = repos.pop().unwrap();
        let alice_by_eve = repos.pop().unwrap();
        let bob = repos.pop().unwrap();
        let alice = repos.pop().unwrap();
        Fixtures {
            sealed,
            split,
            computation: computation.uri,
            forged,
            alice,
            bob,
            alice_by_eve,
            alice_rotated,
            eve,
            second,
            alice_deleted,
            tokens,
        }
    })
}

const DISPUTE_LXM: &str = "dev.cocore.compute.openDispute";

fn uri(text: &str) -> AtUri {
    AtUri::parse(text).unwrap()
}

fn key(repo: &RepoFixture) -> AtKey {
    AtKey::from_multibase(&repo.multikey).unwrap()
}

/// The pure checker against the reference implementation's repositories.
#[test]
fn reference_proofs_verify_and_broken_ones_do_not() {
    let f = fixtures();
    for (repo, records) in [
        (&f.alice, [&f.sealed.authorization, &f.sealed.job]),
        (&f.bob, [&f.sealed.attestation, &f.sealed.receipt]),
    ] {
        for record in records {
            let proof = &repo.proofs[&record.uri];
            let proven = verify_record_proof(&proof.car, &uri(&record.uri), &key(repo))
                .unwrap_or_else(|e| panic!("{}: {e}", record.uri));
            // Same CID as the reference implementation and as the engine
            // computes from the JSON record; the same record comes out.
            assert_eq!(proven.cid.to_string(), proof.cid);
            assert_eq!(Cid::for_record(&record.value).unwrap(), proven.cid);
            assert_eq!(proven.value, record.value);

            let code = |car: &[u8], u: &str, k: &AtKey| {
                verify_record_proof(car, &uri(u), k).unwrap_err().code()
            };
            assert_eq!(
                code(&proof.cut, &record.uri, &key(repo)),
                "record-not-in-commit"
            );
            assert_eq!(
                code(&proof.altered, &record.uri, &key(repo)),
                "cid-mismatch"
            );
            // The right repository, another key.
            assert_eq!(
                code(&proof.car, &record.uri, &key(&f.eve)),
                "commit-signature-invalid"
            );
            // A proof for one record is no proof of another.
            let u = uri(&record.uri);
            let other = format!("at://{}/{}/3zzzzzzzzzzz2", u.did(), u.collection());
            assert_eq!(code(&proof.car, &other, &key(repo)), "record-not-in-commit");
            // Nor of the same path in someone else's repository.
            let elsewhere = record.uri.replace(repo.did.as_str(), EVE);
            assert_eq!(
                code(&proof.car, &elsewhere, &key(repo)),
                "commit-did-mismatch"
            );
        }
    }
    // alice's DID, signed by eve.
    let forged = &f.alice_by_eve.proofs[&f.sealed.authorization.uri];
    let e = verify_record_proof(
        &forged.car,
        &uri(&f.sealed.authorization.uri),
        &key(&f.alice),
    )
    .unwrap_err();
    assert_eq!(e.code(), "commit-signature-invalid", "{e}");
    // The repository's answer for a key it does not hold.
    let absent = &f.alice.absent[&f.forged.authorization.uri];
    let e =
        verify_record_proof(absent, &uri(&f.forged.authorization.uri), &key(&f.alice)).unwrap_err();
    assert_eq!(e.code(), "record-not-in-commit", "{e}");
    assert!(e.to_string().contains("does not hold"), "{e}");
    // Not a CAR at all.
    let e = verify_record_proof(b"not a car", &uri(&f.sealed.job.uri), &key(&f.alice)).unwrap_err();
    assert_eq!(e.code(), "invalid-proof");
}

fn identity(pds: &Pds) -> IdentityConfig {
    IdentityConfig {
        plc_directory: pds.base.clone(),
        cache_ttl: std::time::Duration::from_secs(60),
        // The stand-in PDS and directory are on loopback (development).
        egress: settlement::egress::Egress { loopback: true },
        ..IdentityConfig::default()
    }
}

/// A PDS hosting alice's and bob's repositories, their DIDs published.
async fn genuine_world() -> Pds {
    let f = fixtures();
    let pds = Pds::start().await;
    pds.publish_did(REQUESTER, &f.alice.multikey);
    pds.publish_did(PROVIDER, &f.bob.multikey);
    pds.host(&f.alice);
    pds.host(&f.bob);
    pds
}

async fn post_car(app: &App, record_uri: Option<&str>, car: &[u8]) -> Reply {
    let mut url = reqwest::Url::parse(&format!("{}/v1/records", app.base)).unwrap();
    if let Some(u) = record_uri {
        url.query_pairs_mut().append_pair("uri", u);
    }
    let resp = app
        .client
        .post(url)
        .header("content-type", "application/vnd.ipld.car")
        .body(car.to_vec())
        .send()
        .await
        .unwrap();
    Reply::read(resp).await
}

async fn stored(app: &App, record_uri: &str) -> u16 {
    let mut url = reqwest::Url::parse(&format!("{}/v1/records", app.base)).unwrap();
    url.query_pairs_mut().append_pair("uri", record_uri);
    app.client.get(url).send().await.unwrap().status().as_u16()
}

/// alice's USD balance as `(balance, held, available)`, read with her
/// service auth token.
async fn alice_usd(app: &App) -> (i128, i128, i128) {
    let token = &fixtures().tokens[2];
    let r = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/requesters/{REQUESTER}/balance?currency=USD"),
            None,
            Some(token),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let usd = r.body.get("USD").expect("USD balance");
    let n = |k: &str| usd.get(k).and_then(Value::as_int).expect("integer");
    (n("balance"), n("held"), n("available"))
}

fn cid_of(reply: &Reply) -> &str {
    reply.body.get("cid").and_then(Value::as_str).unwrap_or("")
}

async fn proven_records_are_accepted_and_charged(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let s = &f.sealed;

    // Pushed as a proof: stored, then the same again.
    let auth = &f.alice.proofs[&s.authorization.uri];
    let r = post_car(&app, Some(&s.authorization.uri), &auth.car).await;
    assert_eq!((r.status, cid_of(&r)), (201, auth.cid.as_str()), "{r:?}");
    let r = post_car(&app, Some(&s.authorization.uri), &auth.car).await;
    assert_eq!(r.status, 200, "{r:?}");
    // Posted as JSON: fetched from alice's PDS with its proof and compared.
    let r = app.post_record(&s.job).await;
    assert_eq!(
        (r.status, cid_of(&r)),
        (201, f.alice.proofs[&s.job.uri].cid.as_str()),
        "{r:?}"
    );
    // The receipt only; the attestation is fetched when the receipt settles.
    let r = post_car(
        &app,
        Some(&s.receipt.uri),
        &f.bob.proofs[&s.receipt.uri].car,
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(stored(&app, &s.attestation.uri).await, 404);

    assert_eq!(app.deposit(REQUESTER, 100_000, "dep-1").await.status, 201);
    let r = app.settle(&s.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(stored(&app, &s.attestation.uri).await, 200);
    // 250 charged, the rest of the session budget (20000) held.
    assert_eq!(alice_usd(&app).await, (99_750, 19_750, 80_000));
    // Each DID resolved once, then cached.
    assert_eq!(pds.fetches(), 2);
}

/// Only bob's receipt is pushed: the job, the authorization and the
/// computation the job names are fetched from alice's PDS and proven
/// before the charge is split.
async fn a_proven_computation_splits_the_charge(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let receipt = &f.split.receipt.uri;
    let r = post_car(&app, Some(receipt), &f.bob.proofs[receipt].car).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(stored(&app, &f.computation).await, 404);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-split").await.status,
        201
    );
    let r = app.settle(receipt).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(stored(&app, &f.computation).await, 200);
    // 997 less 24 of fee: 583.8 and 389.2 -> 583 and 389, 1 left over.
    let Some(Value::Array(parts)) = r
        .body
        .get("value")
        .and_then(|v| v.get("split"))
        .and_then(|s| s.get("parts"))
    else {
        panic!("{r:?}")
    };
    let got: Vec<(&str, i128)> = parts
        .iter()
        .map(|p| {
            (
                p.get("did").and_then(Value::as_str).unwrap(),
                p.get("amount")
                    .and_then(|a| a.get("amount"))
                    .and_then(Value::as_int)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![(PROVIDER, 584), (ALGORITHM_AUTHOR, 389)]);
}

async fn forged_and_broken_proofs_are_rejected(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let s = &f.sealed;
    let auth_uri = s.authorization.uri.as_str();
    let proof = &f.alice.proofs[auth_uri];

    let cases: [(&str, &[u8], &str); 3] = [
        (
            "alice's records in a repository signed by eve's key",
            &f.alice_by_eve.proofs[auth_uri].car,
            "commit-signature-invalid",
        ),
        (
            "a proof without a tree node on the path",
            &proof.cut,
            "record-not-in-commit",
        ),
        (
            "record bytes altered after signing",
            &proof.altered,
            "cid-mismatch",
        ),
    ];
    for (what, car, code) in cases {
        let r = post_car(&app, Some(auth_uri), car).await;
        assert_eq!((r.status, r.code()), (422, code), "{what}: {r:?}");
        assert_eq!(r.content_type, "application/problem+json");
    }
    // JSON that differs from what alice's repository holds.
    let mut altered: RawRecord = s.authorization.clone();
    testkit::set(
        testkit::object_mut(&mut altered.value),
        "ceiling",
        r#"{"amount":999999,"currency":"USD"}"#,
    );
    let r = app.post_record(&altered).await;
    assert_eq!((r.status, r.code()), (422, "cid-mismatch"), "{r:?}");
    // A record alice's repository does not hold.
    let r = app.post_record(&f.forged.authorization).await;
    assert_eq!((r.status, r.code()), (422, "record-not-in-commit"), "{r:?}");
    // A DID nobody can resolve.
    let r = post_car(
        &app,
        Some(&f.forged.receipt.uri),
        &f.eve.proofs[&f.forged.receipt.uri].car,
    )
    .await;
    assert_eq!((r.status, r.code()), (422, "did-unresolvable"), "{r:?}");
    // A CAR without the URI it proves.
    let r = post_car(&app, None, &proof.car).await;
    assert_eq!((r.status, r.code()), (400, "invalid-request"), "{r:?}");
    assert_eq!(stored(&app, auth_uri).await, 404, "nothing was stored");

    // A DID document naming another key than the one that signed.
    pds.publish_did(PROVIDER, &f.eve.multikey);
    let receipt = &f.bob.proofs[&s.receipt.uri];
    let r = post_car(&app, Some(&s.receipt.uri), &receipt.car).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "commit-signature-invalid"),
        "{r:?}"
    );
    assert_eq!(stored(&app, &s.receipt.uri).await, 404);
    // The genuine proof still works for alice.
    let r = post_car(&app, Some(auth_uri), &proof.car).await;
    assert_eq!(r.status, 201, "{r:?}");
}

async fn a_stale_did_document_is_resolved_again(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, clock) = spawn_app_proven(b, identity(&pds)).await;
    let s = &f.sealed;
    let r = post_car(
        &app,
        Some(&s.authorization.uri),
        &f.alice.proofs[&s.authorization.uri].car,
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(pds.fetches(), 1);

    // alice rotates her key; the exchange still holds her old document.
    pds.publish_did(REQUESTER, &f.alice_rotated.multikey);
    let new_job = &f.alice_rotated.proofs[&s.job.uri].car;
    let old_job = &f.alice.proofs[&s.job.uri].car;
    let r = post_car(&app, Some(&s.job.uri), new_job).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "commit-signature-invalid"),
        "{r:?}"
    );
    assert_eq!(pds.fetches(), 1, "the cached document is used while fresh");

    // Past the cache's lifetime the document is fetched again: the old
    // key no longer counts, the new one does.
    clock.advance(61_000_000);
    let r = post_car(&app, Some(&s.job.uri), old_job).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "commit-signature-invalid"),
        "{r:?}"
    );
    assert_eq!(pds.fetches(), 2);
    let r = post_car(&app, Some(&s.job.uri), new_job).await;
    assert_eq!(r.status, 201, "{r:?}");
}

async fn a_forged_authorization_cannot_be_charged(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    pds.publish_did(EVE, &f.eve.multikey);
    pds.host(&f.eve);
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let forged = &f.forged;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep-1").await.status, 201);

    // Eve posts an authorization and a job "from" alice, as JSON and as
    // proofs signed with her own key.
    for r in [&forged.authorization, &forged.job] {
        let reply = app.post_record(r).await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, "record-not-in-commit"),
            "{reply:?}"
        );
        let reply = post_car(&app, Some(&r.uri), &f.alice_by_eve.proofs[&r.uri].car).await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, "commit-signature-invalid"),
            "{reply:?}"
        );
    }
    // Her own attestation and receipt are genuine, and name the forgeries.
    for r in [&forged.attestation, &forged.receipt] {
        let reply = post_car(&app, Some(&r.uri), &f.eve.proofs[&r.uri].car).await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    // Settling looks for the job in alice's repository, which lacks it.
    let r = app.settle(&forged.receipt.uri).await;
    assert_eq!((r.status, r.code()), (422, "record-not-in-commit"), "{r:?}");
    assert_eq!(alice_usd(&app).await, (100_000, 0, 100_000));
}

/// Security review, finding 7: alice deletes her authorization. A proof
/// of its absence at her newer commit revokes it (its hold released, no
/// more charges), and the old commit can no longer prove it: a stale
/// proof is refused.
async fn a_deleted_authorization_is_revoked(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let s = &f.sealed;
    for (repo, r) in [
        (&f.alice, &s.authorization),
        (&f.alice, &s.job),
        (&f.alice, &f.second.job),
        (&f.bob, &s.attestation),
        (&f.bob, &s.receipt),
        (&f.bob, &f.second.receipt),
    ] {
        let reply = post_car(&app, Some(&r.uri), &repo.proofs[&r.uri].car).await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    assert_eq!(app.deposit(REQUESTER, 100_000, "revoke").await.status, 201);
    assert_eq!(app.settle(&s.receipt.uri).await.status, 201);
    // A session: 250 charged, the rest of its 20000 budget held.
    assert_eq!(alice_usd(&app).await, (99_750, 19_750, 80_000));

    let revoke = |car: Vec<u8>| {
        let app = &app;
        async move {
            let mut url = reqwest::Url::parse(&format!("{}/v1/revocations", app.base)).unwrap();
            url.query_pairs_mut()
                .append_pair("uri", &s.authorization.uri);
            let resp = app
                .client
                .post(url)
                .header("content-type", "application/vnd.ipld.car")
                .body(car)
                .send()
                .await
                .unwrap();
            Reply::read(resp).await
        }
    };
    // Her old commit holds it: no proof of absence.
    let r = revoke(f.alice.proofs[&s.authorization.uri].car.clone()).await;
    assert_eq!((r.status, r.code()), (422, "invalid-proof"), "{r:?}");
    let absent = f.alice_deleted.absent[&s.authorization.uri].clone();
    let r = revoke(absent.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.get("revoked"), Some(&Value::Bool(true)), "{r:?}");
    // The hold is released; nothing more is charged.
    assert_eq!(alice_usd(&app).await, (99_750, 0, 99_750));
    let r = app.settle(&f.second.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "authorization-revoked"),
        "{r:?}"
    );
    assert_eq!(alice_usd(&app).await, (99_750, 0, 99_750));
    // The old commit cannot prove anything of alice's any more.
    let r = post_car(
        &app,
        Some(&s.authorization.uri),
        &f.alice.proofs[&s.authorization.uri].car,
    )
    .await;
    assert_eq!((r.status, r.code()), (422, "stale-proof"), "{r:?}");
    // Revoking again changes nothing.
    assert_eq!(revoke(absent).await.status, 200);
    assert_eq!(alice_usd(&app).await, (99_750, 0, 99_750));
}

/// Only a settlement's requester opens a dispute of it, with a single-use
/// token for `openDispute`: the provider's token, a token without `jti`
/// and a replayed token are refused, and nothing is written.
async fn only_the_requester_disputes_its_settlement(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let s = &f.sealed;
    let auth = &f.alice.proofs[&s.authorization.uri];
    assert_eq!(
        post_car(&app, Some(&s.authorization.uri), &auth.car)
            .await
            .status,
        201
    );
    assert_eq!(app.post_record(&s.job).await.status, 201);
    let receipt = &f.bob.proofs[&s.receipt.uri];
    assert_eq!(
        post_car(&app, Some(&s.receipt.uri), &receipt.car)
            .await
            .status,
        201
    );
    assert_eq!(app.deposit(REQUESTER, 100_000, "dispute").await.status, 201);
    let r = app.settle(&s.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let settlement = r
        .body
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let body = settlement::records::json::parse_str(&format!(
        r#"{{"settlement":"{settlement}","reason":{{"category":"quality-failure"}}}}"#
    ))
    .unwrap();
    let open = |token: Option<&'static str>| {
        let (app, body) = (&app, body.clone());
        async move {
            app.request(reqwest::Method::POST, "/v1/disputes", Some(&body), token)
                .await
        }
    };
    for (token, why) in [
        (None, "no token"),
        (Some(f.tokens[11].as_str()), "the provider's token"),
        (Some(f.tokens[12].as_str()), "a token without jti"),
        (Some(f.tokens[2].as_str()), "a token for another method"),
    ] {
        let r = open(token).await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{why}: {r:?}");
    }
    let none = app
        .get(&format!("/v1/disputes?settlement={settlement}"))
        .await;
    assert_eq!(
        none.body.get("disputes"),
        Some(&Value::Array(vec![])),
        "{none:?}"
    );
    let r = open(Some(f.tokens[10].as_str())).await;
    assert_eq!(r.status, 201, "{r:?}");
    let record = r.body.get("value").unwrap();
    assert_eq!(
        record.get("raisedBy").and_then(Value::as_str),
        Some(REQUESTER)
    );
    assert_eq!(
        record.get("exchange").and_then(Value::as_str),
        Some(EXCHANGE)
    );
    // The same token again: single-use.
    let r = open(Some(f.tokens[10].as_str())).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"), "{r:?}");
}

async fn private_reads_need_a_service_auth_token(b: Backend) {
    let f = fixtures();
    let pds = genuine_world().await;
    pds.publish_did(EVE, &f.eve.multikey);
    let (app, _clock) = spawn_app_proven(b, identity(&pds)).await;
    let path = format!("/v1/requesters/{REQUESTER}/statement?currency=USD");
    let get = |token: Option<String>| {
        let app = &app;
        let path = path.clone();
        async move {
            app.request(reqwest::Method::GET, &path, None, token.as_deref())
                .await
        }
    };
    let r = get(None).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"), "{r:?}");
    let r = get(Some(f.tokens[0].clone())).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body.get("requester").and_then(Value::as_str),
        Some(REQUESTER)
    );
    for (token, why) in [
        (&f.tokens[1], "aud: is did:web:other.example"),
        (
            &f.tokens[2],
            "lxm: is dev.cocore.compute.getRequesterBalance",
        ),
        (&f.tokens[3], "expired"),
        (&f.tokens[4], "iss is did:plc:eve"),
        (&f.tokens[5], "signature"),
    ] {
        let r = get(Some(token.clone())).await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{why}: {r:?}");
        let detail = r.body.get("detail").and_then(Value::as_str).unwrap_or("");
        assert!(detail.contains(why), "{why}: {detail}");
    }

    // Balances likewise, each with a token for its own method and owner.
    let balance = |path: String, token: Option<&'static str>| {
        let app = &app;
        async move { app.request(reqwest::Method::GET, &path, None, token).await }
    };
    let alice = format!("/v1/requesters/{REQUESTER}/balance");
    let bob = format!("/v1/providers/{PROVIDER}/balance");
    assert_eq!(balance(alice.clone(), None).await.status, 401);
    assert_eq!(balance(alice.clone(), Some(&f.tokens[2])).await.status, 200);
    let r = balance(alice, Some(&f.tokens[0])).await;
    assert_eq!(
        r.status, 401,
        "a statement token does not read the balance: {r:?}"
    );
    assert_eq!(balance(bob.clone(), None).await.status, 401);
    assert_eq!(balance(bob.clone(), Some(&f.tokens[6])).await.status, 200);
    let r = balance(bob, Some(&f.tokens[2])).await;
    assert_eq!(
        r.status, 401,
        "alice's token does not read bob's balance: {r:?}"
    );

    // Bob sets where he is paid and reads his payouts, each with a token
    // for that method; nobody else can, and the balance token opens neither.
    let dest = format!("/v1/admin/payout-destinations/{PROVIDER}");
    let body = settlement::records::json::parse_str(
        r#"{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}"#,
    )
    .unwrap();
    let put = |token: Option<&'static str>| {
        let (app, dest, body) = (&app, dest.clone(), body.clone());
        async move {
            app.request(reqwest::Method::PUT, &dest, Some(&body), token)
                .await
        }
    };
    assert_eq!(put(None).await.status, 401);
    assert_eq!(put(Some(&f.tokens[6])).await.status, 401);
    assert_eq!(put(Some(&f.tokens[2])).await.status, 401);
    // Security review, finding 1: a token that changes state needs a jti
    // and is taken once; the destination it sets is paid only after the
    // cooling-off period, which the provider's reads show.
    let r = put(Some(&f.tokens[9])).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"), "{r:?}");
    assert!(
        r.body
            .get("detail")
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains("jti is required")),
        "{r:?}"
    );
    let r = put(Some(&f.tokens[8])).await;
    assert_eq!(r.status, 200, "{r:?}");
    let cooled = settlement::records::formats::Datetime::from_unix_micros(
        ledger::Clock::now_us(&_clock) + 24 * 3600 * 1_000_000,
    )
    .to_string();
    assert_eq!(
        r.body.get("effectiveAt").and_then(Value::as_str),
        Some(cooled.as_str()),
        "{r:?}"
    );
    let replayed = settlement::records::json::parse_str(
        r#"{"x402":"http://169.254.169.254/latest/meta-data/"}"#,
    )
    .unwrap();
    let r = app
        .request(
            reqwest::Method::PUT,
            &dest,
            Some(&replayed),
            Some(&f.tokens[8]),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"), "{r:?}");
    assert!(
        r.body
            .get("detail")
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains("used already")),
        "{r:?}"
    );
    let payouts = format!("/v1/providers/{PROVIDER}/payouts");
    assert_eq!(balance(payouts.clone(), None).await.status, 401);
    assert_eq!(
        balance(payouts.clone(), Some(&f.tokens[6])).await.status,
        401
    );
    let r = balance(payouts, Some(&f.tokens[7])).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body
            .get("destination")
            .and_then(|d| d.get("address"))
            .and_then(Value::as_str),
        Some("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
    );
}

/// A did:web on localhost with a port, its document at
/// `/.well-known/did.json` of that host.
async fn did_web_on_localhost(b: Backend) {
    let pds = Pds::start().await;
    let did = format!("did:web:localhost%3A{}", pds.port);
    let sc = Scenario::new(&did, PROVIDER, "did-web");
    let sealed = sc.seal();
    let job = &sealed.job;
    assert!(job.uri.starts_with(&format!("at://{did}/")), "{}", job.uri);
    let (repos, _) = tokio::task::block_in_place(|| {
        make_fixtures(
            &[RepoSpec {
                did: &did,
                alg: Alg::K256,
                key_seed: "web key",
                filler: 3,
                records: vec![job],
                absent: vec![],
            }],
            &[],
        )
    });
    let repo = &repos[0];
    pds.publish_did(&did, &repo.multikey);
    pds.host(repo);
    // No PLC directory is reachable: did:web needs none.
    let config = IdentityConfig {
        plc_directory: "http://127.0.0.1:9".into(),
        egress: settlement::egress::Egress { loopback: true },
        ..IdentityConfig::default()
    };
    let (app, _clock) = spawn_app_proven(b, config).await;
    let r = app.post_record(job).await;
    assert_eq!(
        (r.status, cid_of(&r)),
        (201, repo.proofs[&job.uri].cid.as_str()),
        "{r:?}"
    );
    assert_eq!(pds.fetches(), 1);
}

on_both_backends!(
    proven_records_are_accepted_and_charged,
    a_proven_computation_splits_the_charge,
    forged_and_broken_proofs_are_rejected,
    a_stale_did_document_is_resolved_again,
    a_forged_authorization_cannot_be_charged,
    a_deleted_authorization_is_revoked,
    private_reads_need_a_service_auth_token,
    only_the_requester_disputes_its_settlement,
    did_web_on_localhost,
);

/// No single changed byte of a genuine proof goes unnoticed: the header,
/// the lengths, the CIDs and every block are all bound to the signature.
#[test]
fn every_byte_of_a_proof_matters() {
    let f = fixtures();
    for (repo, record) in [
        (&f.alice, &f.sealed.authorization),
        (&f.bob, &f.sealed.receipt),
    ] {
        let car = &repo.proofs[&record.uri].car;
        let (u, k) = (uri(&record.uri), key(repo));
        assert!(verify_record_proof(car, &u, &k).is_ok());
        for i in 0..car.len() {
            let mut bent = car.clone();
            bent[i] ^= 0x01;
            assert!(
                verify_record_proof(&bent, &u, &k).is_err(),
                "{}: flipping a bit of byte {i} went unnoticed",
                record.uri
            );
        }
    }
}
