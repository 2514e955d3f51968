//! The strongRef chain of a contract, checked: each record names the
//! others by URI and CID, and each belongs to the party that must have
//! written it. Pure. A broken link is named (`ccba.bid.cid`, say) so the
//! caller knows which record to fix.

use super::records::{Ccb, Ccba, Ccr, Ccrfp};
use crate::records::{Record, StrongRef};

/// A link of the chain that does not hold: which one, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{link}: {message}")]
pub struct BrokenLink {
    pub link: String,
    pub message: String,
}

fn broken(link: &str, message: impl Into<String>) -> BrokenLink {
    BrokenLink {
        link: link.to_owned(),
        message: message.into(),
    }
}

/// `reference` (named `link`) must be exactly `target`'s URI and CID.
fn names<T>(link: &str, reference: &StrongRef, target: &Record<T>) -> Result<(), BrokenLink> {
    if reference.uri != target.uri {
        return Err(broken(
            &format!("{link}.uri"),
            format!("names {}, not {}", reference.uri, target.uri),
        ));
    }
    if reference.cid != target.cid {
        return Err(broken(
            &format!("{link}.cid"),
            format!(
                "names version {} of {}, but its content is {}",
                reference.cid, target.uri, target.cid
            ),
        ));
    }
    Ok(())
}

/// The request, bid and accept of one contract: the accept names the
/// request and the bid, the bid names the request; the requester wrote
/// the request and the accept, someone else the bid.
pub fn check_accept(
    rfp: &Record<Ccrfp>,
    bid: &Record<Ccb>,
    ccba: &Record<Ccba>,
) -> Result<(), BrokenLink> {
    names("ccba.embed", &ccba.data.embed, rfp)?;
    names("ccba.bid", &ccba.data.bid, bid)?;
    names("ccb.embed", &bid.data.embed, rfp)?;
    if rfp.owner() != ccba.owner() {
        return Err(broken(
            "ccba.embed",
            format!(
                "the request belongs to {}, but the accept to {}: only the requester accepts",
                rfp.owner(),
                ccba.owner()
            ),
        ));
    }
    if bid.owner() == ccba.owner() {
        return Err(broken(
            "ccba.bid",
            "the bid belongs to the requester herself: a contract needs a bidder",
        ));
    }
    Ok(())
}

/// A receipt closes the contract only if the bidder wrote it over exactly
/// this request, bid and accept.
pub fn check_receipt(
    ccr: &Record<Ccr>,
    rfp: &StrongRef,
    bid: &StrongRef,
    ccba: &StrongRef,
    bidder: &str,
) -> Result<(), BrokenLink> {
    if ccr.owner() != bidder {
        return Err(broken(
            "ccr.uri",
            format!(
                "the receipt belongs to {}, not to the bidder {bidder}",
                ccr.owner()
            ),
        ));
    }
    for (link, got, want) in [
        ("ccr.rfp", &ccr.data.rfp, rfp),
        ("ccr.bid", &ccr.data.bid, bid),
        ("ccr.ccba", &ccr.data.ccba, ccba),
    ] {
        if got.uri != want.uri {
            return Err(broken(
                &format!("{link}.uri"),
                format!("names {}, not {}", got.uri, want.uri),
            ));
        }
        if got.cid != want.cid {
            return Err(broken(
                &format!("{link}.cid"),
                format!("names version {} of {}, not {}", got.cid, got.uri, want.cid),
            ));
        }
    }
    Ok(())
}
