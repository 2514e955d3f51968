//! The demo's multi-party step: Alice publishes a CocosAI computation
//! whose charge is split among Carol (who runs it), Dan (who wrote the
//! algorithm) and Erin (who owns the dataset); Carol's receipt is charged
//! once and each of the three is paid its exact part on chain.

use std::fmt::Write as _;

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;

use super::demo::{Client, dollars, int};
use crate::computation::keys::KeyKind;
use crate::computation::testkeys::Fixture;
use crate::computation::{NSID_COMPUTATION, Role};
use crate::payout::chain::Chain;
use crate::records::RawRecord;
use crate::records::json::Value;
use crate::testkit::{REQUESTER, Scenario};

const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";
const DAN: &str = "did:plc:dandandandandandandandan";
const ERIN: &str = "did:plc:erinerinerinerinerinerin";

pub(super) async fn run(
    api: &Client,
    chain: &Chain,
    wallets: &[PrivateKeySigner],
    base: &Scenario,
    out: &mut String,
) -> Result<(), String> {
    let f = Fixture::new(KeyKind::P256, &[KeyKind::Ed25519]);
    let value = f.record(
        10_000,
        &[
            (Role::Compute, None, None, Some(6000)),
            (Role::Algorithm, Some(DAN), None, Some(2500)),
            (Role::Data, Some(ERIN), Some(0), Some(1500)),
        ],
        "2026-11-21T09:00:00Z",
    );
    let computation = RawRecord {
        uri: format!("at://{REQUESTER}/{NSID_COMPUTATION}/3lcomputdemo2"),
        cid: None,
        value,
    };
    api.publish(&computation).await?;
    writeln!(
        out,
        "Alice's computation (manifest SHA3-256 {}): Carol 60 %, Dan (algorithm, P-256 key) 25 %, Erin (dataset, Ed25519 key) 15 %, each bound by its key's signature",
        f.hash()
    )
    .ok();

    let mut sc = Scenario::new(REQUESTER, CAROL, "demo-carol");
    sc.authorization = base.authorization.clone();
    sc.authorization_uri = base.authorization_uri.clone();
    sc.name_computation(&computation, 997);
    let sealed = sc.seal();
    for r in [&sealed.job, &sealed.attestation, &sealed.receipt] {
        api.publish(r).await?;
    }
    let body = api.settle_new(&sealed.receipt.uri).await?;
    writeln!(
        out,
        "Carol's receipt settled: charged {}, fee {}, split:",
        dollars(int(&body, &["value", "amountCharged", "amount"])),
        dollars(int(&body, &["value", "exchangeFee", "amount"])),
    )
    .ok();
    let Some(Value::Array(parts)) = body
        .get("value")
        .and_then(|v| v.get("split"))
        .and_then(|s| s.get("parts"))
    else {
        return Err("the settlement states no split".into());
    };
    let mut expected = Vec::new();
    for (p, (name, did)) in parts
        .iter()
        .zip([("Carol", CAROL), ("Dan", DAN), ("Erin", ERIN)])
    {
        let amount = int(p, &["amount", "amount"]);
        writeln!(
            out,
            "  {name:<5} {:<9} share {:>4}/10000: {}",
            p.get("role").and_then(Value::as_str).unwrap_or(""),
            int(p, &["share"]),
            dollars(amount)
        )
        .ok();
        expected.push((name, did, amount));
    }
    let got: Vec<i128> = expected.iter().map(|e| e.2).collect();
    if got != [584, 244, 145] {
        return Err(format!("the split is {got:?}, not 5.84 / 2.44 / 1.45"));
    }

    for ((_, did, _), wallet) in expected.iter().zip(wallets) {
        api.pay_to(did, &wallet.address().to_string()).await?;
    }
    api.run_payouts().await?;
    for ((name, _, amount), wallet) in expected.iter().zip(wallets) {
        let held = chain
            .balance_of(wallet.address())
            .await
            .map_err(|e| e.to_string())?;
        writeln!(
            out,
            "{name}'s wallet {} holds {held} token units",
            wallet.address()
        )
        .ok();
        let want = U256::from(u64::try_from(*amount).unwrap_or(0) * 10_000);
        if held != want {
            return Err(format!("{name} was paid {held} units, not {want}"));
        }
    }
    Ok(())
}
