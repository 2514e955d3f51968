//! A receipt's evidence once decided: which proof, what the verifier
//! answered, and what that does to the charge. Written with the
//! settlement (a pass or a hold) or alone (a refusal, so that the verifier
//! is not asked again about the same proof).

use crate::records::formats::Micros;

use super::Verdict;

/// What the gate decided about one receipt's proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub receipt_uri: String,
    pub proof_uri: String,
    pub proof_cid: String,
    /// Which verifier answered, as `tensorcash:<mode>@<host>`.
    pub verifier: String,
    /// The verification's hash id (display form).
    pub hash_id: String,
    /// The verifier's `ResponseValue` name.
    pub status: String,
    pub verdict: Verdict,
    pub checked_at: Micros,
}

/// Where a held provider share stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Not payable, never paid out.
    Held,
    /// A refund under way: still held.
    Refunding,
    /// Released by the operator: payable as any share.
    Released,
    /// Refunded to the requester in full.
    Refunded,
}

impl Hold {
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Held => "held",
            Hold::Refunding => "refunding",
            Hold::Released => "released",
            Hold::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Hold> {
        Some(match s {
            "held" => Hold::Held,
            "refunding" => Hold::Refunding,
            "released" => Hold::Released,
            "refunded" => Hold::Refunded,
            _ => return None,
        })
    }
}

impl Verdict {
    pub fn parse(s: &str) -> Option<Verdict> {
        Some(match s {
            "pass" => Verdict::Pass,
            "hold" => Verdict::Hold,
            "refuse" => Verdict::Refuse,
            _ => return None,
        })
    }
}
