//! The `resource_url` of a pointer webhook, checked and kept as a path and query.
//!
//! A V1 webhook body only points at what changed:
//! `{"resource_url": "https://ssapi.shipstation.com/shipments?batchId=…&includeShipmentItems=False",
//! "resource_type": "SHIP_NOTIFY"}`. Webhooks are unsigned, so the URL is a claim, never followed as
//! given:
//!
//! - its origin must be a ShipStation V1 host: the configured `base_url`'s origin (scheme, host and
//!   port), or `https://ssapi<digits>.shipstation.com` (ShipStation's numbered shards); anything
//!   else is [`PointerError::ForeignHost`];
//! - it must be plain: ASCII, no user info, no fragment, the path `/shipments` or `/fulfillments`
//!   (after `base_url`'s own path), query parameters of plain names and values, and at least one
//!   filter (`batchId`); else [`PointerError::Malformed`];
//! - only its path and filters are kept ([`Pointer::reference`]); `fetch` asks the configured
//!   `base_url` for them, so credentials only ever go to the configured host, and the connection's
//!   allowlist needs only that origin. `includeShipmentItems`, `page` and `pageSize` are dropped:
//!   fetch sets its own ([`Pointer::page`]).

use ml_connector_sdk::PluginError;

/// What fetch asks for per page (ShipStation's maximum).
pub const PAGE_SIZE: u32 = 500;
/// Query parameters fetch sets itself.
const OWN_PARAMETERS: [&str; 3] = ["includeShipmentItems", "page", "pageSize"];

/// The V1 list a pointer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Shipments,
    Fulfillments,
}

impl Resource {
    pub fn path(self) -> &'static str {
        match self {
            Self::Shipments => "/shipments",
            Self::Fulfillments => "/fulfillments",
        }
    }

    fn of_path(path: &str) -> Option<Self> {
        [Self::Shipments, Self::Fulfillments]
            .into_iter()
            .find(|resource| path.eq_ignore_ascii_case(resource.path()))
    }
}

/// Why a resource URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerError {
    /// Not a ShipStation host: the body did not come from ShipStation.
    ForeignHost(String),
    /// Not a URL of the shape ShipStation sends.
    Malformed(String),
}

/// A checked resource: the list and its filters, as given (names and values URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub resource: Resource,
    pub filters: Vec<(String, String)>,
}

impl Pointer {
    /// Checks a webhook's `resource_url` against the module doc's rules.
    pub fn from_url(url: &str, base_url: &str) -> Result<Self, PointerError> {
        let malformed = |why: &str| PointerError::Malformed(format!("resource_url `{url}` {why}"));
        if url.is_empty() || !url.bytes().all(|byte| (0x21..0x7f).contains(&byte)) {
            return Err(malformed(
                "must be a non-empty ASCII URL without spaces or control characters",
            ));
        }
        if url.contains(['\\', '#']) {
            return Err(malformed("must not carry a backslash or a fragment"));
        }
        let target = Origin::parse(url).map_err(|why| malformed(&why))?;
        let base = Origin::parse(base_url).map_err(|why| {
            PointerError::Malformed(format!("setting `base_url` `{base_url}` {why}"))
        })?;
        let prefix = if target.same_origin(&base) {
            base.path.trim_end_matches('/')
        } else if target.is_shipstation_shard() {
            ""
        } else {
            return Err(PointerError::ForeignHost(format!(
                "resource_url `{url}` is not on a ShipStation API host (the configured base_url \
                 {base_url} or https://ssapi<n>.shipstation.com)"
            )));
        };
        let (path, query) = target
            .path
            .split_once('?')
            .unwrap_or((target.path.as_str(), ""));
        let resource = path
            .strip_prefix(prefix)
            .and_then(Resource::of_path)
            .ok_or_else(|| malformed("names neither /shipments nor /fulfillments"))?;
        Self::new(resource, query).map_err(|why| malformed(&why))
    }

    /// The pointer an event's reference names (`/shipments?batchId=…`).
    pub fn from_reference(reference: &str) -> Result<Self, PluginError> {
        let (path, query) = reference.split_once('?').unwrap_or((reference, ""));
        let resource = Resource::of_path(path).ok_or_else(|| {
            PluginError::rejected(format!(
                "reference `{reference}` names neither /shipments nor /fulfillments"
            ))
        })?;
        Self::new(resource, query)
            .map_err(|why| PluginError::rejected(format!("reference `{reference}` {why}")))
    }

    fn new(resource: Resource, query: &str) -> Result<Self, String> {
        let mut filters = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("has a query parameter without a value: `{pair}`"))?;
            let plain_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric());
            let plain_value = value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%+:".contains(&b));
            if !plain_name || !plain_value {
                return Err(format!("has a query parameter that is not plain: `{pair}`"));
            }
            if !OWN_PARAMETERS
                .iter()
                .any(|own| own.eq_ignore_ascii_case(name))
            {
                filters.push((name.to_owned(), value.to_owned()));
            }
        }
        if filters.is_empty() {
            return Err("names no filter (such as batchId): it would list every record".into());
        }
        Ok(Self { resource, filters })
    }

    /// `/shipments?batchId=…`: the event's reference, and the base of its dedupe key.
    pub fn reference(&self) -> String {
        format!("{}?{}", self.resource.path(), self.query())
    }

    /// The path and query of page `page` (from 1), [`PAGE_SIZE`] a page, shipments with their
    /// items.
    pub fn page(&self, page: u64) -> String {
        let items = match self.resource {
            Resource::Shipments => "&includeShipmentItems=true",
            Resource::Fulfillments => "",
        };
        format!(
            "{}?{}{items}&pageSize={PAGE_SIZE}&page={page}",
            self.resource.path(),
            self.query()
        )
    }

    fn query(&self) -> String {
        self.filters
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The origin of a URL, and the rest after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
    /// From the first `/` or `?` after the authority (may be empty).
    path: String,
}

