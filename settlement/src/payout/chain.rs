//! The chain edge: the EIP-3009 token through alloy. Everything that reads
//! or writes the chain is here; the payout state machine only asks
//! questions ("is this authorization used? by which transaction? how deep
//! is it?") and gives orders ("send this signed authorization").

use std::fmt;
use std::path::Path;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionReceipt};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolEvent, SolStruct};

/// The token's bindings, generated from the committed artifact (ABI and
/// init code). In their own module for one lint: EIP-3009's entry points
/// take 7 to 9 arguments, and the generated methods take them one by one.
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        EIP3009Token,
        "../contracts/artifacts/EIP3009Token.json"
    );

    alloy::sol! {
        /// EIP-3009's typed data, field for field: the EIP-712 type strings
        /// these produce are the standard's (the token tests check them).
        #[derive(Debug)]
        struct TransferWithAuthorization {
            address from;
            address to;
            uint256 value;
            uint256 validAfter;
            uint256 validBefore;
            bytes32 nonce;
        }

        #[derive(Debug)]
        struct ReceiveWithAuthorization {
            address from;
            address to;
            uint256 value;
            uint256 validAfter;
            uint256 validBefore;
            bytes32 nonce;
        }

        #[derive(Debug)]
        struct CancelAuthorization {
            address authorizer;
            bytes32 nonce;
        }
    }
}
pub use bindings::{
    CancelAuthorization, EIP3009Token, ReceiveWithAuthorization, TransferWithAuthorization,
};

/// Where the token lives and how its signatures are domain-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainConfig {
    pub rpc_url: String,
    pub chain_id: u64,
    pub token: Address,
    /// EIP-712 domain name and version of the token (USDC: "USD Coin", "2").
    pub eip712_name: String,
    pub eip712_version: String,
    /// A payout counts as confirmed once its block is this deep (1 = mined).
    pub confirmations: u64,
}

impl ChainConfig {
    /// CAIP-2 network id, as x402 v2 names networks.
    pub fn network(&self) -> String {
        format!("eip155:{}", self.chain_id)
    }

    pub fn domain(&self) -> Eip712Domain {
        Eip712Domain::new(
            Some(self.eip712_name.clone().into()),
            Some(self.eip712_version.clone().into()),
            Some(U256::from(self.chain_id)),
            Some(self.token),
            None,
        )
    }
}

/// The treasury's key: holds the tokens, signs payout authorizations and
/// (on the direct rail) pays the gas. Its `Debug` shows the address only.
#[derive(Clone)]
pub struct Treasury(PrivateKeySigner);

impl fmt::Debug for Treasury {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Treasury({})", self.0.address())
    }
}

/// Why a treasury key could not be had. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryKeyError {
    #[error("cannot read the treasury key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the treasury key file {path} is readable by others (mode {mode:o}); it must be 0600")]
    Permissions { path: String, mode: u32 },
    #[error("the treasury key from {origin} is not a secp256k1 private key (32 bytes, hex)")]
    Format { origin: String },
}

impl Treasury {
    pub fn from_signer(signer: PrivateKeySigner) -> Treasury {
        Treasury(signer)
    }

    /// Parses 32 bytes of hex (optionally 0x-prefixed). `origin` names
    /// where it came from, for the error.
    pub fn from_hex(hex: &str, origin: &str) -> Result<Treasury, TreasuryKeyError> {
        let format = || TreasuryKeyError::Format {
            origin: origin.to_owned(),
        };
        let hex = hex.trim();
        let hex = hex.strip_prefix("0x").unwrap_or(hex);
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format());
        }
        let bytes = B256::from_slice(&alloy::hex::decode(hex).map_err(|_| format())?);
        PrivateKeySigner::from_bytes(&bytes)
            .map(Treasury)
            .map_err(|_| format())
    }

    /// Reads the key from a file that only its owner can read.
    pub fn from_file(path: &Path) -> Result<Treasury, TreasuryKeyError> {
        use std::os::unix::fs::PermissionsExt;
        let shown = path.display().to_string();
        let io = |source| TreasuryKeyError::Io {
            path: shown.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TreasuryKeyError::Permissions { path: shown, mode });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Treasury::from_hex(&text, &shown)
    }

    pub fn address(&self) -> Address {
        self.0.address()
    }

    pub(crate) fn signer(&self) -> &PrivateKeySigner {
        &self.0
    }

    /// 0x + hex of the key, for the in-process x402 facilitator's
    /// configuration only (never printed).
    pub(crate) fn secret_hex(&self) -> String {
        format!("0x{}", alloy::hex::encode(self.0.to_bytes()))
    }
}

