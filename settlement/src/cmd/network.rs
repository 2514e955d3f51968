//! `serve` on the AT Protocol network: ingestion from a relay and
//! publishing to the exchange's repository, each on when configured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::firehose::{Firehose, FirehoseConfig};
use crate::publish::{Publisher, pds};
use crate::service::Service;

/// Most bytes of the app password file read.
const PASSWORD_BYTES_MAX: usize = 4096;

/// The network flags of `serve`.
#[derive(clap::Args, Debug, Default)]
pub struct NetworkArgs {
    /// A relay (or PDS) to subscribe to (`com.atproto.sync.subscribeRepos`):
    /// wss:// (or https://); ws:// only to this machine. Records in the
    /// collections the exchange acts on are proven and stored as they
    /// arrive, and receipts charged.
    #[arg(long, env = "SETTLEMENT_RELAY")]
    pub relay: Option<String>,
    /// Store receipts from the relay without charging them (they can be
    /// charged later with POST /v1/settle).
    #[arg(long, env = "SETTLEMENT_RELAY_NO_SETTLE")]
    pub relay_no_settle: bool,
    /// The exchange's PDS, to publish its records to (settlements and
    /// their new versions, disputes, refunds, its policy); https, or http
    /// to this machine.
    #[arg(long, env = "SETTLEMENT_PUBLISH_PDS")]
    pub publish_pds: Option<String>,
    /// The account on that PDS (default: the exchange's DID).
    #[arg(long, env = "SETTLEMENT_PUBLISH_IDENTIFIER")]
    pub publish_identifier: Option<String>,
    /// File holding the account's app password (or set
    /// SETTLEMENT_PUBLISH_PASSWORD).
    #[arg(long, env = "SETTLEMENT_PUBLISH_PASSWORD_FILE")]
    pub publish_password_file: Option<PathBuf>,
    /// Milliseconds between publishing passes.
    #[arg(long, env = "SETTLEMENT_PUBLISH_INTERVAL_MS", default_value_t = 1000)]
    pub publish_interval_ms: u64,
}

impl NetworkArgs {
    /// The publishing account, if publishing is configured.
    pub fn account(&self, exchange_did: &str) -> Result<Option<pds::Account>, String> {
        let Some(url) = &self.publish_pds else {
            return Ok(None);
        };
        crate::secrets::register(url);
        let pds = reqwest::Url::parse(url).map_err(|e| format!("publish-pds: {e}"))?;
        let password = match &self.publish_password_file {
            Some(path) => {
                use std::io::Read as _;
                let mut bytes = Vec::new();
                std::fs::File::open(path)
                    .and_then(|f| {
                        f.take(PASSWORD_BYTES_MAX as u64 + 1)
                            .read_to_end(&mut bytes)
                    })
                    .map_err(|e| format!("publish-password-file {}: {e}", path.display()))?;
                if bytes.len() > PASSWORD_BYTES_MAX {
                    return Err(format!(
                        "publish-password-file {}: too large",
                        path.display()
                    ));
                }
                String::from_utf8(bytes)
                    .map_err(|_| format!("publish-password-file {}: not UTF-8", path.display()))?
                    .trim()
                    .to_owned()
            }
            None => std::env::var("SETTLEMENT_PUBLISH_PASSWORD").unwrap_or_default(),
        };
        if password.is_empty() {
            return Err(
                "publish-pds needs the account's app password: --publish-password-file or SETTLEMENT_PUBLISH_PASSWORD"
                    .into(),
            );
        }
        crate::secrets::register(&password);
        Ok(Some(pds::Account {
            pds,
            identifier: self
                .publish_identifier
                .clone()
                .unwrap_or_else(|| exchange_did.to_owned()),
            password,
        }))
    }
}

/// Starts what is configured: the publisher (and queues the exchange's
/// policy), then the relay's ingestion.
pub async fn start(args: &NetworkArgs, service: &Arc<Service>) -> Result<(), String> {
    if let Some(account) = args.account(&service.exchange.did)? {
        let uri = crate::publish::policy::queue(
            &service.store,
            &service.exchange.did,
            &service.policy,
            service.now(),
        )
        .await
        .map_err(|e| format!("exchange policy: {e}"))?;
        let publisher = Arc::new(Publisher::new(service.store.clone(), account)?);
        let _ = service.publisher.set(publisher.clone());
        publisher.spawn(Duration::from_millis(args.publish_interval_ms.max(10)));
        tracing::info!(policy = %uri, "publishing to the exchange's repository");
    }
    if let Some(relay) = &args.relay {
        let relay = reqwest::Url::parse(relay).map_err(|e| format!("relay: {e}"))?;
        crate::secrets::register(relay.as_str());
        let firehose = Arc::new(Firehose::new(
            service.clone(),
            FirehoseConfig {
                relay,
                settle: !args.relay_no_settle,
            },
        )?);
        let _ = service
            .ingestion
            .set(Arc::new(crate::firehose::backfill::Handle(
                firehose.clone(),
            )));
        firehose.spawn();
    }
    Ok(())
}
