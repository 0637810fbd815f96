//! The webhook topics the connector turns into events, and the resource each one is about.

/// The topics `verify` passes on, `poll` emits (`orders/updated`) and `history` emits
/// (`orders/updated`, `refunds/create`).
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "refunds/create",
    "customers/create",
    "customers/update",
];

/// The topic of the events `poll` finds, and of the orders `history` lists.
pub const POLLED_TOPIC: &str = "orders/updated";

/// The topic of the refunds `history` lists.
pub const REFUND_TOPIC: &str = "refunds/create";

/// What a topic's webhook body is, and so what its event's reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Order,
    Refund,
    Customer,
}

impl Resource {
    /// The resource of a topic this connector knows.
    pub fn of(topic: &str) -> Option<Self> {
        if !TOPICS.contains(&topic) {
            return None;
        }
        match topic.split('/').next() {
            Some("orders") => Some(Self::Order),
            Some("refunds") => Some(Self::Refund),
            Some("customers") => Some(Self::Customer),
            _ => None,
        }
    }

    /// The GraphQL type name in its global ids (`gid://shopify/Order/1`).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Order => "Order",
            Self::Refund => "Refund",
            Self::Customer => "Customer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_their_resource() {
        assert_eq!(Resource::of("orders/paid"), Some(Resource::Order));
        assert_eq!(Resource::of("refunds/create"), Some(Resource::Refund));
        assert_eq!(Resource::of("customers/update"), Some(Resource::Customer));
        assert_eq!(Resource::of("orders/delete"), None);
        assert_eq!(Resource::of("app/uninstalled"), None);
        assert!(TOPICS.contains(&POLLED_TOPIC));
        assert_eq!(Resource::of(REFUND_TOPIC), Some(Resource::Refund));
    }
}
