//! A two-second run against an in-process server completes flows without errors.

use otp_load::{FlowKind, LoadConfig};

/// A dev-mode server (per-IP limits off, as the benchmark runs it) after `configure`, on the
/// wall clock the load tool measures with.
async fn server(configure: impl FnOnce(&mut otp_server::Config)) -> otp_testkit::TestServer {
    otp_testkit::TestServer::builder()
        .system_clock()
        .configure(|c| {
            c.policy.no_ip_limits = true;
            configure(c);
        })
        .spawn()
        .await
}

fn config(url: String, flow: FlowKind, wrong_ratio: f64) -> LoadConfig {
    LoadConfig {
        url,
        concurrency: 4,
        duration: 2.0,
        max_flows: None,
        flow,
        wrong_ratio,
        allow_remote: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_second_sign_up_run_completes_flows_without_errors() {
    let server = server(|_| {}).await;
    let url = server.base_url.clone();
    let report = otp_load::run(&config(url, FlowKind::SignUp, 0.25))
        .await
        .expect("run");
    assert!(report.flows > 10, "{report}");
    assert!(report.errors.is_empty(), "{report}");
    for step in ["create", "prepare", "fetch_code", "verify", "verify_wrong"] {
        assert!(report.steps[step].count > 0, "{step} timed: {report}");
    }
    assert!(report.flow.p50_ms > 0.0 && report.flow.p99_ms >= report.flow.p50_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_flows_run_against_a_server_allowing_back_to_back_codes() {
    let server = server(|c| c.policy.send_interval_secs = 0).await;
    let url = server.base_url.clone();
    let report = otp_load::run(&LoadConfig {
        max_flows: Some(20),
        ..config(url, FlowKind::SignIn, 0.0)
    })
    .await
    .expect("run");
    assert_eq!((report.flows, report.errors.len()), (20, 0), "{report}");
}

#[tokio::test]
async fn errors_are_counted_by_step_and_code() {
    // Nothing listens on port 9: every flow fails at its first step.
    let report = otp_load::run(&LoadConfig {
        max_flows: Some(3),
        ..config("http://127.0.0.1:9".into(), FlowKind::SignUp, 0.0)
    })
    .await
    .expect("run");
    assert_eq!(report.flows, 0);
    assert_eq!(report.errors.get("create:transport"), Some(&3));
}
