//! Repository revisions and revoked authorizations. The newest commit
//! revision seen per repository lets the service refuse proofs from older
//! commits; an authorization its requester deleted is revoked: its row is
//! marked and its hold released, in one transaction, under the same locks
//! a charge takes.

use ledger::{LedgerStore, LedgerTx, Op, Reference, VoidHold};

use super::rows::ChargeRows;
use super::{Store, StoreError};
use crate::accounts::{self, code};
use crate::authorize::AuthorizationState;

macro_rules! revoke_path {
    ($name:ident, $ledger:ty, $for_update:literal) => {
        mod $name {
            use super::*;
            use crate::store::records::$name::authorization_from_row;

            pub(super) async fn revoke(
                ledger: &$ledger,
                state: &AuthorizationState,
                now: i64,
            ) -> Result<bool, StoreError> {
                let mut tx = ledger.begin().await?;
                tx.sqlx()
                    .lock_keys(&[(state.requester.as_str(), state.nonce.as_str())])
                    .await?;
                // Never charged: the row is written now, revoked.
                sqlx::query(
                    "INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, \
                     authorization_cid, scope, currency, limit_minor, charged_minor, charges, consumed, hold_id, \
                     expires_at, created_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, NULL, $8, $9, $9) \
                     ON CONFLICT (requester, nonce) DO NOTHING",
                )
                .bind(&state.requester)
                .bind(&state.nonce)
                .bind(&state.authorization_uri)
                .bind(&state.authorization_cid)
                .bind(&state.scope)
                .bind(&state.currency)
                .bind(state.limit_minor)
                .bind(state.expires_at)
                .bind(now)
                .execute(&mut **tx.sqlx())
                .await?;
                let sql = concat!(
                    "SELECT * FROM settlement_authorizations WHERE requester = $1 AND nonce = $2",
                    $for_update
                );
                let row = sqlx::query(sql)
                    .bind(&state.requester)
                    .bind(&state.nonce)
                    .fetch_one(&mut **tx.sqlx())
                    .await?;
                let found = authorization_from_row(&row)?;
                if found.authorization_uri != state.authorization_uri {
                    // The nonce is another authorization's: not this one's
                    // to revoke.
                    tx.rollback().await?;
                    return Ok(false);
                }
                if let Some(hold) = &found.hold_id {
                    let void = Op::Void(VoidHold {
                        id: accounts::id(&format!("revoke:{hold}")),
                        hold_id: accounts::id(hold),
                        code: code("authorization-revoked"),
                        reference: Some(Reference::new(state.authorization_uri.as_str())?),
                    });
                    match tx.submit(&[void]).await {
                        Ok(_) => {}
                        // An expired hold is released already.
                        Err(ledger::Error::HoldExpired { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                sqlx::query(
                    "UPDATE settlement_authorizations SET revoked_at = COALESCE(revoked_at, $3), hold_id = NULL \
                     WHERE requester = $1 AND nonce = $2",
                )
                .bind(&state.requester)
                .bind(&state.nonce)
                .bind(now)
                .execute(&mut **tx.sqlx())
                .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

revoke_path!(sqlite, ledger::SqliteLedger, "");
revoke_path!(postgres, ledger::PgLedger, " FOR UPDATE");

impl Store {
    /// The newest commit revision seen for `did`'s repository.
    pub async fn repo_rev(&self, did: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT rev FROM settlement_repo_revs WHERE did = $1";
        Ok(on_pool!(self, pool => sqlx::query_scalar(sql).bind(did).fetch_optional(pool).await?))
    }

    /// Remembers `rev` for `did` if it is newer than what is known (TIDs
    /// sort as their strings do).
    pub async fn note_rev(&self, did: &str, rev: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO settlement_repo_revs (did, rev) VALUES ($1, $2) ON CONFLICT (did) \
                   DO UPDATE SET rev = excluded.rev WHERE settlement_repo_revs.rev < excluded.rev";
        on_pool!(self, pool => sqlx::query(sql).bind(did).bind(rev).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Forgets the stored receipt or job at `uri` if no settlement names
    /// it; whether it was forgotten.
    pub async fn forget_unsettled(&self, uri: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM settlement_records WHERE uri = $1 AND collection IN ($2, $3) \
                   AND NOT EXISTS (SELECT 1 FROM settlement_settlements s WHERE s.receipt_uri = $1) \
                   AND NOT EXISTS (SELECT 1 FROM settlement_settlements s WHERE s.job_uri = $1)";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(uri)
            .bind(crate::records::NSID_RECEIPT)
            .bind(crate::records::NSID_JOB)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    /// Revokes the authorization `state` describes (as it would stand
    /// unused): no charge is made against it any more, and what it held
    /// is released. Whether it was this authorization's to revoke (its
    /// nonce not taken by another of the requester's authorizations).
    pub async fn revoke_authorization(
        &self,
        state: &AuthorizationState,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, l => sqlite: sqlite::revoke(l, state, now).await,
            postgres: postgres::revoke(l, state, now).await)
    }
}
