//! The playground's control surface as `mlc sim` drives it: where it is (`--playground URL`, or
//! the `playground.url` that `mlc sim start` wrote beside the config), one request per command,
//! and one line per answer. The simulators check what is asked; their refusal is the error shown.

use std::path::Path;

use anyhow::{Context, bail};
use mlc_host::config::Config;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use simulators::playground::URL_FILE;

use super::ledger;

/// A dimension of the Intacct company that `mlc sim dimension` adds values to.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Dimension {
    Department,
    Location,
    Class,
}

impl Dimension {
    fn name(self) -> &'static str {
        match self {
            Self::Department => "department",
            Self::Location => "location",
            Self::Class => "class",
        }
    }
}

/// A running playground's control surface.
pub struct Playground {
    url: String,
    http: reqwest::Client,
}

impl Playground {
    /// The playground at `given`, else the one named in `playground.url` beside `config`.
    pub fn find(given: Option<String>, config: &Path) -> anyhow::Result<Self> {
        let url = match given {
            Some(url) => url,
            None => {
                let file = config.with_file_name(URL_FILE);
                std::fs::read_to_string(&file)
                    .with_context(|| {
                        format!(
                            "no playground here ({} is missing): run `mlc sim start`, then these \
                             commands in the directory it wrote, or pass --playground URL",
                            file.display()
                        )
                    })?
                    .trim()
                    .to_owned()
            }
        };
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        })
    }

    /// Points the shop's and ShipStation's webhooks at the host at `url`, by default the one
    /// `config` has `mlc run` listen on.
    pub async fn subscribe(&self, url: Option<String>, config: &Path) -> anyhow::Result<()> {
        let url = match url {
            Some(url) => url,
            None => format!("http://{}", Config::load(config)?.server.listen),
        };
        let answer = self.post("/webhooks", json!({ "url": url })).await?;
        let count = |key: &str| answer[key].as_array().map_or(0, Vec::len);
        println!(
            "subscribed the shop's {} topics to {url}/webhooks/shopify and ShipStation's {} events \
             to {url}/webhooks/shipstation",
            count("shopify"),
            count("shipstation")
        );
        Ok(())
    }

    /// Places an order: `lines` given as `SKU:QTY:PRICE`, or the default order.
    pub async fn order(
        &self,
        lines: &[String],
        shipping: Option<String>,
        unpaid: bool,
    ) -> anyhow::Result<()> {
        let mut body = json!({ "paid": !unpaid });
        if !lines.is_empty() {
            let lines = lines
                .iter()
                .map(|line| order_line(line))
                .collect::<anyhow::Result<Vec<_>>>()?;
            body["lines"] = Value::Array(lines);
        }
        if let Some(shipping) = shipping {
            body["shipping"] = json!(amount(&shipping, "--shipping")?);
        }
        let order = self.post("/shopify/orders", body).await?;
        let lines: Vec<String> = order["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| format!("{} × {}", text(&line["quantity"]), text(&line["sku"])))
            .collect();
        println!(
            "placed order {} (id {}): {}, total {}, {}",
            text(&order["name"]),
            text(&order["id"]),
            lines.join(", "),
            text(&order["total"]),
            text(&order["financial_status"])
        );
        Ok(())
    }

    pub async fn pay(&self, order: &str) -> anyhow::Result<()> {
        let paid = self
            .post(&format!("/shopify/orders/{}/pay", id(order)?), json!({}))
            .await?;
        println!("order {order} is {} now", text(&paid["financial_status"]));
        Ok(())
    }

    /// Refunds what is left of an order, or the `lines` given as `SKU:QTY`.
    pub async fn refund(&self, order: &str, lines: &[String]) -> anyhow::Result<()> {
        let body = match lines {
            [] => json!({}),
            lines => json!({
                "lines": lines.iter().map(|line| refund_line(line)).collect::<anyhow::Result<Vec<_>>>()?,
                "shipping": false,
            }),
        };
        let refund = self
            .post(&format!("/shopify/orders/{}/refunds", id(order)?), body)
            .await?;
        println!(
            "refunded {} of order {order} (refund {})",
            text(&refund["amount"]),
            text(&refund["id"])
        );
        Ok(())
    }

    pub async fn cancel(&self, order: &str, reason: &str) -> anyhow::Result<()> {
        let cancelled = self
            .post(
                &format!("/shopify/orders/{}/cancel", id(order)?),
                json!({ "reason": reason }),
            )
            .await?;
        println!(
            "cancelled order {order} ({reason}) at {}",
            text(&cancelled["cancelled_at"])
        );
        Ok(())
    }

    pub async fn label(
        &self,
        order_number: Option<String>,
        carrier: Option<String>,
        cost: Option<String>,
    ) -> anyhow::Result<()> {
        let mut body = json!({});
        if let Some(number) = order_number {
            body["order_number"] = json!(number);
        }
        if let Some(carrier) = carrier {
            body["carrier"] = json!(carrier);
        }
        if let Some(cost) = cost {
            body["cost"] = json!(amount(&cost, "--cost")?);
        }
        let label = self.post("/shipstation/labels", body).await?;
        println!(
            "bought label {} for order {}: {} {}, tracking {}; its SHIP_NOTIFY webhook went out",
            text(&label["id"]),
            text(&label["order_number"]),
            text(&label["carrier"]),
            text(&label["cost"]),
            text(&label["tracking_number"])
        );
        Ok(())
    }

    pub async fn void(&self, label: &str) -> anyhow::Result<()> {
        self.post(
            &format!("/shipstation/labels/{}/void", id(label)?),
            json!({}),
        )
        .await?;
        println!(
            "voided label {label} (ShipStation sends no webhook for it: a poll of the flow sees it)"
        );
        Ok(())
    }

    pub async fn account(&self, number: &str, title: &str) -> anyhow::Result<()> {
        self.post(
            "/intacct/accounts",
            json!({ "account_no": number, "title": title }),
        )
        .await?;
        println!("added GL account {number} ({title}) to the Intacct company");
        Ok(())
    }

    pub async fn dimension(&self, kind: Dimension, value: &str) -> anyhow::Result<()> {
        self.post(
            "/intacct/dimensions",
            json!({ "dimension": kind.name(), "id": value }),
        )
        .await?;
        println!("added {} {value} to the Intacct company", kind.name());
        Ok(())
    }

    pub async fn ledger(&self, json: bool) -> anyhow::Result<()> {
        let books = self.call(Method::GET, "/intacct/ledger", None).await?;
        match json {
            true => println!("{}", serde_json::to_string_pretty(&books)?),
            false => print!("{}", ledger::render(&books)),
        }
        Ok(())
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// One request; a refusal becomes an error with the simulators' reason.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "no playground answers at {}: is `mlc sim start` still running?",
                self.url
            )
        })?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .with_context(|| format!("the playground's answer to {path} is not JSON"))?;
        if !status.is_success() {
            let reason = answer["error"].as_str().unwrap_or("it gave no reason");
            bail!("the playground refused ({status}): {reason}");
        }
        Ok(answer)
    }
}

