//! The demo's network step: the exchange subscribed to a relay and
//! publishing to its own repository. The network is the stand-in
//! (`firehose::standin`: a PLC directory, PDS and relay whose repositories
//! `@atproto/repo` keeps and signs). Alice and Bob write their records to
//! their repositories; the exchange proves each from the relay's frame,
//! charges Bob's receipt with no POST, and writes every record it signed
//! in this demo to its repository. Alice then deletes her authorization,
//! and Bob's next receipt under it is refused.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::demo::{Client, dollars, int};
use crate::authentic::RecordTrust;
use crate::firehose::standin::{Account, Standin};
use crate::firehose::{Firehose, FirehoseConfig};
use crate::identity::{Identity, IdentityConfig};
use crate::publish::{Publisher, outbox, pds};
use crate::records::json::Value;
use crate::service::Service;
use crate::testkit::{EXCHANGE, PROVIDER, REQUESTER, Scenario};

const APP_PASSWORD: &str = "demo-app-password-not-a-secret";

/// Polls `f` every 50 ms until it gives `Some`, for at most 30 s.
async fn until<T, F, Fut>(what: &str, mut f: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, String>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = f().await? {
            return Ok(t);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(super) async fn run(
    api: &Client,
    service: &Arc<Service>,
    out: &mut String,
) -> Result<(), String> {
    let net = Standin::start(
        &[
            Account {
                did: REQUESTER,
                key_seed: "demo:alice",
                password: None,
            },
            Account {
                did: PROVIDER,
                key_seed: "demo:bob",
                password: None,
            },
            Account {
                did: EXCHANGE,
                key_seed: "demo:exchange",
                password: Some(APP_PASSWORD),
            },
        ],
        None,
    )?;
    writeln!(
        out,
        "the network (stand-in): PLC directory, PDS and relay at {}, repositories signed by @atproto/repo",
        net.base
    )
    .ok();
    // What the relay carries is proven against the stand-in's DID
    // documents (loopback: development).
    let identity = Identity::new(
        IdentityConfig {
            plc_directory: net.base.clone(),
            egress: crate::egress::Egress { loopback: true },
            ..IdentityConfig::default()
        },
        service.clock.clone(),
    )?;
    let proving = Service::new_with_trust(
        service.exchange.clone(),
        service.policy.clone(),
        service.store.clone(),
        None,
        service.clock.clone(),
        RecordTrust::Submitted(Some(Arc::new(identity))),
    );
    let relay = reqwest::Url::parse(&net.relay()).map_err(|e| e.to_string())?;
    let firehose = Arc::new(Firehose::new(
        proving,
        FirehoseConfig {
            relay,
            settle: true,
        },
    )?);
    let stream = firehose.clone().spawn();
    crate::publish::policy::queue(&service.store, EXCHANGE, &service.policy, service.now())
        .await
        .map_err(|e| e.to_string())?;
    let account = pds::Account {
        pds: reqwest::Url::parse(&net.base).map_err(|e| e.to_string())?,
        identifier: EXCHANGE.into(),
        password: APP_PASSWORD.into(),
    };
    let publisher = Arc::new(Publisher::new(service.store.clone(), account)?);
    let writer = publisher.clone().spawn(Duration::from_millis(50));
    let done = steps(api, service, &net, &firehose, &publisher, out).await;
    stream.abort();
    writer.abort();
    done
}

async fn steps(
    api: &Client,
    service: &Arc<Service>,
    net: &Standin,
    firehose: &Firehose,
    publisher: &Publisher,
    out: &mut String,
) -> Result<(), String> {
    until("the relay's stream", || async {
        Ok(firehose.is_connected().then_some(()))
    })
    .await?;
    let sc = Scenario::new(REQUESTER, PROVIDER, "demo-network");
    let sealed = sc.seal();
    net.write(&[&sealed.authorization, &sealed.job]).await?;
    net.write(&[&sealed.attestation]).await?;
    let commit = net.write(&[&sealed.receipt]).await?;
    let path = format!(
        "/xrpc/dev.cocore.compute.listSettlements?receipt={}",
        sealed.receipt.uri
    );
    let settlement = until("Bob's receipt charged", || async {
        let (_, page) = api.call(reqwest::Method::GET, &path, None, false).await?;
        Ok(match page.get("settlements") {
            Some(Value::Array(items)) => items.first().cloned(),
            _ => None,
        })
    })
    .await?;
    let charged = int(&settlement, &["body", "amountCharged", "amount"]);
    if charged != 250 {
        return Err(format!("Bob's receipt was charged {charged}, not 250"));
    }
    writeln!(
        out,
        "Bob wrote his receipt to his repository (relay seq {}): proven from the commit's own blocks and charged {} USD, with no POST",
        int(&commit, &["seq"]),
        dollars(charged)
    )
    .ok();

    let uri = settlement
        .get("uri")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let cid = settlement
        .get("cid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    until("every record of the exchange published", || async {
        let (left, _) = outbox::backlog(&service.store)
            .await
            .map_err(|e| e.to_string())?;
        Ok((left == 0).then_some(()))
    })
    .await?;
    let held = net.cid_of(&uri).await?;
    if held.as_deref() != Some(cid.as_str()) {
        return Err(format!(
            "the exchange's repository holds {held:?} at {uri}, not {cid}"
        ));
    }
    let p = outbox::publication(&service.store, &uri)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the settlement is not in the outbox")?;
    writeln!(
        out,
        "the exchange wrote what it signed to its repository ({} records: settlements, disputes, refunds, a contract's payment record, its policy); this one at rev {} with CID {}, the CID its database holds",
        publisher.published(),
        p.rev.as_deref().unwrap_or("?"),
        cid
    )
    .ok();

    net.delete(&sealed.authorization.uri).await?;
    let next = sc.sharing("demo-network-next").seal();
    net.write(&[&next.job]).await?;
    net.write(&[&next.receipt]).await?;
    until("the next receipt refused", || async {
        Ok((firehose.applier.ops.get("authorization-revoked") > 0).then_some(()))
    })
    .await?;
    let revoked = service
        .authorization(&sealed.authorization.uri, 10)
        .await
        .map_err(|e| e.message)?;
    if !revoked.state.revoked {
        return Err("the deleted authorization was not revoked".into());
    }
    writeln!(
        out,
        "Alice deleted her authorization: revoked from the deletion's proof, its hold released; Bob's next receipt under it is refused (authorization-revoked)"
    )
    .ok();
    Ok(())
}
