//! The compute-contract records (`com.publicdomainrelay.temp.*`) and the
//! trust records (`sh.tangled.graph.vouch`), typed. Each passed its lexicon
//! first; these views add the rules the lexicons cannot say.

use crate::records::formats::{Datetime, is_did};
use crate::records::lexicon::ValidationError;
use crate::records::{Obj, RecordType, StrongRef};

pub const NSID_CCRFP: &str = "com.publicdomainrelay.temp.ccrfp";
pub const NSID_CCB: &str = "com.publicdomainrelay.temp.ccb";
pub const NSID_CCBA: &str = "com.publicdomainrelay.temp.ccba";
pub const NSID_CCBAP: &str = "com.publicdomainrelay.temp.ccbap";
pub const NSID_CCR: &str = "com.publicdomainrelay.temp.ccr";
pub const NSID_VOUCH: &str = "sh.tangled.graph.vouch";

/// A request for proposal. Only its identity matters to the money; the
/// compute it describes is between the requester and the bidder.
#[derive(Clone, Debug)]
pub struct Ccrfp {
    pub cpus: u64,
    pub role: String,
}

impl RecordType for Ccrfp {
    const NSID: &'static str = NSID_CCRFP;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(Ccrfp {
            cpus: o.u64("cpus")?,
            role: o.str("role")?.to_owned(),
        })
    }
}

/// A bid's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidTerms {
    /// Whole units of `currency` (the lexicon leaves the type open; this
    /// exchange takes a non-negative integer, see `lexicons/`).
    pub cost_units: u64,
    pub currency: String,
    pub frequency: String,
    pub prepay: bool,
    /// The x402 URL template, with `{at}` and `{cid}`.
    pub base_url: String,
}

/// A bid on a request for proposal.
#[derive(Clone, Debug)]
pub struct Ccb {
    pub embed: StrongRef,
    pub terms: BidTerms,
}

impl RecordType for Ccb {
    const NSID: &'static str = NSID_CCB;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        let bid = o.obj("bid")?;
        let cost_units = bid.u64("cost").map_err(|_| {
            ValidationError::new(
                "ccb.bid.cost",
                "must be a whole number of currency units (an integer >= 0); fractions cannot be cleared",
            )
        })?;
        let frequency = bid.str("frequency")?;
        if !["one-time", "hourly", "daily", "weekly", "monthly"].contains(&frequency) {
            return Err(ValidationError::new(
                "ccb.bid.frequency",
                "must be one of one-time, hourly, daily, weekly, monthly",
            ));
        }
        let prepay = bid
            .opt_bool("prepay")?
            .ok_or_else(|| ValidationError::new("ccb.bid.prepay", "is required"))?;
        let base_url = bid.obj("x402")?.str("base_url")?;
        Ok(Ccb {
            embed: o.strong_ref("embed")?,
            terms: BidTerms {
                cost_units,
                currency: bid.str("currency")?.to_owned(),
                frequency: frequency.to_owned(),
                prepay,
                base_url: base_url.to_owned(),
            },
        })
    }
}

/// The requester's accept of one bid.
#[derive(Clone, Debug)]
pub struct Ccba {
    pub embed: StrongRef,
    pub bid: StrongRef,
    pub payment: Option<StrongRef>,
}

impl RecordType for Ccba {
    const NSID: &'static str = NSID_CCBA;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(Ccba {
            embed: o.strong_ref("embed")?,
            bid: o.strong_ref("bid")?,
            payment: o.opt_strong_ref("payment")?,
        })
    }
}

/// The bidder's receipt over the three records of a contract.
#[derive(Clone, Debug)]
pub struct Ccr {
    pub rfp: StrongRef,
    pub bid: StrongRef,
    pub ccba: StrongRef,
    pub created_at: Datetime,
}

impl RecordType for Ccr {
    const NSID: &'static str = NSID_CCR;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(Ccr {
            rfp: o.strong_ref("rfp")?,
            bid: o.strong_ref("bid")?,
            ccba: o.strong_ref("ccba")?,
            created_at: o.datetime("createdAt")?,
        })
    }
}

/// A vouch or a denounce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Vouch,
    Denounce,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vouch => "vouch",
            Kind::Denounce => "denounce",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "vouch" => Some(Kind::Vouch),
            "denounce" => Some(Kind::Denounce),
            _ => None,
        }
    }
}

/// One account's word on another. The subject is the record key, so the
/// typed record is built with [`Vouch::from_record`].
#[derive(Clone, Debug)]
pub struct Vouch {
    pub kind: Kind,
    pub created_at: Datetime,
}

impl RecordType for Vouch {
    const NSID: &'static str = NSID_VOUCH;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        let kind = if o.has("kind") {
            Kind::parse(o.str("kind")?).ok_or_else(|| {
                ValidationError::new("vouch.kind", "must be \"vouch\" or \"denounce\"")
            })?
        } else {
            Kind::Vouch
        };
        Ok(Vouch {
            kind,
            created_at: o.datetime("createdAt")?,
        })
    }
}

/// The subject a vouch record speaks of: its record key, which must be a
/// DID other than the owner's.
pub fn vouch_subject(owner: &str, rkey: &str) -> Result<String, ValidationError> {
    if !is_did(rkey) {
        return Err(ValidationError::new(
            "vouch.uri",
            "the record key must be the subject's DID",
        ));
    }
    if rkey == owner {
        return Err(ValidationError::new(
            "vouch.uri",
            "an account cannot vouch for or denounce itself",
        ));
    }
    Ok(rkey.to_owned())
}
