//! The embedded default chain: an anvil started from the pinned npm package,
//! the EIP-3009 token deployed from the committed artifact, and a funded
//! treasury. For development, tests and the demo; a real network is chosen
//! by configuration (`ChainConfig`), never by code.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;

use super::chain::{ChainConfig, EIP3009Token, Treasury};

/// USDC's EIP-712 name and version, which x402 clients expect.
pub const TOKEN_NAME: &str = "USD Coin";
pub const TOKEN_SYMBOL: &str = "USDC";
pub const TOKEN_VERSION: &str = "2";

/// The workspace root: where `package.json` and `node_modules` live.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the settlement crate is inside the workspace")
        .to_path_buf()
}

/// Whether `node_modules` holds every devDependency of `package.json` at
/// the pinned version (a checkout whose lockfile moved on is stale).
pub fn node_tools_current(root: &Path) -> bool {
    let Ok(text) = std::fs::read(root.join("package.json")) else {
        return false;
    };
    let Ok(manifest) = crate::records::json::parse(&text) else {
        return false;
    };
    let Some(deps) = manifest.get("devDependencies").and_then(|d| d.as_object()) else {
        return false;
    };
    deps.iter().all(|(name, version)| {
        let installed = std::fs::read(root.join("node_modules").join(name).join("package.json"))
            .ok()
            .and_then(|t| crate::records::json::parse(&t).ok())
            .and_then(|m| m.get("version").and_then(|v| v.as_str()).map(str::to_owned));
        installed.is_some() && installed.as_deref() == version.as_str()
    })
}

/// Runs `npm ci` in the workspace root unless `node_modules` is current.
/// Serialized within the process by a mutex and across processes by a file
/// lock under `target/`, since `npm ci` deletes `node_modules` first.
pub fn ensure_node_tools() -> Result<PathBuf, String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let root = workspace_root();
    if node_tools_current(&root) {
        return Ok(root);
    }
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let target = root.join("target");
    std::fs::create_dir_all(&target).map_err(|e| format!("create {}: {e}", target.display()))?;
    let lock = File::create(target.join("npm-ci.lock"))
        .map_err(|e| format!("create target/npm-ci.lock: {e}"))?;
    lock.lock()
        .map_err(|e| format!("lock target/npm-ci.lock: {e}"))?;
    // Another process may have installed while we waited.
    if !node_tools_current(&root) {
        let out = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run `npm ci` (is Node.js installed?): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`npm ci` failed in {}:\n{}\n{}",
                root.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if !node_tools_current(&root) {
            return Err("`npm ci` succeeded but node_modules does not match package.json".into());
        }
    }
    Ok(root)
}

/// `node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil`, installing the
/// pinned npm tools first if needed.
pub fn anvil_path() -> Result<PathBuf, String> {
    let anvil = ensure_node_tools()?.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if anvil.exists() {
        Ok(anvil)
    } else {
        Err(format!("{} is missing after npm ci", anvil.display()))
    }
}

/// A running anvil with the token deployed and the treasury funded. The
/// node is killed when this drops.
pub struct LocalChain {
    anvil: AnvilInstance,
    /// Signs for every dev account (the deployer by default).
    pub admin: DynProvider,
    pub config: ChainConfig,
    /// Dev account 0: deployed the token, the only minter.
    pub deployer: Address,
    /// Dev account 1's key: the treasury (it has ether for gas).
    pub treasury: Treasury,
    /// Dev accounts 2..=8: with ether, free for tests and the demo.
    pub spare: Vec<PrivateKeySigner>,
    /// The last dev account: pays the gas of x402 deposits (the deposit
    /// facilitator's relayer), so that the treasury's transactions have
    /// one sender.
    pub relayer: Treasury,
}

/// How to start the local chain.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// Seconds between blocks; `None`: a block per transaction (automine).
    pub block_time: Option<u64>,
    pub confirmations: u64,
    /// Token units minted to the treasury at start.
    pub treasury_funding: U256,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            block_time: None,
            confirmations: 1,
            treasury_funding: U256::ZERO,
        }
    }
}

