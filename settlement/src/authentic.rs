//! Record authenticity and caller authentication: which records the
//! exchange will act on, and who may read what belongs to a requester or
//! provider. The service asks; this module knows nothing of it.
//!
//! With [`RecordTrust::Proven`] (what `serve` runs), a record is stored only
//! once it is proven to be in its owner's repository: posted as a CAR proof
//! and verified, or posted as JSON and then fetched from the owner's PDS
//! and compared. Records a receipt names but the exchange has not seen are
//! fetched the same way when the receipt is settled. Reads of a requester's
//! or provider's private data need an inter-service auth token from that
//! DID.

use std::sync::Arc;

use crate::failure::{Failure, FailureKind};
use crate::identity::Identity;
use crate::records::RawRecord;
use crate::records::formats::AtUri;
use crate::verify::service_auth;

/// Which records the exchange acts on.
#[derive(Clone)]
pub enum RecordTrust {
    /// Only records proven to be in their owner's repository, checked
    /// against the owner's DID document. Private reads (balances,
    /// statements) need service auth.
    Proven(Arc<Identity>),
    /// Development only: records posted as JSON are taken as genuine and
    /// reads are open. Posted proofs are still verified when an identity
    /// resolver is configured.
    Submitted(Option<Arc<Identity>>),
}

impl RecordTrust {
    /// Whether callers prove who they are (service auth) here.
    pub fn is_proven(&self) -> bool {
        matches!(self, RecordTrust::Proven(_))
    }

    /// The resolver that checks posted proofs, where one is configured.
    fn prover(&self) -> Result<&Arc<Identity>, Failure> {
        self.identity().ok_or_else(|| {
            Failure::new(
                FailureKind::BadRequest,
                "proofs-unsupported",
                "this exchange is not configured to resolve DIDs, so it cannot check proofs",
            )
        })
    }

    fn identity(&self) -> Option<&Arc<Identity>> {
        match self {
            RecordTrust::Proven(i) => Some(i),
            RecordTrust::Submitted(i) => i.as_ref(),
        }
    }
}

/// The `lxm` (method) a service auth token must name to read a requester's
/// statement, a requester's balance, a provider's balance.
pub const LXM_REQUESTER_STATEMENT: &str = "dev.cocore.compute.getRequesterStatement";
pub const LXM_REQUESTER_BALANCE: &str = "dev.cocore.compute.getRequesterBalance";
pub const LXM_PROVIDER_BALANCE: &str = "dev.cocore.compute.getProviderBalance";
/// ... a provider's payouts, and to set where a provider is paid.
pub const LXM_PROVIDER_PAYOUTS: &str = "dev.cocore.compute.getProviderPayouts";
pub const LXM_SET_PAYOUT_DESTINATION: &str = "dev.cocore.compute.setPayoutDestination";
/// ... and for a requester to dispute one of its settlements.
pub const LXM_OPEN_DISPUTE: &str = "dev.cocore.compute.openDispute";

fn record_uri(uri: &str) -> Result<AtUri, Failure> {
    AtUri::parse(uri).ok_or_else(Failure::not_a_record_uri)
}

/// A record the exchange may act on, with the revision of the commit that
/// proved it (none where records are taken as submitted).
pub struct Accepted {
    pub raw: RawRecord,
    pub rev: Option<String>,
}

impl RecordTrust {
    /// A record posted as JSON, as the exchange may act on it. Under
    /// [`RecordTrust::Proven`] the record is fetched from its owner's PDS
    /// with its proof, and taken only if the proven record is the one
    /// posted.
    pub async fn posted(&self, raw: RawRecord) -> Result<Accepted, Failure> {
        let RecordTrust::Proven(identity) = self else {
            return Ok(Accepted { raw, rev: None });
        };
        let uri = record_uri(&raw.uri)?;
        let proven = identity.fetch_record(&uri).await?;
        if raw.value != proven.value {
            return Err(Failure::new(
                FailureKind::Rejected,
                "cid-mismatch",
                format!(
                    "value: differs from the record at {uri} in its owner's repository (CID {})",
                    proven.cid
                ),
            ));
        }
        Ok(Accepted {
            raw: RawRecord {
                uri: raw.uri,
                cid: raw.cid,
                value: proven.value,
            },
            rev: Some(proven.rev),
        })
    }

