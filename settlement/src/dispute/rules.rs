//! What a verdict moves, exactly. Pure: no I/O.
//!
//! - `refund-full` returns to the requester everything of the charge not
//!   refunded yet; `refund-partial` a given amount, at most that.
//! - **Fee-refund policy:** a refund returns the fee in proportion to the
//!   part of the charge refunded, counted over all refunds of the
//!   settlement: after refunds totalling `r` of a charge `a` with fee `f`,
//!   the fee refunded is `floor(r * f / a)`. A refund of the whole charge
//!   thus returns the whole fee, and two partial refunds return exactly
//!   what one refund of their sum would. The rest of each refund is the
//!   provider's share.
//! - `forfeit-payout` keeps the requester's money with the exchange and
//!   withholds the provider's remaining share: it moves to the exchange's
//!   `forfeits` account. The fee stays earned. A forfeited settlement is
//!   not refunded later (its provider share is gone).
//! - `uphold-charge` moves nothing.
//!
//! The provider's share leaves its payable balance first; what a provider
//! already paid out cannot cover is advanced by the exchange and owed on
//! the provider's receivable, recovered from its next payouts before
//! anything leaves (see `payout`).

use ledger::{Currency, NewTransfer, Op, Reference};

use crate::accounts;
use crate::store::parts::ReversedPart;

/// The lexicon's reason buckets.
pub const CATEGORIES: [&str; 6] = [
    "fraud",
    "non-delivery",
    "quality-failure",
    "processor-chargeback",
    "duplicate-charge",
    "other",
];

/// The lexicon's verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    RefundFull,
    RefundPartial,
    UpholdCharge,
    ForfeitPayout,
}

impl Verdict {
    pub fn parse(s: &str) -> Option<Verdict> {
        Some(match s {
            "refund-full" => Verdict::RefundFull,
            "refund-partial" => Verdict::RefundPartial,
            "uphold-charge" => Verdict::UpholdCharge,
            "forfeit-payout" => Verdict::ForfeitPayout,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::RefundFull => "refund-full",
            Verdict::RefundPartial => "refund-partial",
            Verdict::UpholdCharge => "uphold-charge",
            Verdict::ForfeitPayout => "forfeit-payout",
        }
    }
}

/// A settlement's charge, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charged {
    pub amount: i64,
    pub fee: i64,
}

/// What earlier verdicts moved back from one settlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reversed {
    /// Refunded to the requester (provider and fee parts).
    pub refunded: i64,
    /// Of which the fee.
    pub refunded_fee: i64,
    /// The provider's share taken back (refunds' and forfeits').
    pub provider: i64,
    /// Whether a forfeit happened.
    pub forfeited: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Refund,
    Forfeit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Refund => "refund",
            Kind::Forfeit => "forfeit",
        }
    }
}

/// What one verdict moves back: `amount = provider + fee`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reversal {
    pub kind: Kind,
    pub amount: i64,
    pub provider: i64,
    pub fee: i64,
}

/// Why a verdict cannot be carried out; each names the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// refund-partial without an amount, or an amount with another verdict.
    Amount(&'static str),
    /// The refund would exceed what is left of the charge.
    ExceedsCharge { asked: i64, refundable: i64 },
    /// Nothing is left to refund or forfeit.
    Nothing(&'static str),
    /// The settlement's provider share was forfeited.
    Forfeited,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Amount(_) => "invalid-request",
            Refusal::ExceedsCharge { .. } => "refund-exceeds-charge",
            Refusal::Nothing(_) => "nothing-to-reverse",
            Refusal::Forfeited => "settlement-forfeited",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Amount(m) => (*m).to_owned(),
            Refusal::ExceedsCharge { asked, refundable } => format!(
                "amount: {asked} exceeds what is left to refund of this charge ({refundable}, counting earlier refunds)"
            ),
            Refusal::Nothing(m) => (*m).to_owned(),
            Refusal::Forfeited => {
                "the provider's share of this settlement was forfeited: it cannot be refunded"
                    .into()
            }
        }
    }
}

