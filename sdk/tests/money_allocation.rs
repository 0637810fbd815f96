//! The properties of `money::allocate`, the one cent-splitting rule, over random totals and
//! weights (zeros, ties and decimals among them): the parts sum to the whole, are never negative
//! for a whole that is not, never differ from their exact shares by a cent or more, take the cents
//! left over by largest remainder (ties to the larger weight, then the earlier), mirror for a
//! reversal, and are stable under reordering (as the rule's doc defines it). Together these pin
//! the rule down: exactly one split has them all.
//!
//! The checks compute in [`Decimal`] without dividing (`part × Σw` against `total × w`), so they
//! are exact for the sizes generated here.

use ml_connector_sdk::money::{Decimal, allocate, round_cents};
use proptest::prelude::*;

/// A total: a few cents (where ties are common) or up to ±10¹⁰ with two to four places (so
/// rounding to the cent is exercised).
fn total() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (-100_i64..=100).prop_map(|cents| Decimal::new(cents, 2)),
        (-1_000_000_000_000_i64..=1_000_000_000_000, 2_u32..=4)
            .prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
    ]
}

/// A weight: often zero or a small integer (ties), else up to 10⁹ with up to four places.
fn weight() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        1 => Just(Decimal::ZERO),
        2 => (1_i64..=3).prop_map(Decimal::from),
        4 => (1_i64..=1_000_000_000, 0_u32..=4)
            .prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
    ]
}

/// One to twelve weights, at least one above zero: small integers only (equal remainders
/// between different weights are common there) or any [`weight`].
fn weights() -> impl Strategy<Value = Vec<Decimal>> {
    let small = (0_i64..=4).prop_map(Decimal::from);
    prop_oneof![
        prop::collection::vec(small, 1..=6),
        prop::collection::vec(weight(), 1..=12),
    ]
    .prop_filter("a weight above zero", |weights| {
        weights.iter().any(|weight| !weight.is_zero())
    })
}

/// Weights and a reordering of their positions.
fn reordered_weights() -> impl Strategy<Value = (Vec<Decimal>, Vec<usize>)> {
    weights().prop_flat_map(|weights| {
        let positions: Vec<usize> = (0..weights.len()).collect();
        (Just(weights), Just(positions).prop_shuffle())
    })
}

/// What the parts are measured against: the whole in cents and the weights' sum.
struct Exact {
    whole_cents: Decimal,
    weight_sum: Decimal,
}

impl Exact {
    fn of(total: Decimal, weights: &[Decimal]) -> Self {
        Self {
            whole_cents: round_cents(total) * Decimal::ONE_HUNDRED,
            weight_sum: weights.iter().sum(),
        }
    }

    /// `part − exact share`, in cents, times the weights' sum (exact: no division).
    fn excess(&self, part: Decimal, weight: Decimal) -> Decimal {
        part * Decimal::ONE_HUNDRED * self.weight_sum - self.whole_cents.abs() * weight
    }

    /// What cutting the exact share down to the cent left, times the weights' sum.
    fn remainder(&self, weight: Decimal) -> Decimal {
        (self.whole_cents.abs() * weight) % self.weight_sum
    }
}

proptest! {
    #[test]
    fn the_parts_sum_to_the_whole_rounded_to_the_cent(total in total(), weights in weights()) {
        let parts = allocate(total, &weights).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        prop_assert_eq!(parts.iter().sum::<Decimal>(), round_cents(total));
        for part in &parts {
            prop_assert_eq!(part.scale(), 2);
        }
    }

    #[test]
    fn parts_of_a_non_negative_whole_are_never_negative(
        total in total().prop_map(|total| total.abs()),
        weights in weights(),
    ) {
        for part in allocate(total, &weights).unwrap() {
            prop_assert!(part >= Decimal::ZERO, "{part} of {total} over {weights:?}");
        }
    }

    #[test]
    fn a_reversal_mirrors_the_split(total in total(), weights in weights()) {
        let parts = allocate(total, &weights).unwrap();
        let mirrored: Vec<Decimal> = allocate(-total, &weights)
            .unwrap()
            .into_iter()
            .map(|part| -part)
            .collect();
        prop_assert_eq!(parts, mirrored);
    }

    #[test]
    fn no_part_is_a_cent_or_more_from_its_exact_share(total in total(), weights in weights()) {
        let exact = Exact::of(total, &weights);
        let parts = allocate(total.abs(), &weights).unwrap();
        for (part, weight) in parts.iter().zip(&weights) {
            let excess = exact.excess(*part, *weight);
            prop_assert!(
                excess.abs() < exact.weight_sum,
                "{part} of {total} for weight {weight} of {weights:?}"
            );
            if weight.is_zero() {
                prop_assert!(part.is_zero());
            }
        }
    }

    #[test]
    fn the_cents_left_over_go_to_the_largest_remainders_then_larger_weights_then_earlier(
        total in total(),
        weights in weights(),
    ) {
        let exact = Exact::of(total, &weights);
        let parts = allocate(total.abs(), &weights).unwrap();
        // A part above its exact share took a cent left over; one below it did not.
        let took: Vec<bool> = parts
            .iter()
            .zip(&weights)
            .map(|(part, weight)| exact.excess(*part, *weight) > Decimal::ZERO)
            .collect();
        let rank = |index: usize| (exact.remainder(weights[index]), weights[index]);
        for winner in (0..parts.len()).filter(|index| took[*index]) {
            for loser in (0..parts.len()).filter(|index| !took[*index]) {
                if exact.remainder(weights[loser]).is_zero() {
                    continue;
                }
                prop_assert!(
                    rank(winner) > rank(loser) || (rank(winner) == rank(loser) && winner < loser),
                    "part {winner} took a cent before part {loser}: {parts:?} of {total} over \
                     {weights:?}"
                );
            }
        }
    }

    #[test]
    fn reordering_the_weights_reorders_the_parts(
        total in total(),
        (weights, positions) in reordered_weights(),
    ) {
        let parts = allocate(total, &weights).unwrap();
        let reordered: Vec<Decimal> = positions.iter().map(|&position| weights[position]).collect();
        let reordered_parts = allocate(total, &reordered).unwrap();
        // Each weight's value gets the same amounts, whatever the order.
        let pairs = |weights: &[Decimal], parts: &[Decimal]| {
            let mut pairs: Vec<(Decimal, Decimal)> =
                weights.iter().copied().zip(parts.iter().copied()).collect();
            pairs.sort();
            pairs
        };
        prop_assert_eq!(pairs(&weights, &parts), pairs(&reordered, &reordered_parts));
        // A weight no other equals moves with its part; among equal ones the earlier gets more.
        for (index, &position) in positions.iter().enumerate() {
            let twins = weights.iter().filter(|weight| **weight == weights[position]).count();
            if twins == 1 {
                prop_assert_eq!(reordered_parts[index], parts[position]);
            }
            for later in index + 1..reordered.len() {
                if reordered[later] == reordered[index] {
                    prop_assert!(reordered_parts[index].abs() >= reordered_parts[later].abs());
                }
            }
        }
    }

    #[test]
    fn only_the_weights_proportions_count(
        total in total(),
        weights in weights(),
        factor in 1_i64..=1_000,
        places in 0_u32..=6,
    ) {
        let parts = allocate(total, &weights).unwrap();
        let scaled: Vec<Decimal> = weights
            .iter()
            .map(|weight| *weight * Decimal::new(factor, places))
            .collect();
        prop_assert_eq!(allocate(total, &scaled).unwrap(), parts);
    }
}
