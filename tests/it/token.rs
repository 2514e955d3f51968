//! The EIP-3009 token (`contracts/`) on a real anvil: authorizations signed
//! off-chain with EIP-712 by alloy's local signer, submitted by a relayer
//! that holds ether while the treasury holds none.

use alloy::primitives::{Address, U256, keccak256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolEvent, SolStruct};

use crate::chain::{
    Authorization, CancelAuthorization, Chain, EIP3009Token, ReceiveWithAuthorization, SigForm,
    TOKEN_NAME, TOKEN_SYMBOL, TOKEN_VERSION, TransferWithAuthorization, nonce, offchain_signer,
    revert_reason, sign_cancel,
};

/// One million tokens of 6 decimals.
const TREASURY_FUNDS: u64 = 1_000_000_000_000;
/// A window far wider than any test: the token reads `block.timestamp`.
const HOUR_S: u64 = 3600;

/// A chain with a funded off-chain treasury, a payee and a relayer (both
/// anvil dev accounts, so both can send transactions) and a stranger.
struct World {
    chain: Chain,
    treasury: PrivateKeySigner,
    payee: Address,
    relayer: Address,
    stranger: Address,
}

impl World {
    async fn new() -> World {
        let chain = Chain::start().await;
        let treasury = offchain_signer("treasury");
        chain.mint(treasury.address(), TREASURY_FUNDS).await;
        let [payee, relayer, stranger] = chain.accounts[..3] else {
            panic!("anvil has at least four dev accounts")
        };
        World {
            chain,
            treasury,
            payee,
            relayer,
            stranger,
        }
    }

    /// A valid authorization from the treasury to the payee, open for an
    /// hour either side of the chain's clock.
    async fn authorization(&self, value: u64, label: &str) -> Authorization {
        let now = self.chain.now().await;
        Authorization {
            from: self.treasury.address(),
            to: self.payee,
            value: U256::from(value),
            valid_after: U256::from(now - HOUR_S),
            valid_before: U256::from(now + HOUR_S),
            nonce: nonce(label),
        }
    }
}