/// An EIP-3009 transfer authorization from the treasury.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub from: Address,
    pub to: Address,
    pub value: U256,
    pub valid_after: u64,
    pub valid_before: u64,
    pub nonce: B256,
}

impl Authorization {
    pub fn typed(&self) -> TransferWithAuthorization {
        TransferWithAuthorization {
            from: self.from,
            to: self.to,
            value: self.value,
            validAfter: U256::from(self.valid_after),
            validBefore: U256::from(self.valid_before),
            nonce: self.nonce,
        }
    }

    /// Signs it (deterministic, RFC 6979): r || s || v, v in {27, 28}.
    pub fn sign(&self, treasury: &Treasury, domain: &Eip712Domain) -> Bytes {
        let hash = self.typed().eip712_signing_hash(domain);
        let sig = treasury
            .signer()
            .sign_hash_sync(&hash)
            .expect("signing a 32-byte hash with a valid key cannot fail");
        Bytes::from(sig.as_bytes().to_vec())
    }
}

/// The EIP-3009 nonce of a payout: a hash of its id, so that whatever
/// happens (crash, retry, resubmission) the payout moves money at most once.
pub fn payout_nonce(payout_id: &str) -> B256 {
    keccak256(format!("dev.cocore.settlement/payout/{payout_id}").as_bytes())
}

/// What happened on chain to one of the treasury's authorization nonces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceEvent {
    Used { tx: B256, block_number: u64 },
    Canceled { tx: B256, block_number: u64 },
}

/// A chain call failed. `Revert` carries the token's reason string.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the token refused: {0}")]
    Revert(String),
    #[error("chain RPC: {0}")]
    Rpc(String),
    #[error("chain configuration: {0}")]
    Config(String),
}

impl ChainError {
    fn from_contract(e: alloy::contract::Error) -> ChainError {
        use alloy::sol_types::{Revert, SolError};
        if let Some(data) = e.as_revert_data()
            && let Ok(r) = Revert::abi_decode(&data)
        {
            return ChainError::Revert(r.reason);
        }
        // A revert without data (e.g. ERC-20's custom errors) still says
        // "execution reverted" in the node's message.
        let text = e.to_string();
        if text.contains("revert") {
            return ChainError::Revert(text);
        }
        ChainError::Rpc(text)
    }
}

fn rpc<E: fmt::Display>(e: E) -> ChainError {
    ChainError::Rpc(e.to_string())
}

/// Where a transaction stands, as far as the chain can tell now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// The node knows nothing of it (never sent, or dropped by a reorg).
    Unknown,
    /// In the mempool, not in a block.
    Pending,
    /// In a canonical block, `depth` blocks deep (1 = the latest block).
    Mined {
        block_number: u64,
        block_hash: B256,
        depth: u64,
        success: bool,
    },
}

/// A provider that signs with `wallet` and sends to `url`. Not
/// `ProviderBuilder::new()`: its cached nonce manager takes a nonce before
/// estimating gas, so a transaction whose estimate reverts (a payout the
/// treasury cannot cover, a used authorization) leaves a gap and every
/// later transaction from that sender waits in the pool forever. The
/// simple manager asks the node for each transaction.
pub fn signing_provider(
    wallet: EthereumWallet,
    url: reqwest::Url,
) -> Result<DynProvider, ChainError> {
    // On the one TLS stack, with its roots.
    let client = crate::tls::client()
        .build()
        .map_err(|e| ChainError::Config(format!("HTTP client: {e}")))?;
    Ok(ProviderBuilder::default()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(wallet)
        .connect_reqwest(client, url)
        .erased())
}

/// A connection to the token on one chain.
#[derive(Clone)]
pub struct Chain {
    pub config: ChainConfig,
    pub provider: DynProvider,
    pub token: EIP3009Token::EIP3009TokenInstance<DynProvider>,
    treasury: Treasury,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("config", &self.config)
            .field("treasury", &self.treasury)
            .finish()
    }
}

impl Chain {
    /// Connects, then checks the node's chain id and that the token at the
    /// configured address answers with the configured EIP-712 version.
    pub async fn connect(config: ChainConfig, treasury: Treasury) -> Result<Chain, ChainError> {
        let url: reqwest::Url = config
            .rpc_url
            .parse()
            .map_err(|e| ChainError::Config(format!("rpc URL {:?}: {e}", config.rpc_url)))?;
        crate::tls::require_https("rpc URL", &url).map_err(ChainError::Config)?;
        let provider = signing_provider(EthereumWallet::new(treasury.signer().clone()), url)?;
        let id = provider.get_chain_id().await.map_err(rpc)?;
        if id != config.chain_id {
            return Err(ChainError::Config(format!(
                "the node at {} is chain {id}, configured chain is {}",
                config.rpc_url, config.chain_id
            )));
        }
        let token = EIP3009Token::new(config.token, provider.clone());
        let version = token.version().call().await.map_err(|e| {
            ChainError::Config(format!(
                "no EIP-3009 token at {} on chain {id}: {e}",
                config.token
            ))
        })?;
        if version != config.eip712_version {
            return Err(ChainError::Config(format!(
                "the token's EIP-712 version is {version:?}, configured {:?}",
                config.eip712_version
            )));
        }
        Ok(Chain {
            config,
            provider,
            token,
            treasury,
        })
    }

