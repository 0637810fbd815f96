//! `apply`: every command of the call becomes one function, and they go out in as few requests as
//! the connection's `functions_per_request` allows (100 by default, Intacct's cap), one request
//! after the other, each function with its own controlid; the per-function results come back as
//! per-command results. A command whose body does not fit its kind is `Rejected` on its own and
//! not sent.
//!
//! When the first request fails as a whole (HTTP error, control or sign-in refusal), that is the
//! outer error: nothing of the batch ran. A later request that fails is the error of the commands
//! it carried; the commands not sent yet are `Transient` (sent again on the next attempt, their
//! controlids guarding against a double). A command that needs more functions (the update of an
//! upsert, what follows the look-up of an invoice number) has them sent in a later request; a
//! command that ran as several functions gets their results joined ([`commands::join`]).

use std::collections::VecDeque;

use ml_connector_sdk::{Applied, Command, PluginError};

use crate::commands::{self, Prepared, Step};
use crate::gateway;
use crate::settings::{self, Settings};

/// One result per command, in order.
pub fn apply(commands: &[Command]) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
    let settings = Settings::load()?;
    let per_request = settings::functions_per_request()?;
    let mut results: Vec<Option<Result<Applied, PluginError>>> = vec![None; commands.len()];
    let mut pending: VecDeque<(usize, Prepared)> = VecDeque::new();
    for (index, command) in commands.iter().enumerate() {
        match commands::prepare(command) {
            Ok(prepared) => pending.push_back((index, prepared)),
            Err(error) => results[index] = Some(Err(error)),
        }
    }
    let mut first_request = true;
    while !pending.is_empty() {
        let request: Vec<_> = pending.drain(..per_request.min(pending.len())).collect();
        let functions: Vec<_> = request
            .iter()
            .map(|(_, prepared)| &prepared.function)
            .collect();
        let answers = match gateway::run(&settings, &functions) {
            Ok(answers) => answers,
            Err(error) if first_request => return Err(error),
            Err(error) => {
                let unsent = PluginError::transient(format!(
                    "not sent: an earlier request of the same batch failed ({error})"
                ));
                for (index, _) in request {
                    settle(&mut results[index], Err(error.clone()));
                }
                for (index, _) in pending.drain(..) {
                    settle(&mut results[index], Err(unsent.clone()));
                }
                break;
            }
        };
        first_request = false;
        for ((index, prepared), answer) in request.into_iter().zip(answers) {
            match prepared.settle(answer, settings.duplicate_errno.as_deref()) {
                Step::Done(result) => settle(&mut results[index], result),
                Step::Again(next) => pending.extend(next.into_iter().map(|next| (index, next))),
            }
        }
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

    /// A fresh plugin state with the connection's settings and secrets, and
    /// `functions_per_request` when given.
    fn connect(functions_per_request: Option<&str>) {
        testing::reset();
        let mut config = vec![
            ("base_url", "http://gateway"),
            ("company_id", "ml-demo"),
            ("user_id", "xml_gateway"),
        ];
        config.extend(functions_per_request.map(|limit| ("functions_per_request", limit)));
        testing::set_config(config);
        testing::set_secrets([
            ("sender_id", "s"),
            ("sender_password", "p"),
            ("user_password", "u"),
        ]);
    }

    #[test]
    fn a_duplicate_customer_goes_on_to_an_update_whose_failure_is_its_own() {
        connect(None);
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

    /// The controlids of the functions in a request body, in order.
    fn controlids(body: &[u8]) -> Vec<String> {
        let body = String::from_utf8_lossy(body);
        body.split("<function controlid=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
            .collect()
    }

    #[test]
    fn a_big_batch_goes_out_in_requests_of_at_most_functions_per_request() {
        connect(Some("100"));
        let requests = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let seen = requests.clone();
        testing::set_http_handler(move |request| {
            if String::from_utf8_lossy(&request.body).contains("getAPISession") {
                seen.borrow_mut().push(Vec::new());
                return Ok(answer(
                    200,
                    &operation(
                        "<result><status>success</status><data><api><sessionid>s1</sessionid>\
                         <endpoint>http://gateway/session</endpoint></api></data></result>",
                    ),
                ));
            }
            let ids = controlids(&request.body);
            seen.borrow_mut().push(ids.clone());
            // The third request (the second after the sign-in) fails whole.
            if seen.borrow().len() == 3 {
                return Ok(answer(503, "<html>down</html>"));
            }
            let results: String = ids
                .iter()
                .enumerate()
                .map(|(n, id)| {
                    format!(
                        "<result><status>success</status><controlid>{id}</controlid>\
                         <key>{n}</key></result>"
                    )
                })
                .collect();
            Ok(answer(200, &operation(&results)))
        });
        let commands: Vec<Command> = (0..250)
            .map(|n| {
                Command::json(
                    "intacct.reverse-invoice",
                    format!("e/{n}"),
                    &json!({"invoice_key": n.to_string(), "date": "2025-03-01"}),
                )
                .unwrap()
            })
            .collect();
        let results = apply(&commands).unwrap();

        let sizes: Vec<usize> = requests.borrow().iter().map(Vec::len).collect();
        assert_eq!(
            sizes,
            [0, 100, 100],
            "the sign-in, then two requests, the second failing"
        );
        let sent: Vec<String> = requests.borrow()[1..].concat();
        let keys: Vec<String> = (0..200).map(|n| format!("e/{n}")).collect();
        assert_eq!(sent, keys, "each command once, in order");
        for (n, result) in results.iter().enumerate() {
            match n {
                0..100 => assert!(result.is_ok(), "{n}: {result:?}"),
                100..200 => assert!(
                    matches!(result, Err(PluginError::Transient(message)) if !message.contains("not sent")),
                    "{n}: {result:?}"
                ),
                _ => assert!(
                    matches!(result, Err(PluginError::Transient(message)) if message.contains("not sent")),
                    "{n}: {result:?}"
                ),
            }
        }
    }

    #[test]
    fn a_bad_functions_per_request_is_the_batch_error_and_sends_nothing() {
        connect(Some("500"));
        testing::set_http_handler(|_| panic!("nothing is sent"));
        let command = Command::json(
            "intacct.reverse-invoice",
            "e/0",
            &json!({"invoice_key": "4", "date": "2025-03-01"}),
        )
        .unwrap();
        let error = apply(&[command]).unwrap_err();
        assert!(
            error.message().contains("functions_per_request"),
            "{error:?}"
        );
    }
}
