//! `apply`: every command of the call becomes one function, and all of them go out in ONE request
//! (each with its own controlid), whose per-function results come back as per-command results. A
//! command whose body does not fit its kind is `Rejected` on its own and not sent.
//!
//! When the first request fails as a whole (HTTP error, control or sign-in refusal), that is the
//! outer error: nothing of the batch ran. A command that needs more functions (the update of an
//! upsert, what follows the look-up of an invoice number) has them sent in the next request; a
//! failure of that one is the error of those commands only. A command that ran as several
//! functions gets their results joined ([`commands::join`]).

use ml_connector_sdk::{Applied, Command, PluginError};

use crate::commands::{self, Prepared, Step};
use crate::gateway;
use crate::settings::Settings;

/// One result per command, in order.
pub fn apply(commands: &[Command]) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
    let settings = Settings::load()?;
    let mut results: Vec<Option<Result<Applied, PluginError>>> = vec![None; commands.len()];
    let mut pending: Vec<(usize, Prepared)> = Vec::new();
    for (index, command) in commands.iter().enumerate() {
        match commands::prepare(command) {
            Ok(prepared) => pending.push((index, prepared)),
            Err(error) => results[index] = Some(Err(error)),
        }
    }
    let mut first_request = true;
    while !pending.is_empty() {
        let functions: Vec<_> = pending
            .iter()
            .map(|(_, prepared)| &prepared.function)
            .collect();
        let answers = match gateway::run(&settings, &functions) {
            Ok(answers) => answers,
            Err(error) if first_request => return Err(error),
            Err(error) => {
                for (index, _) in pending.drain(..) {
                    settle(&mut results[index], Err(error.clone()));
                }
                break;
            }
        };
        first_request = false;
        let mut again = Vec::new();
        for ((index, prepared), answer) in pending.into_iter().zip(answers) {
            match prepared.settle(answer, settings.duplicate_errno.as_deref()) {
                Step::Done(result) => settle(&mut results[index], result),
                Step::Again(next) => again.extend(next.into_iter().map(|next| (index, next))),
            }
        }
        pending = again;
    }
    Ok(results
        .into_iter()
        .map(|result| result.expect("every command is settled"))
        .collect())
}

/// Records one more result of a command, joined to what it already has.
fn settle(slot: &mut Option<Result<Applied, PluginError>>, result: Result<Applied, PluginError>) {
    *slot = Some(match slot.take() {
        Some(earlier) => commands::join(earlier, result),
        None => result,
    });
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::serde_json::json;
    use ml_connector_sdk::testing;

    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn operation(results: &str) -> String {
        format!(
            "<response><control><status>success</status></control><operation><authentication>\
             <status>success</status></authentication>{results}</operation></response>"
        )
    }

    #[test]
    fn a_duplicate_customer_goes_on_to_an_update_whose_failure_is_its_own() {
        testing::reset();
        testing::set_config([
            ("base_url", "http://gateway"),
            ("company_id", "ml-demo"),
            ("user_id", "xml_gateway"),
        ]);
        testing::set_secrets([
            ("sender_id", "s"),
            ("sender_password", "p"),
            ("user_password", "u"),
        ]);
        let mut answers = VecDeque::from([
            answer(
                200,
                &operation(
                    "<result><status>success</status><data><api><sessionid>s1</sessionid>\
                     <endpoint>http://gateway/session</endpoint></api></data></result>",
                ),
            ),
            answer(
                200,
                &operation(
                    "<result><status>failure</status><controlid>e/0</controlid><errormessage>\
                     <error><errorno>BL34000061</errorno><description2>Another Customer with the \
                     given value(s) C-1 already exists</description2></error></errormessage></result>\
                     <result><status>success</status><controlid>e/1</controlid><key>9</key></result>",
                ),
            ),
            answer(503, "<html>down</html>"),
        ]);
        testing::set_http_handler(move |_| Ok(answers.pop_front().expect("an answer left")));
        let commands = [
            Command::json(
                "intacct.upsert-customer",
                "e/0",
                &json!({"customer_id": "C-1", "name": "Jane"}),
            )
            .unwrap(),
            Command::json(
                "intacct.reverse-invoice",
                "e/1",
                &json!({"invoice_key": "4", "date": "2025-03-01"}),
            )
            .unwrap(),
            Command::json("intacct.create-invoice", "e/2", &json!({})).unwrap(),
            Command::json("intacct.delete-everything", "e/3", &json!({})).unwrap(),
        ];
        let results = apply(&commands).unwrap();
        assert!(
            matches!(&results[0], Err(PluginError::Transient(_))),
            "{results:?}"
        );
        assert_eq!(
            results[1],
            Ok(Applied::new("e/1").with_external_id("reversal", "9"))
        );
        assert!(matches!(
            &results[2],
            Err(PluginError::Rejected { code: None, .. })
        ));
        assert!(matches!(
            &results[3],
            Err(PluginError::Rejected { code: None, .. })
        ));
    }
}
