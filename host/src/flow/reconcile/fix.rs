//! A reconciliation's fix (`mlc reconcile --fix`): for each difference a fix can settle, the
//! commands that make Intacct hold what the source implies, queued in the inbox as one event of
//! arrival `reconcile` that carries them. The flow's workers apply it through its sink lane, with
//! the audit trail, as they apply any event (`mlc run`, or a host already serving).
//!
//! | finding | fix |
//! | --- | --- |
//! | missing in Intacct; cancelled at the source but standing | the commands the mapping made for the document ([`Books::makers`]) |
//! | GL batch amount differs | a correcting batch: the difference per account |
//! | its event, or an earlier fix of it, still in the inbox and not done | none: the engine or a person settles that event first |
//! | another amount differs; only in Intacct | none: a person decides, and the plan says how |
//!
//! **Keys.** The mapping's commands keep their own keys when no event of the inbox produced them
//! (the event never arrived): if it arrives later, Intacct answers its commands "already
//! executed", so nothing posts twice. When a done event produced them, Intacct lost the document
//! after it was posted and its controlids are spent: they are posted under new keys,
//! `<key>/reconcile-<day>`. A correcting batch is keyed `<key>/correction-<day>` and titled
//! `<title>, correction <day>`, with the batch's journal, date, sales order and each account's
//! dimensions. A fix event is keyed `reconcile/<day>/<document>/<key>`: the same fix asked twice
//! in a day is queued once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Reconciled;
use super::books::{Batch, Books, CORRECTION_SUFFIX, Document};
use super::report::{Finding, Verdict};
use crate::bindings::types::{Command, Event};
use crate::config::FlowConfig;
use crate::flow::audit::Step;
use crate::flow::backfill::text;
use crate::flow::inbox::{Arrival, Holder, Inbox, InboxError, Receipt};
use crate::flow::recording::RecordedCommand;
use crate::flow::status::Status;

/// The topic of a fix event.
pub const TOPIC: &str = "reconcile/fix";

/// Commands whose keys are not the document's own.
const HELPERS: [&str; 2] = ["intacct.upsert-customer", "intacct.create-payment"];

/// A document's fix: the commands that make it right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    pub document: Document,
    pub key: String,
    pub commands: Vec<RecordedCommand>,
    /// What the commands do, for people.
    pub how: String,
}

/// A difference the fix leaves to the engine or to a person, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Left {
    pub document: Document,
    pub key: String,
    pub why: String,
}

/// What a fix does about each difference of one reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixPlan {
    pub day: NaiveDate,
    pub repairs: Vec<Repair>,
    pub left: Vec<Left>,
}

/// What the fix events of the inbox carry.
#[derive(Serialize, Deserialize)]
struct Carried {
    commands: Vec<RecordedCommand>,
}

impl FixPlan {
    /// The plan for `reconciled` of `flow`, dated `day` (today), after asking the inbox which
    /// events produced the documents' commands and which fixes are still open.
    pub async fn make(
        inbox: &Inbox,
        flow: &str,
        reconciled: &Reconciled,
        day: NaiveDate,
    ) -> Result<Self, InboxError> {
        let keys: Vec<String> = reconciled
            .report
            .findings
            .iter()
            .filter(|finding| finding.verdict != Verdict::Matched)
            .filter_map(|finding| own_command(reconciled, finding))
            .map(|command| command.key.clone())
            .collect();
        let flow = flow.to_owned();
        let (producers, open) = inbox
            .run(move |inbox| {
                Ok::<_, InboxError>((inbox.producers(&flow, &keys)?, inbox.open_fixes(&flow)?))
            })
            .await?;
        Ok(Self::new(reconciled, &producers, &open, day))
    }

