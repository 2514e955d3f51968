//! `settlement serve` configuration: flags (and their environment
//! variables) win over the optional TOML file, which wins over defaults.
//! Secrets (the admin token) come from a file or the environment and are
//! never printed.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::exchange::FeePolicy;

/// Flags of `settlement serve`; each also reads an environment variable.
#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Optional TOML file with any of the settings below (flags win).
    #[arg(long, env = "SETTLEMENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "SETTLEMENT_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Database URL: sqlite:PATH or postgres://...
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// This exchange's DID.
    #[arg(long, env = "SETTLEMENT_EXCHANGE_DID")]
    pub exchange_did: Option<String>,
    /// P-256 settlement signing key (hex), created with mode 0600 if absent.
    #[arg(long, env = "SETTLEMENT_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
    /// Fee in basis points of each charge (0..=10000).
    #[arg(long, env = "SETTLEMENT_FEE_BPS")]
    pub fee_bps: Option<u32>,
    /// Smallest fee in minor units.
    #[arg(long, env = "SETTLEMENT_FEE_MIN_MINOR")]
    pub fee_min_minor: Option<u64>,
    /// Currencies settled, comma-separated.
    #[arg(long, env = "SETTLEMENT_CURRENCIES", value_delimiter = ',')]
    pub currencies: Option<Vec<String>>,
    /// File holding the admin bearer token (or set SETTLEMENT_ADMIN_TOKEN).
    #[arg(long, env = "SETTLEMENT_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Seconds before a payout destination a provider sets (with a service
    /// auth token) is paid; the operator's take effect at once.
    #[arg(long, env = "SETTLEMENT_PAYOUT_DESTINATION_DELAY_SECS", default_value_t = crate::service::DESTINATION_DELAY_S)]
    pub payout_destination_delay_secs: u64,
    /// Development: fetch DID documents and record proofs from loopback
    /// (a local PDS and PLC directory) over plain http.
    #[arg(long)]
    pub insecure_loopback_identity: bool,
    /// Charge receipts of jobs that name no provider (acceptedProviders
    /// absent or empty). Off: anyone could claim an open job first.
    #[arg(long, env = "SETTLEMENT_ALLOW_OPEN_JOBS")]
    pub allow_open_jobs: bool,
    /// Development only (loopback): take records posted as JSON as genuine
    /// instead of proving them in their owners' repositories, and leave
    /// balances and statements open.
    #[arg(long)]
    pub insecure_trust_submitted_records: bool,
    /// Start a local chain (anvil from node_modules), deploy the token and
    /// fund the treasury: payouts with nothing to configure (development).
    #[arg(long, conflicts_with = "rpc_url")]
    pub local_chain: bool,
    /// Run a payout cycle every this many seconds (0: only on demand, via
    /// POST /v1/admin/payouts/run).
    #[arg(long, env = "SETTLEMENT_PAYOUT_INTERVAL_SECS", default_value_t = 0)]
    pub payout_interval_secs: u64,
    /// A paid compute contract without the bidder's receipt this long
    /// after its accept is expired and flagged for a dispute.
    #[arg(long, env = "SETTLEMENT_CONTRACT_RECEIPT_WINDOW_SECS", default_value_t = 24 * 3600)]
    pub contract_receipt_window_secs: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub proofs: crate::cmd::proof::ProofGateArgs,
    #[command(flatten)]
    pub network: crate::cmd::network::NetworkArgs,
    /// PLC directory that resolves did:plc DIDs.
    #[arg(long, env = "SETTLEMENT_PLC_DIRECTORY")]
    pub plc_directory: Option<String>,
    /// Charges written together in one database transaction (group
    /// commit); 1 writes each charge in its own.
    #[arg(long, env = "SETTLEMENT_SETTLE_BATCH_MAX", default_value_t = crate::service::GROUP_COMMIT_MAX)]
    pub settle_batch_max: usize,
    /// Seconds a resolved DID document is used before it is fetched again.
    #[arg(long, env = "SETTLEMENT_DID_CACHE_TTL_S")]
    pub did_cache_ttl_s: Option<u64>,
}

#[derive(serde::Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    exchange_did: Option<String>,
    signing_key: Option<PathBuf>,
    fee_bps: Option<u32>,
    fee_min_minor: Option<u64>,
    currencies: Option<Vec<String>>,
    admin_token_file: Option<PathBuf>,
    plc_directory: Option<String>,
    did_cache_ttl_s: Option<u64>,
    allow_open_jobs: Option<bool>,
}