/// `SKU:QTY:PRICE` as an order line of the control surface.
fn order_line(line: &str) -> anyhow::Result<Value> {
    let [sku, quantity, price] = line.split(':').collect::<Vec<_>>()[..] else {
        bail!("--line {line}: expected SKU:QUANTITY:PRICE, e.g. MUG-1:2:14.99");
    };
    Ok(json!({
        "sku": sku,
        "title": sku,
        "quantity": quantity_of(quantity, line)?,
        "price": amount(price, &format!("--line {line}"))?,
    }))
}

/// `SKU:QTY` as a refund line of the control surface.
fn refund_line(line: &str) -> anyhow::Result<Value> {
    let [sku, quantity] = line.split(':').collect::<Vec<_>>()[..] else {
        bail!("--line {line}: expected SKU:QUANTITY, e.g. MUG-1:1");
    };
    Ok(json!({ "sku": sku, "quantity": quantity_of(quantity, line)? }))
}

fn quantity_of(text: &str, line: &str) -> anyhow::Result<u32> {
    match text.parse() {
        Ok(quantity) if quantity > 0 => Ok(quantity),
        _ => bail!("--line {line}: the quantity {text:?} is not a whole number above 0"),
    }
}

/// A decimal amount, kept as the text given.
fn amount(text: &str, what: &str) -> anyhow::Result<String> {
    match text.parse::<Decimal>() {
        Ok(value) if !value.is_sign_negative() => Ok(text.to_owned()),
        _ => bail!("{what}: {text:?} is not an amount such as 12.50"),
    }
}

/// An order's or a label's id: digits.
fn id(text: &str) -> anyhow::Result<&str> {
    match !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        true => Ok(text),
        false => bail!(
            "{text:?} is not an id: use the number `mlc sim order` or `mlc sim label` printed"
        ),
    }
}

/// A JSON value as a person reads it: a string without its quotes.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_amounts_are_read_or_refused_with_the_form_expected() {
        assert_eq!(
            order_line("MUG-1:2:14.99").unwrap(),
            json!({"sku": "MUG-1", "title": "MUG-1", "quantity": 2, "price": "14.99"})
        );
        assert_eq!(
            refund_line("MUG-1:1").unwrap(),
            json!({"sku": "MUG-1", "quantity": 1})
        );
        let refused = |result: anyhow::Result<Value>| result.unwrap_err().to_string();
        assert!(refused(order_line("MUG-1:2")).contains("SKU:QUANTITY:PRICE"));
        assert!(refused(order_line("MUG-1:0:1.00")).contains("not a whole number above 0"));
        assert!(refused(order_line("MUG-1:2:abc")).contains("not an amount"));
        assert!(refused(refund_line("MUG-1")).contains("SKU:QUANTITY"));
        assert!(amount("-1", "--cost").is_err());
        assert!(id("12a").unwrap_err().to_string().contains("is not an id"));
    }
}
