//! Service auth tokens that changed state, each taken once: (iss, jti)
//! is kept until the token's `exp` has passed, when it could not be
//! presented again anyway.

use super::{Store, StoreError};
use crate::verify::service_auth::SKEW_S;

impl Store {
    /// Takes token (iss, jti), valid until `exp_s`: whether this is its
    /// first use. Tokens expired before `now_s` (with the skew allowed)
    /// are forgotten first.
    pub async fn use_token(
        &self,
        iss: &str,
        jti: &str,
        exp_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        let forget = "DELETE FROM settlement_used_tokens WHERE exp < $1";
        let take = "INSERT INTO settlement_used_tokens (iss, jti, exp) VALUES ($1, $2, $3) \
                    ON CONFLICT (iss, jti) DO NOTHING";
        let before = now_s.saturating_sub(SKEW_S);
        let inserted = on_pool!(self, pool => {
            sqlx::query(forget).bind(before).execute(pool).await?;
            sqlx::query(take)
                .bind(iss)
                .bind(jti)
                .bind(exp_s)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }
}