    /// The plan, given the events that produced each command key and the fixes still open (by
    /// reference).
    pub fn new(
        reconciled: &Reconciled,
        producers: &BTreeMap<String, Holder>,
        open: &BTreeMap<String, Holder>,
        day: NaiveDate,
    ) -> Self {
        let mut plan = Self {
            day,
            repairs: Vec::new(),
            left: Vec::new(),
        };
        for finding in &reconciled.report.findings {
            if finding.verdict == Verdict::Matched {
                continue;
            }
            let leave = |why: String| Left {
                document: finding.document,
                key: finding.key.clone(),
                why,
            };
            if let Some(fix) = open.get(&reference(finding.document, &finding.key)) {
                plan.left.push(leave(format!(
                    "an earlier fix of it, event {}, is {}: `mlc run` applies it",
                    fix.event, fix.status
                )));
                continue;
            }
            match plan.repair(reconciled, finding, producers) {
                Ok(repair) => plan.repairs.push(repair),
                Err(why) => plan.left.push(leave(why)),
            }
        }
        plan
    }

    /// The repair of one difference, or why there is none.
    fn repair(
        &self,
        reconciled: &Reconciled,
        finding: &Finding,
        producers: &BTreeMap<String, Holder>,
    ) -> Result<Repair, String> {
        let day = self.day;
        let repair = |commands, how| Repair {
            document: finding.document,
            key: finding.key.clone(),
            commands,
            how,
        };
        let makers = reconciled
            .expected
            .makers
            .get(&(finding.document, finding.key.clone()));
        if finding.document == Document::GlBatch && finding.verdict == Verdict::AmountDiffers {
            let (Some(want), Some(have), Some(original)) = (
                reconciled.expected.batches.get(&finding.key),
                reconciled.found.batches.get(&finding.key),
                makers.and_then(|makers| makers.first()),
            ) else {
                return Err("the batch's command is unknown".into());
            };
            let correction = correction(original, want, have, day)?;
            let how = format!(
                "a correcting batch of the difference per account ({})",
                correction.key
            );
            return Ok(repair(vec![correction], how));
        }
        if !posts(reconciled, finding) {
            return Err(person(reconciled, finding));
        }
        let (Some(makers), Some(own)) = (makers, own_command(reconciled, finding)) else {
            return Err("the mapping made no command for it".into());
        };
        match producers.get(&own.key) {
            Some(holder) if holder.status == Status::Done => Ok(repair(
                makers.iter().map(|command| rekeyed(command, day)).collect(),
                format!(
                    "posted by event {} and lost in Intacct since: its {} command(s) again under \
                     new keys (…/reconcile-{day})",
                    holder.event,
                    makers.len()
                ),
            )),
            Some(holder) => Err(format!(
                "its event {} is {}: the engine or a person settles it first",
                holder.event, holder.status
            )),
            None => Ok(repair(
                makers.clone(),
                format!(
                    "no event of the inbox posted it: its {} command(s) under the mapping's own \
                     keys",
                    makers.len()
                ),
            )),
        }
    }

    /// Queues each repair as a fix event of `flow`, all or nothing; the receipts say which were
    /// queued already (the same fix asked earlier today).
    pub async fn queue(
        &self,
        inbox: &Inbox,
        flow: &FlowConfig,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        let entries = self
            .repairs
            .iter()
            .map(|repair| (flow.name.clone(), self.event(repair, now)))
            .collect();
        let step = Step::note(0, "received", now, "queued by a reconciliation's fix");
        inbox
            .receive(flow.sink.clone(), Arrival::Reconcile, entries, step, now)
            .await
    }

    /// The fix event of `repair`.
    fn event(&self, repair: &Repair, now: DateTime<Utc>) -> Event {
        let carried = Carried {
            commands: repair.commands.clone(),
        };
        Event {
            key: format!(
                "reconcile/{}/{}/{}",
                self.day,
                repair.document.slug(),
                repair.key
            ),
            topic: TOPIC.to_owned(),
            reference: reference(repair.document, &repair.key),
            occurred_at: Some(text(now)),
            payload: Some(json!(carried).to_string()),
        }
    }
}