/// The fee refunded once refunds total `refunded` (the policy above).
fn fee_after(c: Charged, refunded: i64) -> i64 {
    if c.amount == 0 {
        return 0;
    }
    // i128: amount * fee of two i64 cannot overflow it.
    let f = i128::from(refunded) * i128::from(c.fee) / i128::from(c.amount);
    i64::try_from(f).unwrap_or(c.fee)
}

/// What `verdict` moves back, given the charge and what earlier verdicts
/// moved; `None` for `uphold-charge`.
pub fn reversal(
    verdict: Verdict,
    amount: Option<i64>,
    c: Charged,
    before: Reversed,
) -> Result<Option<Reversal>, Refusal> {
    let refundable = c.amount - before.refunded;
    match (verdict, amount) {
        (Verdict::RefundPartial, None) => {
            return Err(Refusal::Amount(
                "amount: required for refund-partial (minor units)",
            ));
        }
        (Verdict::RefundPartial, Some(_)) => {}
        (_, Some(_)) => {
            return Err(Refusal::Amount(
                "amount: only refund-partial takes an amount",
            ));
        }
        _ => {}
    }
    let refund = |r: i64| -> Result<Option<Reversal>, Refusal> {
        if before.forfeited {
            return Err(Refusal::Forfeited);
        }
        if r <= 0 {
            return Err(Refusal::Nothing("nothing is left to refund of this charge"));
        }
        if r > refundable {
            return Err(Refusal::ExceedsCharge {
                asked: r,
                refundable,
            });
        }
        let fee = fee_after(c, before.refunded + r) - before.refunded_fee;
        Ok(Some(Reversal {
            kind: Kind::Refund,
            amount: r,
            provider: r - fee,
            fee,
        }))
    };
    match verdict {
        Verdict::UpholdCharge => Ok(None),
        Verdict::RefundFull => refund(refundable),
        Verdict::RefundPartial => match amount {
            Some(a) if a > 0 => refund(a),
            _ => Err(Refusal::Amount(
                "amount: must be a positive integer (minor units)",
            )),
        },
        Verdict::ForfeitPayout => {
            let share = c.amount - c.fee - before.provider;
            if share <= 0 {
                return Err(Refusal::Nothing(
                    "nothing is left of the provider's share to forfeit",
                ));
            }
            Ok(Some(Reversal {
                kind: Kind::Forfeit,
                amount: share,
                provider: share,
                fee: 0,
            }))
        }
    }
}

/// Who a reversal moves money between.
pub struct Parties<'a> {
    pub requester: &'a str,
    pub provider: &'a str,
    pub currency: &'a Currency,
    /// The dispute, naming the transfers.
    pub dispute_id: &'a str,
    /// The settlement, as the transfers' reference.
    pub settlement_uri: &'a str,
}

/// The ledger operations of a reversal, given the provider's payable
/// balance now: its share comes from payable first, the rest from its
/// receivable. Returns the operations and how much came from payable.
pub fn reversal_ops(
    r: &Reversal,
    p: &Parties<'_>,
    payable: i64,
) -> Result<(Vec<Op>, i64), ledger::Error> {
    let c = p.currency.as_str();
    let from_payable = r.provider.min(payable.max(0));
    let from_receivable = r.provider - from_payable;
    let to = match r.kind {
        Kind::Refund => accounts::requester(p.requester, c),
        Kind::Forfeit => accounts::forfeits(c),
    };
    let reference = Some(Reference::new(p.settlement_uri)?);
    let transfer = |suffix: &str, from: ledger::Id, amount: i64, code: &str| {
        Op::Transfer(NewTransfer {
            id: accounts::id(&format!("{}:{}:{suffix}", r.kind.as_str(), p.dispute_id)),
            debit_account: from,
            credit_account: to.clone(),
            amount_minor: amount,
            currency: p.currency.clone(),
            code: accounts::code(code),
            reference: reference.clone(),
        })
    };
    let mut ops = Vec::with_capacity(3);
    if from_payable > 0 {
        ops.push(transfer(
            "payable",
            accounts::provider(p.provider, c),
            from_payable,
            match r.kind {
                Kind::Refund => "refund",
                Kind::Forfeit => "forfeit",
            },
        ));
    }
    if from_receivable > 0 {
        ops.push(transfer(
            "receivable",
            accounts::receivable(p.provider, c),
            from_receivable,
            match r.kind {
                Kind::Refund => "refund-advanced",
                Kind::Forfeit => "forfeit-advanced",
            },
        ));
    }
    if r.fee > 0 {
        ops.push(transfer("fee", accounts::fees(c), r.fee, "fee-refund"));
    }
    Ok((ops, from_payable))
}

