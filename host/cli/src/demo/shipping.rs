//! The warehouse's side of the demo: labels bought in the simulated ShipStation (announced by their
//! SHIP_NOTIFY webhook, or with the webhook lost), a label voided (no webhook: only the flow's poll
//! sees it), and a person resolving a shipment held for review. Each is printed as one line when it
//! happens and finished with the events it caused once the flow has settled them, the webhook's
//! and the poll's alike: every label arrives by both, and both post the one GL batch keyed by its
//! shipment id.

use std::io::Write;

use anyhow::Context;
use mlc_host::flow::{EventRow, Inbox, OpsError, Resolution, Status};
use rust_decimal::Decimal;
use serde_json::Value;
use simulators::shipstation::{DeliveryMode, ShipStationSim, Shipment, ShipmentSpec};

use super::actions::{Labels, SETTLE_WITHIN, outcome};
use super::settle;

/// Whether ShipStation's webhook for a label reaches the host.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Webhook {
    Sent,
    Lost,
}

/// The ShipStation account, the inbox it feeds, and the names given to its shipments.
pub struct Warehouse<'a> {
    sim: &'a ShipStationSim,
    inbox: &'a Inbox,
    labels: Labels,
}

impl<'a> Warehouse<'a> {
    pub fn new(sim: &'a ShipStationSim, inbox: &'a Inbox) -> Self {
        Self {
            sim,
            inbox,
            labels: Labels::new(),
        }
    }

    /// The names of the shipments, by the events' references, for the reports.
    pub fn into_labels(self) -> Labels {
        self.labels
    }

    /// Buys a label for `spec` and announces it (or not); returns the shipment and its events.
    pub async fn label(
        &mut self,
        spec: ShipmentSpec,
        what: &str,
        webhook: Webhook,
    ) -> anyhow::Result<(Shipment, Vec<EventRow>)> {
        let before = settle::last_id(self.inbox).await?;
        let shipment = self.sim.add_shipment(spec);
        let name = name(&shipment);
        let mut line = format!("{name} {}", cost(&shipment.spec));
        if !what.is_empty() {
            line.push_str(&format!(", {what}"));
        }
        start(&line);
        if webhook == Webhook::Lost {
            self.sim.set_delivery_mode(DeliveryMode::Drop);
        }
        let notified = self.sim.notify_shipped(&[shipment.id]);
        self.sim.set_delivery_mode(DeliveryMode::Normal);
        notified?;
        let polled = format!("shipment/{}", shipment.id);
        let events = settle::events_after(
            self.sim.wait_idle(),
            self.inbox,
            before,
            SETTLE_WITHIN,
            |rows| rows.iter().any(|row| row.key == polled),
        )
        .await?;
        self.finish(&name, &events).await?;
        Ok((shipment, events))
    }

    /// Voids `shipment` in ShipStation: no webhook fires, the flow's poll finds it.
    pub async fn void(&mut self, shipment: &Shipment, what: &str) -> anyhow::Result<()> {
        let before = settle::last_id(self.inbox).await?;
        let name = name(shipment);
        start(&format!("{name} voided, {what}"));
        self.sim.void_shipment(shipment.id)?;
        let key = format!("void/{}", shipment.id);
        let events = settle::events_after(
            self.sim.wait_idle(),
            self.inbox,
            before,
            SETTLE_WITHIN,
            |rows| rows.iter().any(|row| row.key == key),
        )
        .await?;
        self.finish(&format!("{name} void"), &events).await
    }

    /// Resolves the events held for review with `decision`, as `mlc review resolve ID --with
    /// DECISION` does, and waits for them to post.
    pub async fn resolve(&mut self, held: &[EventRow], decision: Value) -> anyhow::Result<()> {
        let ids: Vec<i64> = held
            .iter()
            .filter(|event| event.status == Status::Review)
            .map(|event| event.id)
            .collect();
        let commands: Vec<String> = ids
            .iter()
            .map(|id| format!("mlc review resolve {id} --with '{decision}'"))
            .collect();
        start(&commands.join("; "));
        for &id in &ids {
            let resolution = Resolution::Post(decision.clone());
            self.inbox
                .run(move |inbox| -> Result<EventRow, OpsError> {
                    inbox.resolve(id, &resolution, "demo", chrono::Utc::now())
                })
                .await
                .with_context(|| format!("resolving event {id}"))?;
        }
        let events = settle::these(self.inbox, &ids, SETTLE_WITHIN).await?;
        println!(" → {}", outcome(&events));
        Ok(())
    }

    /// Ends the action's line with its events, how they came, and what the audit trail says of
    /// a shipment skipped or held; names the events' references.
    async fn finish(&mut self, name: &str, events: &[EventRow]) -> anyhow::Result<()> {
        let arrivals: Vec<&str> = events.iter().map(|event| event.arrival.as_str()).collect();
        println!(" → {}  [{}]", outcome(events), arrivals.join(" + "));
        for event in events {
            self.labels
                .entry(event.reference.clone())
                .or_insert_with(|| name.to_owned());
            if let Some(reason) = &event.review_reason {
                println!("{:12}event {} held for review: {reason}", "", event.id);
            }
        }
        if let Some(first) = events.first() {
            let id = first.id;
            let detail = self.inbox.run(move |inbox| inbox.show(id)).await?;
            for step in detail.steps.iter().filter(|step| step.name == "map") {
                let logs = step.detail.get("logs").and_then(Value::as_array);
                for message in logs
                    .into_iter()
                    .flatten()
                    .filter_map(|log| log.get("message").and_then(Value::as_str))
                    .filter(|message| message.starts_with("skipped:"))
                {
                    println!("{:12}the mapping logged `{message}`: nothing to post", "");
                }
            }
        }
        Ok(())
    }
}

/// Prints the start of an action's line: the time and what happened.
fn start(line: &str) {
    print!(
        "  {}  {:<76}",
        chrono::Local::now().format("%H:%M:%S"),
        crate::terminal::visible(line)
    );
    let _ = std::io::stdout().flush();
}

/// "UPS return label 100000004 for SO-1001".
fn name(shipment: &Shipment) -> String {
    let spec = &shipment.spec;
    let carrier = match spec.carrier_code.as_str() {
        "ups" => "UPS",
        "fedex" => "FedEx",
        "stamps_com" => "USPS",
        "dhl_express" => "DHL",
        other => other,
    };
    let kind = if spec.is_return_label {
        "return label"
    } else {
        "label"
    };
    format!("{carrier} {kind} {} for {}", shipment.id, spec.order_number)
}

/// "USD 18.40 + 2.50 insurance".
fn cost(spec: &ShipmentSpec) -> String {
    match spec.insurance_cost > Decimal::ZERO {
        true => format!(
            "USD {} + {} insurance",
            spec.shipment_cost, spec.insurance_cost
        ),
        false => format!("USD {}", spec.shipment_cost),
    }
}