/// The commands a fix event carries, as its payload holds them.
pub fn carried(payload: Option<&str>) -> Result<Vec<Command>, String> {
    let payload = payload.ok_or("it has no payload")?;
    let carried: Carried =
        serde_json::from_str(payload).map_err(|error| format!("its payload: {error}"))?;
    Ok(carried
        .commands
        .iter()
        .map(RecordedCommand::to_command)
        .collect())
}

/// A fix event's reference: `invoice/SH1001`.
fn reference(document: Document, key: &str) -> String {
    format!("{}/{key}", document.slug())
}

/// Whether posting the mapping's commands settles `finding`: the document is missing, or an
/// invoice cancelled at the source still stands.
fn posts(reconciled: &Reconciled, finding: &Finding) -> bool {
    match finding.verdict {
        Verdict::MissingInIntacct => true,
        Verdict::AmountDiffers => {
            finding.document == Document::Invoice
                && reconciled
                    .expected
                    .invoices
                    .get(&finding.key)
                    .is_some_and(|invoice| !invoice.live)
        }
        Verdict::Matched | Verdict::OnlyInIntacct => false,
    }
}

/// What a person does about a difference no fix settles.
fn person(reconciled: &Reconciled, finding: &Finding) -> String {
    let invoice = |books: &'_ Books| {
        books
            .invoices
            .get(&finding.key)
            .map(|invoice| invoice.total)
    };
    let same_total = invoice(&reconciled.expected) == invoice(&reconciled.found);
    match (finding.verdict, finding.document) {
        (Verdict::OnlyInIntacct, _) => {
            "no source record implies it: reverse or delete it in Intacct if it is not wanted"
                .into()
        }
        (_, Document::Invoice) if same_total => {
            "its payments differ: apply or reverse the payment in Intacct".into()
        }
        (_, document) => format!(
            "its amount differs: reverse or delete the {document} in Intacct, and the next fix \
             posts it again"
        ),
    }
}

/// The document's own command (not a customer upsert or a payment), whose key tells whether
/// an event posted it.
fn own_command<'a>(reconciled: &'a Reconciled, finding: &Finding) -> Option<&'a RecordedCommand> {
    reconciled
        .expected
        .makers
        .get(&(finding.document, finding.key.clone()))?
        .iter()
        .find(|command| !HELPERS.contains(&command.kind.as_str()))
}

fn rekeyed(command: &RecordedCommand, day: NaiveDate) -> RecordedCommand {
    RecordedCommand {
        key: format!("{}/reconcile-{day}", command.key),
        ..command.clone()
    }
}

