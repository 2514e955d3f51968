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
use crate::records::{
    NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT, PaymentAuthorization, RawRecord, parse_record,
};
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
        // A receipt or job may replace one never charged (below).
        let replaceable = [NSID_RECEIPT, NSID_JOB].contains(&uri.collection());
        let again = replaceable.then(|| raw.clone());
        let stored = self.ingest_at(raw, now, Some(&rev)).await;
        self.store.note_rev(uri.did(), &rev).await?;
        let Err(f) = &stored else { return stored };
        if f.code != "record-conflict" {
            return stored;
        }
        if uri.collection() == NSID_AUTHORIZATION {
            // The requester replaced the authorization with another
            // version, proven at least as new as anything seen: the old
            // version is no longer in its repository.
            self.revoke_stored(&uri, now).await?;
        } else if let Some(raw) = again
            && self.store.forget_unsettled(uri.as_str()).await?
        {
            // A receipt or job edited before anything was charged on it:
            // the old version is forgotten, the new one stored.
            tracing::info!(record = %uri, rev, "record replaced by its owner");
            return self.ingest_at(raw, now, Some(&rev)).await;
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

    /// A deletion a relay streamed: `car` (the event's blocks) proves
    /// `uri` absent at the event's commit. Events come in each
    /// repository's order, but the engine may know a newer commit (a
    /// record fetched meanwhile): then the repository is asked again, and
    /// the deletion applies only if the record is still absent there.
    /// What it did:
    /// - an authorization is revoked, a vouch or denounce withdrawn;
    /// - a receipt or job nothing was charged on is forgotten, so it is
    ///   never charged (a charge already made stands: the signed
    ///   settlement keeps the receipt's CID, and a dispute is the
    ///   requester's remedy);
    /// - anything else is left as it is.
    pub async fn apply_deletion(
        &self,
        uri: &str,
        car: &[u8],
        now: Datetime,
    ) -> Result<&'static str, Failure> {
        let (uri, mut rev) = match self.records.absence(uri, car).await {
            Ok(proven) => proven,
            // The event does not prove it (blocks left out, or a key
            // rotated since the document was cached): the repository as
            // it is now, with the owner's document fetched again.
            Err(f) if crate::verify::repo::PROOF_CODES.contains(&f.code) => {
                let parsed = AtUri::parse(uri).ok_or_else(Failure::not_a_record_uri)?;
                if let Some(identity) = self.records.resolver() {
                    identity.forget(parsed.did());
                }
                match self.records.fetch_absence(&parsed).await? {
                    None => return Ok("present"),
                    Some(current) => (parsed, current),
                }
            }
            Err(f) => return Err(f),
        };
        if self.not_stale(&uri, &rev).await.is_err() {
            match self.records.fetch_absence(&uri).await? {
                None => return Ok("present"),
                Some(current) => {
                    self.not_stale(&uri, &current).await?;
                    rev = current;
                }
            }
        }
        self.store.note_rev(uri.did(), &rev).await?;
        let collection = uri.collection();
        let outcome = if collection == NSID_AUTHORIZATION {
            match self.revoke_stored(&uri, now).await {
                Ok(_) => "revoked",
                // Never stored here: nothing to revoke.
                Err(f) if f.code == "record-not-found" => "ignored",
                Err(f) => return Err(f),
            }
        } else if collection == crate::contract::records::NSID_VOUCH {
            crate::contract::graph_store::delete_vouch(&self.store, uri.as_str()).await?;
            "withdrawn"
        } else if [NSID_RECEIPT, NSID_JOB].contains(&collection) {
            if self.store.forget_unsettled(uri.as_str()).await? {
                "forgotten"
            } else {
                "kept"
            }
        } else {
            "ignored"
        };
        tracing::info!(record = %uri, rev, outcome, "record deleted by its owner");
        Ok(outcome)
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
