//! `settlement dispute open|resolve`: the operator's side of disputes,
//! over the exchange's admin API. The admin token comes from
//! `SETTLEMENT_ADMIN_TOKEN` only (a flag would show in the process list).

use super::Outcome;
use crate::records::json::{Map, Value};

#[derive(clap::Subcommand, Debug)]
pub enum DisputeCommand {
    /// Open a dispute of a settlement, in the exchange's name.
    Open {
        /// Base URL of the exchange's API, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// AT URI of the settlement.
        #[arg(long)]
        settlement: String,
        /// fraud, non-delivery, quality-failure, processor-chargeback,
        /// duplicate-charge or other.
        #[arg(long)]
        category: String,
        /// Public detail (no personal data).
        #[arg(long)]
        detail: Option<String>,
    },
    /// Resolve an open dispute: the verdict's money moves at once.
    Resolve {
        #[arg(long)]
        server: String,
        /// The dispute's id.
        #[arg(long)]
        id: String,
        /// refund-full, refund-partial, uphold-charge or forfeit-payout.
        #[arg(long)]
        verdict: String,
        /// Minor units, for refund-partial.
        #[arg(long)]
        amount: Option<i64>,
        /// Public rationale.
        #[arg(long)]
        rationale: Option<String>,
    },
}

/// Runs the command: exit 0 with the server's answer (JSON) on stdout, 1
/// when the server refused (its problem document on stdout), 2 when it
/// could not be asked.
pub async fn run(command: &DisputeCommand, admin_token: Option<&str>) -> Outcome {
    let fail = |m: String| Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("dispute: {m}\n"),
    };
    let Some(token) = admin_token.filter(|t| !t.is_empty()) else {
        return fail("SETTLEMENT_ADMIN_TOKEN must hold the exchange's admin token".into());
    };
    let mut body = Map::new();
    let (server, path) = match command {
        DisputeCommand::Open {
            server,
            settlement,
            category,
            detail,
        } => {
            body.insert("settlement".into(), settlement.as_str().into());
            let mut reason = Map::new();
            reason.insert("category".into(), category.as_str().into());
            if let Some(d) = detail {
                reason.insert("detail".into(), d.as_str().into());
            }
            body.insert("reason".into(), Value::Object(reason));
            (server, "/v1/disputes".to_owned())
        }
        DisputeCommand::Resolve {
            server,
            id,
            verdict,
            amount,
            rationale,
        } => {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return fail(format!("--id {id:?} is not a dispute id"));
            }
            body.insert("verdict".into(), verdict.as_str().into());
            if let Some(a) = amount {
                body.insert("amount".into(), (*a).into());
            }
            if let Some(r) = rationale {
                body.insert("rationale".into(), r.as_str().into());
            }
            (server, format!("/v1/admin/disputes/{id}/resolve"))
        }
    };
    super::admin_post("dispute", server, &path, &Value::Object(body), token).await
}
