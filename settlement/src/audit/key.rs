//! Where the auditor takes the exchange's settlement key from: the
//! exchange's DID document, resolved or at a URL the auditor names, never
//! the server it audits; and which exchange that is.

use p256::ecdsa::VerifyingKey;

use super::AuditError;
use super::client::Api;

/// Which exchange the auditor expects, and where its DID document is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySource {
    /// The exchange the requester authorized. When set, a server claiming
    /// another DID is no audit; when not, the server's claim must match
    /// the authorization record's `exchange`.
    pub exchange: Option<String>,
    /// The DID document at this URL (a copy the auditor keeps); none: the
    /// DID's own resolution (did:web over https, did:plc from
    /// `plc_directory`).
    pub document: Option<String>,
    pub plc_directory: String,
}

impl Default for KeySource {
    fn default() -> Self {
        KeySource {
            exchange: None,
            document: None,
            plc_directory: "https://plc.directory".into(),
        }
    }
}

impl KeySource {
    /// The DID document at `url`.
    pub fn document(url: impl Into<String>) -> KeySource {
        KeySource {
            document: Some(url.into()),
            ..KeySource::default()
        }
    }
}

/// The settlement key of exchange `did`, from its DID document.
pub(super) async fn settlement_key(
    api: &Api,
    did: &str,
    source: &KeySource,
) -> Result<VerifyingKey, AuditError> {
    let url = match &source.document {
        None => {
            let plc = reqwest::Url::parse(&source.plc_directory).map_err(|e| {
                AuditError::Input(format!("--plc-directory {:?}: {e}", source.plc_directory))
            })?;
            crate::tls::require_https("--plc-directory", &plc).map_err(AuditError::Input)?;
            crate::identity::document_url(did, &source.plc_directory)
                .map_err(|e| AuditError::Input(format!("the exchange's DID: {e}")))?
        }
        Some(u) => reqwest::Url::parse(u)
            .map_err(|e| AuditError::Input(format!("--did-document {u:?} is not a URL: {e}")))?,
    };
    // The key every signature is checked with never travels in the clear
    // between machines.
    crate::tls::require_https("the exchange's DID document", &url).map_err(AuditError::Input)?;
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