/// Expects `result` to be a revert with exactly `reason`.
fn assert_reverts<T: std::fmt::Debug>(
    result: Result<T, alloy::contract::Error>,
    reason: &str,
    what: &str,
) {
    match result {
        Ok(ok) => panic!("{what}: expected a revert with {reason:?}, got {ok:?}"),
        Err(e) => assert_eq!(
            revert_reason(&e).as_deref(),
            Some(reason),
            "{what}: wrong failure: {e}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_as_a_six_decimal_token_that_only_the_deployer_mints() {
    let chain = Chain::start().await;
    let t = &chain.token;
    assert_eq!(t.name().call().await.unwrap(), TOKEN_NAME);
    assert_eq!(t.symbol().call().await.unwrap(), TOKEN_SYMBOL);
    assert_eq!(t.version().call().await.unwrap(), TOKEN_VERSION);
    assert_eq!(t.decimals().call().await.unwrap(), 6);
    assert_eq!(t.minter().call().await.unwrap(), chain.deployer);
    assert_eq!(t.totalSupply().call().await.unwrap(), U256::ZERO);

    let treasury = offchain_signer("treasury").address();
    chain.mint(treasury, TREASURY_FUNDS).await;
    chain.mint(treasury, 1).await;
    assert_eq!(
        chain.balance(treasury).await,
        U256::from(TREASURY_FUNDS + 1)
    );
    assert_eq!(
        t.totalSupply().call().await.unwrap(),
        U256::from(TREASURY_FUNDS + 1)
    );

    let other = chain.accounts[0];
    let res = t.mint(other, U256::from(1)).from(other).send().await;
    assert_reverts(res, "caller is not the minter", "mint by another account");
    assert_eq!(chain.balance(other).await, U256::ZERO);
}

/// The domain separator the token uses equals the one alloy computes from
/// (name, version, chainId, verifyingContract), its EIP-5267 domain says
/// the same, and its typehashes are EIP-3009's type strings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eip712_domain_and_typehashes_match_the_ones_computed_in_rust() {
    let chain = Chain::start().await;
    let t = &chain.token;
    let domain = chain.domain();
    assert_eq!(chain.chain_id, 31337, "anvil's default chain id");
    assert_eq!(
        t.DOMAIN_SEPARATOR().call().await.unwrap(),
        domain.separator()
    );
    // The same separator by hand, so a change in alloy's encoding shows.
    let by_hand = keccak256(
        [
            keccak256(
                "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
            )
            .as_slice(),
            keccak256(TOKEN_NAME).as_slice(),
            keccak256(TOKEN_VERSION).as_slice(),
            &U256::from(chain.chain_id).to_be_bytes::<32>(),
            chain.token_address().into_word().as_slice(),
        ]
        .concat(),
    );
    assert_eq!(domain.separator(), by_hand);

    let d = t.eip712Domain().call().await.unwrap();
    assert_eq!(
        d.fields.0,
        [0x0f],
        "name, version, chainId, verifyingContract"
    );
    assert_eq!(d.name, TOKEN_NAME);
    assert_eq!(d.version, TOKEN_VERSION);
    assert_eq!(d.chainId, U256::from(chain.chain_id));
    assert_eq!(d.verifyingContract, chain.token_address());

    let transfer = "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";
    let receive = "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";
    let cancel = "CancelAuthorization(address authorizer,bytes32 nonce)";
    assert_eq!(TransferWithAuthorization::eip712_encode_type(), transfer);
    assert_eq!(ReceiveWithAuthorization::eip712_encode_type(), receive);
    assert_eq!(CancelAuthorization::eip712_encode_type(), cancel);
    assert_eq!(
        t.TRANSFER_WITH_AUTHORIZATION_TYPEHASH()
            .call()
            .await
            .unwrap(),
        keccak256(transfer)
    );
    assert_eq!(
        t.RECEIVE_WITH_AUTHORIZATION_TYPEHASH()
            .call()
            .await
            .unwrap(),
        keccak256(receive)
    );
    assert_eq!(
        t.CANCEL_AUTHORIZATION_TYPEHASH().call().await.unwrap(),
        keccak256(cancel)
    );

    // A token deployed with another name and version has another domain,
    // and it too is the one computed here.
    let other = Chain::start_with("Other Coin", "OTH", "1").await;
    let other_separator = other.token.DOMAIN_SEPARATOR().call().await.unwrap();
    assert_eq!(other_separator, other.domain().separator());
    assert_ne!(other_separator, domain.separator());
}

/// The core of a payout: the treasury signs off-chain, a relayer submits,
/// funds move, the nonce is used, the events say so. Prints the gas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_with_authorization_moves_funds_and_uses_the_nonce() {
    let w = World::new().await;
    let c = &w.chain;
    let from = w.treasury.address();
    let auth = w.authorization(1_234_567, "payout-1").await;
    assert!(!c.authorization_state(from, auth.nonce).await);
    assert_eq!(
        c.provider.get_balance(from).await.unwrap(),
        U256::ZERO,
        "the treasury holds no ether: it only signs"
    );

    let sig = auth.sign_transfer(&w.treasury, &c.domain());
    let receipt = c
        .transfer_with_authorization(w.relayer, &auth, sig, SigForm::Vrs)
        .await
        .expect("transferWithAuthorization");
    assert!(receipt.status());
    println!(
        "gas used by one transferWithAuthorization (v, r, s): {}",
        receipt.gas_used
    );

    assert_eq!(
        c.balance(from).await,
        U256::from(TREASURY_FUNDS - 1_234_567)
    );
    assert_eq!(c.balance(w.payee).await, U256::from(1_234_567));
    assert_eq!(c.balance(w.relayer).await, U256::ZERO);
    assert!(c.authorization_state(from, auth.nonce).await);

    let logs = receipt.inner.logs();
    let used: Vec<_> = logs
        .iter()
        .filter_map(|l| EIP3009Token::AuthorizationUsed::decode_log(&l.inner).ok())
        .collect();
    assert_eq!(used.len(), 1);
    assert_eq!((used[0].authorizer, used[0].nonce), (from, auth.nonce));
    let transfers: Vec<_> = logs
        .iter()
        .filter_map(|l| EIP3009Token::Transfer::decode_log(&l.inner).ok())
        .collect();
    assert_eq!(transfers.len(), 1);
    assert_eq!(
        (transfers[0].from, transfers[0].to, transfers[0].value),
        (from, w.payee, auth.value)
    );
}

