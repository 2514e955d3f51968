//! A deposit's beneficiary, bound into what the payer signs.
//!
//! `POST /v1/deposits?requester=DID` credits the DID named in the query.
//! Were the EIP-3009 nonce free, whoever relays a `PAYMENT-SIGNATURE`
//! could present it first with another DID and be credited. So the nonce
//! the payer signs must be
//!
//! ```text
//! nonce = keccak256("settlement-deposit-v1:" || utf8(requester DID) || salt)
//! ```
//!
//! with `salt` 32 bytes of the payer's choosing, sent beside the payment
//! in the x402 v2 payload's `extensions.settlementDeposit.salt` (0x hex).
//! The tag and the salt have fixed lengths, so the DID is delimited. To
//! redeem the payment for another DID, a relayer would need a salt that
//! hashes to the same nonce: a preimage of keccak256. The 402 response
//! declares the rule under the same extension key.

use alloy::primitives::{B256, keccak256};

/// The x402 v2 extension key of the binding, in the 402's declaration and
/// in the payment payload.
pub const EXTENSION_KEY: &str = "settlementDeposit";

const TAG: &[u8] = b"settlement-deposit-v1:";

/// The EIP-3009 nonce that credits `requester`, for one `salt`.
pub fn deposit_nonce(requester: &str, salt: &B256) -> B256 {
    keccak256([TAG, requester.as_bytes(), salt.as_slice()].concat())
}

/// What the 402 response declares under [`EXTENSION_KEY`].
#[derive(serde::Serialize)]
pub struct Declaration {
    /// How the payer derives the nonce.
    pub nonce: &'static str,
    /// Where the payer puts its salt.
    #[serde(rename = "saltIn")]
    pub salt_in: &'static str,
}

impl x402_types::scheme::ExtensionKey for Declaration {
    const EXTENSION_KEY: &'static str = EXTENSION_KEY;
}

impl Declaration {
    pub const fn new() -> Declaration {
        Declaration {
            nonce: "keccak256(\"settlement-deposit-v1:\" || utf8(requester) || salt)",
            salt_in: "extensions.settlementDeposit.salt of the payment: 32 bytes, 0x hex",
        }
    }
}

impl Default for Declaration {
    fn default() -> Self {
        Declaration::new()
    }
}

/// Why a payment does not credit the requester it was presented for.
#[derive(Debug, PartialEq, Eq)]
pub enum Unbound {
    /// No `extensions.settlementDeposit.salt` in the payment.
    NoSalt,
    /// The salt is not 32 bytes of 0x hex.
    BadSalt,
    /// The signed nonce is not the one this requester and salt give.
    OtherBeneficiary,
}

impl Unbound {
    /// The refusal, naming the field and the rule.
    pub fn message(&self) -> &'static str {
        match self {
            Unbound::NoSalt => {
                "PAYMENT-SIGNATURE: extensions.settlementDeposit.salt is missing: a deposit's nonce \
                 must bind the requester (keccak256(\"settlement-deposit-v1:\" || requester || salt))"
            }
            Unbound::BadSalt => {
                "PAYMENT-SIGNATURE: extensions.settlementDeposit.salt: must be 32 bytes of 0x hex"
            }
            Unbound::OtherBeneficiary => {
                "PAYMENT-SIGNATURE: payload.authorization.nonce does not bind this requester: it must be \
                 keccak256(\"settlement-deposit-v1:\" || requester || salt)"
            }
        }
    }
}

/// Checks that `nonce` credits `requester`, given the salt text the
/// payment carries (if any).
pub fn check(requester: &str, nonce: &B256, salt: Option<&str>) -> Result<(), Unbound> {
    let salt = salt.ok_or(Unbound::NoSalt)?;
    let salt = parse_salt(salt).ok_or(Unbound::BadSalt)?;
    if deposit_nonce(requester, &salt) == *nonce {
        Ok(())
    } else {
        Err(Unbound::OtherBeneficiary)
    }
}

fn parse_salt(s: &str) -> Option<B256> {
    let hex = s.strip_prefix("0x")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "did:plc:alice";
    const MALLORY: &str = "did:plc:mallory";

    #[test]
    fn a_nonce_binds_one_requester() {
        let salt = B256::repeat_byte(7);
        let nonce = deposit_nonce(ALICE, &salt);
        let text = salt.to_string();
        assert_eq!(check(ALICE, &nonce, Some(&text)), Ok(()));
        assert_eq!(
            check(MALLORY, &nonce, Some(&text)),
            Err(Unbound::OtherBeneficiary)
        );
        assert_eq!(check(ALICE, &nonce, None), Err(Unbound::NoSalt));
        for bad in ["", "0x", "07", &text[2..], &format!("{text}00"), "0xzz"] {
            assert_eq!(
                check(ALICE, &nonce, Some(bad)),
                Err(Unbound::BadSalt),
                "{bad}"
            );
        }
        // Another salt gives another nonce.
        let other = B256::repeat_byte(8).to_string();
        assert_eq!(
            check(ALICE, &nonce, Some(&other)),
            Err(Unbound::OtherBeneficiary)
        );
    }

    #[test]
    fn the_rule_is_fixed() {
        // viem: keccak256(concat([toHex("settlement-deposit-v1:did:plc:alice"),
        // "0x" + "07".repeat(32)])).
        assert_eq!(
            deposit_nonce(ALICE, &B256::repeat_byte(7)).to_string(),
            "0x77afd2a85942d4299f41a2bfe52cd1c1bfe57b34eb3a93fbac9d9a60b644a776"
        );
    }
}
