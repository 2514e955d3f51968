//! Properties over generated inputs: canonical JSON round-trips, and any
//! change to a signed field of a valid receipt breaks its signature.

use proptest::prelude::*;

use settlement::records::cid::Cid;
use settlement::records::formats::Datetime;
use settlement::records::json::{self, INT_MAX, INT_MIN, Map, Value};
use settlement::testkit::Scenario;
use settlement::verify::{Code, verify_charge};

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (INT_MIN..=INT_MAX).prop_map(Value::Int),
        any::<i64>().prop_map(|i| Value::Int(i.into())),
        any::<String>().prop_map(Value::String),
        "[\\x00-\\x7f]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonical_json_round_trips(v in value()) {
        let text = json::to_canonical(&v);
        let back = json::parse(&text).expect("canonical output parses");
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(json::to_canonical(&back), text);
        let pretty = json::to_pretty_string(&v);
        prop_assert_eq!(json::parse_str(&pretty).expect("pretty output parses"), v);
    }

    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = json::parse(&bytes);
    }
}

/// Paths of every leaf of the receipt that its signature covers.
fn signed_leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if prefix.is_empty()
                    && matches!(
                        k.as_str(),
                        "enclaveSignature" | "$type" | "brokerageCountersignature"
                    )
                {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                signed_leaves(x, &p, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

fn leaf_mut<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    path.split('.').fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).expect("path exists"),
        _ => panic!("not an object at {k}"),
    })
}

/// Another value for `leaf` that still passes the receipt's lexicon.
fn mutate(path: &str, leaf: &Value, n: u32) -> Value {
    let n = n % 1000 + 1;
    match leaf {
        Value::Int(i) => Value::Int(i + i128::from(n)),
        Value::Bool(b) => Value::Bool(!b),
        Value::String(s) => {
            if let Some(d) = Datetime::parse(s) {
                return Value::String(
                    Datetime::from_unix_nanos(d.unix_nanos() - i128::from(n)).to_string(),
                );
            }
            let last = path.rsplit('.').next().unwrap_or(path);
            let out = match last {
                "cid" => Cid::for_record(&Value::Int(n.into())).unwrap().to_string(),
                "uri" => format!(
                    "{}{}",
                    &s[..s.len() - 1],
                    if s.ends_with('2') { '3' } else { '2' }
                ),
                "requester" => "did:plc:evevevevevevevevevevevev".to_owned(),
                "currency" => {
                    if s == "USD" {
                        "USDC".into()
                    } else {
                        "USD".into()
                    }
                }
                _ if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    let i = (n as usize) % 64;
                    let c = if &s[i..=i] == "0" { "1" } else { "0" };
                    format!("{}{c}{}", &s[..i], &s[i + 1..])
                }
                _ => format!("{s}-{n}"),
            };
            Value::String(out)
        }
        other => panic!("unexpected leaf {other:?} at {path}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever signed field changes, and even with the CID recomputed to
    /// match, the receipt no longer verifies.
    #[test]
    fn changing_a_signed_field_breaks_the_signature(pick in any::<prop::sample::Index>(), n in any::<u32>(), extra in any::<bool>()) {
        let mut sealed = Scenario::default().seal();
        let mut leaves = Vec::new();
        signed_leaves(&sealed.receipt.value, "", &mut leaves);
        prop_assume!(!leaves.is_empty());
        let path = leaves[pick.index(leaves.len())].clone();
        if extra {
            // An unknown field is covered by the signature too.
            if let Value::Object(m) = &mut sealed.receipt.value {
                m.insert(format!("x{n}"), Value::Int(n.into()));
            }
        } else {
            let leaf = leaf_mut(&mut sealed.receipt.value, &path);
            *leaf = mutate(&path, leaf, n);
        }
        sealed.receipt.cid = Some(Cid::for_record(&sealed.receipt.value).unwrap().to_string());
        let got = verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).map(|_| ()).map_err(|r| r.code);
        prop_assert_eq!(got, Err(Code::SignatureInvalid), "changed {}", path);
    }
}

#[test]
fn unsigned_fields_do_not_matter() {
    // The brokerage countersignature is added after signing: not covered.
    let mut sealed = Scenario::default().seal();
    if let Value::Object(m) = &mut sealed.receipt.value {
        let mut cs = Map::new();
        cs.insert("authority".into(), "did:web:broker.example".into());
        cs.insert("machineId".into(), "m-1".into());
        cs.insert("nonce".into(), "0123456789abcdef".into());
        cs.insert("sig".into(), "AAAA".into());
        m.insert("brokerageCountersignature".into(), Value::Object(cs));
    }
    sealed.receipt.cid = None;
    assert!(verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).is_ok());
}

/// A fixed AT Protocol key and record URI for the proof parsers below.
fn proof_target() -> (
    settlement::verify::atkey::AtKey,
    settlement::records::formats::AtUri,
) {
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("valid scalar");
    (
        settlement::verify::atkey::AtKey::P256(*key.verifying_key()),
        settlement::records::formats::AtUri::parse(
            "at://did:plc:alicealicealicealicealic/dev.cocore.compute.job/3kabc",
        )
        .expect("valid URI"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// What the dag-cbor encoder writes, the strict decoder reads back to
    /// the same bytes.
    #[test]
    fn dag_cbor_round_trips(v in value()) {
        use settlement::records::{cbor, cid::dag_cbor};
        if let Ok(bytes) = dag_cbor(&v) {
            let back = cbor::decode(&bytes).expect("encoder output decodes");
            let json = back.to_json().expect("record integers stay in range");
            prop_assert_eq!(dag_cbor(&json).expect("re-encodes"), bytes);
        }
    }

    /// The parsers of repository proofs, DID documents and service auth
    /// tokens refuse garbage without panicking.
    #[test]
    fn proof_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let (key, uri) = proof_target();
        let _ = settlement::records::cbor::decode(&bytes);
        let _ = settlement::records::car::read(&bytes);
        prop_assert!(settlement::verify::repo::verify_record_proof(&bytes, &uri, &key).is_err());
        let _ = settlement::identity::parse_did_document("did:plc:alicealicealicealicealic", &bytes);
        let _ = settlement::verify::service_auth::parse(&String::from_utf8_lossy(&bytes));
    }
}
