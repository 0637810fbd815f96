//! Command keys. A key comes from the ShipStation shipment id, never from the event key: the
//! `SHIP_NOTIFY` webhook of a label, its redelivery, and the poll that finds the same label are
//! different events that map to the same key, which the intacct connector turns into the
//! controlid Intacct runs at most once.
//!
//! | command | key |
//! | --- | --- |
//! | the label's cost | `shipstation-intacct/shipment/<shipment id>` |
//! | its reversal, once voided | `shipstation-intacct/shipment/<shipment id>/void` |
//! | a fulfillment's fee | `shipstation-intacct/fulfillment/<fulfillment id>` |
//! | its reversal | `shipstation-intacct/fulfillment/<fulfillment id>/void` |
//!
//! A label's cost does not change once bought (a new label is a new shipment), so the key carries
//! no version of the content.

const PREFIX: &str = "shipstation-intacct";

pub fn shipment(shipment_id: &str) -> String {
    format!("{PREFIX}/shipment/{shipment_id}")
}

pub fn fulfillment(fulfillment_id: &str) -> String {
    format!("{PREFIX}/fulfillment/{fulfillment_id}")
}

/// The reversal of the batch keyed `key`.
pub fn void(key: &str) -> String {
    format!("{key}/void")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_shipment_id() {
        assert_eq!(
            shipment("72513480"),
            "shipstation-intacct/shipment/72513480"
        );
        assert_eq!(
            void(&shipment("72513480")),
            "shipstation-intacct/shipment/72513480/void"
        );
        assert_eq!(fulfillment("9"), "shipstation-intacct/fulfillment/9");
    }
}
