//! Codes and client tokens never reach the logs (the dev console line is not a log: it is
//! printed on standard output, in dev mode only).

use crate::helpers::*;

#[tokio::test]
async fn no_code_or_client_token_is_ever_logged() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = app.sign_up(&device, PHONE).await;
    let jwt = device.session_token().await.expect("jwt");
    let code = app.code_for(PHONE).await;
    let token = device.token().expect("token");
    let logs = logs();
    assert!(
        logs.contains(&format!(
            "/v1/client/sign_ups/{}/attempt_verification",
            sign_up.id
        )),
        "requests are logged"
    );
    assert!(
        !logs.contains(&format!("code={code}")) && !logs.contains(&format!("\"{code}\"")),
        "no code in logs"
    );
    assert!(!logs.contains(&token), "no client token in logs");
    assert!(!logs.contains(&jwt), "no session token in logs");
}