impl Origin {
    fn parse(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("is not an absolute http(s) URL")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err("is not an http(s) URL".into()),
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("has a bad port `{port}`"))?,
            ),
            None => (authority, default_port),
        };
        let plain_host = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !plain_host {
            return Err(format!(
                "has a host that is not a plain name: `{authority}`"
            ));
        }
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_owned(),
        })
    }

    fn same_origin(&self, other: &Self) -> bool {
        (&self.scheme, &self.host, self.port) == (&other.scheme, &other.host, other.port)
    }

    /// `https://ssapi.shipstation.com`, `https://ssapi11.shipstation.com`, …
    fn is_shipstation_shard(&self) -> bool {
        let digits = self
            .host
            .strip_prefix("ssapi")
            .and_then(|rest| rest.strip_suffix(".shipstation.com"));
        self.scheme == "https"
            && self.port == 443
            && digits.is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIM: &str = "http://127.0.0.1:4711";

    fn pointer(url: &str) -> Result<Pointer, PointerError> {
        Pointer::from_url(url, SIM)
    }

    fn foreign(url: &str) -> bool {
        matches!(pointer(url), Err(PointerError::ForeignHost(_)))
    }

    fn malformed(url: &str) -> bool {
        matches!(pointer(url), Err(PointerError::Malformed(_)))
    }

    #[test]
    fn shipstation_hosts_and_the_configured_base_are_followed() {
        let checked = pointer(
            "https://ssapi.shipstation.com/shipments?batchId=12345678&includeShipmentItems=False",
        )
        .unwrap();
        assert_eq!(checked.resource, Resource::Shipments);
        assert_eq!(checked.reference(), "/shipments?batchId=12345678");
        assert_eq!(
            checked.page(2),
            "/shipments?batchId=12345678&includeShipmentItems=true&pageSize=500&page=2"
        );
        let shard = pointer("https://SSAPI11.shipstation.com:443/Shipments?batchId=7").unwrap();
        assert_eq!(shard.reference(), "/shipments?batchId=7");
        let local = pointer(&format!("{SIM}/fulfillments?batchId=9&page=3&pageSize=10")).unwrap();
        assert_eq!(local.reference(), "/fulfillments?batchId=9");
        assert_eq!(local.page(1), "/fulfillments?batchId=9&pageSize=500&page=1");
    }

    #[test]
    fn other_hosts_are_foreign() {
        for url in [
            "https://evil.example.com/shipments?batchId=1",
            "https://ssapi.shipstation.com.evil.example/shipments?batchId=1",
            "https://ssapix.shipstation.com/shipments?batchId=1",
            "https://evilssapi.shipstation.com/shipments?batchId=1",
            "http://ssapi.shipstation.com/shipments?batchId=1",
            "https://ssapi.shipstation.com:8443/shipments?batchId=1",
            "http://127.0.0.1:4712/shipments?batchId=1",
            "https://127.0.0.1:4711/shipments?batchId=1",
            "http://localhost:4711/shipments?batchId=1",
        ] {
            assert!(foreign(url), "{url}");
        }
    }

    #[test]
    fn odd_urls_are_malformed() {
        for url in [
            "https://ssapi.shipstation.com@evil.example/shipments?batchId=1",
            "https://user:pw@ssapi.shipstation.com/shipments?batchId=1",
            "https://ssapi.shipstation.com/orders?importBatch=1",
            "https://ssapi.shipstation.com/shipments/../orders?batchId=1",
            "https://ssapi.shipstation.com/shipments",
            "https://ssapi.shipstation.com/shipments?includeShipmentItems=True",
            "https://ssapi.shipstation.com/shipments?batchId=1#x",
            "https://ssapi.shipstation.com/shipments?batchId=1 2",
            "https://ssapi.shipstation.com/shipments?batchId=<1>",
            "https://ssapi.shipstation.com/shipments?batchId",
            "https://ssapi.shipstation.com\\@evil.example/shipments?batchId=1",
            "ftp://ssapi.shipstation.com/shipments?batchId=1",
            "/shipments?batchId=1",
            "",
        ] {
            assert!(malformed(url), "{url}");
        }
    }

    #[test]
    fn a_base_url_with_a_path_prefixes_the_resource() {
        let checked = Pointer::from_url(
            "http://proxy:8080/ss/shipments?batchId=1",
            "http://proxy:8080/ss/",
        )
        .unwrap();
        assert_eq!(checked.reference(), "/shipments?batchId=1");
        assert!(matches!(
            Pointer::from_url(
                "http://proxy:8080/shipments?batchId=1",
                "http://proxy:8080/ss"
            ),
            Err(PointerError::Malformed(_))
        ));
    }

    #[test]
    fn references_round_trip() {
        let checked = Pointer::from_reference("/shipments?batchId=12345678").unwrap();
        assert_eq!(checked.reference(), "/shipments?batchId=12345678");
        assert!(Pointer::from_reference("/orders?importBatch=1").is_err());
        assert!(Pointer::from_reference("/shipments").is_err());
        assert!(Pointer::from_reference("shipment/100000005").is_err());
    }
}