/// Longest a DID document may be cached: a rotated key must take effect
/// within the hour.
pub const DID_CACHE_TTL_S_MAX: u64 = 3600;

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub exchange_did: String,
    pub signing_key: PathBuf,
    pub policy: FeePolicy,
    pub admin_token: Option<String>,
    /// Development mode: JSON records taken as genuine (loopback only).
    pub trust_submitted_records: bool,
    pub identity: crate::identity::IdentityConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("exchange_did", &self.exchange_did)
            .field("signing_key", &self.signing_key)
            .field("policy", &self.policy)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .field("trust_submitted_records", &self.trust_submitted_records)
            .field("identity", &self.identity)
            .finish()
    }
}

pub use crate::secrets::redact_url;

/// The environment variable that must say `yes` for development mode
/// (`--insecure-trust-submitted-records`) to start: a second, deliberate
/// acknowledgement that a proxy or tunnel to this loopback port lets
/// anyone move money with records they made up.
pub const UNPROVEN_RECORDS_ACK: &str = "SETTLEMENT_ACCEPT_UNPROVEN_RECORDS";

/// The exchange DID development mode uses when none is given. Outside it,
/// `serve` needs one: a DID shared by every default deployment would make
/// authorizations and service auth tokens addressed to one of them valid
/// at all of them.
pub const DEVELOPMENT_EXCHANGE_DID: &str = "did:web:localhost";

impl Config {
    pub fn resolve(args: &ServeArgs) -> Result<Config, String> {
        Config::resolve_in(args, |k| std::env::var(k).ok())
    }

    /// As [`Config::resolve`], reading the environment through `env`.
    pub fn resolve_in(
        args: &ServeArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let defaults = FeePolicy::default();
        let policy = FeePolicy {
            bps: args.fee_bps.or(file.fee_bps).unwrap_or(defaults.bps),
            min_minor: args
                .fee_min_minor
                .or(file.fee_min_minor)
                .unwrap_or(defaults.min_minor),
            currencies: args
                .currencies
                .clone()
                .or(file.currencies)
                .unwrap_or(defaults.currencies),
            self_loop_fee_waived: defaults.self_loop_fee_waived,
            open_jobs: args.allow_open_jobs || file.allow_open_jobs.unwrap_or(false),
        };
        if policy.bps > 10_000 {
            return Err("fee-bps: must be 0..=10000".into());
        }
        let development = args.insecure_trust_submitted_records;
        if development {
            check_development(args, &env)?;
        }
        let exchange_did = match args.exchange_did.clone().or(file.exchange_did) {
            Some(did) => did,
            None if development => DEVELOPMENT_EXCHANGE_DID.into(),
            None => {
                return Err(format!(
                    "exchange-did: required (--exchange-did or SETTLEMENT_EXCHANGE_DID): this exchange's own DID, \
                     which authorizations and service auth tokens must name; the development default \
                     {DEVELOPMENT_EXCHANGE_DID} is shared by every default deployment"
                ));
            }
        };
        if !crate::records::formats::is_did(&exchange_did) {
            return Err(format!("exchange-did: {exchange_did:?} is not a DID"));
        }
        let token_file = args.admin_token_file.clone().or(file.admin_token_file);
        let admin_token = match token_file {
            Some(path) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| {
                        format!("cannot read the admin token file {}: {e}", path.display())
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => env("SETTLEMENT_ADMIN_TOKEN"),
        }
        .filter(|t| !t.is_empty());
        if admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("the admin token must be at least 16 characters".into());
        }
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8787".parse().expect("constant"));
        if !listen.ip().is_loopback() && args.insecure_trust_submitted_records {
            return Err(format!(
                "refusing to listen on {listen}: --insecure-trust-submitted-records takes records posted to the \
                 API as genuine, which is for development on loopback only"
            ));
        }
        let defaults_identity = crate::identity::IdentityConfig::default();
        let plc_directory = args
            .plc_directory
            .clone()
            .or(file.plc_directory)
            .unwrap_or(defaults_identity.plc_directory);
        if reqwest::Url::parse(&plc_directory)
            .ok()
            .is_none_or(|u| !matches!(u.scheme(), "http" | "https") || u.host_str().is_none())
        {
            return Err(format!(
                "plc-directory: {plc_directory:?} is not an http(s) URL"
            ));
        }
        let ttl_s = args
            .did_cache_ttl_s
            .or(file.did_cache_ttl_s)
            .unwrap_or(defaults_identity.cache_ttl.as_secs());
        if ttl_s > DID_CACHE_TTL_S_MAX {
            return Err(format!(
                "did-cache-ttl-s: must be at most {DID_CACHE_TTL_S_MAX}"
            ));
        }
        Ok(Config {
            listen,
            database_url: args
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite:./data/settlement.db".into()),
            exchange_did,
            signing_key: args
                .signing_key
                .clone()
                .or(file.signing_key)
                .unwrap_or_else(|| PathBuf::from("./data/exchange-key.hex")),
            policy,
            admin_token,
            trust_submitted_records: args.insecure_trust_submitted_records,
            identity: crate::identity::IdentityConfig {
                plc_directory,
                cache_ttl: std::time::Duration::from_secs(ttl_s),
                egress: crate::egress::Egress {
                    loopback: args.insecure_trust_submitted_records
                        || args.insecure_loopback_identity,
                },
                ..defaults_identity
            },
        })
    }
}

