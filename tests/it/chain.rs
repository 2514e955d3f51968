//! The local chain for tests: the pinned npm tools (installed once per test
//! process when missing), an anvil on a free port, and the EIP-3009 token
//! deployed from the committed artifact (`contracts/artifacts`).
//!
//! Each test starts its own anvil (about 100 ms) so tests never share
//! nonces, balances or block times; the node is killed when its `Chain`
//! drops.

use std::path::PathBuf;
use std::sync::OnceLock;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolStruct};

use settlement::payout::chain::signing_provider;
/// The token's bindings and EIP-3009's typed data, generated once from the
/// committed artifact; USDC's EIP-712 name and version, as deployed.
pub use settlement::payout::chain::{
    CancelAuthorization, EIP3009Token, ReceiveWithAuthorization, TransferWithAuthorization,
};
pub use settlement::payout::local::{TOKEN_NAME, TOKEN_SYMBOL, TOKEN_VERSION};

/// The anvil binary from the pinned npm tools (installed on first use).
pub fn anvil_path() -> &'static PathBuf {
    static ANVIL: OnceLock<PathBuf> = OnceLock::new();
    ANVIL.get_or_init(|| settlement::payout::local::anvil_path().unwrap_or_else(|e| panic!("{e}")))
}

/// A running anvil with the token deployed by `deployer`.
pub struct Chain {
    /// Kept for its `Drop`, which kills the node.
    _anvil: AnvilInstance,
    /// Signs for every anvil dev account; `.from(addr)` picks the sender,
    /// the deployer by default.
    pub provider: DynProvider,
    pub chain_id: u64,
    pub token: EIP3009Token::EIP3009TokenInstance<DynProvider>,
    /// Anvil dev account 0: deploys the token, so the only minter.
    pub deployer: Address,
    /// Anvil dev accounts 1..: have ether, so they can send transactions.
    pub accounts: Vec<Address>,
    /// The EIP-712 name and version the token was deployed with.
    name: String,
    version: String,
}

impl Chain {
    /// Starts anvil on a free port and deploys the token with USDC's
    /// EIP-712 name and version.
    pub async fn start() -> Chain {
        Chain::start_with(TOKEN_NAME, TOKEN_SYMBOL, TOKEN_VERSION).await
    }

    pub async fn start_with(name: &str, symbol: &str, version: &str) -> Chain {
        let anvil = Anvil::at(anvil_path()).port(0u16).spawn();
        let mut signers = anvil.keys().iter().map(PrivateKeySigner::from);
        let first = signers.next().expect("anvil has dev accounts");
        let deployer = first.address();
        let mut wallet = alloy::network::EthereumWallet::new(first);
        let mut accounts = Vec::new();
        for signer in signers {
            accounts.push(signer.address());
            wallet.register_signer(signer);
        }
        // Many calls here revert in the estimate on purpose: see
        // `signing_provider` for why its nonce manager matters.
        let provider = signing_provider(wallet, anvil.endpoint_url()).expect("provider");
        let chain_id = provider.get_chain_id().await.expect("eth_chainId");
        let token = EIP3009Token::deploy(
            provider.clone(),
            name.to_owned(),
            symbol.to_owned(),
            version.to_owned(),
        )
        .await
        .expect("deploy EIP3009Token");
        Chain {
            _anvil: anvil,
            provider,
            chain_id,
            token,
            deployer,
            accounts,
            name: name.to_owned(),
            version: version.to_owned(),
        }
    }

    /// The token's address.
    pub fn token_address(&self) -> Address {
        *self.token.address()
    }

    /// The EIP-712 domain the token checks signatures against, computed
    /// here from what we deployed (not read from the chain).
    pub fn domain(&self) -> Eip712Domain {
        Eip712Domain::new(
            Some(self.name.clone().into()),
            Some(self.version.clone().into()),
            Some(U256::from(self.chain_id)),
            Some(self.token_address()),
            None,
        )
    }

