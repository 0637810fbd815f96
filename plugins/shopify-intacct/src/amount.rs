//! Money to the cent: amounts stay [`Decimal`] until they are written into a command as decimal
//! strings with two places (`"12.30"`), and a split of an amount (a refunded line's tax over its
//! tax lines) sums to the amount exactly.

use ml_connector_sdk::money::{self, Decimal};

/// `amount` as a command writes it: rounded to cents, two places, no negative zero.
pub use ml_connector_sdk::money::cents_text as text;

/// Splits `total` (in cents) in proportion to `weights`, each share in cents, the shares summing
/// to `total` exactly: shares are rounded toward zero and the cents left over go to the largest
/// remainders, ties to the first. With no weight to go by, it splits evenly.
pub fn allocate(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    if weights.is_empty() {
        return Vec::new();
    }
    let hundred = Decimal::ONE_HUNDRED;
    let total_cents = money::round_cents(total) * hundred;
    let negative = total_cents.is_sign_negative();
    let total_cents = total_cents.abs();
    let weight_sum: Decimal = weights.iter().map(|weight| weight.abs()).sum();
    let exact: Vec<Decimal> = weights
        .iter()
        .map(|weight| match weight_sum.is_zero() {
            true => total_cents / Decimal::from(weights.len()),
            false => total_cents * weight.abs() / weight_sum,
        })
        .collect();
    let mut cents: Vec<Decimal> = exact.iter().map(|share| share.trunc()).collect();
    let mut left = total_cents - cents.iter().sum::<Decimal>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (exact[*b] - cents[*b]).cmp(&(exact[*a] - cents[*a])));
    for index in order.into_iter().cycle() {
        if left <= Decimal::ZERO {
            break;
        }
        cents[index] += Decimal::ONE;
        left -= Decimal::ONE;
    }
    cents
        .into_iter()
        .map(|cents| {
            let mut share = cents / hundred;
            share.rescale(2);
            if negative { -share } else { share }
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
    fn text_has_two_places_and_no_negative_zero() {
        assert_eq!(text(d("12.3")), "12.30");
        assert_eq!(text(d("-0")), "0.00");
        assert_eq!(text(-d("0.00")), "0.00");
        assert_eq!(text(d("2.345")), "2.35");
        assert_eq!(text(d("-19.49")), "-19.49");
    }

    #[test]
    fn allocation_sums_exactly() {
        let shares = allocate(d("1.00"), &[d("1"), d("1"), d("1")]);
        assert_eq!(shares, [d("0.34"), d("0.33"), d("0.33")]);
        let shares = allocate(d("-1.42"), &[d("2.50"), d("0.34")]);
        assert_eq!(shares.iter().sum::<Decimal>(), d("-1.42"));
        assert_eq!(shares, [d("-1.25"), d("-0.17")]);
        assert_eq!(
            allocate(d("0.05"), &[d("0"), d("0")])
                .iter()
                .sum::<Decimal>(),
            d("0.05")
        );
        assert!(allocate(d("1"), &[]).is_empty());
    }
}
