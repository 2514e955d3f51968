//! One sampling step replayed: from a step's committed top-k logits, the
//! proof's sampling parameters and the context, the interval of the CDF
//! (ordered by token id) that the chosen token owns, and whether the step's
//! `u` falls inside it.
//!
//! The arithmetic follows TensorCash's quick verifier on purpose: logits and
//! probabilities in float32, sums and the log-sum-exp in float64, then
//! rounded to float32 where the reference rounds. This is not money.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Slack on the CDF interval (TensorCash's `ATOL`).
pub const ATOL: f32 = 1e-4;

/// The sampling parameters a proof commits to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub temperature: f32,
    pub top_p: f32,
    pub top_k: u32,
    pub repetition_penalty: f32,
}

/// The interval the chosen token owns, and whether `u` is inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub lower: f32,
    pub upper: f32,
    pub inside: bool,
}

/// Keeps the largest logit per token id; the result is ordered by id.
pub fn dedupe(logits: &[f32], ids: &[u32]) -> (Vec<f32>, Vec<u32>) {
    let mut best: BTreeMap<u32, f32> = BTreeMap::new();
    for (&id, &v) in ids.iter().zip(logits) {
        let e = best.entry(id).or_insert(v);
        if v > *e {
            *e = v;
        }
    }
    best.into_iter().map(|(id, v)| (v, id)).unzip()
}

/// Replays one step. `logits` and `ids` are deduplicated (see [`dedupe`]);
/// `seen` answers whether a token id is in the context (prompt and the
/// tokens chosen before this step).
pub fn replay(
    logits: &[f32],
    ids: &[u32],
    seen: impl Fn(u32) -> bool,
    p: Params,
    u: f32,
    chosen: u32,
) -> Step {
    let mut l: Vec<f32> = logits.to_vec();
    for v in l.iter_mut() {
        if *v > f32::NEG_INFINITY {
            *v /= p.temperature;
        }
    }
    if p.repetition_penalty != 0.0 && p.repetition_penalty != 1.0 {
        for (v, &id) in l.iter_mut().zip(ids) {
            if seen(id) && *v > f32::NEG_INFINITY {
                *v /= p.repetition_penalty;
            }
        }
    }
    let before_top_k = l.clone();
    if p.top_k > 0 {
        top_k(&mut l, p.top_k as usize);
    }
    if l.iter().all(|v| !v.is_finite()) {
        // Every logit masked (ties at the k-th value): the best one, the
        // lowest id among equals, is kept alone.
        let mut best = 0;
        for i in 1..before_top_k.len() {
            let (a, b) = (before_top_k[i], before_top_k[best]);
            if a > b || (a == b && ids[i] < ids[best]) {
                best = i;
            }
        }
        l.fill(f32::NEG_INFINITY);
        if let Some(v) = before_top_k.get(best) {
            l[best] = *v;
        }
    }
    let mut borderline = None;
    if p.top_p < 1.0 {
        borderline = top_p(&mut l, ids, p.top_p);
    }
    // A chosen token with no probability left (masked, or not among the
    // candidates) owns no interval: the step fails, whatever `u` is (the
    // reference would take `(0, 0]` and let a `u` below ATOL through).
    let within = |i: Option<(f32, f32)>| match i {
        Some((lo, hi)) => (lo, hi, u > lo - ATOL && u <= hi + ATOL),
        None => (0.0, 0.0, false),
    };
    let (mut lower, mut upper, mut inside) = within(interval(&probabilities(&l), ids, chosen));
    if let (false, Some((high, low))) = (inside, borderline) {
        // The cut fell within ATOL of a cumulative mass: bcore's quick
        // verifier accepts the interval under either side of the cut.
        let h = interval(&probabilities(&high), ids, chosen);
        (lower, upper, inside) = match h {
            Some((lh, uh)) if u > lh && u <= uh => within(h),
            _ => within(interval(&probabilities(&low), ids, chosen)),
        };
    }
    Step {
        lower,
        upper,
        inside,
    }
}

