//! The computation record (`dev.settlement.computation`) and its terms:
//! each payee's DID bound to its role's key in the manifest by that key's
//! signature, shares that make a whole, and the parts a charge splits
//! into. Pure.

use base64::Engine as _;

use super::manifest::{self, Manifest};
use super::split;
use crate::records::lexicon::ValidationError;
use crate::records::{Obj, Record, RecordType, StrongRef};

pub const NSID_COMPUTATION: &str = "dev.settlement.computation";

/// What a key proof signs, before the manifest hash, role, index and DID.
pub const PROOF_PREFIX: &str = "dev.settlement.computation/payee:v1:";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Compute,
    Algorithm,
    Data,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Compute => "compute",
            Role::Algorithm => "algorithm",
            Role::Data => "data",
        }
    }
    fn parse(s: &str) -> Option<Role> {
        match s {
            "compute" => Some(Role::Compute),
            "algorithm" => Some(Role::Algorithm),
            "data" => Some(Role::Data),
            _ => None,
        }
    }
}

/// A payee as the record declares it.
#[derive(Clone, Debug)]
pub struct Declared {
    pub role: String,
    pub did: Option<String>,
    pub dataset: Option<u64>,
    pub share: Option<u64>,
    pub key_proof: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Computation {
    pub manifest: String,
    pub manifest_hash: String,
    pub whole: u64,
    pub payees: Vec<Declared>,
}

impl RecordType for Computation {
    const NSID: &'static str = NSID_COMPUTATION;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        let payees = o
            .objs("payees")?
            .iter()
            .map(|p| {
                Ok(Declared {
                    role: p.str("role")?.to_owned(),
                    did: p.opt_str("did")?.map(str::to_owned),
                    dataset: p.opt_u64("dataset")?,
                    share: p.opt_u64("share")?,
                    key_proof: p.opt_str("keyProof")?.map(str::to_owned),
                })
            })
            .collect::<Result<Vec<_>, ValidationError>>()?;
        Ok(Computation {
            manifest: o.str("manifest")?.to_owned(),
            manifest_hash: o.str("manifestHash")?.to_owned(),
            whole: o.u64("whole")?,
            payees,
        })
    }
}

/// A payee once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payee {
    pub role: Role,
    /// For data: the dataset's index in the manifest.
    pub dataset: Option<u64>,
    /// `None` only for compute: whoever's receipt is charged.
    pub did: Option<String>,
    pub share: u64,
    /// SHA-256 of the role key's SPKI (algorithm and data).
    pub fingerprint: Option<String>,
}

/// A computation's checked terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    pub computation: StrongRef,
    pub manifest_hash: String,
    pub whole: u64,
    pub payees: Vec<Payee>,
}

/// One payee's part of one charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub role: Role,
    pub dataset: Option<u64>,
    pub did: String,
    pub share: u64,
    pub fingerprint: Option<String>,
    pub amount: u64,
}

/// Why a computation, or a charge under it, is refused: a stable code and
/// which field broke which rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Refusal {
    pub code: &'static str,
    pub error: ValidationError,
}

fn refuse(code: &'static str, path: String, rule: impl Into<String>) -> Refusal {
    Refusal {
        code,
        error: ValidationError::new(path, rule),
    }
}

/// The message a role key signs to bind `did` to its role in the
/// manifest whose hash is `hash`.
pub fn proof_message(hash: &str, role: Role, index: u64, did: &str) -> String {
    format!("{PROOF_PREFIX}{hash}:{}:{index}:{did}", role.as_str())
}

