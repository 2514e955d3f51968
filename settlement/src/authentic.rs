//! Record authenticity and caller authentication, as use cases of the
//! [`Service`]: which records the exchange will act on, and who may read
//! what belongs to a requester or provider.
//!
//! With [`RecordTrust::Proven`] (what `serve` runs), a record is stored only
//! once it is proven to be in its owner's repository: posted as a CAR proof
//! and verified, or posted as JSON and then fetched from the owner's PDS
//! and compared. Records a receipt names but the exchange has not seen are
//! fetched the same way when the receipt is settled. Reads of a requester's
//! or provider's private data need an inter-service auth token from that
//! DID.

use std::sync::Arc;

use crate::identity::{AuthenticityError, Identity};
use crate::records::RawRecord;
use crate::records::cid::Cid;
use crate::records::formats::{AtUri, Datetime};
use crate::service::{Failure, FailureKind, Service};
use crate::store::{Put, StoredRecord};
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

impl From<AuthenticityError> for Failure {
    fn from(e: AuthenticityError) -> Self {
        Failure::new(FailureKind::Rejected, e.code(), e.to_string())
    }
}

fn record_uri(uri: &str) -> Result<AtUri, Failure> {
    AtUri::parse(uri).ok_or_else(|| {
        Failure::new(
            FailureKind::Rejected,
            "invalid-record",
            "uri: must be an AT URI of a record (at://DID/COLLECTION/RKEY)",
        )
    })
}

impl Service {
    /// A record posted as JSON. Under [`RecordTrust::Proven`] the record is
    /// fetched from its owner's PDS with its proof, and stored only if the
    /// proven record is the one posted.
    pub async fn submit(&self, raw: RawRecord, now: Datetime) -> Result<(Put, Cid), Failure> {
        let RecordTrust::Proven(identity) = &self.records else {
            return self.ingest(raw, now).await;
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
        self.ingest(
            RawRecord {
                uri: raw.uri,
                cid: raw.cid,
                value: proven.value,
            },
            now,
        )
        .await
    }

    /// A record posted as its proof: a CAR with the owner's signed commit,
    /// the tree path and the record (what `com.atproto.sync.getRecord`
    /// returns).
    pub async fn submit_proof(
        &self,
        uri: &str,
        car: &[u8],
        now: Datetime,
    ) -> Result<(Put, Cid), Failure> {
        let uri = record_uri(uri)?;
        let identity = self.records.identity().ok_or_else(|| {
            Failure::new(
                FailureKind::BadRequest,
                "proofs-unsupported",
                "this exchange is not configured to resolve DIDs, so it cannot check proofs",
            )
        })?;
        let proven = identity.prove(&uri, car).await?;
        self.ingest(
            RawRecord {
                uri: uri.to_string(),
                cid: Some(proven.cid.to_string()),
                value: proven.value,
            },
            now,
        )
        .await
    }

    /// A record a receipt names that is not stored: under
    /// [`RecordTrust::Proven`], fetched from its owner's repository,
    /// proven and stored. `None` otherwise.
    pub(crate) async fn fetch_missing(
        &self,
        uri: &str,
        now: Datetime,
    ) -> Result<Option<StoredRecord>, Failure> {
        let RecordTrust::Proven(identity) = &self.records else {
            return Ok(None);
        };
        let Some(parsed) = AtUri::parse(uri) else {
            return Ok(None);
        };
        let proven = identity.fetch_record(&parsed).await?;
        let (_, cid) = self
            .ingest(
                RawRecord {
                    uri: uri.to_owned(),
                    cid: Some(proven.cid.to_string()),
                    value: proven.value.clone(),
                },
                now,
            )
            .await?;
        Ok(Some(StoredRecord {
            uri: uri.to_owned(),
            cid: cid.to_string(),
            value: proven.value,
        }))
    }

    /// Under [`RecordTrust::Proven`], the caller must present a service
    /// auth token issued by `owner` for this exchange and `method`.
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        owner: &str,
        method: &str,
        now: Datetime,
    ) -> Result<(), Failure> {
        let RecordTrust::Proven(identity) = &self.records else {
            return Ok(());
        };
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
        let doc = identity
            .resolve(&token.iss)
            .await
            .map_err(|e| unauthorized(format!("service auth token: issuer DID {e}")))?;
        token
            .verify(
                &doc.key,
                service_auth::Expect {
                    audience: &self.exchange.did,
                    method,
                    now_s: now.unix_seconds(),
                },
            )
            .map_err(|e| unauthorized(e.to_string()))
    }
}
