//! Where the auditor takes the exchange's settlement key from: the
//! exchange's DID document, resolved or at a URL the auditor names, never
//! the server it audits.

use p256::ecdsa::VerifyingKey;

use super::AuditError;
use super::client::Api;

/// Where an auditor takes the exchange's settlement key from: its DID
/// document, never the server it audits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The exchange DID's own resolution: did:web over https (http only on
    /// loopback), did:plc from this directory.
    Resolve { plc_directory: String },
    /// The DID document at this URL (a copy the auditor keeps, a mirror).
    Document(String),
}

impl Default for KeySource {
    fn default() -> Self {
        KeySource::Resolve {
            plc_directory: "https://plc.directory".into(),
        }
    }
}

/// The settlement key of exchange `did`, from its DID document.
pub(super) async fn settlement_key(
    api: &Api,
    did: &str,
    source: &KeySource,
) -> Result<VerifyingKey, AuditError> {
    let url = match source {
        KeySource::Resolve { plc_directory } => {
            crate::identity::document_url(did, plc_directory)
                .map_err(|e| AuditError::Input(format!("the exchange's DID: {e}")))?
        }
        KeySource::Document(u) => reqwest::Url::parse(u)
            .map_err(|e| AuditError::Input(format!("--did-document {u:?} is not a URL: {e}")))?,
    };
    let reply = api
        .fetch(url.clone(), crate::did_document::DOCUMENT_BYTES_MAX)
        .await?;
    if reply.status != 200 {
        return Err(AuditError::Server(format!(
            "the exchange's DID document at {url} answered {}",
            reply.status
        )));
    }
    let doc = reply
        .body
        .map_err(|e| AuditError::Server(format!("the exchange's DID document at {url}: {e}")))?;
    crate::did_document::settlement_key(&doc, did)
        .map_err(|e| AuditError::Server(format!("the exchange's DID document at {url}: {e}")))
}
