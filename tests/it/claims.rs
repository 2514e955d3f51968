//! Security review, finding 8: a job that names no provider cannot be
//! claimed by whoever publishes a receipt for it first. Eve reads Alice's
//! open job from public data, publishes her own attestation and a receipt
//! at the job's ceiling (or a pro-bono one, to block the real provider):
//! both are refused `provider-not-named` with nothing moved, and the real
//! provider named by Alice's next job is charged as usual.

use settlement::testkit::{PROVIDER, REQUESTER, Scenario, set};

use crate::app::{Backend, spawn_app};

const EVE: &str = "did:plc:evevevevevevevevevevevev";

async fn an_open_job_cannot_be_claimed_by_a_stranger(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "claims").await.status, 201);
    let before = app.requester_usd(REQUESTER).await;

    for (tag, pro_bono) in [("claim-priced", false), ("claim-pro-bono", true)] {
        let mut eve = Scenario::new(REQUESTER, EVE, tag);
        eve.job.remove("acceptedProviders");
        set(&mut eve.receipt, "price.amount", "1000");
        if pro_bono {
            set(&mut eve.receipt, "price.amount", "0");
            set(&mut eve.receipt, "tokens", r#"{"in":0,"out":0}"#);
            set(&mut eve.receipt, "proBono", "true");
        }
        let sealed = eve.seal();
        app.post_all(&sealed).await;
        let r = app.settle(&sealed.receipt.uri).await;
        assert_eq!(
            (r.status, r.code()),
            (422, "provider-not-named"),
            "{tag}: {r:?}"
        );
        assert!(
            r.body
                .get("detail")
                .and_then(|d| d.as_str())
                .is_some_and(|d| d.contains("acceptedProviders")),
            "{r:?}"
        );
        assert_eq!(app.charged(&sealed.authorization.uri).await, (None, None));
        let listed = app
            .get(&format!(
                "/xrpc/dev.cocore.compute.listSettlements?receipt={}",
                sealed.receipt.uri
            ))
            .await;
        assert_eq!(
            listed.body.get("settlements"),
            Some(&settlement::records::json::Value::Array(Vec::new())),
            "{listed:?}"
        );
    }
    assert_eq!(app.requester_usd(REQUESTER).await, before);

    // A job that names its provider is charged as before.
    let named = Scenario::new(REQUESTER, PROVIDER, "claim-named").seal();
    app.post_all(&named).await;
    assert_eq!(app.settle(&named.receipt.uri).await.status, 201);
}

on_both_backends!(an_open_job_cannot_be_claimed_by_a_stranger);
