//! Money to the cent: amounts stay [`Decimal`] until a command writes them as decimal strings
//! with two places (`"12.30"`), and a split of an amount over weights sums to it exactly.
//!
//! **The split.** Each share is the amount × its weight ÷ the weights' sum, cut down to the cent;
//! the cents left over (fewer than the number of shares) all go to the share of the largest weight
//! (the first of equal ones). With no weight to go by, the whole amount is the first share.

use ml_connector_sdk::money::{self, Decimal};

/// `amount` as a command writes it: rounded to cents, two places, no negative zero.
pub use ml_connector_sdk::money::cents_text as text;

/// Splits `total` (rounded to cents, not negative) over `weights` (not negative), as the module
/// says; the shares sum to `total` exactly.
pub fn split(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    if weights.is_empty() {
        return Vec::new();
    }
    let hundred = Decimal::ONE_HUNDRED;
    let total_cents = money::round_cents(total) * hundred;
    let weight_sum: Decimal = weights.iter().sum();
    let largest =
        weights
            .iter()
            .enumerate()
            .fold(0, |best, (index, weight)| match *weight > weights[best] {
                true => index,
                false => best,
            });
    let mut cents: Vec<Decimal> = weights
        .iter()
        .map(|weight| match weight_sum.is_zero() {
            true => Decimal::ZERO,
            false => (total_cents * weight / weight_sum).floor(),
        })
        .collect();
    let left = total_cents - cents.iter().sum::<Decimal>();
    cents[largest] += left;
    cents
        .into_iter()
        .map(|cents| {
            let mut share = cents / hundred;
            share.rescale(2);
            share
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        money::parse(text).unwrap()
    }

    #[test]
    fn text_has_two_places() {
        assert_eq!(text(d("12.3")), "12.30");
        assert_eq!(text(d("2.345")), "2.35");
        assert_eq!(text(d("-0")), "0.00");
    }

    #[test]
    fn the_cents_left_over_go_to_the_largest_share() {
        assert_eq!(
            split(d("10.00"), &[d("1"), d("1"), d("1")]),
            [d("3.34"), d("3.33"), d("3.33")]
        );
        // 8.45 by 25 : 50 : 12.99 → 2.40…, 4.80…, 1.24…: floors 2.40, 4.80, 1.24, 1 cent left.
        assert_eq!(
            split(d("8.45"), &[d("25"), d("50"), d("12.99")]),
            [d("2.40"), d("4.81"), d("1.24")]
        );
        assert_eq!(split(d("0.01"), &[d("1"), d("1")]), [d("0.01"), d("0.00")]);
        assert_eq!(split(d("5"), &[d("0"), d("0")]), [d("5.00"), d("0.00")]);
        assert!(split(d("1"), &[]).is_empty());
        let shares = split(d("1234.57"), &[d("3"), d("7"), d("11"), d("0.5")]);
        assert_eq!(shares.iter().sum::<Decimal>(), d("1234.57"));
    }
}
