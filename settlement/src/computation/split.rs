//! The split rule, pure integer arithmetic: the exchange's fee comes off
//! first (the caller's), then each part is `floor(rest * share / whole)`
//! and the minor units left over go one at a time to the parts with a
//! share above zero, in declaration order. Fewer units are left over than
//! there are such parts, so each gets at most one, and the parts add up to
//! `rest` exactly.

/// Splits `rest` minor units by `shares` of `whole`; `shares` must add up
/// to `whole` (checked by the caller's record rules). `None` if they do
/// not, or `whole` is zero.
pub fn split(rest: u64, shares: &[u64], whole: u64) -> Option<Vec<u64>> {
    if whole == 0 || shares.iter().try_fold(0u64, |a, s| a.checked_add(*s)) != Some(whole) {
        return None;
    }
    Some(by_weights(rest, shares, whole))
}

/// Splits `amount` in proportion to `weights` (summing to `total` > 0),
/// with the same leftover rule. Used both for a charge (weights = shares)
/// and for a partial refund of a split charge (weights = what each part
/// still holds, so no part gives back more than it has).
pub fn by_weights(amount: u64, weights: &[u64], total: u64) -> Vec<u64> {
    let mut parts: Vec<u64> = weights
        .iter()
        .map(|w| {
            let p = u128::from(amount) * u128::from(*w) / u128::from(total.max(1));
            u64::try_from(p).unwrap_or(u64::MAX)
        })
        .collect();
    let mut left = amount - parts.iter().sum::<u64>();
    for (p, w) in parts.iter_mut().zip(weights) {
        if left == 0 {
            break;
        }
        if *w > 0 {
            *p += 1;
            left -= 1;
        }
    }
    debug_assert_eq!(left, 0);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn odd_amounts_go_out_one_unit_at_a_time_in_declaration_order() {
        let thirds = [3334, 3333, 3333];
        assert_eq!(split(1, &thirds, 10_000), Some(vec![1, 0, 0]));
        assert_eq!(split(2, &thirds, 10_000), Some(vec![1, 1, 0]));
        // 1.0002, 0.9999, 0.9999: floors 1, 0, 0 and the two units left
        // over to the first two in order.
        assert_eq!(split(3, &thirds, 10_000), Some(vec![2, 1, 0]));
        assert_eq!(split(3, &[1, 1, 1], 3), Some(vec![1, 1, 1]));
        assert_eq!(split(0, &thirds, 10_000), Some(vec![0, 0, 0]));
        assert_eq!(
            split(100, &[6000, 2500, 1500], 10_000),
            Some(vec![60, 25, 15])
        );
        assert_eq!(split(7, &[6000, 2500, 1500], 10_000), Some(vec![5, 1, 1]));
        // A zero share never takes a leftover unit.
        assert_eq!(split(1, &[0, 10_000], 10_000), Some(vec![0, 1]));
    }

    #[test]
    fn shares_that_do_not_make_a_whole_are_refused() {
        assert_eq!(split(10, &[5000, 4999], 10_000), None);
        assert_eq!(split(10, &[5000, 5001], 10_000), None);
        assert_eq!(split(10, &[], 10_000), None);
        assert_eq!(split(10, &[0], 0), None);
        assert_eq!(split(10, &[u64::MAX, 2], 1), None);
    }

    proptest! {
        /// For any amount, fee rule and shares: the parts and the fee add
        /// up to the charge exactly, none is negative (or above what its
        /// share could round up to), and the fee is what the policy says.
        #[test]
        fn the_parts_always_add_up(
            amount in 0u64..=(i64::MAX as u64),
            fee_bps in 0u64..=10_000,
            min_minor in 0u64..=1000,
            raw in proptest::collection::vec(0u64..=100_000, 1..11),
        ) {
            let whole: u64 = raw.iter().sum();
            prop_assume!(whole > 0 && whole <= 1_000_000);
            let policy = crate::exchange::FeePolicy { bps: fee_bps as u32, min_minor, ..Default::default() };
            let fee = policy.fee(amount, false);
            let proportional = u128::from(amount) * u128::from(fee_bps) / 10_000;
            prop_assert_eq!(u128::from(fee), proportional.max(u128::from(min_minor)).min(u128::from(amount)));
            prop_assert!(fee <= amount);
            let rest = amount - fee;
            let parts = split(rest, &raw, whole).expect("shares make the whole");
            prop_assert_eq!(parts.len(), raw.len());
            prop_assert_eq!(parts.iter().map(|p| u128::from(*p)).sum::<u128>(), u128::from(rest));
            prop_assert_eq!(u128::from(fee) + parts.iter().map(|p| u128::from(*p)).sum::<u128>(), u128::from(amount));
            for (p, s) in parts.iter().zip(&raw) {
                let floor = u128::from(rest) * u128::from(*s) / u128::from(whole);
                prop_assert!(u128::from(*p) == floor || (u128::from(*p) == floor + 1 && *s > 0));
            }
        }

        /// A partial refund split by what each part holds never takes more
        /// from a part than it has, and adds up to the refund.
        #[test]
        fn a_refund_never_takes_more_than_a_part_holds(
            held in proptest::collection::vec(0u64..=1_000_000_000, 1..12),
            frac in 0u64..=1000,
        ) {
            let total: u64 = held.iter().sum();
            prop_assume!(total > 0);
            let refund = total * frac / 1000;
            let back = by_weights(refund, &held, total);
            prop_assert_eq!(back.iter().sum::<u64>(), refund);
            for (b, h) in back.iter().zip(&held) {
                prop_assert!(b <= h);
            }
        }
    }
}
