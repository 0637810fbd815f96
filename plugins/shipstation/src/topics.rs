//! The event topics: the V1 webhook events the connector follows (its `resource_type`), and the
//! topic of polled voids.

use crate::pointer::Resource;

/// A batch of label shipments (pointer webhook; also the topic of polled shipments).
pub const SHIP_NOTIFY: &str = "SHIP_NOTIFY";
/// The same batch, announced with items (the connector always reads items).
pub const ITEM_SHIP_NOTIFY: &str = "ITEM_SHIP_NOTIFY";
/// Orders marked shipped without a ShipStation label (pointer webhook).
pub const FULFILLMENT_SHIPPED: &str = "FULFILLMENT_SHIPPED";
/// A voided label found by `poll` or `history` (ShipStation sends no webhook for voids).
pub const SHIPMENT_VOIDED: &str = "SHIPMENT_VOIDED";

/// Every topic the connector emits.
pub const TOPICS: [&str; 4] = [
    SHIP_NOTIFY,
    ITEM_SHIP_NOTIFY,
    FULFILLMENT_SHIPPED,
    SHIPMENT_VOIDED,
];

/// The list a webhook event's resource URL must name; `None` for events the connector ignores
/// (ORDER_NOTIFY, ITEM_ORDER_NOTIFY, FULFILLMENT_REJECTED, anything new).
pub fn webhook_resource(topic: &str) -> Option<Resource> {
    match topic {
        SHIP_NOTIFY | ITEM_SHIP_NOTIFY => Some(Resource::Shipments),
        FULFILLMENT_SHIPPED => Some(Resource::Fulfillments),
        _ => None,
    }
}

/// The list behind any topic the connector emits.
pub fn resource(topic: &str) -> Option<Resource> {
    match topic {
        SHIPMENT_VOIDED => Some(Resource::Shipments),
        other => webhook_resource(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_their_lists() {
        assert_eq!(webhook_resource("SHIP_NOTIFY"), Some(Resource::Shipments));
        assert_eq!(
            webhook_resource("ITEM_SHIP_NOTIFY"),
            Some(Resource::Shipments)
        );
        assert_eq!(
            webhook_resource("FULFILLMENT_SHIPPED"),
            Some(Resource::Fulfillments)
        );
        assert_eq!(webhook_resource("ORDER_NOTIFY"), None);
        assert_eq!(webhook_resource("SHIPMENT_VOIDED"), None, "never a webhook");
        assert_eq!(resource("SHIPMENT_VOIDED"), Some(Resource::Shipments));
        assert_eq!(resource("FULFILLMENT_REJECTED"), None);
    }
}
