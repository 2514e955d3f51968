//! Records proven in their owners' repositories, as time goes on: a proof
//! from a commit older than the newest one seen for that repository is
//! refused (a record deleted or edited since cannot be proven from
//! history), and an authorization its requester deleted, or replaced with
//! another version, is revoked.

use crate::authentic::Accepted;
use crate::authorize::AuthorizationState;
use crate::failure::{Failure, FailureKind};
use crate::records::cid::Cid;
use crate::records::formats::{AtUri, Datetime};
use crate::records::{NSID_AUTHORIZATION, PaymentAuthorization, RawRecord, parse_record};
use crate::store::{Put, StoreError};

use super::Service;

impl Service {
    /// Stores a record the exchange may act on; with a proof, only if its
    /// commit is not older than the newest seen for the repository.
    pub(super) async fn ingest_accepted(
        &self,
        accepted: Accepted,
        now: Datetime,
    ) -> Result<(Put, Cid), Failure> {
        let Accepted { raw, rev } = accepted;
        let Some(rev) = rev else {
            return self.ingest(raw, now).await;
        };
        let uri = AtUri::parse(&raw.uri).ok_or_else(Failure::not_a_record_uri)?;
        self.not_stale(&uri, &rev).await?;
        let stored = self.ingest_at(raw, now, Some(&rev)).await;
        self.store.note_rev(uri.did(), &rev).await?;
        if let Err(f) = &stored
            && f.code == "record-conflict"
            && uri.collection() == NSID_AUTHORIZATION
        {
            // The requester replaced the authorization with another
            // version, proven at least as new as anything seen: the old
            // version is no longer in its repository.
            self.revoke_stored(&uri, now).await?;
        }
        stored
    }

    /// Refuses a proof from a commit older than the newest seen for the
    /// repository.
    async fn not_stale(&self, uri: &AtUri, rev: &str) -> Result<(), Failure> {
        match self.store.repo_rev(uri.did()).await? {
            Some(newest) if rev < newest.as_str() => {
                Err(Failure::stale_proof(uri.as_str(), rev, &newest))
            }
            _ => Ok(()),
        }
    }

    /// An authorization deleted from its requester's repository, proven
    /// by a commit that no longer holds it: it is revoked (no more
    /// charges; what it held is released). Whether it was revoked now.
    pub async fn revoke(&self, uri: &str, car: &[u8], now: Datetime) -> Result<bool, Failure> {
        let (uri, rev) = self.records.absence(uri, car).await?;
        let vouch = uri.collection() == crate::contract::records::NSID_VOUCH;
        if uri.collection() != NSID_AUTHORIZATION && !vouch {
            return Err(Failure::new(
                FailureKind::BadRequest,
                "invalid-request",
                format!(
                    "uri: only a {NSID_AUTHORIZATION} or a {} can be revoked",
                    crate::contract::records::NSID_VOUCH
                ),
            ));
        }
        self.not_stale(&uri, &rev).await?;
        self.store.note_rev(uri.did(), &rev).await?;
        if vouch {
            // A vouch or denounce withdrawn: it no longer counts.
            let gone =
                crate::contract::graph_store::delete_vouch(&self.store, uri.as_str()).await?;
            tracing::info!(vouch = %uri, rev, gone, "vouch deleted by its owner");
            return Ok(gone);
        }
        let revoked = self.revoke_stored(&uri, now).await?;
        tracing::info!(authorization = %uri, rev, revoked, "authorization deleted by its requester");
        Ok(revoked)
    }

    /// Revokes the authorization stored at `uri`, if any.
    async fn revoke_stored(&self, uri: &AtUri, now: Datetime) -> Result<bool, Failure> {
        let Some(stored) = self.store.get_record(uri.as_str()).await? else {
            return Err(Failure::record_not_found(format!(
                "{uri} is not stored: nothing was charged against it"
            )));
        };
        let raw = RawRecord {
            uri: stored.uri,
            cid: Some(stored.cid.clone()),
            value: stored.value,
        };
        let record = parse_record::<PaymentAuthorization>(&raw, "authorization")
            .map_err(|e| Failure::from(StoreError::Corrupt(e.to_string())))?;
        let a = &record.data;
        let limit = a.session_budget.as_ref().unwrap_or(&a.ceiling);
        let state = AuthorizationState {
            requester: uri.did().to_owned(),
            nonce: a.nonce.as_str().to_owned(),
            authorization_uri: uri.to_string(),
            authorization_cid: stored.cid,
            scope: a.scope.clone(),
            currency: a.ceiling.currency.clone(),
            limit_minor: i64::try_from(limit.amount).unwrap_or(i64::MAX),
            charged_minor: 0,
            charges: 0,
            consumed: false,
            hold_id: None,
            expires_at: a.expires_at.unix_micros(),
            revoked: true,
        };
        Ok(self
            .store
            .revoke_authorization(&state, now.unix_micros())
            .await?)
    }
}