/// The ledger operations of a reversal of a split settlement: the
/// provider's share taken back from the parts in proportion to what each
/// still holds (`holds`: index, payee, minor units), so no part gives back
/// more than it has and the parts add up to the share exactly; each part
/// from its payee's payable first (`payable`, drawn down as it goes), the
/// rest from its receivable. The fee as for any reversal.
pub fn split_reversal_ops(
    r: &Reversal,
    p: &Parties<'_>,
    holds: &[(i64, &str, i64)],
    payable: &mut std::collections::HashMap<String, i64>,
) -> Result<(Vec<Op>, Vec<ReversedPart>), ledger::Error> {
    let weights: Vec<u64> = holds
        .iter()
        .map(|h| u64::try_from(h.2).unwrap_or(0))
        .collect();
    let total: u64 = weights.iter().sum();
    let share = u64::try_from(r.provider).unwrap_or(0);
    if share > total {
        return Err(ledger::Error::InvalidField {
            field: "reversal",
            reason: "the parts hold less than the provider's share to take back",
        });
    }
    let back = if total == 0 {
        vec![0; holds.len()]
    } else {
        crate::computation::split::by_weights(share, &weights, total)
    };
    let mut ops = Vec::new();
    let mut out = Vec::with_capacity(holds.len());
    for (&(idx, payee, _), amount) in holds.iter().zip(back) {
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        if amount == 0 {
            continue;
        }
        let part = Reversal {
            kind: r.kind,
            amount,
            provider: amount,
            fee: 0,
        };
        let id = format!("{}:{idx}", p.dispute_id);
        let parties = Parties {
            provider: payee,
            dispute_id: &id,
            ..*p
        };
        let available = payable.entry(payee.to_owned()).or_insert(0);
        let (part_ops, from_payable) = reversal_ops(&part, &parties, *available)?;
        *available -= from_payable;
        ops.extend(part_ops);
        out.push(ReversedPart {
            idx,
            payee: payee.to_owned(),
            amount_minor: amount,
            from_payable_minor: from_payable,
        });
    }
    if r.fee > 0 {
        let fee = Reversal { provider: 0, ..*r };
        ops.extend(reversal_ops(&fee, p, 0)?.0);
    }
    Ok((ops, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Charged = Charged {
        amount: 1000,
        fee: 25,
    };

    fn apply(before: Reversed, r: Reversal) -> Reversed {
        Reversed {
            refunded: before.refunded + if r.kind == Kind::Refund { r.amount } else { 0 },
            refunded_fee: before.refunded_fee + r.fee,
            provider: before.provider + r.provider,
            forfeited: before.forfeited || r.kind == Kind::Forfeit,
        }
    }

    #[test]
    fn a_full_refund_returns_the_whole_charge_and_fee() {
        let r = reversal(Verdict::RefundFull, None, C, Reversed::default())
            .unwrap()
            .unwrap();
        assert_eq!((r.amount, r.provider, r.fee), (1000, 975, 25));
    }

    #[test]
    fn partial_refunds_add_up_to_the_charge_at_most() {
        // 333 + 333 + 334: fee parts 8, 8, 9 (floor of the running total).
        let mut before = Reversed::default();
        let mut fees = Vec::new();
        for part in [333, 333, 334] {
            let r = reversal(Verdict::RefundPartial, Some(part), C, before)
                .unwrap()
                .unwrap();
            assert_eq!(r.amount, r.provider + r.fee);
            fees.push(r.fee);
            before = apply(before, r);
        }
        assert_eq!(fees, [8, 8, 9]);
        assert_eq!(before.refunded, 1000);
        assert_eq!(before.refunded_fee, 25);
        assert_eq!(before.provider, 975);
        assert_eq!(
            reversal(Verdict::RefundPartial, Some(1), C, before),
            Err(Refusal::ExceedsCharge {
                asked: 1,
                refundable: 0
            })
        );
        assert_eq!(
            reversal(Verdict::RefundFull, None, C, before)
                .unwrap_err()
                .code(),
            "nothing-to-reverse"
        );
    }

    #[test]
    fn a_partial_refund_above_the_rest_is_refused() {
        let before = apply(
            Reversed::default(),
            reversal(Verdict::RefundPartial, Some(600), C, Reversed::default())
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            reversal(Verdict::RefundPartial, Some(401), C, before),
            Err(Refusal::ExceedsCharge {
                asked: 401,
                refundable: 400
            })
        );
        for bad in [Some(0), Some(-5)] {
            assert_eq!(
                reversal(Verdict::RefundPartial, bad, C, before)
                    .unwrap_err()
                    .code(),
                "invalid-request"
            );
        }
        assert!(reversal(Verdict::RefundPartial, None, C, before).is_err());
        assert!(reversal(Verdict::RefundFull, Some(5), C, before).is_err());
    }

    #[test]
    fn forfeit_takes_the_rest_of_the_provider_share_and_ends_refunds() {
        let before = apply(
            Reversed::default(),
            reversal(Verdict::RefundPartial, Some(400), C, Reversed::default())
                .unwrap()
                .unwrap(),
        );
        let f = reversal(Verdict::ForfeitPayout, None, C, before)
            .unwrap()
            .unwrap();
        // 975 share, 390 of it refunded with the 400.
        assert_eq!(
            (f.kind, f.amount, f.provider, f.fee),
            (Kind::Forfeit, 585, 585, 0)
        );
        let after = apply(before, f);
        assert_eq!(
            reversal(Verdict::RefundPartial, Some(1), C, after),
            Err(Refusal::Forfeited)
        );
        assert!(reversal(Verdict::ForfeitPayout, None, C, after).is_err());
        assert_eq!(reversal(Verdict::UpholdCharge, None, C, after), Ok(None));
    }

    #[test]
    fn the_share_comes_from_payable_then_the_receivable() {
        let r = reversal(Verdict::RefundFull, None, C, Reversed::default())
            .unwrap()
            .unwrap();
        let usd = Currency::new("USD").unwrap();
        let p = Parties {
            requester: "did:plc:r",
            provider: "did:plc:p",
            currency: &usd,
            dispute_id: "3kabc",
            settlement_uri: "at://did:web:x/dev.cocore.compute.settlement/3kabc",
        };
        let amounts = |ops: &[Op]| -> Vec<(String, i64)> {
            ops.iter()
                .map(|o| match o {
                    Op::Transfer(t) => (t.debit_account.as_str().to_owned(), t.amount_minor),
                    _ => panic!("only transfers"),
                })
                .collect()
        };
        let (ops, from) = reversal_ops(&r, &p, 10_000).unwrap();
        assert_eq!(from, 975);
        assert_eq!(
            amounts(&ops),
            [
                (
                    accounts::provider("did:plc:p", "USD").as_str().to_owned(),
                    975
                ),
                (accounts::fees("USD").as_str().to_owned(), 25)
            ]
        );
        let (ops, from) = reversal_ops(&r, &p, 300).unwrap();
        assert_eq!(from, 300);
        assert_eq!(
            amounts(&ops),
            [
                (
                    accounts::provider("did:plc:p", "USD").as_str().to_owned(),
                    300
                ),
                (
                    accounts::receivable("did:plc:p", "USD").as_str().to_owned(),
                    675
                ),
                (accounts::fees("USD").as_str().to_owned(), 25)
            ]
        );
        let (_, from) = reversal_ops(&r, &p, -50).unwrap();
        assert_eq!(from, 0);
    }
}
