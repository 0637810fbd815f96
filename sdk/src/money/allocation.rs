//! The one rule that splits an amount of money into parts in proportion to weights, to the cent
//! ([`allocate`]): a tax over its tax lines, a shipment's cost over its product lines. Every
//! mapping splits with it, so every line posted to a ledger is split the same way.
//!
//! # The rule: largest remainder, ties to the larger weight
//!
//! 1. The total is rounded to the cent ([`round_cents`]: halves away from zero); the parts sum
//!    to that amount exactly.
//! 2. A part's *exact share* is `total × weight ÷ sum of the weights`. Each part starts as its
//!    exact share cut down to the cent.
//! 3. The cents this leaves over (fewer than the number of parts) go one each to the parts that
//!    lost the most when cut down: the largest remainders. Between equal remainders the cent goes
//!    to the larger weight; between equal weights (whose exact shares are equal too) to the one
//!    earlier in the list.
//! 4. A negative total (a reversal) splits as its opposite, every part negated: a reversal's
//!    lines mirror the lines of the posting it reverses.
//!
//! So every part is its exact share rounded down or up: never a cent or more off, and never
//! negative when the total is not. A zero weight gets exactly zero; a zero total splits into zeros.
//! Only the weights' proportions count: `[2, 1]`, `[0.50, 0.25]` and `[12.99, 6.495]` split
//! alike. Remainders are compared exactly (in integers, never through a rounded quotient), so an
//! exact tie is seen as one.
//!
//! **Stable under reordering.** Reordering the weights reorders the parts with them: each part
//! depends only on its weight's value and on the weights taken together (as a multiset), never
//! on their order, with one exception that changes no amount. Among equal weights, one may get a
//! cent more than another (`1.00` over `[1, 1, 1]` is `0.34 + 0.33 + 0.33`), and that cent goes
//! to the earliest of them. Precisely: the pairs `(weight, part)`, as a multiset, are the same
//! whatever the order of the weights, and the split of a reordered list is the original split
//! reordered, up to which of several equal weights holds the extra cent. The list position
//! decides only between weights that no value can tell apart, so no amount depends on the order
//! of the input.
//!
//! **Why this rule.** Rounding each share on its own does not sum to the total; giving all the
//! cents left over to one part (the largest) can put that part several cents off its share.
//! Largest remainder keeps every part within a cent of its exact share, and of all the splits to
//! the cent that sum to the total it is the closest to the exact shares (it has both the smallest
//! largest distance and the smallest summed distance). A tie goes to the larger weight because
//! there the extra cent is the smallest change relative to the part, and because a value decides
//! it, not a position.
//!
//! **What it refuses** ([`AllocationError`]): a negative weight; weights with none above zero
//! (none at all, or all zero, whatever the total: nothing says how to split, so the caller
//! decides, e.g. equal weights, one part or a refusal); and amounts beyond its exact integer arithmetic (the total in
//! cents times a weight, both as integers, above 2¹²⁸ ≈ 3.4 × 10³⁸, e.g. a total of 10¹⁸ over
//! the weights 1 and 10⁻²⁰), which no ledger amount comes near.

use std::cmp::Reverse;
use std::fmt;

use rust_decimal::Decimal;

use super::round_cents;
use crate::PluginError;

/// Splits `total` in proportion to `weights` by the module's rule; the parts are in the order of
/// the weights, to the cent (two places), and sum to `total` rounded to the cent.
///
/// ```
/// use ml_connector_sdk::money::{Decimal, allocate};
///
/// let parts = |total: &str, weights: &[&str]| -> Vec<String> {
///     let weights: Vec<Decimal> = weights.iter().map(|weight| weight.parse().unwrap()).collect();
///     let parts = allocate(total.parse().unwrap(), &weights).unwrap();
///     parts.iter().map(Decimal::to_string).collect()
/// };
/// // The cent left over goes to the largest remainder.
/// assert_eq!(parts("1.00", &["1", "1", "1"]), ["0.34", "0.33", "0.33"]);
/// assert_eq!(parts("8.45", &["25", "50", "12.99"]), ["2.40", "4.80", "1.25"]);
/// // A tie between remainders goes to the larger weight, wherever it stands.
/// assert_eq!(parts("0.03", &["1", "2", "3"]), ["0.00", "0.01", "0.02"]);
/// assert_eq!(parts("0.03", &["3", "2", "1"]), ["0.02", "0.01", "0.00"]);
/// // A reversal mirrors the split; a zero weight gets nothing.
/// assert_eq!(parts("-1.00", &["1", "0", "1", "1"]), ["-0.34", "0.00", "-0.33", "-0.33"]);
/// ```
pub fn allocate(total: Decimal, weights: &[Decimal]) -> Result<Vec<Decimal>, AllocationError> {
    let weights = Weights::scale(weights)?;
    let total_cents = round_cents(total);
    // `round_cents` leaves at most two places: the mantissa in cents fits an i128 with room.
    let total_cents = total_cents.mantissa() * 10_i128.pow(2 - total_cents.scale());
    let negative = total_cents < 0;
    let whole = total_cents.unsigned_abs();
    let mut parts = Vec::with_capacity(weights.values.len());
    let mut remainders = Vec::with_capacity(weights.values.len());
    for weight in &weights.values {
        let product = whole
            .checked_mul(*weight)
            .ok_or(AllocationError::TooLarge)?;
        parts.push(product / weights.sum);
        remainders.push(product % weights.sum);
    }
    // Each floor is at most its exact share, so their sum is at most `whole`.
    let left_over = whole - parts.iter().sum::<u128>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&index| {
        (
            Reverse(remainders[index]),
            Reverse(weights.values[index]),
            index,
        )
    });
    // The cents left over are the remainders' sum over `weights.sum`, and each remainder is below
    // it: there are more parts with a remainder than cents left over.
    for &index in order.iter().take(left_over as usize) {
        parts[index] += 1;
    }
    parts
        .into_iter()
        .map(|cents| {
            let cents = i128::try_from(cents).map_err(|_| AllocationError::TooLarge)?;
            let cents = if negative { -cents } else { cents };
            Decimal::try_from_i128_with_scale(cents, 2).map_err(|_| AllocationError::TooLarge)
        })
        .collect()
}

