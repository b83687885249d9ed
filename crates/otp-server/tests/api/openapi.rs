//! The published OpenAPI document matches what the server serves.

use crate::helpers::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_served_routes_and_error_codes() {
    let app = spawn_app().await;
    let doc: serde_json::Value = reqwest::get(format!("{}/v1/openapi.json", app.base_url))
        .await
        .expect("served")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("item")
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .filter(|(m, _)| m != "parameters")
        .collect();
    let served: BTreeSet<(String, String)> = otp_server::routes::routes(true)
        .into_iter()
        .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(documented, served);

    let codes: BTreeSet<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .map(|c| c.as_str().expect("string").to_owned())
        .collect();
    let known: BTreeSet<String> = otp_client::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(codes, known);

    // Every documented path is really routed: none falls through to the JSON 404 of unknown paths.
    for (method, path) in &served {
        let url = format!("{}{}", app.base_url, path.replace("{id}", "unknown"));
        let res = reqwest::Client::new()
            .request(method.to_uppercase().parse().expect("method"), &url)
            .send()
            .await
            .expect("sent");
        assert_ne!(res.status(), 405, "{method} {path}");
    }
}