    /// Mints `value` token units to `to` (as the deployer) and waits for it.
    pub async fn mint(&self, to: Address, value: u64) {
        let receipt = self
            .token
            .mint(to, U256::from(value))
            .send()
            .await
            .expect("send mint")
            .get_receipt()
            .await
            .expect("mint receipt");
        assert!(receipt.status(), "mint reverted");
    }

    pub async fn balance(&self, who: Address) -> U256 {
        self.token.balanceOf(who).call().await.expect("balanceOf")
    }

    pub async fn authorization_state(&self, authorizer: Address, nonce: B256) -> bool {
        self.token
            .authorizationState(authorizer, nonce)
            .call()
            .await
            .expect("authorizationState")
    }

    /// Submits `transferWithAuthorization` from `sender` in the given form.
    /// An `Err` is a revert found when estimating gas (nothing was mined).
    pub async fn transfer_with_authorization(
        &self,
        sender: Address,
        auth: &Authorization,
        sig: Sig,
        form: SigForm,
    ) -> Result<TransactionReceipt, alloy::contract::Error> {
        let a = auth;
        match form {
            SigForm::Vrs => {
                let call = self.token.transferWithAuthorization_1(
                    a.from,
                    a.to,
                    a.value,
                    a.valid_after,
                    a.valid_before,
                    a.nonce,
                    sig.v,
                    sig.r,
                    sig.s,
                );
                submit(call.from(sender)).await
            }
            SigForm::Bytes => {
                let call = self.token.transferWithAuthorization_0(
                    a.from,
                    a.to,
                    a.value,
                    a.valid_after,
                    a.valid_before,
                    a.nonce,
                    sig.to_bytes(),
                );
                submit(call.from(sender)).await
            }
        }
    }

    /// Submits `receiveWithAuthorization` from `sender` in the given form.
    pub async fn receive_with_authorization(
        &self,
        sender: Address,
        auth: &Authorization,
        sig: Sig,
        form: SigForm,
    ) -> Result<TransactionReceipt, alloy::contract::Error> {
        let a = auth;
        match form {
            SigForm::Vrs => {
                let call = self.token.receiveWithAuthorization_1(
                    a.from,
                    a.to,
                    a.value,
                    a.valid_after,
                    a.valid_before,
                    a.nonce,
                    sig.v,
                    sig.r,
                    sig.s,
                );
                submit(call.from(sender)).await
            }
            SigForm::Bytes => {
                let call = self.token.receiveWithAuthorization_0(
                    a.from,
                    a.to,
                    a.value,
                    a.valid_after,
                    a.valid_before,
                    a.nonce,
                    sig.to_bytes(),
                );
                submit(call.from(sender)).await
            }
        }
    }

    /// Submits `cancelAuthorization` from `sender` in the given form.
    pub async fn cancel_authorization(
        &self,
        sender: Address,
        authorizer: Address,
        nonce: B256,
        sig: Sig,
        form: SigForm,
    ) -> Result<TransactionReceipt, alloy::contract::Error> {
        match form {
            SigForm::Vrs => {
                let call = self
                    .token
                    .cancelAuthorization_0(authorizer, nonce, sig.v, sig.r, sig.s);
                submit(call.from(sender)).await
            }
            SigForm::Bytes => {
                let call = self
                    .token
                    .cancelAuthorization_1(authorizer, nonce, sig.to_bytes());
                submit(call.from(sender)).await
            }
        }
    }

    /// The latest block's timestamp: the clock the token's windows use.
    pub async fn now(&self) -> u64 {
        self.provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("eth_getBlockByNumber")
            .expect("a latest block")
            .header
            .timestamp
    }
}

/// A key that only signs off-chain (a treasury needs no ether: a relayer
/// submits its authorizations). Derived from `label` so runs repeat.
pub fn offchain_signer(label: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(label.as_bytes())).expect("a valid secp256k1 key")
}