/// The batch that brings `have` to `want`: `original`'s body with the difference per account
/// as its entries (each account's first entry in `original` lending its dimensions).
fn correction(
    original: &RecordedCommand,
    want: &Batch,
    have: &Batch,
    day: NaiveDate,
) -> Result<RecordedCommand, String> {
    let mut body: Value = serde_json::from_str(&original.body)
        .map_err(|error| format!("the batch's command is not JSON: {error}"))?;
    let mut templates: BTreeMap<String, Value> = BTreeMap::new();
    for entry in body["entries"].as_array().into_iter().flatten() {
        if let Some(account) = entry["account_no"].as_str() {
            templates
                .entry(account.to_owned())
                .or_insert_with(|| entry.clone());
        }
    }
    let accounts: BTreeSet<&String> = want.net.keys().chain(have.net.keys()).collect();
    let mut entries = Vec::new();
    for account in accounts {
        let net = |batch: &Batch| batch.net.get(account).copied().unwrap_or_default();
        let difference = net(want) - net(have);
        if difference.is_zero() {
            continue;
        }
        let mut entry = templates
            .get(account)
            .cloned()
            .unwrap_or_else(|| json!({ "account_no": account }));
        if let Some(fields) = entry.as_object_mut() {
            fields.remove("debit");
            fields.remove("credit");
            let side = match difference > Decimal::ZERO {
                true => "debit",
                false => "credit",
            };
            fields.insert(side.into(), json!(difference.abs().to_string()));
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err("the batch's amounts per account agree".into());
    }
    let title = body["title"].as_str().unwrap_or_default().to_owned();
    body["title"] = json!(format!("{title}{CORRECTION_SUFFIX}{day}"));
    body["entries"] = Value::Array(entries);
    Ok(RecordedCommand {
        kind: original.kind.clone(),
        key: format!("{}/correction-{day}", original.key),
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::reconcile::report::Report;

    fn command(kind: &str, key: &str, body: Value) -> RecordedCommand {
        RecordedCommand {
            kind: kind.into(),
            key: key.into(),
            body: body.to_string(),
        }
    }

    fn day() -> NaiveDate {
        "2026-12-04".parse().unwrap()
    }

    /// Five invoices (one paid), a credit memo and a batch expected; Intacct holds an invoice of
    /// another total, the paid one without its payment, the batch with 1.00 more on each side,
    /// and an invoice of its own.
    fn reconciled() -> Reconciled {
        let mut expected = Books::default();
        for number in ["SH1", "SH2", "SH3", "SH4", "SH5"] {
            expected.expect(&[
                command(
                    "intacct.upsert-customer",
                    &format!("customer/{number}"),
                    json!({"customer_id": "C1"}),
                ),
                command(
                    "intacct.create-invoice",
                    &format!("invoice/{number}"),
                    json!({"invoice_no": number, "currency": "USD", "date": "2026-11-03",
                           "lines": [{"amount": "20.00"}]}),
                ),
            ]);
        }
        expected.expect(&[command(
            "intacct.create-payment",
            "payment/SH5",
            json!({"applications": [{"invoice_no": "SH5", "amount": "20.00"}]}),
        )]);
        expected.expect(&[command(
            "intacct.create-adjustment",
            "refund/77",
            json!({"invoice_no": "SH1", "external_id": "77", "currency": "USD",
                   "date": "2026-11-04", "lines": [{"amount": "-5.00"}]}),
        )]);
        expected.expect(&[command(
            "intacct.create-gl-batch",
            "shipment/9",
            json!({"journal": "GJ", "title": "Shipment 9", "date": "2026-11-05", "entries": [
                {"account_no": "6100", "debit": "8.45", "location_id": "WH"},
                {"account_no": "2100", "credit": "8.45"}]}),
        )]);
        let invoice = |number: &str, total: &str| {
            json!({"RECORDID": number, "STATE": "Posted", "TOTALENTERED": total,
                   "TOTALPAID": "0", "CURRENCY": "USD", "WHENCREATED": "11/03/2026"})
        };
        let found = Books::found(
            &[
                invoice("SH4", "25.00"),
                invoice("SH5", "20.00"),
                invoice("SH9", "3.00"),
            ],
            &[],
            &[json!({"RECORDNO": "5", "BATCH_TITLE": "Shipment 9", "BATCH_DATE": "11/05/2026"})],
            &[
                json!({"BATCHNO": "5", "ACCOUNTNO": "6100", "TR_TYPE": "1", "AMOUNT": "9.45"}),
                json!({"BATCHNO": "5", "ACCOUNTNO": "2100", "TR_TYPE": "-1", "AMOUNT": "9.45"}),
            ],
        );
        let (findings, totals) = Report::compare(&expected, &found);
        Reconciled {
            report: Report {
                flow: "orders".into(),
                from: "2026-11-01".into(),
                to: "2026-11-30".into(),
                events: 6,
                unmapped: Vec::new(),
                findings,
                totals,
            },
            expected,
            found,
        }
    }

    fn holder(event: i64, status: Status) -> Holder {
        Holder { event, status }
    }

    #[test]
    fn each_difference_gets_the_fix_its_history_allows() {
        let reconciled = reconciled();
        let producers = BTreeMap::from([
            ("invoice/SH1".to_owned(), holder(11, Status::Done)),
            ("invoice/SH3".to_owned(), holder(13, Status::Review)),
            ("refund/77".to_owned(), holder(17, Status::Done)),
        ]);
        let open = BTreeMap::from([("invoice/SH2".to_owned(), holder(40, Status::Pending))]);
        let plan = FixPlan::new(&reconciled, &producers, &open, day());

        let repaired: BTreeMap<&str, Vec<&str>> = plan
            .repairs
            .iter()
            .map(|repair| {
                let keys = repair.commands.iter().map(|c| c.key.as_str()).collect();
                (repair.key.as_str(), keys)
            })
            .collect();
        assert_eq!(
            repaired,
            BTreeMap::from([
                (
                    "SH1",
                    vec![
                        "customer/SH1/reconcile-2026-12-04",
                        "invoice/SH1/reconcile-2026-12-04"
                    ]
                ),
                ("77", vec!["refund/77/reconcile-2026-12-04"]),
                ("Shipment 9", vec!["shipment/9/correction-2026-12-04"]),
            ])
        );
        let left: BTreeMap<&str, &str> = plan
            .left
            .iter()
            .map(|left| (left.key.as_str(), left.why.as_str()))
            .collect();
        assert_eq!(
            left["SH2"],
            "an earlier fix of it, event 40, is pending: `mlc run` applies it"
        );
        assert_eq!(
            left["SH3"],
            "its event 13 is review: the engine or a person settles it first"
        );
        assert!(left["SH4"].starts_with("its amount differs: reverse or delete the invoice"));
        assert_eq!(
            left["SH5"],
            "its payments differ: apply or reverse the payment in Intacct"
        );
        assert!(left["SH9"].starts_with("no source record implies it"));
        assert_eq!(left.len(), 5);
    }

    #[test]
    fn a_document_no_event_posted_keeps_its_own_keys() {
        let plan = FixPlan::new(&reconciled(), &BTreeMap::new(), &BTreeMap::new(), day());
        let sh2 = plan
            .repairs
            .iter()
            .find(|repair| repair.key == "SH2")
            .unwrap();
        let keys: Vec<&str> = sh2.commands.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["customer/SH2", "invoice/SH2"]);
        assert!(sh2.how.starts_with("no event of the inbox posted it"));
    }

    #[test]
    fn a_correcting_batch_posts_the_difference_per_account_with_its_dimensions() {
        let plan = FixPlan::new(&reconciled(), &BTreeMap::new(), &BTreeMap::new(), day());
        let batch = plan
            .repairs
            .iter()
            .find(|repair| repair.document == Document::GlBatch)
            .unwrap();
        let body: Value = serde_json::from_str(&batch.commands[0].body).unwrap();
        assert_eq!(body["title"], "Shipment 9, correction 2026-12-04");
        assert_eq!(
            (&body["journal"], &body["date"]),
            (&json!("GJ"), &json!("2026-11-05"))
        );
        assert_eq!(
            body["entries"],
            json!([
                {"account_no": "2100", "debit": "1.00"},
                {"account_no": "6100", "credit": "1.00", "location_id": "WH"},
            ])
        );
    }

    #[test]
    fn a_fix_event_carries_its_commands_and_is_keyed_by_day_and_document() {
        let plan = FixPlan::new(&reconciled(), &BTreeMap::new(), &BTreeMap::new(), day());
        let now = "2026-12-04T10:00:00Z".parse().unwrap();
        let event = plan.event(&plan.repairs[0], now);
        assert_eq!(event.key, "reconcile/2026-12-04/invoice/SH1");
        assert_eq!(
            (event.topic.as_str(), event.reference.as_str()),
            (TOPIC, "invoice/SH1")
        );
        let commands = carried(event.payload.as_deref()).unwrap();
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[1].key, "invoice/SH1");
        assert_eq!(carried(None), Err("it has no payload".into()));
        assert!(
            carried(Some("{}"))
                .unwrap_err()
                .starts_with("its payload: missing field")
        );
    }
}
