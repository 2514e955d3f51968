//! The bench's workload: requesters with session authorizations,
//! providers with attestations, one job and one signed receipt per charge.

use super::*;

// ---------------------------------------------------------------------
// Workload

/// Every record of a run, and what each requester must deposit.
pub struct Workload {
    pub shared: Vec<RawRecord>,
    pub jobs: Vec<RawRecord>,
    pub receipts: Vec<RawRecord>,
    pub deposits: Vec<(String, u64)>,
}

/// A DID of the plc method, derived from `seed`.
pub(super) fn plc(seed: &str) -> String {
    pub(super) const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let digest = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        seed.as_bytes(),
    ));
    let id: String = digest[..24]
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    format!("did:plc:{id}")
}

pub(super) fn strong_ref(r: &RawRecord) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), r.uri.clone().into());
    m.insert("cid".into(), r.cid.clone().unwrap_or_default().into());
    Value::Object(m)
}

pub(super) fn sealed(uri: String, value: Value) -> RawRecord {
    let cid = Cid::for_record(&value).expect("bench records hold no $link or $bytes");
    RawRecord {
        uri,
        cid: Some(cid.to_string()),
        value,
    }
}

pub(super) fn money(amount: u64) -> String {
    format!(r#"{{"amount":{amount},"currency":"USD"}}"#)
}

pub(super) struct Provider {
    pub(super) did: String,
    pub(super) key: SigningKey,
    pub(super) attestation: RawRecord,
}

pub(super) struct Requester {
    pub(super) did: String,
    pub(super) authorization: RawRecord,
}

/// Builds `receipts` charges under `tag` (which keeps the parties of two
/// workloads apart), dated around `now`.
pub fn workload(
    tag: &str,
    requesters: usize,
    providers: usize,
    receipts: usize,
    now: Datetime,
) -> Workload {
    let requesters = requesters.clamp(1, receipts.max(1));
    let providers = providers.max(1);
    let at = |s: i64| now.plus_seconds(s).to_string();
    let per_requester = receipts.div_ceil(requesters) as u64;
    let budget = PRICE * per_requester.max(1);
    let template = Scenario::new(testkit::REQUESTER, testkit::PROVIDER, tag);

    let providers: Vec<Provider> = (0..providers)
        .map(|p| {
            let did = plc(&format!("bench-provider:{tag}:{p}"));
            let key = testkit::key(&format!("bench-provider-key:{tag}:{p}"));
            let mut m = template.attestation.clone();
            m.insert(
                "publicKey".into(),
                crypto::public_key_b64(key.verifying_key()).into(),
            );
            testkit::set(&mut m, "attestedAt", &format!("\"{}\"", at(-7200)));
            testkit::set(&mut m, "expiresAt", &format!("\"{}\"", at(86_400)));
            let mut value = Value::Object(m);
            testkit::sign_attestation(&mut value, &key);
            let uri = format!("at://{did}/{NSID_ATTESTATION}/{}", testkit::rkey_for(&did));
            Provider {
                attestation: sealed(uri, value),
                did,
                key,
            }
        })
        .collect();
    let requesters: Vec<Requester> = (0..requesters)
        .map(|r| {
            let did = plc(&format!("bench-requester:{tag}:{r}"));
            let mut m = template.authorization.clone();
            m.insert("exchange".into(), EXCHANGE.into());
            testkit::set(&mut m, "ceiling", &money(PRICE));
            testkit::set(&mut m, "sessionBudget", &money(budget));
            let nonce = &testkit::sha256_hex(format!("bench-nonce:{did}").as_bytes())[..32];
            m.insert("nonce".into(), nonce.into());
            testkit::set(&mut m, "createdAt", &format!("\"{}\"", at(-10_800)));
            testkit::set(&mut m, "expiresAt", &format!("\"{}\"", at(7 * 86_400)));
            let uri = format!(
                "at://{did}/{NSID_AUTHORIZATION}/{}",
                testkit::rkey_for(&did)
            );
            Requester {
                authorization: sealed(uri, Value::Object(m)),
                did,
            }
        })
        .collect();

    let mut job_template = template.job.clone();
    job_template.insert(
        "acceptedExchanges".into(),
        Value::Array(vec![EXCHANGE.into()]),
    );
    testkit::set(&mut job_template, "priceCeiling", &money(PRICE));
    testkit::set(
        &mut job_template,
        "createdAt",
        &format!("\"{}\"", at(-7200)),
    );
    testkit::set(
        &mut job_template,
        "expiresAt",
        &format!("\"{}\"", at(86_400)),
    );
    let mut receipt_template = template.receipt.clone();
    testkit::set(&mut receipt_template, "price", &money(PRICE));
    testkit::set(
        &mut receipt_template,
        "startedAt",
        &format!("\"{}\"", at(-3600)),
    );
    testkit::set(
        &mut receipt_template,
        "completedAt",
        &format!("\"{}\"", at(-3595)),
    );

    let one = |i: usize| -> (RawRecord, RawRecord) {
        let req = &requesters[i % requesters.len()];
        let prov = &providers[i % providers.len()];
        let rkey = testkit::rkey_for(&format!("bench:{tag}:{i}"));
        let input = testkit::sha256_hex(format!("bench-input:{tag}:{i}").as_bytes());
        let mut job = job_template.clone();
        job.insert("inputCommitment".into(), input.clone().into());
        job.insert(
            "acceptedProviders".into(),
            Value::Array(vec![prov.did.as_str().into()]),
        );
        let job_nonce = &testkit::sha256_hex(format!("bench-job:{tag}:{i}").as_bytes())[..32];
        job.insert("nonce".into(), job_nonce.into());
        job.insert(
            "paymentAuthorization".into(),
            strong_ref(&req.authorization),
        );
        let job = sealed(
            format!("at://{}/{NSID_JOB}/{rkey}", req.did),
            Value::Object(job),
        );
        let mut receipt = receipt_template.clone();
        receipt.insert("requester".into(), req.did.clone().into());
        receipt.insert("inputCommitment".into(), input.into());
        receipt.insert(
            "outputCommitment".into(),
            testkit::sha256_hex(format!("bench-output:{tag}:{i}").as_bytes()).into(),
        );
        receipt.insert("job".into(), strong_ref(&job));
        receipt.insert("attestation".into(), strong_ref(&prov.attestation));
        let mut value = Value::Object(receipt);
        testkit::sign_receipt(&mut value, &prov.key);
        let receipt = sealed(format!("at://{}/{NSID_RECEIPT}/{rkey}", prov.did), value);
        (job, receipt)
    };

    // Signing dominates: spread it over the cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = receipts.div_ceil(threads).max(1);
    let mut pairs: Vec<(RawRecord, RawRecord)> = Vec::with_capacity(receipts);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..receipts)
            .step_by(chunk)
            .map(|start| {
                let one = &one;
                s.spawn(move || {
                    (start..(start + chunk).min(receipts))
                        .map(one)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            pairs.extend(h.join().expect("workload thread"));
        }
    });
    let (jobs, receipts): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    Workload {
        shared: requesters
            .iter()
            .map(|r| r.authorization.clone())
            .chain(providers.iter().map(|p| p.attestation.clone()))
            .collect(),
        jobs,
        receipts,
        deposits: requesters.iter().map(|r| (r.did.clone(), budget)).collect(),
    }
}
