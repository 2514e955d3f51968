//! Record proofs: CAR files, signed commits and Merkle search trees.
//!
//! Three passes over each input:
//! 1. as bytes: `car::read` (every block must hash to its CID) and
//!    `verify_record_proof` for a few record URIs under the fixture keys;
//! 2. as a CAR read without hashing: the root through `decode_commit` and
//!    the tree through `find_in_tree`, so that mutated nodes are reached
//!    under their old CIDs;
//! 3. rewritten into a valid proof (blocks rehashed, links updated, the
//!    commit signed again with the fixture key) and verified, so that
//!    mutated trees and records reach every check behind the signature.
//!
//! Nothing may panic; a proof that verifies must carry a record whose
//! dag-cbor hashes to the proven CID, found under the commit's root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use settlement::records::car;
use settlement::records::cid::dag_cbor;
use settlement::records::formats::AtUri;
use settlement::records::json::Value;
use settlement::verify::repo::{decode_commit, find_in_tree, verify_record_proof};
use settlement_fuzz::{LooseCar, Signer, cid_of, read_loose, reseal};

const ALICE: &str = "did:plc:alicealicealicealicealic";
const BOB: &str = "did:plc:bobbobbobbobbobbobbobbob";
/// Records of the seed repositories, one absent key and one filler.
const PATHS: &[&str] = &[
    "dev.cocore.compute.receipt/3kabc2def3ghi",
    "dev.cocore.compute.job/3kaaaaaaaaaaa",
    "dev.cocore.compute.attestation/3lattestaaaa2",
    "dev.cocore.compute.receipt/3kzzzzzzzzzzz",
];

fn signer_of(did: &str) -> Signer {
    if did == BOB { Signer::K256 } else { Signer::P256 }
}

fn check_proofs(bytes: &[u8], did: &str, signer: Signer) {
    let key = signer.public();
    for path in PATHS {
        let Some(uri) = AtUri::parse(&format!("at://{did}/{path}")) else {
            continue;
        };
        let Ok(proven) = verify_record_proof(bytes, &uri, &key) else {
            continue;
        };
        let car = car::read(bytes).expect("a verified proof is a valid CAR");
        assert!(proven.commit == car.root);
        let block = &car.blocks[&proven.cid];
        assert!(matches!(proven.value, Value::Object(_)));
        let encoded = dag_cbor(&proven.value).expect("a proven record encodes");
        assert_eq!(&encoded, block, "the proven value is not its block");
        assert!(cid_of(proven.cid.codec, &encoded) == proven.cid);
        let commit = decode_commit(&car.blocks[&car.root]).expect("the commit decodes");
        assert_eq!(commit.did, did);
        assert_eq!(commit.rev, proven.rev);
        let found = find_in_tree(&car, commit.data, path.as_bytes()).expect("the path is found");
        assert!(found == proven.cid);
    }
}

fn walk(loose: &LooseCar) {
    let car = loose.to_car();
    let Some(root) = car.blocks.get(&car.root) else { return };
    let Ok(commit) = decode_commit(root) else { return };
    for path in PATHS {
        let _ = find_in_tree(&car, commit.data, path.as_bytes());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(car) = car::read(data) {
        assert!(car.blocks.len() <= car::BLOCKS_MAX);
        for (cid, bytes) in &car.blocks {
            assert!(cid_of(cid.codec, bytes) == *cid, "a block does not hash to its CID");
        }
    }
    check_proofs(data, ALICE, Signer::P256);
    check_proofs(data, BOB, Signer::K256);
    let Some(loose) = read_loose(data) else { return };
    walk(&loose);
    let did = loose
        .blocks
        .iter()
        .find(|(c, _)| *c == loose.root)
        .and_then(|(_, b)| decode_commit(b).ok())
        .map_or_else(|| ALICE.to_owned(), |c| c.did);
    let signer = signer_of(&did);
    if let Some(resealed) = reseal(&loose, signer) {
        check_proofs(&resealed, &did, signer);
    }
});