/// Development mode (records taken as genuine) starts only when the
/// environment acknowledges the risk, and never next to a real chain.
fn check_development(
    args: &ServeArgs,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    if env(UNPROVEN_RECORDS_ACK).as_deref() != Some("yes") {
        return Err(format!(
            "--insecure-trust-submitted-records takes records posted to the API as genuine, so anyone who \
             reaches this port (through a proxy or tunnel too) can move money with records they made up: \
             set {UNPROVEN_RECORDS_ACK}=yes to acknowledge it (development only)"
        ));
    }
    if let Some(url) = &args.chain.rpc_url {
        let local = reqwest::Url::parse(url)
            .ok()
            .is_some_and(|u| match u.host_str() {
                Some("localhost") => true,
                Some(h) => h
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()),
                None => false,
            });
        if !local {
            return Err(
                "--insecure-trust-submitted-records is refused with a chain that is not on this machine \
                 (--rpc-url must be a loopback address, or use --local-chain)"
                    .into(),
            );
        }
    }
    Ok(())
}

/// Where payouts go: the chain, the token, the treasury key, and what is
/// paid in it. Shared by `serve`, `payout run` and `reconcile`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ChainArgs {
    /// JSON-RPC URL of the chain (http). Without it, `serve` makes no
    /// payouts unless --local-chain is given.
    #[arg(long, env = "SETTLEMENT_RPC_URL")]
    pub rpc_url: Option<String>,
    /// Chain id the node must report (checked at start).
    #[arg(long, env = "SETTLEMENT_CHAIN_ID")]
    pub chain_id: Option<u64>,
    /// Address of the EIP-3009 token.
    #[arg(long, env = "SETTLEMENT_TOKEN")]
    pub token: Option<String>,
    /// The token's EIP-712 domain name.
    #[arg(long, env = "SETTLEMENT_TOKEN_NAME", default_value = "USD Coin")]
    pub token_name: String,
    /// The token's EIP-712 domain version.
    #[arg(long, env = "SETTLEMENT_TOKEN_VERSION", default_value = "2")]
    pub token_version: String,
    /// Blocks deep a payout's transaction must be to count (1 = mined).
    #[arg(long, env = "SETTLEMENT_CONFIRMATIONS", default_value_t = 1)]
    pub confirmations: u64,
    /// File holding the treasury's secp256k1 key (hex, mode 0600), or set
    /// SETTLEMENT_TREASURY_KEY.
    #[arg(long, env = "SETTLEMENT_TREASURY_KEY_FILE")]
    pub treasury_key_file: Option<PathBuf>,
    /// File holding the key (hex, mode 0600) of the account that sends x402
    /// deposits' transactions and pays their gas, or set
    /// SETTLEMENT_DEPOSIT_RELAYER_KEY. It must not be the treasury. Without
    /// it, `POST /v1/deposits` is disabled.
    #[arg(long, env = "SETTLEMENT_DEPOSIT_RELAYER_KEY_FILE")]
    pub deposit_relayer_key_file: Option<PathBuf>,
    /// Ledger currency paid out in the token.
    #[arg(long, env = "SETTLEMENT_PAYOUT_CURRENCY", default_value = "USD")]
    pub payout_currency: String,
    /// Decimals of that currency's minor unit (USD cents: 2).
    #[arg(long, env = "SETTLEMENT_CURRENCY_DECIMALS", default_value_t = 2)]
    pub currency_decimals: u32,
    /// Payable balances below this (minor units) wait for a later cycle.
    #[arg(long, env = "SETTLEMENT_MIN_PAYOUT_MINOR", default_value_t = 1)]
    pub min_payout_minor: i64,
    /// Seconds a charge waits before it is paid out: the window in which a
    /// dispute needs no clawback (0 pays at once).
    #[arg(
        long,
        env = "SETTLEMENT_PAYOUT_MATURITY_SECS",
        default_value_t = 86_400
    )]
    pub payout_maturity_secs: u64,
}