/// A retry of a paid authorization can never pay twice: it is refused when
/// estimated, and a transaction forced on-chain anyway reverts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_used_nonce_reverts() {
    let w = World::new().await;
    let c = &w.chain;
    let auth = w.authorization(500, "payout-replay").await;
    let sig = auth.sign_transfer(&w.treasury, &c.domain());
    c.transfer_with_authorization(w.relayer, &auth, sig, SigForm::Vrs)
        .await
        .expect("first transfer");

    for form in [SigForm::Vrs, SigForm::Bytes] {
        let res = c
            .transfer_with_authorization(w.relayer, &auth, sig, form)
            .await;
        assert_reverts(res, "authorization is used or canceled", "replay");
    }
    // Submitted with a fixed gas limit (no estimate), it is mined and fails.
    let a = &auth;
    let forced = c
        .token
        .transferWithAuthorization_1(
            a.from,
            a.to,
            a.value,
            a.valid_after,
            a.valid_before,
            a.nonce,
            sig.v,
            sig.r,
            sig.s,
        )
        .from(w.relayer)
        .gas(200_000)
        .send()
        .await
        .expect("send without estimate")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(!forced.status(), "a replay mined on-chain must revert");
    assert_eq!(c.balance(w.payee).await, U256::from(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validity_window_is_enforced_against_the_block_time() {
    let w = World::new().await;
    let c = &w.chain;
    let domain = c.domain();
    let now = c.now().await;

    let mut early = w.authorization(10, "not-yet").await;
    early.valid_after = U256::from(now + HOUR_S);
    let sig = early.sign_transfer(&w.treasury, &domain);
    let res = c
        .transfer_with_authorization(w.relayer, &early, sig, SigForm::Vrs)
        .await;
    assert_reverts(res, "authorization is not yet valid", "validAfter ahead");

    let mut late = w.authorization(10, "expired").await;
    late.valid_before = U256::from(now - 1);
    let sig = late.sign_transfer(&w.treasury, &domain);
    let res = c
        .transfer_with_authorization(w.relayer, &late, sig, SigForm::Bytes)
        .await;
    assert_reverts(res, "authorization is expired", "validBefore past");

    // A failed attempt does not use the nonce.
    for a in [&early, &late] {
        assert!(!c.authorization_state(a.from, a.nonce).await);
    }
    assert_eq!(c.balance(w.payee).await, U256::ZERO);
}

/// Only the authorizer's signature over exactly these fields, this type,
/// this token and this chain moves its funds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_by_anyone_else_or_over_anything_else_is_invalid() {
    let w = World::new().await;
    let c = &w.chain;
    let domain = c.domain();
    let auth = w.authorization(1_000, "wrong-signer").await;

    let cases: Vec<(&str, crate::chain::Sig, Authorization)> = vec![
        (
            "signed by another key",
            auth.sign_transfer(&offchain_signer("mallory"), &domain),
            auth.clone(),
        ),
        (
            "value raised after signing",
            auth.sign_transfer(&w.treasury, &domain),
            Authorization {
                value: auth.value + U256::from(1),
                ..auth.clone()
            },
        ),
        (
            "payee changed after signing",
            auth.sign_transfer(&w.treasury, &domain),
            Authorization {
                to: w.stranger,
                ..auth.clone()
            },
        ),
        (
            "signed as ReceiveWithAuthorization",
            auth.sign_receive(&w.treasury, &domain),
            auth.clone(),
        ),
        (
            "signed for another chain id",
            auth.sign_transfer(
                &w.treasury,
                &Eip712Domain {
                    chain_id: Some(U256::from(8453)),
                    ..domain.clone()
                },
            ),
            auth.clone(),
        ),
        (
            "signed for another token",
            auth.sign_transfer(
                &w.treasury,
                &Eip712Domain {
                    verifying_contract: Some(Address::repeat_byte(0x42)),
                    ..domain.clone()
                },
            ),
            auth.clone(),
        ),
        (
            "signed for another version",
            auth.sign_transfer(
                &w.treasury,
                &Eip712Domain {
                    version: Some("1".into()),
                    ..domain.clone()
                },
            ),
            auth.clone(),
        ),
    ];
    for (what, sig, submitted) in cases {
        for form in [SigForm::Vrs, SigForm::Bytes] {
            let res = c
                .transfer_with_authorization(w.relayer, &submitted, sig, form)
                .await;
            assert_reverts(res, "invalid signature", what);
        }
    }
    assert!(!c.authorization_state(auth.from, auth.nonce).await);
    assert_eq!(c.balance(w.payee).await, U256::ZERO);
    assert_eq!(c.balance(w.stranger).await, U256::ZERO);
}

/// The `bytes signature` entry point (the one x402 facilitators call)
/// accepts the 65-byte r || s || v form, and the nonce it uses is the same
/// nonce the (v, r, s) form would use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_signature_form_transfers() {
    let w = World::new().await;
    let c = &w.chain;
    let auth = w.authorization(77, "bytes-form").await;
    let sig = auth.sign_transfer(&w.treasury, &c.domain());
    assert_eq!(sig.to_bytes().len(), 65);
    let receipt = c
        .transfer_with_authorization(w.relayer, &auth, sig, SigForm::Bytes)
        .await
        .expect("transferWithAuthorization(bytes)");
    assert!(receipt.status());
    println!(
        "gas used by one transferWithAuthorization (bytes): {}",
        receipt.gas_used
    );
    assert_eq!(c.balance(w.payee).await, U256::from(77));
    assert!(c.authorization_state(auth.from, auth.nonce).await);
    let res = c
        .transfer_with_authorization(w.relayer, &auth, sig, SigForm::Vrs)
        .await;
    assert_reverts(res, "authorization is used or canceled", "other form");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_with_authorization_only_from_the_payee() {
    let w = World::new().await;
    let c = &w.chain;
    let domain = c.domain();
    let auth = w.authorization(300, "receive").await;
    let sig = auth.sign_receive(&w.treasury, &domain);

    for sender in [w.relayer, w.stranger, c.deployer] {
        for form in [SigForm::Vrs, SigForm::Bytes] {
            let res = c.receive_with_authorization(sender, &auth, sig, form).await;
            assert_reverts(res, "caller must be the payee", "receive by another");
        }
    }
    // A TransferWithAuthorization signature is not a receive authorization.
    let transfer_sig = auth.sign_transfer(&w.treasury, &domain);
    let res = c
        .receive_with_authorization(w.payee, &auth, transfer_sig, SigForm::Vrs)
        .await;
    assert_reverts(res, "invalid signature", "transfer signature on receive");
    assert!(!c.authorization_state(auth.from, auth.nonce).await);

    let receipt = c
        .receive_with_authorization(w.payee, &auth, sig, SigForm::Vrs)
        .await
        .expect("receiveWithAuthorization by the payee");
    assert!(receipt.status());
    assert_eq!(c.balance(w.payee).await, U256::from(300));
    assert!(c.authorization_state(auth.from, auth.nonce).await);

    // The bytes form works for the payee too.
    let auth2 = w.authorization(5, "receive-bytes").await;
    let sig2 = auth2.sign_receive(&w.treasury, &domain);
    c.receive_with_authorization(w.payee, &auth2, sig2, SigForm::Bytes)
        .await
        .expect("receiveWithAuthorization(bytes)");
    assert_eq!(c.balance(w.payee).await, U256::from(305));
}

/// A canceled nonce can never pay, in either form, and cancels once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_authorization_blocks_a_later_transfer() {
    let w = World::new().await;
    let c = &w.chain;
    let domain = c.domain();
    let from = w.treasury.address();
    let auth = w.authorization(900, "cancel-me").await;
    let sig = auth.sign_transfer(&w.treasury, &domain);

    // Only the authorizer can cancel.
    let forged = sign_cancel(&offchain_signer("mallory"), from, auth.nonce, &domain);
    let res = c
        .cancel_authorization(w.relayer, from, auth.nonce, forged, SigForm::Vrs)
        .await;
    assert_reverts(res, "invalid signature", "cancel signed by another key");

    let cancel = sign_cancel(&w.treasury, from, auth.nonce, &domain);
    let receipt = c
        .cancel_authorization(w.relayer, from, auth.nonce, cancel, SigForm::Vrs)
        .await
        .expect("cancelAuthorization");
    assert!(receipt.status());
    let canceled: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| EIP3009Token::AuthorizationCanceled::decode_log(&l.inner).ok())
        .collect();
    assert_eq!(canceled.len(), 1);
    assert_eq!(
        (canceled[0].authorizer, canceled[0].nonce),
        (from, auth.nonce)
    );
    assert!(c.authorization_state(from, auth.nonce).await);

    for form in [SigForm::Vrs, SigForm::Bytes] {
        let res = c
            .transfer_with_authorization(w.relayer, &auth, sig, form)
            .await;
        assert_reverts(res, "authorization is used or canceled", "after cancel");
        let res = c
            .cancel_authorization(w.relayer, from, auth.nonce, cancel, form)
            .await;
        assert_reverts(res, "authorization is used or canceled", "cancel twice");
    }
    assert_eq!(c.balance(w.payee).await, U256::ZERO);

    // The bytes form of cancel works on another nonce.
    let n2 = crate::chain::nonce("cancel-bytes");
    let cancel2 = sign_cancel(&w.treasury, from, n2, &domain);
    c.cancel_authorization(w.relayer, from, n2, cancel2, SigForm::Bytes)
        .await
        .expect("cancelAuthorization(bytes)");
    assert!(c.authorization_state(from, n2).await);
}