/// Masks every logit at or below the k-th largest. Ties at the k-th value
/// are masked too, as the reference sampler does.
fn top_k(l: &mut [f32], k: usize) {
    if k == 0 || k >= l.len() {
        return;
    }
    let mut sorted = l.to_vec();
    sorted.sort_by(|a, b| b.partial_cmp(a).unwrap_or(Ordering::Equal));
    let threshold = sorted[k - 1];
    for v in l.iter_mut() {
        if *v <= threshold {
            *v = f32::NEG_INFINITY;
        }
    }
}

/// Nucleus cut in the canonical order (logit descending, id ascending).
/// Returns the masks with the cut moved by ±ATOL when the cut is
/// borderline.
fn top_p(l: &mut [f32], ids: &[u32], p: f32) -> Option<(Vec<f32>, Vec<f32>)> {
    let mut order: Vec<usize> = (0..l.len()).filter(|&i| l[i].is_finite()).collect();
    if order.len() <= 1 {
        return None;
    }
    order.sort_by(|&a, &b| {
        l[b].partial_cmp(&l[a])
            .unwrap_or(Ordering::Equal)
            .then(ids[a].cmp(&ids[b]))
    });
    let sorted: Vec<f32> = order.iter().map(|&i| l[i]).collect();
    let lse = log_sum_exp(&sorted);
    let mut before = Vec::with_capacity(sorted.len());
    let mut running = 0.0f64;
    for &v in &sorted {
        before.push(running as f32);
        running += ((f64::from(v) - lse).exp() as f32) as f64;
    }
    let keep = |i: usize, cut: f32| i == 0 || before[i] < cut;
    let borderline = before.iter().any(|&c| (c - p).abs() < ATOL);
    let masks = borderline.then(|| {
        let (mut high, mut low) = (l.to_vec(), l.to_vec());
        for (i, &at) in order.iter().enumerate() {
            if !keep(i, p - ATOL) {
                high[at] = f32::NEG_INFINITY;
            }
            if !keep(i, p + ATOL) {
                low[at] = f32::NEG_INFINITY;
            }
        }
        (high, low)
    });
    for (i, &at) in order.iter().enumerate() {
        if !keep(i, p) {
            l[at] = f32::NEG_INFINITY;
        }
    }
    masks
}

/// `max + ln(sum(exp(v - max)))` over the finite values, in float64.
fn log_sum_exp(values: &[f32]) -> f64 {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let sum: f64 = values
        .iter()
        .filter(|v| **v > f32::NEG_INFINITY)
        .map(|&v| (f64::from(v) - f64::from(max)).exp())
        .sum();
    f64::from(max) + sum.ln()
}

fn probabilities(l: &[f32]) -> Vec<f32> {
    let lse = log_sum_exp(l);
    l.iter()
        .map(|&v| {
            if v > f32::NEG_INFINITY {
                (f64::from(v) - lse).exp() as f32
            } else {
                0.0
            }
        })
        .collect()
}

