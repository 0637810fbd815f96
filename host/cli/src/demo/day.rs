//! The demo's business day in the simulated shop: customers sign up, orders come in (card, PayPal,
//! wholesale on account, EUR, point of sale), one is paid and partly refunded, one cancelled, and
//! a customer's name arrives with `&` and a control character in it.

use rust_decimal::Decimal;
use simulators::shopify::{LineSpec, OrderSpec, ShippingSpec};

use super::actions::Shop;

/// Runs the day in `shop`.
pub async fn run(shop: &mut Shop<'_>) -> anyhow::Result<()> {
    let grace = shop
        .customer("Grace", "Hopper", &["region:west"], "signs up online")
        .await?;
    let trail = shop
        .order(
            "web order",
            OrderSpec {
                customer_id: Some(grace.id),
                lines: vec![
                    LineSpec::new("TR-100", "Trail Runner", 1, money(12_900))
                        .tax("CA State Tax", Decimal::new(725, 4)),
                    LineSpec::new("SOCK-3", "Wool Socks", 3, money(1_400))
                        .discount(money(420))
                        .tax("CA State Tax", Decimal::new(725, 4)),
                ],
                shipping: vec![shipping("Standard", 995)],
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.paid(&trail, "paid by card").await?;

    let linus = shop
        .customer("Linus", "Pauling", &["region:east"], "signs up online")
        .await?;
    let paypal = shop
        .order(
            "web order",
            OrderSpec {
                customer_id: Some(linus.id),
                lines: vec![
                    LineSpec::new("TENT-2", "Two-Person Tent", 1, money(24_900))
                        .tax("NY State Tax", Decimal::new(4, 2)),
                ],
                shipping: vec![shipping("Express", 1_995)],
                gateway: "paypal".into(),
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.paid(&paypal, "paid through PayPal").await?;

    let northwind = shop
        .customer(
            "Northwind",
            "Traders",
            &["wholesale", "region:east"],
            "opens an account",
        )
        .await?;
    shop.order(
        "order on account",
        OrderSpec {
            customer_id: Some(northwind.id),
            lines: vec![
                LineSpec::new("WS-TR-100", "Trail Runner, case of 12", 4, money(98_000)),
                LineSpec::new("WS-SOCK-50", "Wool Socks, bale of 50", 2, money(31_000)),
            ],
            shipping: vec![shipping("Freight", 12_000)],
            source_name: "wholesale".into(),
            gateway: "manual".into(),
            ..OrderSpec::default()
        },
    )
    .await?;

    let ada = shop
        .customer("Ada", "Lovelace", &[], "signs up online")
        .await?;
    let gift = shop
        .order(
            "web order",
            OrderSpec {
                customer_id: Some(ada.id),
                lines: vec![
                    LineSpec::new("LAMP-1", "Camp Lantern", 2, money(3_450))
                        .tax("CA State Tax", Decimal::new(725, 4)),
                    LineSpec::new("MUG-4", "Enamel Mug", 1, money(1_800))
                        .tax("CA State Tax", Decimal::new(725, 4)),
                ],
                shipping: vec![shipping("Standard", 995)],
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.paid(&gift, "paid by card").await?;
    let mug = gift.line_items[1].id;
    shop.refund(&gift, mug, "refunds the enamel mug and its tax")
        .await?;

    let second = shop
        .order(
            "web order",
            OrderSpec {
                customer_id: Some(linus.id),
                lines: vec![LineSpec::new("STOVE-1", "Camp Stove", 1, money(7_900))],
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.cancel(&second, "cancelled by the customer, unpaid")
        .await?;

    let emile = shop
        .customer("Émile", "Zola", &[], "signs up from Paris")
        .await?;
    let euro = shop
        .order(
            "web order in EUR",
            OrderSpec {
                customer_id: Some(emile.id),
                currency: "EUR".into(),
                lines: vec![
                    LineSpec::new("TR-100", "Trail Runner", 1, money(11_900))
                        .tax("FR TVA", Decimal::new(20, 2)),
                ],
                shipping: vec![shipping("International", 2_500)],
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.paid(&euro, "paid by card").await?;

    let till = shop
        .order(
            "point-of-sale order",
            OrderSpec {
                lines: vec![
                    LineSpec::new("POS-CAP-1", "Trucker Cap", 2, money(2_200))
                        .tax("CA State Tax", Decimal::new(725, 4)),
                ],
                source_name: "pos".into(),
                gateway: "cash".into(),
                ..OrderSpec::default()
            },
        )
        .await?;
    shop.paid(&till, "paid in cash at the till").await?;

    let harriet = shop
        .customer(
            "Harriet",
            "Fields & Daughters\u{7}",
            &[],
            "signs up (a control char in the name)",
        )
        .await?;
    shop.order(
        "unpaid order",
        OrderSpec {
            customer_id: Some(harriet.id),
            lines: vec![
                LineSpec::new("BAG-20", "Day Pack", 1, money(6_500))
                    .tax("CA State Tax", Decimal::new(725, 4)),
            ],
            ..OrderSpec::default()
        },
    )
    .await?;
    Ok(())
}

fn shipping(title: &str, cents: i64) -> ShippingSpec {
    ShippingSpec {
        title: title.into(),
        price: money(cents),
        taxes: Vec::new(),
    }
}

/// An amount in cents as a decimal.
fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}
