//! The published OpenAPI document matches what the server serves.

use crate::helpers::*;
use serde_json::json;
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

/// A valid value for each request field the document marks required.
fn sample(field: &str) -> &'static str {
    match field {
        "phone_number" | "identifier" => PHONE,
        "email_address" => EMAIL,
        "strategy" => "phone_code",
        "code" => "000000",
        "level" => "first_factor",
        other => panic!("no sample value for the request field {other}: add one"),
    }
}

/// The request body schemas' `required` lists are what the handlers require: leaving out any
/// one of them is answered `form_param_missing`, and sending them all never is.
#[tokio::test]
async fn the_openapi_document_marks_the_request_fields_the_handlers_require() {
    let app = spawn_app().await;
    let doc: serde_json::Value = reqwest::get(format!("{}/v1/openapi.json", app.base_url))
        .await
        .expect("served")
        .json()
        .await
        .expect("json");
    let http = reqwest::Client::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let reference = body["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"]
                .as_str()
                .expect("a schema reference");
            let schema = doc
                .pointer(reference.trim_start_matches('#'))
                .expect("the schema");
            // Each way of satisfying the schema: its `required`, or one of its `oneOf` branches.
            let base: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .collect();
            let alternatives: Vec<Vec<&str>> = match schema["oneOf"].as_array() {
                Some(branches) => branches
                    .iter()
                    .map(|b| {
                        let mut fields = base.clone();
                        fields.extend(
                            b["required"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|f| f.as_str()),
                        );
                        fields
                    })
                    .collect(),
                None => vec![base],
            };
            assert!(
                body["required"] == json!(alternatives.iter().any(|a| !a.is_empty())),
                "{method} {path}: requestBody.required says whether a body is needed"
            );
            let url = format!("{}{}", app.base_url, path.replace("{id}", "unknown"));
            let send = |fields: Vec<(&str, &str)>| {
                let req = http
                    .request(method.to_uppercase().parse().expect("method"), &url)
                    .form(&fields);
                async move {
                    let res = req.send().await.expect("sent");
                    let status = res.status().as_u16();
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    (status, body["errors"][0].clone())
                }
            };
            for fields in &alternatives {
                let all: Vec<(&str, &str)> = fields.iter().map(|f| (*f, sample(f))).collect();
                let (status, error) = send(all.clone()).await;
                assert_ne!(
                    error["code"], "form_param_missing",
                    "{method} {path} with {all:?}: {status} {error}"
                );
                for missing in fields {
                    let rest: Vec<(&str, &str)> =
                        all.iter().filter(|(f, _)| f != missing).copied().collect();
                    let (status, error) = send(rest).await;
                    assert_eq!(
                        (status, error["code"].as_str()),
                        (422, Some("form_param_missing")),
                        "{method} {path} without {missing}: {error}"
                    );
                    if alternatives.len() == 1 {
                        assert_eq!(error["meta"]["param_name"], *missing, "{method} {path}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 8, "{checked} required fields checked");
}
