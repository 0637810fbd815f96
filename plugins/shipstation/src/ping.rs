//! `ping`: one cheap authenticated V1 call, `GET /webhooks` (the account's subscriptions), which
//! checks `base_url` and the key pair, and says what a person needs to know: whether ShipStation
//! will announce labels at all (without a SHIP_NOTIFY or ITEM_SHIP_NOTIFY subscription only polling
//! finds them), and where the key stands in its rate window. With a V2 key, `GET /labels` (one
//! label) checks it too. Subscription URLs hold the webhook token: they are never repeated.

use ml_connector_sdk::PluginError;

use crate::client::Client;
use crate::ratelimit::{self, Api};
use crate::settings::Settings;
use crate::topics::{ITEM_SHIP_NOTIFY, SHIP_NOTIFY};
use crate::wire::{Labels, Webhooks};

/// `ShipStation V1 at <base>: key accepted, 39 of 40 requests left this minute; webhooks
/// SHIP_NOTIFY, ITEM_SHIP_NOTIFY[; V2 key accepted]`.
pub fn ping() -> Result<String, PluginError> {
    let mut client = Client::new(Settings::load()?);
    let hooks: Webhooks = client.v1("/webhooks")?;
    let mut types: Vec<&str> = Vec::new();
    for hook in hooks.webhooks.iter().filter(|hook| hook.active) {
        if let Some(kind) = hook
            .hook_type
            .as_deref()
            .filter(|kind| !types.contains(kind))
        {
            types.push(kind);
        }
    }
    let mut answer = format!(
        "ShipStation V1 at {}: key accepted",
        client.settings.base_url
    );
    if let Some(window) = ratelimit::current(Api::V1)? {
        answer.push_str(&format!(
            ", {} of {} requests left this minute",
            window.remaining, window.limit
        ));
    }
    match types.is_empty() {
        true => answer.push_str("; no webhooks subscribed"),
        false => answer.push_str(&format!("; webhooks {}", types.join(", "))),
    }
    if !types.contains(&SHIP_NOTIFY) && !types.contains(&ITEM_SHIP_NOTIFY) {
        answer.push_str(" (no SHIP_NOTIFY: only polling will find new labels)");
    }
    if client.settings.v2.is_some() {
        let _: Labels = client.v2("/labels?page_size=1")?;
        answer.push_str("; V2 key accepted (label costs from V2)");
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::json;

    use super::*;

    fn serve(webhooks: serde_json::Value, v2: bool) {
        testing::reset();
        let mut secrets = vec![("api_key", "k"), ("api_secret", "s")];
        if v2 {
            secrets.push(("v2_api_key", "v2"));
        }
        testing::set_secrets(secrets);
        testing::set_config([("base_url", "http://ss"), ("v2_base_url", "http://ss/v2")]);
        testing::set_http_handler(move |request| {
            let (body, headers) = match request.url.as_str() {
                "http://ss/webhooks" => (
                    json!({ "webhooks": webhooks.clone() }),
                    vec![
                        ("X-Rate-Limit-Limit".to_owned(), "40".to_owned()),
                        ("X-Rate-Limit-Remaining".to_owned(), "39".to_owned()),
                        ("X-Rate-Limit-Reset".to_owned(), "60".to_owned()),
                    ],
                ),
                "http://ss/v2/labels?page_size=1" => (json!({"labels": []}), Vec::new()),
                other => panic!("unexpected {other}"),
            };
            Ok(Response {
                status: 200,
                headers,
                body: body.to_string().into_bytes(),
            })
        });
    }

    #[test]
    fn names_the_subscriptions_and_the_rate_window() {
        serve(
            json!([
                {"HookType": "SHIP_NOTIFY", "Url": "https://mlc/webhooks/ss/t0ken", "Active": true},
                {"HookType": "ITEM_SHIP_NOTIFY", "Url": "https://mlc/webhooks/ss/t0ken", "Active": true},
                {"HookType": "SHIP_NOTIFY", "Url": "https://other", "Active": true},
                {"HookType": "ORDER_NOTIFY", "Url": "https://other", "Active": false}
            ]),
            true,
        );
        assert_eq!(
            ping().unwrap(),
            "ShipStation V1 at http://ss: key accepted, 39 of 40 requests left this minute; \
             webhooks SHIP_NOTIFY, ITEM_SHIP_NOTIFY; V2 key accepted (label costs from V2)"
        );
    }

    #[test]
    fn warns_when_nothing_announces_labels() {
        serve(json!([]), false);
        assert_eq!(
            ping().unwrap(),
            "ShipStation V1 at http://ss: key accepted, 39 of 40 requests left this minute; \
             no webhooks subscribed (no SHIP_NOTIFY: only polling will find new labels)"
        );
    }
}