/// The chosen token's `(lower, upper]` in the CDF of the tokens with a
/// probability above zero, ordered by id; `None` when it has none.
fn interval(probs: &[f32], ids: &[u32], chosen: u32) -> Option<(f32, f32)> {
    let mut pairs: Vec<(u32, f32)> = ids
        .iter()
        .zip(probs)
        .filter(|(_, p)| **p > 0.0)
        .map(|(&id, &p)| (id, p))
        .collect();
    pairs.sort_by_key(|(id, _)| *id);
    let mut cumulative = 0.0f64;
    let mut previous = 0.0f32;
    for (id, p) in pairs {
        cumulative += f64::from(p);
        let at = cumulative as f32;
        if id == chosen {
            return Some((previous, at));
        }
        previous = at;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Params = Params {
        temperature: 1.0,
        top_p: 1.0,
        top_k: 0,
        repetition_penalty: 1.0,
    };

    #[test]
    fn dedupe_keeps_the_largest_logit_per_id_in_id_order() {
        let (l, ids) = dedupe(&[1.0, 3.0, 2.0, 0.5], &[7, 2, 7, 2]);
        assert_eq!(ids, vec![2, 7]);
        assert_eq!(l, vec![3.0, 2.0]);
    }

    #[test]
    fn two_equal_logits_split_the_unit_interval_by_id() {
        let s = replay(&[0.0, 0.0], &[10, 20], |_| false, PLAIN, 0.25, 10);
        assert_eq!((s.lower, s.upper, s.inside), (0.0, 0.5, true));
        let s = replay(&[0.0, 0.0], &[10, 20], |_| false, PLAIN, 0.75, 10);
        assert!(!s.inside, "u = 0.75 belongs to token 20");
        let s = replay(&[0.0, 0.0], &[10, 20], |_| false, PLAIN, 0.75, 20);
        assert!(s.inside && s.lower == 0.5 && s.upper == 1.0);
    }

    #[test]
    fn top_k_masks_ties_at_the_kth_value() {
        // k = 2 over [3, 2, 2, 1]: the 2nd largest is 2, so only 3 stays.
        let p = Params { top_k: 2, ..PLAIN };
        let s = replay(&[3.0, 2.0, 2.0, 1.0], &[1, 2, 3, 4], |_| false, p, 0.5, 1);
        assert_eq!((s.lower, s.upper), (0.0, 1.0));
        // Every logit equal: all masked, the lowest id is kept alone.
        let s = replay(&[1.0, 1.0, 1.0], &[5, 4, 6], |_| false, p, 0.5, 4);
        assert_eq!((s.lower, s.upper), (0.0, 1.0));
    }

    #[test]
    fn repetition_penalty_and_temperature_move_the_interval() {
        let base = replay(&[1.0, 1.0], &[1, 2], |_| false, PLAIN, 0.1, 1);
        let p = Params {
            repetition_penalty: 2.0,
            ..PLAIN
        };
        let penal = replay(&[1.0, 1.0], &[1, 2], |id| id == 1, p, 0.1, 1);
        assert!(penal.upper < base.upper, "a repeated token loses mass");
        let hot = Params {
            temperature: 0.5,
            ..PLAIN
        };
        let s = replay(&[2.0, 1.0], &[1, 2], |_| false, hot, 0.1, 1);
        let cold = replay(&[2.0, 1.0], &[1, 2], |_| false, PLAIN, 0.1, 1);
        assert!(
            s.upper > cold.upper,
            "a lower temperature sharpens the top token"
        );
    }

    #[test]
    fn borderline_top_p_accepts_either_side_of_the_cut() {
        // ln 9 and 0: masses 0.9 and 0.1, a cut at exactly 0.9 is borderline.
        let p = Params {
            top_p: 0.9,
            ..PLAIN
        };
        let s = replay(&[0.0, 9f32.ln()], &[10, 20], |_| false, p, 0.05, 10);
        assert!(s.inside, "{s:?}");
        assert!(s.lower.abs() < 1e-7 && (s.upper - 0.1).abs() < 1e-5);
    }

    #[test]
    fn a_token_outside_the_nucleus_owns_nothing() {
        let p = Params {
            top_p: 0.5,
            ..PLAIN
        };
        let s = replay(&[5.0, 0.0], &[1, 2], |_| false, p, 0.999, 2);
        assert_eq!((s.lower, s.upper, s.inside), (0.0, 0.0, false));
        // Even with a `u` within ATOL of zero, and for a token that is no
        // candidate at all.
        assert!(!replay(&[5.0, 0.0], &[1, 2], |_| false, p, 0.00005, 2).inside);
        assert!(!replay(&[5.0, 0.0], &[1, 2], |_| false, PLAIN, 0.00005, 3).inside);
    }
}