/// Checks a computation record: the manifest and its hash, each payee's
/// role, DID and key proof, and the shares; `root` names it in errors.
pub fn check(record: &Record<Computation>, root: &str) -> Result<Terms, Refusal> {
    let c = &record.data;
    let m: Manifest =
        manifest::parse(&c.manifest, &format!("{root}.manifest")).map_err(|error| Refusal {
            code: "manifest-invalid",
            error,
        })?;
    if c.manifest_hash != m.hash {
        return Err(refuse(
            "manifest-hash-mismatch",
            format!("{root}.manifestHash"),
            format!("is not the SHA3-256 of manifest ({})", m.hash),
        ));
    }
    let mut payees = Vec::with_capacity(c.payees.len());
    let mut seen = std::collections::HashSet::new();
    for (i, d) in c.payees.iter().enumerate() {
        let at = |f: &str| format!("{root}.payees[{i}].{f}");
        let role = Role::parse(&d.role).ok_or_else(|| {
            refuse(
                "invalid-record",
                at("role"),
                "must be compute, algorithm or data",
            )
        })?;
        let index = match (role, d.dataset) {
            (Role::Data, Some(n)) => n,
            (Role::Data, None) => {
                return Err(refuse(
                    "invalid-record",
                    at("dataset"),
                    "is required for role data",
                ));
            }
            (_, Some(_)) => {
                return Err(refuse(
                    "invalid-record",
                    at("dataset"),
                    "is only for role data",
                ));
            }
            (_, None) => 0,
        };
        if !seen.insert((role, index)) {
            return Err(refuse(
                "invalid-record",
                at("role"),
                format!("{} {index} is declared twice", role.as_str()),
            ));
        }
        let fingerprint = match role {
            Role::Compute => {
                if d.key_proof.is_some() {
                    return Err(refuse(
                        "invalid-record",
                        at("keyProof"),
                        "is not for role compute (the manifest names no compute key)",
                    ));
                }
                None
            }
            Role::Algorithm | Role::Data => {
                let asset = if role == Role::Algorithm {
                    m.algorithm.as_ref().ok_or_else(|| {
                        refuse(
                            "invalid-record",
                            at("role"),
                            "the manifest names no algorithm",
                        )
                    })?
                } else {
                    usize::try_from(index)
                        .ok()
                        .and_then(|n| m.datasets.get(n))
                        .ok_or_else(|| {
                            refuse(
                                "invalid-record",
                                at("dataset"),
                                format!("the manifest has {} datasets", m.datasets.len()),
                            )
                        })?
                };
                let did = d.did.as_deref().ok_or_else(|| {
                    refuse(
                        "invalid-record",
                        at("did"),
                        "is required for a payee other than compute",
                    )
                })?;
                let proof = d.key_proof.as_deref().ok_or_else(|| {
                    refuse(
                        "key-proof-missing",
                        at("keyProof"),
                        "is required: the role key's signature binding this DID",
                    )
                })?;
                let sig = base64::engine::general_purpose::STANDARD
                    .decode(proof)
                    .map_err(|_| {
                        refuse(
                            "key-proof-invalid",
                            at("keyProof"),
                            "must be standard base64",
                        )
                    })?;
                let msg = proof_message(&m.hash, role, index, did);
                if !asset.key.verifies(msg.as_bytes(), &sig) {
                    return Err(refuse(
                        "key-proof-invalid",
                        at("keyProof"),
                        format!(
                            "does not verify against the manifest's {} key {} over {msg:?}",
                            asset.key.kind.as_str(),
                            asset.key.fingerprint
                        ),
                    ));
                }
                Some(asset.key.fingerprint.clone())
            }
        };
        payees.push(Payee {
            role,
            dataset: (role == Role::Data).then_some(index),
            did: d.did.clone(),
            share: d.share.unwrap_or(0),
            fingerprint,
        });
    }
    let computes: Vec<usize> = (0..payees.len())
        .filter(|&i| payees[i].role == Role::Compute)
        .collect();
    if computes.len() != 1 {
        return Err(refuse(
            "invalid-record",
            format!("{root}.payees"),
            format!(
                "must declare exactly one compute payee, not {}",
                computes.len()
            ),
        ));
    }
    if let Some(i) = c
        .payees
        .iter()
        .position(|d| d.share.is_none() && d.role != "compute")
    {
        return Err(refuse(
            "invalid-record",
            format!("{root}.payees[{i}].share"),
            "is required (only the compute payee may take the rest)",
        ));
    }
    let sum: u64 = payees.iter().map(|p| p.share).sum();
    let compute = computes[0];
    if c.payees[compute].share.is_none() {
        if sum > c.whole {
            return Err(refuse(
                "shares-not-whole",
                format!("{root}.payees"),
                format!("the shares add up to {sum}, more than whole {}", c.whole),
            ));
        }
        payees[compute].share = c.whole - sum;
    } else if sum != c.whole {
        return Err(refuse(
            "shares-not-whole",
            format!("{root}.payees"),
            format!("the shares add up to {sum}, not whole {}", c.whole),
        ));
    }
    Ok(Terms {
        computation: record.strong_ref(),
        manifest_hash: m.hash,
        whole: c.whole,
        payees,
    })
}

impl Terms {
    /// Whether every payee with a share above zero is `requester` (the
    /// compute payee being `provider` unless it names a DID): only then is
    /// a charge money that stays with the requester, which a fee policy
    /// may waive. A requester who runs her own computation and pays
    /// others through it pays the fee on all of it.
    pub fn paid_only_to(&self, requester: &str, provider: &str) -> bool {
        self.payees
            .iter()
            .filter(|p| p.share > 0)
            .all(|p| p.did.as_deref().unwrap_or(provider) == requester)
    }
}

/// Splits `rest` (the charge less the exchange's fee) of a receipt by
/// `provider` among the payees. A compute payee that names a DID takes
/// only that provider's receipts.
pub fn allocate(terms: &Terms, provider: &str, rest: u64) -> Result<Vec<Part>, Refusal> {
    for p in &terms.payees {
        if p.role == Role::Compute
            && let Some(did) = &p.did
            && did != provider
        {
            return Err(refuse(
                "computation-provider-not-named",
                "computation.payees.compute.did".into(),
                format!("names {did}; the receipt is {provider}'s"),
            ));
        }
    }
    let shares: Vec<u64> = terms.payees.iter().map(|p| p.share).collect();
    let amounts = split::split(rest, &shares, terms.whole).ok_or_else(|| {
        refuse(
            "shares-not-whole",
            "computation.payees".into(),
            "the shares do not add up to whole",
        )
    })?;
    Ok(terms
        .payees
        .iter()
        .zip(amounts)
        .map(|(p, amount)| Part {
            role: p.role,
            dataset: p.dataset,
            did: p.did.clone().unwrap_or_else(|| provider.to_owned()),
            share: p.share,
            fingerprint: p.fingerprint.clone(),
            amount,
        })
        .collect())
}
