//! Placeholder until the shipstation simulator lands.
