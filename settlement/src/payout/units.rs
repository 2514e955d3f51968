//! Ledger minor units to token units and back: `rust_decimal`, rounded
//! toward zero, so what a token cannot carry stays payable in the ledger.

use alloy::primitives::U256;
use rust_decimal::prelude::ToPrimitive as _;
use rust_decimal::{Decimal, RoundingStrategy};

/// `amount_minor` (of a currency with `currency_decimals`) in token units
/// (`token_decimals`), rounded toward zero, and the part of `amount_minor`
/// that those units pay exactly. What is not paid stays payable.
/// `None` if the amount is negative or beyond what a decimal holds.
pub fn to_token_units(
    amount_minor: i64,
    currency_decimals: u32,
    token_decimals: u32,
) -> Option<(U256, i64)> {
    if amount_minor < 0 || currency_decimals > 18 || token_decimals > 18 {
        return None;
    }
    let amount =
        Decimal::try_from_i128_with_scale(i128::from(amount_minor), currency_decimals).ok()?;
    let token_scale = Decimal::from_i128_with_scale(10i128.pow(token_decimals), 0);
    let currency_scale = Decimal::from_i128_with_scale(10i128.pow(currency_decimals), 0);
    let units = amount
        .checked_mul(token_scale)?
        .round_dp_with_strategy(0, RoundingStrategy::ToZero);
    // What those whole units pay back in minor units: exact, because the
    // units were rounded to what the token can carry.
    let paid = units
        .checked_mul(currency_scale)?
        .checked_div(token_scale)?;
    if !paid.fract().is_zero() {
        return None;
    }
    let units = units.to_u128()?;
    let paid = paid.to_i64()?;
    Some((U256::from(units), paid))
}

/// The inverse: `value` token units in minor units of the currency, rounded
/// toward zero. `None` if out of range.
pub fn from_token_units(value: U256, currency_decimals: u32, token_decimals: u32) -> Option<i64> {
    if currency_decimals > 18 || token_decimals > 18 {
        return None;
    }
    let units = Decimal::from_i128_with_scale(i128::try_from(u128::try_from(value).ok()?).ok()?, 0);
    let minor = units
        .checked_mul(Decimal::from_i128_with_scale(
            10i128.pow(currency_decimals),
            0,
        ))?
        .checked_div(Decimal::from_i128_with_scale(10i128.pow(token_decimals), 0))?
        .round_dp_with_strategy(0, RoundingStrategy::ToZero);
    minor.to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_become_micro_units_exactly() {
        assert_eq!(
            to_token_units(12_345, 2, 6),
            Some((U256::from(123_450_000u64), 12_345))
        );
        assert_eq!(to_token_units(0, 2, 6), Some((U256::ZERO, 0)));
        let max = to_token_units(i64::MAX, 2, 6).unwrap();
        assert_eq!(max.0, U256::from(i64::MAX as u128 * 10_000));
        assert_eq!(max.1, i64::MAX);
    }

    #[test]
    fn finer_currencies_round_down_and_keep_the_rest() {
        // 8 decimals paid in a 6-decimal token: the last two digits stay.
        assert_eq!(
            to_token_units(123_456_789, 8, 6),
            Some((U256::from(1_234_567u64), 123_456_700))
        );
        assert_eq!(to_token_units(99, 8, 6), Some((U256::ZERO, 0)));
        assert_eq!(to_token_units(100, 8, 6), Some((U256::from(1u64), 100)));
    }

    #[test]
    fn token_units_back_to_minor_units_round_down() {
        assert_eq!(
            from_token_units(U256::from(123_450_000u64), 2, 6),
            Some(12_345)
        );
        assert_eq!(
            from_token_units(U256::from(123_459_999u64), 2, 6),
            Some(12_345)
        );
        assert_eq!(from_token_units(U256::from(1u64), 8, 6), Some(100));
        assert_eq!(from_token_units(U256::MAX, 2, 6), None);
        for minor in [0i64, 1, 99, 12_345, i64::MAX / 10_000] {
            let (units, paid) = to_token_units(minor, 2, 6).unwrap();
            assert_eq!(from_token_units(units, 2, 6), Some(paid));
        }
    }

    #[test]
    fn nonsense_is_refused() {
        assert_eq!(to_token_units(-1, 2, 6), None);
        assert_eq!(to_token_units(1, 19, 6), None);
    }
}
