//! `settlement audit`: the report of [`crate::audit::audit`], printed, and
//! its exit code.

use super::Outcome;
use crate::audit::{KeySource, audit};

/// Runs an audit as the `settlement audit` command does: exit 0 (clean),
/// 1 (discrepancies, each listed on stdout) or 2 (no audit possible; the
/// reason on stderr).
/// `key`: which exchange, and where its DID document is.
pub async fn run(server: &str, authorization: &str, key: &KeySource) -> Outcome {
    match audit(server, authorization, key).await {
        Ok(report) => Outcome {
            exit: report.exit_code(),
            stdout: report.render(),
            stderr: String::new(),
        },
        Err(e) => Outcome {
            exit: 2,
            stdout: String::new(),
            stderr: format!("audit: {e}\n"),
        },
    }
}