/// A resolved chain configuration. Its `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct PayoutSetup {
    pub chain: crate::payout::chain::ChainConfig,
    pub treasury: crate::payout::chain::Treasury,
    /// Sends x402 deposits' transactions; `None`: deposits are disabled.
    pub relayer: Option<crate::payout::chain::Treasury>,
    pub payout: crate::payout::PayoutConfig,
}

impl ChainArgs {
    /// `None` when no chain is configured (no --rpc-url).
    pub fn resolve(&self) -> Result<Option<PayoutSetup>, String> {
        let Some(rpc_url) = self.rpc_url.clone() else {
            return Ok(None);
        };
        let chain_id = self.chain_id.ok_or("chain-id: required with --rpc-url")?;
        let token = self
            .token
            .as_deref()
            .ok_or("token: required with --rpc-url")?
            .parse()
            .map_err(|_| "token: must be a 0x address (20 bytes)".to_owned())?;
        if self.confirmations == 0 {
            return Err("confirmations: must be at least 1".into());
        }
        if self.min_payout_minor < 1 {
            return Err("min-payout-minor: must be at least 1".into());
        }
        let treasury = match &self.treasury_key_file {
            Some(path) => {
                crate::payout::chain::Treasury::from_file(path).map_err(|e| e.to_string())?
            }
            None => {
                let hex = std::env::var("SETTLEMENT_TREASURY_KEY").map_err(|_| {
                    "treasury key: give --treasury-key-file or set SETTLEMENT_TREASURY_KEY"
                        .to_owned()
                })?;
                crate::payout::chain::Treasury::from_hex(&hex, "SETTLEMENT_TREASURY_KEY")
                    .map_err(|e| e.to_string())?
            }
        };
        let relayer = match &self.deposit_relayer_key_file {
            Some(path) => {
                Some(crate::payout::chain::Treasury::from_file(path).map_err(|e| e.to_string())?)
            }
            None => std::env::var("SETTLEMENT_DEPOSIT_RELAYER_KEY")
                .ok()
                .map(|hex| {
                    crate::payout::chain::Treasury::from_hex(&hex, "SETTLEMENT_DEPOSIT_RELAYER_KEY")
                        .map_err(|e| e.to_string())
                })
                .transpose()?,
        };
        if relayer.as_ref().map(|r| r.address()) == Some(treasury.address()) {
            return Err(
                "deposit relayer key: must not be the treasury's key (deposits and payouts would race for its nonces)"
                    .into(),
            );
        }
        for key in std::iter::once(&treasury).chain(relayer.as_ref()) {
            let key = key.secret_hex();
            crate::secrets::register(&key);
            crate::secrets::register(key.trim_start_matches("0x"));
        }
        crate::secrets::register(&rpc_url);
        Ok(Some(PayoutSetup {
            chain: crate::payout::chain::ChainConfig {
                rpc_url,
                chain_id,
                token,
                eip712_name: self.token_name.clone(),
                eip712_version: self.token_version.clone(),
                confirmations: self.confirmations,
            },
            treasury,
            relayer,
            payout: self.payout_config(),
        }))
    }