impl LocalChain {
    pub async fn start(options: LocalOptions) -> Result<LocalChain, String> {
        let mut builder = Anvil::at(anvil_path()?).port(0u16);
        if let Some(secs) = options.block_time {
            builder = builder.block_time(secs);
        }
        let anvil = builder
            .try_spawn()
            .map_err(|e| format!("cannot start anvil: {e}"))?;
        let mut signers = anvil.keys().iter().map(PrivateKeySigner::from);
        let deployer_key = signers.next().ok_or("anvil has no dev accounts")?;
        let treasury_key = signers.next().ok_or("anvil has one dev account only")?;
        let mut spare: Vec<PrivateKeySigner> = signers.collect();
        let relayer_key = spare.pop().ok_or("anvil has two dev accounts only")?;
        let deployer = deployer_key.address();
        let mut wallet = alloy::network::EthereumWallet::new(deployer_key);
        wallet.register_signer(treasury_key.clone());
        for s in spare.iter().chain([&relayer_key]) {
            wallet.register_signer(s.clone());
        }
        let admin = super::chain::signing_provider(wallet, anvil.endpoint_url())
            .map_err(|e| e.to_string())?;
        let chain_id = admin
            .get_chain_id()
            .await
            .map_err(|e| format!("eth_chainId: {e}"))?;
        let token = EIP3009Token::deploy(
            admin.clone(),
            TOKEN_NAME.to_owned(),
            TOKEN_SYMBOL.to_owned(),
            TOKEN_VERSION.to_owned(),
        )
        .await
        .map_err(|e| format!("deploy EIP3009Token: {e}"))?;
        let chain = LocalChain {
            config: ChainConfig {
                rpc_url: anvil.endpoint(),
                chain_id,
                token: *token.address(),
                eip712_name: TOKEN_NAME.to_owned(),
                eip712_version: TOKEN_VERSION.to_owned(),
                confirmations: options.confirmations,
            },
            anvil,
            admin,
            deployer,
            treasury: Treasury::from_signer(treasury_key),
            spare,
            relayer: Treasury::from_signer(relayer_key),
        };
        for addr in super::facilitator::REQUIRED_CONTRACTS {
            chain
                .admin
                .raw_request::<_, ()>("anvil_setCode".into(), (addr, "0xfe"))
                .await
                .map_err(|e| format!("anvil_setCode: {e}"))?;
        }
        if options.treasury_funding > U256::ZERO {
            chain
                .mint(chain.treasury.address(), options.treasury_funding)
                .await?;
        }
        Ok(chain)
    }

    pub fn token(&self) -> EIP3009Token::EIP3009TokenInstance<DynProvider> {
        EIP3009Token::new(self.config.token, self.admin.clone())
    }

    /// Mints `value` token units to `to` and waits for the block.
    pub async fn mint(&self, to: Address, value: U256) -> Result<(), String> {
        let receipt = self
            .token()
            .mint(to, value)
            .send()
            .await
            .map_err(|e| format!("mint: {e}"))?
            .get_receipt()
            .await
            .map_err(|e| format!("mint receipt: {e}"))?;
        if !receipt.status() {
            return Err("mint reverted".into());
        }
        Ok(())
    }

    /// Mines `blocks` empty blocks at once (`anvil_mine`).
    pub async fn mine(&self, blocks: u64) -> Result<(), String> {
        self.admin
            .raw_request::<_, ()>("anvil_mine".into(), (blocks,))
            .await
            .map(|_| ())
            .map_err(|e| format!("anvil_mine: {e}"))
    }

    /// The treasury's key, hex: anvil's well-known dev account 1, which is
    /// no secret. For handing the local treasury to another process.
    pub fn dev_treasury_key_hex(&self) -> String {
        let key = &self.anvil.keys()[1];
        alloy::hex::encode(key.to_bytes())
    }

    pub fn endpoint(&self) -> String {
        self.anvil.endpoint()
    }
}

/// What the local treasury starts with: 100,000.00 USD.
pub const TREASURY_CENTS: i64 = 10_000_000;
/// Starts the local chain with a funded treasury and records the funding
/// in the ledger (capital -> treasury), so that `reconcile` starts clean.
pub async fn start_local_chain(
    store: &crate::store::Store,
    payout: &super::PayoutConfig,
    exchange_did: &str,
) -> Result<LocalChain, String> {
    let units = super::to_token_units(TREASURY_CENTS, payout.currency_decimals, 6)
        .ok_or("treasury funding out of range")?
        .0;
    let local = LocalChain::start(LocalOptions {
        block_time: Some(1),
        confirmations: 2,
        treasury_funding: units,
    })
    .await?;
    store
        .fund_treasury(
            &format!("genesis:{}:{}", local.config.chain_id, local.config.token),
            &payout.currency,
            TREASURY_CENTS,
            exchange_did,
        )
        .await
        .map_err(|e| format!("record treasury funding: {e}"))?;
    Ok(local)
}
