//! The demo's compute-contract step (`seeds/004`): Alice vouches for Bob
//! and denounces Eve, asks for compute, and accepts each one's bid through
//! the exchange. Eve's is refused by her policy, with the record that
//! refuses it; Bob's is paid over x402 on the local chain (his endpoint is
//! a stand-in: the x402-rs paywall and facilitator, answering his receipt),
//! and his receipt closes the contract.

use std::fmt::Write as _;
use std::sync::Arc;

use alloy::primitives::{Address, U256};

use super::demo::{Client, dollars, int, obj};
use crate::contract::records::Kind;
use crate::contract::standin::{self, Bidder};
use crate::contract::{ContractConfig, Contracts, fixtures};
use crate::payout::chain::{Chain, Treasury};
use crate::payout::local::LocalChain;
use crate::payout::{PayoutConfig, Payouts};
use crate::records::json::{self, Value};
use crate::service::Service;
use crate::testkit::{EXCHANGE, PROVIDER, REQUESTER};

const EVE: &str = "did:plc:eveeveeveeveeveeveeveeve";
/// 4 USDC in token units.
const FOUR_USDC: u64 = 4_000_000;

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Alice's available USD, in minor units.
async fn available(api: &Client) -> Result<i128, String> {
    let path = format!("/v1/requesters/{REQUESTER}/balance?currency=USD");
    let (_, balance) = api.call(reqwest::Method::GET, &path, None, false).await?;
    Ok(int(&balance, &["USD", "available"]))
}

pub(super) async fn run(
    api: &Client,
    service: &Arc<Service>,
    local: &LocalChain,
    out: &mut String,
) -> Result<(), String> {
    // Bidders' endpoints on this machine: loopback allowed (development).
    let chain = Chain::connect(local.config.clone(), local.treasury.clone())
        .await
        .map_err(|e| e.to_string())?;
    let payouts = Payouts::new(
        service.store.clone(),
        chain,
        PayoutConfig {
            egress: crate::egress::Egress { loopback: true },
            ..PayoutConfig::default()
        },
        service.exchange.clone(),
        service.clock.clone(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let contracts = Contracts::new(
        service.store.clone(),
        Arc::new(payouts),
        service.exchange.clone(),
        service.policy.clone(),
        service.records.clone(),
        service.clock.clone(),
        ContractConfig::default(),
    );
    let _ = service.contracts.set(Arc::new(contracts));

    let bob_key = local.spare.get(6).ok_or("too few dev accounts")?;
    let bob_wallet = bob_key.address();
    let start = |did: &str, pay_to: Address, key| {
        standin::start(
            &local.config,
            6,
            key,
            Bidder {
                did: did.into(),
                pay_to,
                asks: U256::from(FOUR_USDC),
            },
        )
    };
    let bob_relayer = Treasury::from_signer(bob_key.clone());
    let bob = start(PROVIDER, bob_wallet, &bob_relayer).await?;
    let eve = start(EVE, Address::repeat_byte(0xee), &bob_relayer).await?;

    for (subject, kind) in [(PROVIDER, Kind::Vouch), (EVE, Kind::Denounce)] {
        api.publish(&fixtures::vouch(REQUESTER, subject, kind))
            .await?;
    }
    writeln!(
        out,
        "Alice vouches for Bob and denounces Eve (sh.tangled.graph.vouch records); her policy: {}",
        text(
            &api.call(
                reqwest::Method::GET,
                &format!("/v1/contracts/policies/{REQUESTER}"),
                None,
                false
            )
            .await?
            .1,
            &["mode"]
        )
    )
    .ok();
    let rfp = fixtures::rfp(REQUESTER, "demo-rfp");
    api.publish(&rfp).await?;
    let bob_bid = fixtures::bid(PROVIDER, &rfp, 4, &bob.base_url, "demo-bid-bob");
    bob.bid_on(&rfp, &bob_bid);
    let eve_bid = fixtures::bid(EVE, &rfp, 4, &eve.base_url, "demo-bid-eve");
    eve.bid_on(&rfp, &eve_bid);
    for r in [&bob_bid, &eve_bid] {
        api.publish(r).await?;
    }
    writeln!(
        out,
        "Alice asks for 1 CPU (CCRFP {}); Bob and Eve each bid 4 USDC monthly, prepaid, at their x402 URLs",
        rfp.uri
    )
    .ok();
    let auth = fixtures::authorization(REQUESTER, EXCHANGE, 1_000, "demo-contract-auth");
    api.publish(&auth).await?;

    let accept = |ccba: String| {
        obj(&format!(
            r#"{{"ccba":"{ccba}","authorization":"{}"}}"#,
            auth.uri
        ))
    };
    let eve_ccba = fixtures::accept(REQUESTER, &rfp, &eve_bid, "demo-ccba-eve");
    api.publish(&eve_ccba).await?;
    let (status, refusal) = api
        .call(
            reqwest::Method::POST,
            "/v1/contracts",
            Some(accept(eve_ccba.uri.clone())),
            true,
        )
        .await?;
    writeln!(
        out,
        "Eve's bid accepted: {status} {}: {}",
        text(&refusal, &["code"]),
        text(&refusal, &["detail"])
    )
    .ok();
    if status != 422
        || text(&refusal, &["code"]) != "bidder-denounced"
        || !eve.answered().is_empty()
    {
        return Err(format!(
            "Eve's bid was not refused: {}",
            json::to_canonical_string(&refusal)
        ));
    }

    let before = available(api).await?;
    let bob_ccba = fixtures::accept(REQUESTER, &rfp, &bob_bid, "demo-ccba-bob");
    api.publish(&bob_ccba).await?;
    let (status, c) = api
        .call(
            reqwest::Method::POST,
            "/v1/contracts",
            Some(accept(bob_ccba.uri.clone())),
            true,
        )
        .await?;
    if status != 201 {
        return Err(format!(
            "Bob's contract: {status} {}",
            json::to_canonical_string(&c)
        ));
    }
    let paid = local
        .token()
        .balanceOf(bob_wallet)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    writeln!(
        out,
        "Bob's bid accepted ({}: {}): contract {} {}; {} USD paid over x402 to {} in transaction {}, fee {} USD on top",
        text(&c, &["decision", "code"]),
        text(&c, &["decision", "explanation"]),
        text(&c, &["id"]),
        text(&c, &["state"]),
        dollars(int(&c, &["price", "amount"])),
        bob_wallet,
        text(&c, &["transaction"]),
        dollars(int(&c, &["fee", "amount"])),
    )
    .ok();
    writeln!(
        out,
        "the exchange's payment record (CCBAP {}) names {}; Bob's receipt (CCR {}) names the request, his bid and the accept",
        text(&c, &["payment", "uri"]),
        text(&c, &["payment", "value", "txid"]),
        text(&c, &["ccr", "uri"]),
    )
    .ok();
    let after = available(api).await?;
    writeln!(
        out,
        "Alice's available balance {} -> {} USD; Bob's wallet holds {paid} token units",
        dollars(before),
        dollars(after)
    )
    .ok();
    let charged = int(&c, &["price", "amount"]) + int(&c, &["fee", "amount"]);
    if text(&c, &["state"]) != "receipted"
        || paid != U256::from(FOUR_USDC)
        || before - after != charged
    {
        return Err(format!(
            "Bob's contract did not close as bid: {}",
            json::to_canonical_string(&c)
        ));
    }
    Ok(())
}
