//! The outbox of the exchange's repository, on both databases: every
//! record the exchange signs is queued in the transaction that wrote it,
//! by the database itself, and each new version is queued again.

use crate::common;

use std::sync::Arc;

use settlement::dispute::{self, OpenRequest, Raiser, ResolveRequest, rules::Verdict};
use settlement::exchange::{Exchange, FeePolicy};
use settlement::publish::outbox;
use settlement::records::formats::Datetime;
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, EXCHANGE, Scenario};

/// The due rows: (uri, cid).
async fn due(store: &Store) -> Vec<(String, String)> {
    let mut rows: Vec<_> = outbox::due(store, i64::MAX, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            // The value queued is the one whose CID is queued.
            let cid = settlement::records::cid::Cid::for_record(p.value.as_ref().unwrap()).unwrap();
            assert_eq!(cid.to_string(), p.cid, "{}", p.uri);
            (p.uri, p.cid)
        })
        .collect();
    rows.sort();
    rows
}

async fn queued(postgres: bool) {
    let dir = common::temp_dir("outbox");
    let db = common::database(postgres, &dir, "outbox").await;
    let now = Datetime::parse(testkit::NOW).unwrap();
    let clock = Arc::new(ledger::ManualClock::new(now.unix_micros()));
    let store = Store::open(&db, clock.clone()).await.unwrap();
    let key = Exchange::load_or_create_key(&dir.join("key.hex")).unwrap();
    let exchange = Exchange::new(EXCHANGE, key);
    let service = Service::new(
        exchange.clone(),
        FeePolicy::default(),
        store.clone(),
        None,
        clock,
    );
    service
        .deposit("d1", testkit::REQUESTER, "USD", 50_000)
        .await
        .unwrap();
    let sealed = Scenario::default().seal();
    for r in [
        &sealed.authorization,
        &sealed.job,
        &sealed.attestation,
        &sealed.receipt,
    ] {
        service.ingest(r.clone(), now).await.unwrap();
    }
    assert!(
        due(&store).await.is_empty(),
        "records of others are not queued"
    );

    // A settlement is queued with its first version.
    let row = service.settle(&sealed.receipt.uri, now).await.unwrap().row;
    assert_eq!(due(&store).await, vec![(row.uri.clone(), row.cid.clone())]);
    outbox::published(&store, &row.uri, &row.cid, "bafycommit", "3l3qo2vutsw2b", 1)
        .await
        .unwrap();
    assert!(due(&store).await.is_empty());
    let p = outbox::publication(&store, &row.uri)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.published_cid.as_deref(), Some(row.cid.as_str()));

    // A dispute queues its record and the settlement's new version; the
    // refund queues the refund, the dispute's and the settlement's next.
    let open = OpenRequest {
        settlement_uri: row.uri.clone(),
        category: "non-delivery".into(),
        detail: None,
        evidence_cid: None,
    };
    let d = dispute::open(
        &store,
        &exchange,
        now.unix_micros(),
        &Raiser::Operator,
        &open,
    )
    .await
    .unwrap();
    let disputed = dispute::settlement(&store, &row.uri).await.unwrap();
    assert_ne!(disputed.cid, row.cid);
    let mut want = vec![
        (row.uri.clone(), disputed.cid.clone()),
        (d.uri.clone(), d.cid.clone()),
    ];
    want.sort();
    assert_eq!(due(&store).await, want);
    let resolve = ResolveRequest {
        verdict: Verdict::RefundFull,
        amount: None,
        rationale: None,
    };
    let (resolved, refund) =
        dispute::resolve(&store, &exchange, now.unix_micros(), &d.id, &resolve)
            .await
            .unwrap();
    let refund = refund.expect("a refund record");
    let refund_uri = refund.uri.clone().expect("a refund has a record");
    let settled = dispute::settlement(&store, &row.uri).await.unwrap();
    let mut want = vec![
        (row.uri.clone(), settled.cid.clone()),
        (d.uri.clone(), resolved.cid.clone()),
        (refund_uri, refund.cid.clone().unwrap()),
    ];
    want.sort();
    assert_eq!(due(&store).await, want);
    // An old version's publication does not mark the new one published.
    outbox::published(&store, &row.uri, &row.cid, "bafyold", "3l3qo2vutsw2c", 2)
        .await
        .unwrap();
    assert_eq!(due(&store).await.len(), 3);
    let (n, oldest) = outbox::backlog(&store).await.unwrap();
    assert_eq!((n, oldest.is_some()), (3, true));
    store.close().await;
    common::drop_database(&db).await;
}

#[tokio::test]
async fn queued_sqlite() {
    queued(false).await;
}

#[tokio::test]
async fn queued_postgres() {
    queued(true).await;
}

/// The exchange's policy is queued once per set of terms.
#[tokio::test]
async fn the_policy_is_queued_when_its_terms_change() {
    let dir = common::temp_dir("outbox-policy");
    let db = common::database(false, &dir, "policy").await;
    let now = Datetime::parse(testkit::NOW).unwrap();
    let store = Store::open(&db, Arc::new(ledger::ManualClock::new(now.unix_micros())))
        .await
        .unwrap();
    let policy = FeePolicy::default();
    let q = settlement::publish::policy::queue;
    let first = q(&store, EXCHANGE, &policy, now).await.unwrap();
    let later = Datetime::from_unix_micros(now.unix_micros() + 60_000_000);
    assert_eq!(q(&store, EXCHANGE, &policy, later).await.unwrap(), first);
    let dearer = FeePolicy { bps: 300, ..policy };
    let second = q(&store, EXCHANGE, &dearer, later).await.unwrap();
    assert_ne!(second, first);
    assert!(second.starts_with(&format!(
        "at://{EXCHANGE}/dev.cocore.compute.exchangePolicy/"
    )));
    assert_eq!(due(&store).await.len(), 2);
    store.close().await;
}