    /// A record posted as its proof: a CAR with the owner's signed commit,
    /// the tree path and the record (what `com.atproto.sync.getRecord`
    /// returns).
    pub async fn proof(&self, uri: &str, car: &[u8]) -> Result<Accepted, Failure> {
        let uri = record_uri(uri)?;
        let identity = self.prover()?;
        let proven = identity.prove(&uri, car).await?;
        Ok(Accepted {
            raw: RawRecord {
                uri: uri.to_string(),
                cid: Some(proven.cid.to_string()),
                value: proven.value,
            },
            rev: Some(proven.rev),
        })
    }

    /// A proof that `uri` was deleted from its owner's repository: the
    /// revision of the commit that shows it absent.
    pub async fn absence(&self, uri: &str, car: &[u8]) -> Result<(AtUri, String), Failure> {
        let uri = record_uri(uri)?;
        let identity = self.prover()?;
        let rev = identity.prove_absence(&uri, car).await?;
        Ok((uri, rev))
    }

    /// A record a receipt names that is not stored: under
    /// [`RecordTrust::Proven`], fetched from its owner's repository and
    /// proven. `None` otherwise.
    pub async fn fetch_missing(&self, uri: &str) -> Result<Option<Accepted>, Failure> {
        let RecordTrust::Proven(identity) = self else {
            return Ok(None);
        };
        let Some(parsed) = AtUri::parse(uri) else {
            return Ok(None);
        };
        let proven = identity.fetch_record(&parsed).await?;
        Ok(Some(Accepted {
            raw: RawRecord {
                uri: uri.to_owned(),
                cid: Some(proven.cid.to_string()),
                value: proven.value,
            },
            rev: Some(proven.rev),
        }))
    }

    /// A record fetched from its owner's repository and proven, whatever
    /// the mode (records named by a relay's event are always proven).
    pub async fn fetch(&self, uri: &str) -> Result<Accepted, Failure> {
        let parsed = record_uri(uri)?;
        let proven = self.prover()?.fetch_record(&parsed).await?;
        Ok(Accepted {
            raw: RawRecord {
                uri: uri.to_owned(),
                cid: Some(proven.cid.to_string()),
                value: proven.value,
            },
            rev: Some(proven.rev),
        })
    }

    /// Whether `uri` is absent from its owner's repository now (fetched
    /// from its PDS and proven): the revision that shows it absent, or
    /// none if the record is there.
    pub async fn fetch_absence(&self, uri: &AtUri) -> Result<Option<String>, Failure> {
        Ok(self.prover()?.fetch_absence(uri).await?)
    }

    /// The DID resolver, where records are proven.
    pub fn resolver(&self) -> Option<&Arc<Identity>> {
        self.identity()
    }

    /// Under [`RecordTrust::Proven`], the caller must present a service
    /// auth token issued by `owner` for `audience` (this exchange) and
    /// `method`: the token, verified. `None` where callers are not asked
    /// (development).
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        owner: &str,
        expect: service_auth::Expect<'_>,
    ) -> Result<Option<service_auth::Token>, Failure> {
        let RecordTrust::Proven(identity) = self else {
            return Ok(None);
        };
        let method = expect.method;
        let unauthorized = |m: String| Failure::new(FailureKind::Unauthorized, "unauthorized", m);
        let token = bearer.ok_or_else(|| {
            unauthorized(format!(
                "a service auth token from {owner} (Authorization: Bearer, lxm {method}) is required"
            ))
        })?;
        let token = service_auth::parse(token).map_err(|e| unauthorized(e.to_string()))?;
        if token.iss != owner {
            return Err(unauthorized(format!(
                "service auth token: iss is {}, but this belongs to {owner}",
                token.iss
            )));
        }
        // The token is not verified yet: whoever sent it chose the DID, so
        // the answer says no more than "not resolved" (why goes to the
        // log), never what the fetch met.
        let doc = identity.resolve(&token.iss).await.map_err(|e| {
            tracing::debug!(iss = %token.iss, error = %e, "service auth issuer not resolved");
            unauthorized(format!(
                "service auth token: the issuer's DID document ({}) could not be resolved",
                token.iss
            ))
        })?;
        token
            .verify(&doc.key, expect)
            .map_err(|e| unauthorized(e.to_string()))?;
        Ok(Some(token))
    }
}