    pub fn payout_config(&self) -> crate::payout::PayoutConfig {
        crate::payout::PayoutConfig {
            currency: self.payout_currency.clone(),
            currency_decimals: self.currency_decimals,
            min_payout_minor: self.min_payout_minor,
            maturity_secs: self.payout_maturity_secs,
            ..crate::payout::PayoutConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn acknowledged(k: &str) -> Option<String> {
        (k == UNPROVEN_RECORDS_ACK).then(|| "yes".to_owned())
    }

    /// Finding 12: no shared default DID outside development mode.
    #[test]
    fn serve_needs_its_own_exchange_did() {
        let err = Config::resolve_in(&ServeArgs::default(), no_env).unwrap_err();
        assert!(err.starts_with("exchange-did: required"), "{err}");
        let args = ServeArgs {
            exchange_did: Some("did:web:exchange.example".into()),
            ..ServeArgs::default()
        };
        assert_eq!(
            Config::resolve_in(&args, no_env).unwrap().exchange_did,
            "did:web:exchange.example"
        );
        let args = ServeArgs {
            insecure_trust_submitted_records: true,
            ..ServeArgs::default()
        };
        let c = Config::resolve_in(&args, acknowledged).unwrap();
        assert_eq!(c.exchange_did, DEVELOPMENT_EXCHANGE_DID);
    }

    /// Finding 10: development mode needs the environment's
    /// acknowledgement and refuses a chain that is not local.
    #[test]
    fn development_mode_needs_an_acknowledgement_and_a_local_chain() {
        let args = ServeArgs {
            insecure_trust_submitted_records: true,
            ..ServeArgs::default()
        };
        let err = Config::resolve_in(&args, no_env).unwrap_err();
        assert!(err.contains(UNPROVEN_RECORDS_ACK), "{err}");
        let wrong = |k: &str| (k == UNPROVEN_RECORDS_ACK).then(|| "1".to_owned());
        assert!(Config::resolve_in(&args, wrong).is_err());
        assert!(
            Config::resolve_in(&args, acknowledged)
                .unwrap()
                .trust_submitted_records
        );
        for (rpc, ok) in [
            ("http://127.0.0.1:8545", true),
            ("http://localhost:8545", true),
            ("http://[::1]:8545", true),
            ("https://base-sepolia.example/v2/KEY", false),
            ("http://10.0.0.5:8545", false),
        ] {
            let mut args = ServeArgs {
                insecure_trust_submitted_records: true,
                ..ServeArgs::default()
            };
            args.chain.rpc_url = Some(rpc.into());
            assert_eq!(Config::resolve_in(&args, acknowledged).is_ok(), ok, "{rpc}");
        }
    }

    #[test]
    fn flags_win_over_file_and_loopback_is_enforced() {
        let dir = std::env::temp_dir().join(format!("settlement-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "fee-bps = 100\nexchange-did = \"did:web:file.example\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            fee_bps: Some(300),
            ..ServeArgs::default()
        };
        let c = Config::resolve_in(&args, no_env).unwrap();
        assert_eq!(c.policy.bps, 300);
        assert_eq!(c.exchange_did, "did:web:file.example");
        // Records are proven, so any address will do; trusting submitted
        // records is for loopback only.
        let args = ServeArgs {
            listen: Some("0.0.0.0:8787".parse().unwrap()),
            exchange_did: Some("did:web:exchange.example".into()),
            ..ServeArgs::default()
        };
        let c = Config::resolve_in(&args, no_env).unwrap();
        assert!(!c.trust_submitted_records);
        assert_eq!(c.identity.plc_directory, "https://plc.directory");
        let args = ServeArgs {
            listen: Some("0.0.0.0:8787".parse().unwrap()),
            insecure_trust_submitted_records: true,
            ..ServeArgs::default()
        };
        assert!(
            Config::resolve_in(&args, acknowledged)
                .unwrap_err()
                .contains("--insecure-trust-submitted-records")
        );
        let args = ServeArgs {
            did_cache_ttl_s: Some(DID_CACHE_TTL_S_MAX + 1),
            exchange_did: Some("did:web:exchange.example".into()),
            ..ServeArgs::default()
        };
        assert!(
            Config::resolve_in(&args, no_env)
                .unwrap_err()
                .contains("did-cache-ttl-s")
        );
        let args = ServeArgs {
            plc_directory: Some("plc.directory".into()),
            exchange_did: Some("did:web:exchange.example".into()),
            ..ServeArgs::default()
        };
        assert!(
            Config::resolve_in(&args, no_env)
                .unwrap_err()
                .contains("plc-directory")
        );
        std::fs::write(&file, "nope = 1\n").unwrap();
        let args = ServeArgs {
            config: Some(file),
            ..ServeArgs::default()
        };
        assert!(Config::resolve_in(&args, no_env).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Finding 5: deposits and payouts never send from one account.
    #[test]
    fn the_deposit_relayer_is_not_the_treasury() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("relayer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = |name: &str, hex: &str| {
            let path = dir.join(name);
            std::fs::write(&path, hex).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            path
        };
        let treasury = key("treasury.hex", &"11".repeat(32));
        let relayer = key("relayer.hex", &"22".repeat(32));
        let args = |relayer: Option<PathBuf>| ChainArgs {
            rpc_url: Some("http://127.0.0.1:8545".into()),
            chain_id: Some(31337),
            token: Some("0x5FbDB2315678afecb367f032d93F642f64180aa3".into()),
            treasury_key_file: Some(treasury.clone()),
            deposit_relayer_key_file: relayer,
            confirmations: 1,
            min_payout_minor: 1,
            ..ChainArgs::default()
        };
        let err = args(Some(treasury.clone())).resolve().unwrap_err();
        assert!(err.contains("must not be the treasury"), "{err}");
        let setup = args(Some(relayer)).resolve().unwrap().unwrap();
        let relayer = setup.relayer.expect("a relayer");
        assert_ne!(relayer.address(), setup.treasury.address());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