    pub fn treasury(&self) -> &Treasury {
        &self.treasury
    }

    pub async fn decimals(&self) -> Result<u8, ChainError> {
        self.token.decimals().call().await.map_err(rpc)
    }

    pub async fn balance_of(&self, who: Address) -> Result<U256, ChainError> {
        self.token.balanceOf(who).call().await.map_err(rpc)
    }

    /// Has the treasury's authorization with this nonce been used (or
    /// canceled)? The token's own answer: the final word on "was it paid".
    pub async fn authorization_used(&self, nonce: B256) -> Result<bool, ChainError> {
        self.authorization_used_by(self.treasury.address(), nonce)
            .await
    }

    /// Whether `authorizer`'s EIP-3009 `nonce` is used (or canceled).
    pub async fn authorization_used_by(
        &self,
        authorizer: Address,
        nonce: B256,
    ) -> Result<bool, ChainError> {
        self.token
            .authorizationState(authorizer, nonce)
            .call()
            .await
            .map_err(rpc)
    }

    /// What the token's events say happened to the treasury's
    /// authorization `nonce`: used by a transaction, or canceled, and in
    /// which block. `None` when the node shows neither (not yet, or a
    /// lagging or pruned node): never evidence that nothing happened.
    pub async fn nonce_event(&self, nonce: B256) -> Result<Option<NonceEvent>, ChainError> {
        self.nonce_event_of(self.treasury.address(), nonce).await
    }

    /// [`Chain::nonce_event`] for another authorizer's nonce (a
    /// depositor's).
    pub async fn nonce_event_of(
        &self,
        authorizer: Address,
        nonce: B256,
    ) -> Result<Option<NonceEvent>, ChainError> {
        let filter = Filter::new()
            .address(self.config.token)
            .event_signature(vec![
                EIP3009Token::AuthorizationUsed::SIGNATURE_HASH,
                EIP3009Token::AuthorizationCanceled::SIGNATURE_HASH,
            ])
            .topic1(authorizer.into_word())
            .topic2(nonce)
            .from_block(BlockNumberOrTag::Earliest)
            .to_block(BlockNumberOrTag::Latest);
        let logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        Ok(logs.into_iter().filter(|l| !l.removed).find_map(|l| {
            let tx = l.transaction_hash?;
            let block_number = l.block_number?;
            let used = l.topic0() == Some(&EIP3009Token::AuthorizationUsed::SIGNATURE_HASH);
            Some(if used {
                NonceEvent::Used { tx, block_number }
            } else {
                NonceEvent::Canceled { tx, block_number }
            })
        }))
    }

    /// The transaction that used the treasury's authorization `nonce`, from
    /// the token's `AuthorizationUsed` events; `None` if the node shows
    /// none.
    pub async fn authorization_tx(&self, nonce: B256) -> Result<Option<B256>, ChainError> {
        Ok(match self.nonce_event(nonce).await? {
            Some(NonceEvent::Used { tx, .. }) => Some(tx),
            _ => None,
        })
    }

    /// How deep block `number` is: 1 for the latest block.
    pub async fn depth(&self, number: u64) -> Result<u64, ChainError> {
        let (latest, _) = self.latest_block().await?;
        Ok(latest.saturating_sub(number) + 1)
    }