/// Why [`allocate`] refused a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationError {
    /// The weight at `index` is below zero: no part can be in proportion to it.
    NegativeWeight { index: usize, weight: Decimal },
    /// No weight is above zero (there are none, or all are zero): nothing says how to split.
    NoWeight,
    /// The total in cents times a weight, both as integers, exceeds 128 bits (see the module doc).
    TooLarge,
}

impl fmt::Display for AllocationError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NegativeWeight { index, weight } => write!(
                formatter,
                "cannot split an amount by a negative weight: weight number {} is {weight}",
                index + 1
            ),
            Self::NoWeight => {
                formatter.write_str("cannot split an amount: no weight is above zero")
            }
            Self::TooLarge => formatter.write_str(
                "cannot split an amount: the amount and its weights are too large to split exactly",
            ),
        }
    }
}

impl std::error::Error for AllocationError {}

/// A refused split is a refused record: the same input would be refused again.
impl From<AllocationError> for PluginError {
    fn from(error: AllocationError) -> Self {
        PluginError::rejected(error.to_string())
    }
}

/// The weights as integers on one scale (`[0.5, 2]` → `[5, 20]`), and their sum.
struct Weights {
    values: Vec<u128>,
    sum: u128,
}

impl Weights {
    fn scale(weights: &[Decimal]) -> Result<Self, AllocationError> {
        if let Some((index, weight)) = weights
            .iter()
            .enumerate()
            .find(|(_, weight)| weight.is_sign_negative() && !weight.is_zero())
        {
            return Err(AllocationError::NegativeWeight {
                index,
                weight: *weight,
            });
        }
        let weights: Vec<Decimal> = weights.iter().map(|weight| weight.normalize()).collect();
        let scale = weights.iter().map(Decimal::scale).max().unwrap_or(0);
        let values = weights
            .iter()
            .map(|weight| {
                let mantissa = weight.mantissa().unsigned_abs();
                10_u128
                    .checked_pow(scale - weight.scale())
                    .and_then(|factor| mantissa.checked_mul(factor))
                    .ok_or(AllocationError::TooLarge)
            })
            .collect::<Result<Vec<u128>, _>>()?;
        let sum = values
            .iter()
            .try_fold(0_u128, |sum, value| sum.checked_add(*value))
            .ok_or(AllocationError::TooLarge)?;
        if sum == 0 {
            return Err(AllocationError::NoWeight);
        }
        Ok(Self { values, sum })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse;

    fn d(text: &str) -> Decimal {
        parse(text).unwrap()
    }

    fn split(total: &str, weights: &[&str]) -> Result<Vec<String>, AllocationError> {
        let weights: Vec<Decimal> = weights.iter().map(|weight| d(weight)).collect();
        allocate(d(total), &weights).map(|parts| parts.iter().map(Decimal::to_string).collect())
    }

    #[test]
    fn cents_left_over_go_to_the_largest_remainders() {
        assert_eq!(
            split("1.00", &["1", "1", "1"]).unwrap(),
            ["0.34", "0.33", "0.33"]
        );
        // 845 cents by 25 : 50 : 12.99 → 240.08…, 480.16…, 124.74…: one cent left, to 12.99.
        assert_eq!(
            split("8.45", &["25", "50", "12.99"]).unwrap(),
            ["2.40", "4.80", "1.25"]
        );
        // 150 cents by 50 : 12.99 : 10 → 102.75…, 26.69…, 20.55…: two cents left.
        assert_eq!(
            split("1.50", &["50.00", "12.99", "10.00"]).unwrap(),
            ["1.03", "0.27", "0.20"]
        );
        assert_eq!(split("0.94", &["2.00", "0.83"]).unwrap(), ["0.66", "0.28"]);
    }

    #[test]
    fn equal_remainders_go_to_the_larger_weight_then_the_earlier() {
        // 3 cents by 1 : 2 : 3 → 0.5, 1, 1.5: the cent goes to 3, not to 1, wherever they stand.
        assert_eq!(
            split("0.03", &["1", "2", "3"]).unwrap(),
            ["0.00", "0.01", "0.02"]
        );
        assert_eq!(
            split("0.03", &["3", "2", "1"]).unwrap(),
            ["0.02", "0.01", "0.00"]
        );
        assert_eq!(split("0.02", &["1", "3"]).unwrap(), ["0.00", "0.02"]);
        // Equal weights: the earlier ones.
        assert_eq!(
            split("0.02", &["1", "1", "1"]).unwrap(),
            ["0.01", "0.01", "0.00"]
        );
    }

    #[test]
    fn a_negative_total_mirrors_the_positive_split() {
        assert_eq!(
            split("-1.00", &["1", "1", "1"]).unwrap(),
            ["-0.34", "-0.33", "-0.33"]
        );
        assert_eq!(
            split("-1.42", &["2.50", "0.34"]).unwrap(),
            ["-1.25", "-0.17"]
        );
        assert_eq!(split("-0.01", &["1", "1"]).unwrap(), ["-0.01", "0.00"]);
    }

    #[test]
    fn zero_totals_and_zero_weights_get_zero() {
        assert_eq!(split("0", &["1", "2"]).unwrap(), ["0.00", "0.00"]);
        assert_eq!(split("-0.00", &["1"]).unwrap(), ["0.00"]);
        assert_eq!(
            split("5", &["0", "1", "0.0", "1"]).unwrap(),
            ["0.00", "2.50", "0.00", "2.50"]
        );
        assert_eq!(split("0.01", &["0", "0.0001"]).unwrap(), ["0.00", "0.01"]);
    }

    #[test]
    fn decimal_weights_count_by_their_proportions() {
        let expected = split("10.00", &["2", "1"]).unwrap();
        assert_eq!(expected, ["6.67", "3.33"]);
        assert_eq!(split("10.00", &["0.50", "0.25"]).unwrap(), expected);
        assert_eq!(split("10.00", &["12.99", "6.495"]).unwrap(), expected);
        assert_eq!(split("10.00", &["1E-20", "0.5E-20"]).unwrap(), expected);
    }

    #[test]
    fn the_total_is_rounded_to_the_cent_first() {
        assert_eq!(split("1.005", &["1"]).unwrap(), ["1.01"]);
        assert_eq!(split("-1.005", &["1", "1"]).unwrap(), ["-0.51", "-0.50"]);
        assert_eq!(split("7", &["1", "1"]).unwrap(), ["3.50", "3.50"]);
    }

    #[test]
    fn negative_weights_and_no_weight_are_refused() {
        assert_eq!(
            split("1.00", &["1", "-2"]),
            Err(AllocationError::NegativeWeight {
                index: 1,
                weight: d("-2")
            })
        );
        assert_eq!(split("1.00", &["0", "0"]), Err(AllocationError::NoWeight));
        assert_eq!(split("1.00", &[]), Err(AllocationError::NoWeight));
        // Whatever the total: the weights alone say whether there is a split.
        assert_eq!(split("0", &["0"]), Err(AllocationError::NoWeight));
        // A negative zero is zero.
        assert_eq!(split("1.00", &["-0", "1"]).unwrap(), ["0.00", "1.00"]);
    }

    #[test]
    fn amounts_beyond_exact_arithmetic_are_refused_not_wrapped() {
        // 10²⁰ cents × 10²⁰ (the weight 1 on the scale of 10⁻²⁰) exceeds 128 bits.
        assert_eq!(
            split("1000000000000000000", &["1E-20", "1"]),
            Err(AllocationError::TooLarge)
        );
        let biggest = Decimal::MAX.to_string();
        assert_eq!(split(&biggest, &["1"]), Err(AllocationError::TooLarge));
        // Large but within: a trillion over weights of 18 significant digits.
        let weight = "123456789.123456789";
        let parts = split("1000000000000.01", &[weight, weight]).unwrap();
        assert_eq!(parts, ["500000000000.01", "500000000000.00"]);
    }

    #[test]
    fn refusals_read_as_plugin_rejections() {
        let error = PluginError::from(split("1", &["2", "-1.5"]).unwrap_err());
        assert_eq!(
            error,
            PluginError::rejected(
                "cannot split an amount by a negative weight: weight number 2 is -1.5"
            )
        );
    }
}