/// A treasury short of funds fails the whole transaction: nothing moves and
/// the nonce stays unused, so the same authorization can pay later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfunded_authorization_fails_without_using_its_nonce() {
    let w = World::new().await;
    let c = &w.chain;
    let auth = w.authorization(TREASURY_FUNDS + 1, "too-much").await;
    let sig = auth.sign_transfer(&w.treasury, &c.domain());
    let err = c
        .transfer_with_authorization(w.relayer, &auth, sig, SigForm::Vrs)
        .await
        .expect_err("more than the balance");
    let decoded = err
        .as_decoded_error::<EIP3009Token::ERC20InsufficientBalance>()
        .unwrap_or_else(|| panic!("ERC20InsufficientBalance, got {err}"));
    assert_eq!(decoded.sender, auth.from);
    assert_eq!(decoded.balance, U256::from(TREASURY_FUNDS));
    assert_eq!(decoded.needed, auth.value);
    assert!(!c.authorization_state(auth.from, auth.nonce).await);

    c.mint(auth.from, 1).await;
    c.transfer_with_authorization(w.relayer, &auth, sig, SigForm::Vrs)
        .await
        .expect("the same authorization once funded");
    assert_eq!(c.balance(auth.from).await, U256::ZERO);
    assert_eq!(c.balance(w.payee).await, auth.value);
}

/// The committed artifact is exactly what the pinned solc makes of the
/// source, so the bytecode the tests deploy is the Solidity we read.
#[test]
fn the_committed_artifact_is_compiled_from_the_source() {
    // `npm ci` if needed: solc and OpenZeppelin come with anvil.
    crate::chain::anvil_path();
    let out = std::process::Command::new("node")
        .args(["contracts/build.mjs", "--check"])
        .current_dir(crate::support::root())
        .output()
        .expect("run node contracts/build.mjs --check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("EIP3009Token.json is up to date"),
        "{stdout}"
    );
}
