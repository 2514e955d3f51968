//! The split a settlement states (`split`, lexicon
//! `dev.settlement.computation#split`): written with the charge, each
//! part's `processorReference` added when its payout is confirmed, and
//! read back by anyone who recomputes it.

use super::terms::{Part, Terms, allocate};
use crate::records::json::{Map, Value};
use crate::records::{Obj, StrongRef};

fn money(amount: u64, currency: &str) -> Value {
    let mut m = Map::new();
    m.insert("amount".into(), amount.into());
    m.insert("currency".into(), currency.into());
    Value::Object(m)
}

/// The settlement's `split` field.
pub fn split_value(terms: &Terms, parts: &[Part], currency: &str) -> Value {
    let mut strong = Map::new();
    strong.insert("uri".into(), terms.computation.uri.as_str().into());
    strong.insert("cid".into(), terms.computation.cid.to_string().into());
    let parts = parts
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("role".into(), p.role.as_str().into());
            if let Some(d) = p.dataset {
                m.insert("dataset".into(), d.into());
            }
            m.insert("did".into(), p.did.as_str().into());
            m.insert("share".into(), p.share.into());
            if let Some(f) = &p.fingerprint {
                m.insert("keyFingerprint".into(), f.as_str().into());
            }
            m.insert("amount".into(), money(p.amount, currency));
            Value::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("computation".into(), Value::Object(strong));
    m.insert("manifestHash".into(), terms.manifest_hash.as_str().into());
    m.insert("whole".into(), terms.whole.into());
    m.insert("parts".into(), Value::Array(parts));
    Value::Object(m)
}

/// Sets part `index`'s `processorReference` in a settlement's value;
/// false if it has no such part.
pub fn set_part_reference(settlement: &mut Map, index: usize, reference: &str) -> bool {
    let part = match settlement.get_mut("split") {
        Some(Value::Object(split)) => match split.get_mut("parts") {
            Some(Value::Array(parts)) => parts.get_mut(index),
            _ => None,
        },
        _ => None,
    };
    match part {
        Some(Value::Object(p)) => {
            p.insert("processorReference".into(), reference.into());
            true
        }
        _ => false,
    }
}

/// The `split` of a refund of a split settlement: the original's
/// computation, hash and whole, and each part's amount what it gave back
/// (`back`: part index, minor units; parts not named gave back nothing).
/// `None` if the original states no split.
pub fn refund_split(original: &Value, back: &[(usize, u64)]) -> Option<Value> {
    let Value::Object(split) = original.get("split")? else {
        return None;
    };
    let mut split = split.clone();
    if let Some(Value::Array(parts)) = split.get_mut("parts") {
        for (i, part) in parts.iter_mut().enumerate() {
            let Value::Object(p) = part else { continue };
            p.remove("processorReference");
            let given = back
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, a)| *a)
                .sum::<u64>();
            if let Some(Value::Object(m)) = p.get_mut("amount") {
                m.insert("amount".into(), given.into());
            }
        }
    }
    Some(Value::Object(split))
}

/// A part as a settlement states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatedPart {
    pub role: String,
    pub dataset: Option<u64>,
    pub did: String,
    pub share: u64,
    pub fingerprint: Option<String>,
    pub amount: u64,
    pub currency: String,
}

impl StatedPart {
    /// The same payee in the same place: role, dataset, DID, share, key
    /// and currency (not the amount).
    pub fn same_payee(&self, o: &StatedPart) -> bool {
        self.role == o.role
            && self.dataset == o.dataset
            && self.did == o.did
            && self.share == o.share
            && self.fingerprint == o.fingerprint
            && self.currency == o.currency
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatedSplit {
    pub computation: StrongRef,
    pub manifest_hash: String,
    pub whole: u64,
    pub parts: Vec<StatedPart>,
}

/// The split a settlement states, if any (the settlement already passed
/// its lexicon).
pub fn read_split(settlement: &Value) -> Result<Option<StatedSplit>, String> {
    let Some(v) = settlement.get("split") else {
        return Ok(None);
    };
    let o = Obj::new(v, "split".into()).map_err(|e| e.to_string())?;
    let read = || -> Result<StatedSplit, crate::records::lexicon::ValidationError> {
        let parts = o
            .objs("parts")?
            .iter()
            .map(|p| {
                let amount = p.money("amount")?;
                Ok(StatedPart {
                    role: p.str("role")?.to_owned(),
                    dataset: p.opt_u64("dataset")?,
                    did: p.str("did")?.to_owned(),
                    share: p.u64("share")?,
                    fingerprint: p.opt_str("keyFingerprint")?.map(str::to_owned),
                    amount: amount.amount,
                    currency: amount.currency,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StatedSplit {
            computation: o.strong_ref("computation")?,
            manifest_hash: o.str("manifestHash")?.to_owned(),
            whole: o.u64("whole")?,
            parts,
        })
    };
    read().map(Some).map_err(|e| e.to_string())
}

/// Recomputes a stated split from the computation's checked terms: the
/// same computation, hash and whole, and each part exactly what the rule
/// gives `rest` (the charge less the fee) for a receipt of `provider`.
pub fn recheck(
    stated: &StatedSplit,
    terms: &Terms,
    provider: &str,
    rest: u64,
) -> Result<(), String> {
    if stated.computation != terms.computation {
        return Err(format!(
            "split.computation names {} (CID {}), the job {} (CID {})",
            stated.computation.uri,
            stated.computation.cid,
            terms.computation.uri,
            terms.computation.cid
        ));
    }
    if stated.manifest_hash != terms.manifest_hash || stated.whole != terms.whole {
        return Err("split.manifestHash or split.whole differ from the computation's".into());
    }
    let want = allocate(terms, provider, rest).map_err(|e| e.to_string())?;
    if want.len() != stated.parts.len() {
        return Err(format!(
            "split has {} parts; the computation gives {}",
            stated.parts.len(),
            want.len()
        ));
    }
    for (i, (w, s)) in want.iter().zip(&stated.parts).enumerate() {
        let same = w.role.as_str() == s.role
            && w.dataset == s.dataset
            && w.did == s.did
            && w.share == s.share
            && w.fingerprint == s.fingerprint
            && w.amount == s.amount;
        if !same {
            return Err(format!(
                "split.parts[{i}]: states {} {} share {} amount {}; the rule gives {} {} share {} amount {}",
                s.role,
                s.did,
                s.share,
                s.amount,
                w.role.as_str(),
                w.did,
                w.share,
                w.amount
            ));
        }
    }
    Ok(())
}
