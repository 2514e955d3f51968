//! An x402 facilitator in process: the x402-rs EIP-155 `exact` scheme
//! (verify a `PAYMENT-SIGNATURE`, then submit its `transferWithAuthorization`)
//! against the configured chain, with a key of ours paying the gas. Used by
//! the x402-protected deposit route, and by tests as a provider's endpoint.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use x402_chain_eip155::V2Eip155Exact;
use x402_chain_eip155::chain::config::Eip155ChainConfig;
use x402_chain_eip155::chain::{
    AssetTransferMethod, Eip155ChainProvider, Eip155ChainReference, Eip155TokenDeployment,
};
use x402_types::chain::{DeployedTokenAmount, FromConfig};
use x402_types::facilitator::Facilitator;
use x402_types::proto;
use x402_types::scheme::{X402SchemeFacilitator, X402SchemeFacilitatorBuilder};

use super::chain::{ChainConfig, Treasury};

/// The EIP-6492 validator, Permit2 and the x402 Permit2 proxy: the x402-rs
/// chain provider refuses to start unless these have code. Real networks
/// have them; a local chain gets a one-byte stub (plain EIP-3009 payments
/// never call them).
pub const REQUIRED_CONTRACTS: [&str; 3] = [
    "0xdAcD51A54883eb67D95FAEb2BBfdC4a9a6BD2a3B",
    "0x000000000022D473030F116dDEE9F6B43aC78BA3",
    "0x402085c248EeA27D92E8b30b2C58ed07f9E20001",
];

/// One scheme handler as a [`Facilitator`].
#[derive(Clone)]
pub struct InProcess(Arc<dyn X402SchemeFacilitator>);

impl Facilitator for InProcess {
    type Error = String;

    fn verify(
        &self,
        request: &proto::VerifyRequest,
    ) -> impl Future<Output = Result<proto::VerifyResponse, String>> + Send {
        let (h, r) = (self.0.clone(), request.clone());
        async move { h.verify(&r).await.map_err(|e| e.to_string()) }
    }

    fn settle(
        &self,
        request: &proto::SettleRequest,
    ) -> impl Future<Output = Result<proto::SettleResponse, String>> + Send {
        let (h, r) = (self.0.clone(), request.clone());
        async move { h.settle(&r).await.map_err(|e| e.to_string()) }
    }

    fn supported(&self) -> impl Future<Output = Result<proto::SupportedResponse, String>> + Send {
        let h = self.0.clone();
        async move { h.supported().await.map_err(|e| e.to_string()) }
    }
}

/// What the facilitator says of a payment before anything is settled.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Refused, with x402's reason code (`insufficient_funds`, ...).
    Invalid(String),
    /// The chain could not be asked; nothing is known.
    Unknown,
}

impl InProcess {
    /// Verifies a payment against its requirements (signature, the payer's
    /// balance, an unused nonce, the validity window), settling nothing.
    pub async fn check(&self, request: &proto::VerifyRequest) -> Verdict {
        use x402_types::proto::AsPaymentProblem as _;
        use x402_types::scheme::X402SchemeFacilitatorError as E;
        let code = |reason: x402_types::proto::ErrorReason| {
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unspecified".into())
        };
        match self.0.verify(request).await {
            Ok(answer) if answer.0.get("isValid") == Some(&serde_json::Value::Bool(true)) => {
                Verdict::Valid
            }
            Ok(answer) => Verdict::Invalid(
                answer
                    .0
                    .get("invalidReason")
                    .and_then(serde_json::Value::as_str)
                    .filter(|r| r.len() <= 64 && r.bytes().all(|b| b.is_ascii_graphic()))
                    .unwrap_or("unspecified")
                    .to_owned(),
            ),
            Err(E::PaymentVerification(e)) => {
                Verdict::Invalid(code(e.as_payment_problem().reason()))
            }
            Err(E::OnchainFailure(_)) => Verdict::Unknown,
        }
    }

    /// The `exact` scheme on `chain`, sending transactions as `relayer`.
    /// The key goes to the x402-rs provider in memory only.
    pub async fn start(chain: &ChainConfig, relayer: &Treasury) -> Result<InProcess, String> {
        let inner = serde_json::from_value(serde_json::json!({
            "signers": [relayer.secret_hex()],
            "rpc": [{"http": chain.rpc_url}],
        }))
        .map_err(|e| format!("x402 facilitator configuration: {e}"))?;
        let config = Eip155ChainConfig {
            chain_reference: Eip155ChainReference::new(chain.chain_id),
            inner,
        };
        let provider = Eip155ChainProvider::from_config(&config)
            .await
            .map_err(|e| format!("x402 facilitator: {e}"))?;
        let handler = X402SchemeFacilitatorBuilder::<Arc<Eip155ChainProvider>>::build(
            &V2Eip155Exact,
            Arc::new(provider),
            None,
        )
        .map_err(|e| format!("x402 exact scheme: {e}"))?;
        Ok(InProcess(Arc::from(handler)))
    }
}

/// The token as x402-rs describes it.
pub fn token_deployment(chain: &ChainConfig, decimals: u8) -> Eip155TokenDeployment {
    Eip155TokenDeployment {
        chain_reference: Eip155ChainReference::new(chain.chain_id),
        address: chain.token,
        decimals,
        transfer_method: AssetTransferMethod::Eip3009 {
            name: chain.eip712_name.clone(),
            version: chain.eip712_version.clone(),
        },
    }
}

/// An x402 v2 price: `amount` token units paid to `pay_to`.
pub fn price_tag(
    pay_to: Address,
    token: &Eip155TokenDeployment,
    amount: U256,
) -> x402_types::proto::v2::PriceTag {
    V2Eip155Exact::price_tag(
        pay_to,
        DeployedTokenAmount {
            amount,
            token: token.clone(),
        },
    )
}

/// What the x402 deposit route needs: the facilitator, the token, who is
/// paid (the treasury), and the ledger currency credited.
#[derive(Clone)]
pub struct DepositGate {
    pub facilitator: InProcess,
    pub token: Eip155TokenDeployment,
    pub pay_to: Address,
    pub currency: String,
    pub currency_decimals: u32,
}

impl DepositGate {
    /// A gate on `chain` paying to `treasury`. The facilitator's
    /// transactions are sent (and their gas paid) by `relayer`, an account
    /// of its own: the treasury's transactions then have one sender, the
    /// payout engine, and deposits never race payouts for its nonces.
    pub async fn start(
        chain: &ChainConfig,
        relayer: &Treasury,
        treasury: Address,
        token_decimals: u8,
        currency: &str,
        currency_decimals: u32,
    ) -> Result<DepositGate, String> {
        if relayer.address() == treasury {
            return Err(
                "deposit relayer: must be an account of its own, not the treasury (they would race for the treasury's nonces)"
                    .into(),
            );
        }
        Ok(DepositGate {
            facilitator: InProcess::start(chain, relayer).await?,
            token: token_deployment(chain, token_decimals),
            pay_to: treasury,
            currency: currency.to_owned(),
            currency_decimals,
        })
    }
}
