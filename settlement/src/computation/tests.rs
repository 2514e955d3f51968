use super::keys::KeyKind;
use super::settled::{read_split, recheck, split_value};
use super::testkeys::Fixture;
use super::*;
use crate::records::{RawRecord, parse_record};

const ALG: &str = "did:plc:algoalgoalgoalgoalgoalgo";
const DATA: &str = "did:plc:datadatadatadatadatadata";
/// The computation owner (the requester).
const OWNER: &str = "did:plc:ownerownerownerownerowne";
const GPU: &str = "did:plc:gpugpugpugpugpugpugpugpu";

fn record(value: crate::records::json::Value) -> crate::records::Record<Computation> {
    let raw = RawRecord {
        uri: format!("at://{}/{NSID_COMPUTATION}/3lbcomputation1", OWNER),
        cid: None,
        value,
    };
    parse_record::<Computation>(&raw, "computation").expect("passes its lexicon")
}

fn three(f: &Fixture) -> crate::records::json::Value {
    f.record(
        10_000,
        &[
            (Role::Compute, None, None, Some(6000)),
            (Role::Algorithm, Some(ALG), None, Some(2500)),
            (Role::Data, Some(DATA), Some(0), Some(1500)),
        ],
        "2026-11-30T09:00:00Z",
    )
}

#[test]
fn a_three_party_computation_checks_and_splits() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::Ed25519]);
    let r = record(three(&f));
    let terms = check(&r, "computation").unwrap();
    assert_eq!(terms.manifest_hash, f.hash());
    assert_eq!(terms.payees.len(), 3);
    let parts = allocate(&terms, GPU, 97).unwrap();
    let got: Vec<(&str, u64)> = parts.iter().map(|p| (p.did.as_str(), p.amount)).collect();
    // 58.2, 24.25, 14.55 -> 58, 24, 14 and 1 left over to the first.
    assert_eq!(got, vec![(GPU, 59), (ALG, 24), (DATA, 14)]);
    // What the settlement states is recomputed from the terms.
    let mut settlement = crate::records::json::Map::new();
    settlement.insert("split".into(), split_value(&terms, &parts, "USDC"));
    let settlement = crate::records::json::Value::Object(settlement);
    let stated = read_split(&settlement).unwrap().unwrap();
    recheck(&stated, &terms, GPU, 97).unwrap();
    let e = recheck(&stated, &terms, GPU, 98).unwrap_err();
    assert!(e.contains("split.parts[1]"), "{e}");
    let mut moved = stated.clone();
    moved.parts.swap(1, 2);
    assert!(recheck(&moved, &terms, GPU, 97).is_err());
}

#[test]
fn every_key_kind_binds_its_payee() {
    for kind in [KeyKind::Rsa, KeyKind::P256, KeyKind::P384, KeyKind::Ed25519] {
        let f = Fixture::new(kind, &[kind]);
        check(&record(three(&f)), "computation").unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

#[test]
fn a_missing_or_wrong_key_proof_is_refused() {
    let f = Fixture::new(KeyKind::P384, &[KeyKind::Rsa]);
    let mut v = three(&f);
    payee(&mut v, 2).remove("keyProof");
    let e = check(&record(v.clone()), "computation").unwrap_err();
    assert_eq!(
        (e.code, e.error.path.as_str()),
        ("key-proof-missing", "computation.payees[2].keyProof")
    );
    // The data key's proof for another DID: Mallory claims the data share.
    let stolen = f.proof(Role::Data, 0, DATA);
    payee(&mut v, 2).insert("keyProof".into(), stolen.into());
    payee(&mut v, 2).insert("did".into(), "did:plc:mallorymallorymallorymal".into());
    let e = check(&record(v.clone()), "computation").unwrap_err();
    assert_eq!(
        (e.code, e.error.path.as_str()),
        ("key-proof-invalid", "computation.payees[2].keyProof")
    );
    // The algorithm key's proof presented for the data role.
    payee(&mut v, 2).insert("did".into(), ALG.into());
    payee(&mut v, 2).insert("keyProof".into(), f.proof(Role::Algorithm, 0, ALG).into());
    let e = check(&record(v), "computation").unwrap_err();
    assert_eq!(e.code, "key-proof-invalid");
}

#[test]
fn shares_must_make_a_whole() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let short = f.record(
        10_000,
        &[
            (Role::Compute, None, None, Some(6000)),
            (Role::Algorithm, Some(ALG), None, Some(2500)),
            (Role::Data, Some(DATA), Some(0), Some(1499)),
        ],
        "2026-11-30T09:00:00Z",
    );
    let e = check(&record(short), "computation").unwrap_err();
    assert_eq!(e.code, "shares-not-whole");
    assert!(e.to_string().contains("9999"), "{e}");
    let over = f.record(
        100,
        &[
            (Role::Compute, None, None, None),
            (Role::Algorithm, Some(ALG), None, Some(101)),
        ],
        "2026-11-30T09:00:00Z",
    );
    assert_eq!(
        check(&record(over), "computation").unwrap_err().code,
        "shares-not-whole"
    );
    // The compute payee may take the rest.
    let rest = f.record(
        100,
        &[
            (Role::Algorithm, Some(ALG), None, Some(30)),
            (Role::Compute, None, None, None),
        ],
        "2026-11-30T09:00:00Z",
    );
    let terms = check(&record(rest), "computation").unwrap();
    assert_eq!(terms.payees[1].share, 70);
}

#[test]
fn odd_amounts_across_three_payees() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let v = f.record(
        3,
        &[
            (Role::Compute, None, None, Some(1)),
            (Role::Algorithm, Some(ALG), None, Some(1)),
            (Role::Data, Some(DATA), Some(0), Some(1)),
        ],
        "2026-11-30T09:00:00Z",
    );
    let terms = check(&record(v), "computation").unwrap();
    let amounts = |rest| {
        allocate(&terms, GPU, rest)
            .unwrap()
            .iter()
            .map(|p| p.amount)
            .collect::<Vec<_>>()
    };
    assert_eq!(amounts(1), vec![1, 0, 0]);
    assert_eq!(amounts(2), vec![1, 1, 0]);
    assert_eq!(amounts(3), vec![1, 1, 1]);
    assert_eq!(amounts(4), vec![2, 1, 1]);
}

