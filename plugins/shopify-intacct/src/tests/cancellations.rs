//! Cancellations: an unpaid cancelled order reverses its invoice (a guest's too); a paid one
//! keeps its invoice and payments for its refunds to credit.

use super::*;

#[test]
fn a_cancelled_unpaid_order_is_reversed() {
    testing::reset();
    // Authorized, never captured: the authorization was voided.
    let mut cancelled = paid_with(
        "VOIDED",
        json!([
            transaction(
                "5821001234567890149",
                "authorization",
                "success",
                "148.06",
                "shopify_payments",
                "2025-11-03T15:00:00Z"
            ),
            transaction(
                "5821001234567890152",
                "void",
                "success",
                "148.06",
                "shopify_payments",
                "2025-11-07T12:00:00Z"
            )
        ]),
    );
    cancelled["cancelled_at"] = json!("2025-11-07T12:00:00Z");
    cancelled["cancel_reason"] = json!("CUSTOMER");
    let commands = map("orders/cancelled", &cancelled, &config()).unwrap();
    assert_eq!(kinds(&commands), ["intacct.reverse-invoice"]);
    assert_eq!(
        commands[0].key,
        format!("shopify-intacct/order/{ORDER_ID}/reverse")
    );
    assert_eq!(
        body(&commands[0]),
        json!({"invoice_no": "SH1001", "date": "2025-11-07",
               "description": "Shopify order #1001 cancelled (customer)"})
    );
    // The orders/updated that Shopify sends with the cancellation maps to the same reversal.
    assert_eq!(
        map("orders/updated", &cancelled, &config()).unwrap(),
        commands
    );

    // Cancelled after payment, in full or in part: the refunds credit it; the invoice and the
    // payments stay.
    for (status, received) in [("REFUNDED", "148.06"), ("PARTIALLY_PAID", "50.00")] {
        cancelled["financial_status"] = json!(status);
        cancelled["transactions"] = json!([transaction(
            SALE_ID,
            "sale",
            "success",
            received,
            "shopify_payments",
            "2025-11-03T15:00:00Z"
        )]);
        let kept = map("orders/cancelled", &cancelled, &config()).unwrap();
        assert_eq!(
            kinds(&kept),
            [
                "intacct.upsert-customer",
                "intacct.create-invoice",
                "intacct.create-payment"
            ],
            "{status}"
        );
        assert_eq!(body(&kept[2])["amount"], received);
    }
}

#[test]
fn a_cancelled_guest_order_reverses_without_a_customer() {
    testing::reset();
    let mut config = config();
    config["customer"]
        .as_object_mut()
        .unwrap()
        .remove("guest_customer_id");
    let mut guest = order();
    guest["customer_id"] = Value::Null;
    guest["cancelled_at"] = json!("2025-11-07T12:00:00Z");
    let commands = ShopifyIntacct::map(
        event("orders/cancelled", "e"),
        entities(&guest, None),
        &config,
    )
    .unwrap();
    assert_eq!(kinds(&commands), ["intacct.reverse-invoice"]);
}
