//! Placeholder until the intacct simulator lands.
