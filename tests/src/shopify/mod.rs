//! Placeholder until the shopify simulator lands.