#[test]
fn structure_is_checked() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let cases: Vec<(Vec<testkeys::Declare<'_>>, &str)> = vec![
        (
            vec![(Role::Algorithm, Some(ALG), None, Some(10_000))],
            "computation.payees",
        ),
        (
            vec![
                (Role::Compute, None, None, None),
                (Role::Compute, None, None, None),
            ],
            "computation.payees[1].role",
        ),
        (
            vec![
                (Role::Compute, None, None, None),
                (Role::Data, Some(DATA), Some(1), Some(1)),
            ],
            "computation.payees[1].dataset",
        ),
        (
            vec![
                (Role::Compute, None, None, None),
                (Role::Data, Some(DATA), None, Some(1)),
            ],
            "computation.payees[1].dataset",
        ),
        (
            vec![
                (Role::Compute, None, None, None),
                (Role::Algorithm, None, None, Some(1)),
            ],
            "computation.payees[1].did",
        ),
        (
            vec![
                (Role::Compute, None, None, None),
                (Role::Algorithm, Some(ALG), None, None),
            ],
            "computation.payees[1].share",
        ),
    ];
    for (payees, path) in cases {
        let e = check(
            &record(f.record(10_000, &payees, "2026-11-30T09:00:00Z")),
            "computation",
        )
        .unwrap_err();
        assert_eq!(e.error.path, path, "{e}");
    }
    let mut v = three(&f);
    let crate::records::json::Value::Object(m) = &mut v else {
        panic!()
    };
    m.insert("manifestHash".into(), "0".repeat(64).into());
    let e = check(&record(v), "computation").unwrap_err();
    assert_eq!(e.code, "manifest-hash-mismatch");
}

#[test]
fn a_compute_payee_that_names_a_did_takes_only_its_receipts() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let v = f.record(
        10,
        &[
            (Role::Compute, Some(GPU), None, None),
            (Role::Algorithm, Some(ALG), None, Some(5)),
        ],
        "2026-11-30T09:00:00Z",
    );
    let terms = check(&record(v), "computation").unwrap();
    assert!(allocate(&terms, GPU, 10).is_ok());
    let e = allocate(&terms, "did:plc:someonesomeonesomeoneels", 10).unwrap_err();
    assert_eq!(e.code, "computation-provider-not-named");
}

fn payee(v: &mut crate::records::json::Value, i: usize) -> &mut crate::records::json::Map {
    let crate::records::json::Value::Object(m) = v else {
        panic!()
    };
    let Some(crate::records::json::Value::Array(p)) = m.get_mut("payees") else {
        panic!()
    };
    let crate::records::json::Value::Object(p) = &mut p[i] else {
        panic!()
    };
    p
}

/// One key holds the algorithm and the dataset: a proof for one role does
/// not bind the other, although the key and the DID are the same.
#[test]
fn a_proof_binds_its_role() {
    let f = Fixture::one_key(KeyKind::P256);
    let both = f.record(
        10,
        &[
            (Role::Compute, None, None, Some(4)),
            (Role::Algorithm, Some(ALG), None, Some(3)),
            (Role::Data, Some(ALG), Some(0), Some(3)),
        ],
        "2026-11-30T09:00:00Z",
    );
    let terms = check(&record(both.clone()), "computation").unwrap();
    assert_eq!(terms.payees[1].fingerprint, terms.payees[2].fingerprint);
    let mut swapped = both;
    let algorithm_proof = f.proof(Role::Algorithm, 0, ALG);
    payee(&mut swapped, 2).insert("keyProof".into(), algorithm_proof.into());
    let e = check(&record(swapped), "computation").unwrap_err();
    assert_eq!(
        (e.code, e.error.path.as_str()),
        ("key-proof-invalid", "computation.payees[2].keyProof")
    );
}

#[test]
fn the_fee_is_waived_only_when_all_the_money_stays_with_the_requester() {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let me = OWNER;
    let to_others = check(&record(three(&f)), "computation").unwrap();
    assert!(!to_others.paid_only_to(me, me));
    let own = f.record(
        10,
        &[
            (Role::Compute, None, None, Some(10)),
            (Role::Algorithm, Some(ALG), None, Some(0)),
        ],
        "2026-11-30T09:00:00Z",
    );
    let own = check(&record(own), "computation").unwrap();
    assert!(own.paid_only_to(me, me));
    assert!(!own.paid_only_to(me, GPU));
}