    /// Whether an authorization valid before `valid_before` (Unix seconds)
    /// has expired in a block `confirmations` deep: no reorg can then make
    /// it usable again.
    pub async fn expired_deep(&self, valid_before: u64) -> Result<bool, ChainError> {
        let (latest, _) = self.latest_block().await?;
        let Some(number) = latest.checked_sub(self.config.confirmations.saturating_sub(1)) else {
            return Ok(false);
        };
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc)?
            .ok_or_else(|| ChainError::Rpc(format!("the node has no block {number}")))?;
        Ok(block.header.timestamp >= valid_before)
    }

    /// Whether mined transaction `tx` is this payment: it succeeded, and
    /// the token logged in it `AuthorizationUsed(treasury, nonce)` and a
    /// `Transfer` of exactly `value` from the treasury to `to`. A
    /// transaction hash reported by someone else proves nothing until
    /// this holds.
    pub async fn pays(
        &self,
        tx: B256,
        nonce: B256,
        to: Address,
        value: U256,
    ) -> Result<bool, ChainError> {
        self.pays_from(tx, self.treasury.address(), nonce, to, value)
            .await
    }

    /// [`Chain::pays`] for another authorizer: `tx` used `from`'s `nonce`
    /// and moved exactly `value` from `from` to `to`.
    pub async fn pays_from(
        &self,
        tx: B256,
        from: Address,
        nonce: B256,
        to: Address,
        value: U256,
    ) -> Result<bool, ChainError> {
        let Some(receipt) = self.receipt(tx).await? else {
            return Ok(false);
        };
        if !receipt.status() {
            return Ok(false);
        }
        let treasury = from;
        let used = receipt
            .inner
            .logs()
            .iter()
            .filter(|l| l.address() == self.config.token)
            .filter_map(|l| l.log_decode::<EIP3009Token::AuthorizationUsed>().ok())
            .any(|e| e.inner.data.authorizer == treasury && e.inner.data.nonce == nonce);
        let transferred = self
            .transfers_in(&receipt)
            .into_iter()
            .any(|(from, t, v)| from == treasury && t == to && v == value);
        Ok(used && transferred)
    }

    /// Sends `transferWithAuthorization` (bytes-signature form) from the
    /// treasury. Returns the transaction hash once the node accepted it; a
    /// revert found while estimating gas is `ChainError::Revert` and
    /// nothing was sent.
    pub async fn send_authorization(
        &self,
        auth: &Authorization,
        signature: &Bytes,
    ) -> Result<B256, ChainError> {
        let call = self.token.transferWithAuthorization_0(
            auth.from,
            auth.to,
            auth.value,
            U256::from(auth.valid_after),
            U256::from(auth.valid_before),
            auth.nonce,
            signature.clone(),
        );
        let pending = call.send().await.map_err(ChainError::from_contract)?;
        Ok(*pending.tx_hash())
    }

    /// Cancels the treasury's authorization `nonce` on chain and waits for
    /// it to be mined: after this, the signed authorization is worthless.
    pub async fn cancel_authorization(&self, nonce: B256) -> Result<B256, ChainError> {
        let typed = bindings::CancelAuthorization {
            authorizer: self.treasury.address(),
            nonce,
        };
        let hash = typed.eip712_signing_hash(&self.config.domain());
        let sig = self
            .treasury
            .signer()
            .sign_hash_sync(&hash)
            .expect("signing a 32-byte hash with a valid key cannot fail");
        let call = self.token.cancelAuthorization_1(
            typed.authorizer,
            typed.nonce,
            Bytes::from(sig.as_bytes().to_vec()),
        );
        let pending = call.send().await.map_err(ChainError::from_contract)?;
        let hash = *pending.tx_hash();
        let receipt = pending
            .with_timeout(Some(Duration::from_secs(60)))
            .get_receipt()
            .await
            .map_err(rpc)?;
        if !receipt.status() {
            return Err(ChainError::Revert(format!(
                "cancelAuthorization {hash} reverted"
            )));
        }
        Ok(hash)
    }

    pub async fn latest_block(&self) -> Result<(u64, u64), ChainError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| ChainError::Rpc("the node has no latest block".into()))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// Where transaction `hash` stands now. A receipt whose block is no
    /// longer canonical (a reorg) counts as not mined.
    pub async fn tx_status(&self, hash: B256) -> Result<TxStatus, ChainError> {
        if let Some(receipt) = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)?
            && let (Some(number), Some(block_hash)) = (receipt.block_number, receipt.block_hash)
        {
            let canonical = self
                .provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .await
                .map_err(rpc)?
                .map(|b| b.header.hash);
            if canonical == Some(block_hash) {
                let (latest, _) = self.latest_block().await?;
                return Ok(TxStatus::Mined {
                    block_number: number,
                    block_hash,
                    depth: latest.saturating_sub(number) + 1,
                    success: receipt.status(),
                });
            }
        }
        let tx = self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(rpc)?;
        Ok(if tx.is_some() {
            TxStatus::Pending
        } else {
            TxStatus::Unknown
        })
    }

    pub async fn receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>, ChainError> {
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)
    }

    /// The token `Transfer` events of a receipt, as (from, to, value).
    pub fn transfers_in(&self, receipt: &TransactionReceipt) -> Vec<(Address, Address, U256)> {
        receipt
            .inner
            .logs()
            .iter()
            .filter(|l| l.address() == self.config.token)
            .filter_map(|l| l.log_decode::<EIP3009Token::Transfer>().ok())
            .map(|t| (t.inner.data.from, t.inner.data.to, t.inner.data.value))
            .collect()
    }
}
