//! `settlement audit`: the report of [`crate::audit::audit`], printed, and
//! its exit code.

use super::Outcome;
use crate::audit::{KeySource, audit};

/// Runs an audit as the `settlement audit` command does: exit 0 (clean),
/// 1 (discrepancies, each listed on stdout) or 2 (no audit possible; the
/// reason on stderr).
/// `did_document`: the exchange's DID document at this URL instead of the
/// DID's own resolution (did:plc from `plc_directory`).
pub async fn run(
    server: &str,
    authorization: &str,
    did_document: Option<&str>,
    plc_directory: &str,
) -> Outcome {
    let key = match did_document {
        Some(url) => KeySource::Document(url.to_owned()),
        None => KeySource::Resolve {
            plc_directory: plc_directory.to_owned(),
        },
    };
    match audit(server, authorization, &key).await {
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