/// An EIP-3009 nonce derived from a label, as a payout's will be from its id.
pub fn nonce(label: &str) -> B256 {
    keccak256(format!("nonce:{label}").as_bytes())
}

/// An authorization's fields, signed or not.
#[derive(Clone, Debug)]
pub struct Authorization {
    pub from: Address,
    pub to: Address,
    pub value: U256,
    pub valid_after: U256,
    pub valid_before: U256,
    pub nonce: B256,
}

/// An ECDSA signature in both forms the token accepts.
#[derive(Clone, Copy, Debug)]
pub struct Sig {
    pub v: u8,
    pub r: B256,
    pub s: B256,
}

impl Sig {
    fn of(signer: &PrivateKeySigner, hash: &B256) -> Sig {
        let sig = signer.sign_hash_sync(hash).expect("sign hash");
        let bytes = sig.as_bytes();
        Sig {
            v: bytes[64],
            r: B256::from_slice(&bytes[..32]),
            s: B256::from_slice(&bytes[32..64]),
        }
    }

    /// r || s || v, 65 bytes, v in {27, 28}.
    pub fn to_bytes(self) -> Bytes {
        let mut out = Vec::with_capacity(65);
        out.extend_from_slice(self.r.as_slice());
        out.extend_from_slice(self.s.as_slice());
        out.push(self.v);
        out.into()
    }
}

impl Authorization {
    pub fn transfer_struct(&self) -> TransferWithAuthorization {
        TransferWithAuthorization {
            from: self.from,
            to: self.to,
            value: self.value,
            validAfter: self.valid_after,
            validBefore: self.valid_before,
            nonce: self.nonce,
        }
    }

    pub fn receive_struct(&self) -> ReceiveWithAuthorization {
        ReceiveWithAuthorization {
            from: self.from,
            to: self.to,
            value: self.value,
            validAfter: self.valid_after,
            validBefore: self.valid_before,
            nonce: self.nonce,
        }
    }

    /// Signs `TransferWithAuthorization` under `domain`.
    pub fn sign_transfer(&self, signer: &PrivateKeySigner, domain: &Eip712Domain) -> Sig {
        Sig::of(signer, &self.transfer_struct().eip712_signing_hash(domain))
    }

    /// Signs `ReceiveWithAuthorization` under `domain`.
    pub fn sign_receive(&self, signer: &PrivateKeySigner, domain: &Eip712Domain) -> Sig {
        Sig::of(signer, &self.receive_struct().eip712_signing_hash(domain))
    }
}

/// Signs `CancelAuthorization(authorizer, nonce)` under `domain`.
pub fn sign_cancel(
    signer: &PrivateKeySigner,
    authorizer: Address,
    nonce: B256,
    domain: &Eip712Domain,
) -> Sig {
    let cancel = CancelAuthorization { authorizer, nonce };
    Sig::of(signer, &cancel.eip712_signing_hash(domain))
}

/// Which of the token's two entry points a signature goes to: the
/// `(uint8 v, bytes32 r, bytes32 s)` one or the `bytes signature` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigForm {
    Vrs,
    Bytes,
}

/// Sends `call` and waits for its receipt. The ABI's overloads are numbered
/// by `sol!` in artifact order (`_0`, `_1`); the argument types above pin
/// which is which, so a reordered artifact fails to compile, not to run.
async fn submit<D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&DynProvider, D>,
) -> Result<TransactionReceipt, alloy::contract::Error> {
    let pending = call.send().await?;
    Ok(pending.get_receipt().await.expect("transaction receipt"))
}

/// The `Error(string)` reason a failed call or send reverted with, if it
/// reverted with one.
pub fn revert_reason(err: &alloy::contract::Error) -> Option<String> {
    use alloy::sol_types::{Revert, SolError};
    let data = err.as_revert_data()?;
    Revert::abi_decode(&data).ok().map(|r| r.reason)
}
