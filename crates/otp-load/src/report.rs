//! The load report: latency histograms per step and per flow (HdrHistogram, microseconds),
//! errors by kind, throughput; printed as a table or written as JSON.

use crate::LoadConfig;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What one virtual user (or all of them, merged) saw.
#[derive(Default)]
pub struct Recorder {
    steps: BTreeMap<String, Histogram<u64>>,
    flow: Option<Histogram<u64>>,
    errors: BTreeMap<String, u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 10 min, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, 600_000_000)
}

impl Recorder {
    /// Records one step's latency.
    pub fn step(&mut self, name: &str, d: Duration) {
        let h = self.steps.entry(name.to_owned()).or_insert_with(histogram);
        let _ = h.record(micros(d));
    }

    /// Records a completed flow.
    pub fn flow_done(&mut self, d: Duration) {
        let _ = self.flow.get_or_insert_with(histogram).record(micros(d));
    }

    /// Records a failed flow.
    pub fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }

    /// Adds another recorder's observations.
    pub fn merge(&mut self, other: Recorder) {
        for (name, h) in other.steps {
            let _ = self.steps.entry(name).or_insert_with(histogram).add(h);
        }
        if let Some(f) = other.flow {
            let _ = self.flow.get_or_insert_with(histogram).add(f);
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
    }

    /// The report over `elapsed`.
    pub fn report(&self, config: &LoadConfig, elapsed: Duration) -> Report {
        let flows = self.flow.as_ref().map_or(0, Histogram::len);
        Report {
            config: config.clone(),
            elapsed_secs: elapsed.as_secs_f64(),
            flows,
            flows_per_sec: flows as f64 / elapsed.as_secs_f64().max(1e-9),
            errors: self.errors.clone(),
            flow: self.flow.as_ref().map(Latency::of).unwrap_or_default(),
            steps: self
                .steps
                .iter()
                .map(|(k, h)| (k.clone(), Latency::of(h)))
                .collect(),
        }
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    /// Observations.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        let ms = |v: u64| v as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was run.
    pub config: LoadConfig,
    /// Measured time.
    pub elapsed_secs: f64,
    /// Completed flows.
    pub flows: u64,
    /// Completed flows per second.
    pub flows_per_sec: f64,
    /// Failed flows by `step:code`.
    pub errors: BTreeMap<String, u64>,
    /// Whole-flow latency.
    pub flow: Latency,
    /// Latency per step.
    pub steps: BTreeMap<String, Latency>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:?} flows, concurrency {}: {} completed in {:.1} s = {:.0} flows/s, {} errors",
            self.config.flow,
            self.config.concurrency,
            self.flows,
            self.elapsed_secs,
            self.flows_per_sec,
            self.errors.values().sum::<u64>()
        )?;
        writeln!(
            f,
            "{:<14}{:>9}{:>10}{:>10}{:>10}{:>10}",
            "step", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
        )?;
        for (name, l) in self
            .steps
            .iter()
            .chain(std::iter::once((&"flow".to_owned(), &self.flow)))
        {
            writeln!(
                f,
                "{name:<14}{:>9}{:>10.2}{:>10.2}{:>10.2}{:>10.2}",
                l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
            )?;
        }
        for (kind, n) in &self.errors {
            writeln!(f, "error {kind}: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LoadConfig {
        LoadConfig {
            url: "http://127.0.0.1:1".into(),
            concurrency: 2,
            duration: 1.0,
            max_flows: None,
            flow: crate::FlowKind::SignUp,
            wrong_ratio: 0.0,
            allow_remote: false,
        }
    }

    #[test]
    fn merged_recorders_give_percentiles_throughput_and_errors() {
        let mut a = Recorder::default();
        let mut b = Recorder::default();
        for ms in 1..=100 {
            a.step("create", Duration::from_millis(ms));
            a.flow_done(Duration::from_millis(ms * 2));
        }
        b.error("verify:form_code_incorrect".into());
        b.error("verify:form_code_incorrect".into());
        a.merge(b);
        let r = a.report(&config(), Duration::from_secs(2));
        assert_eq!(r.flows, 100);
        assert!((r.flows_per_sec - 50.0).abs() < 1e-9);
        assert_eq!(r.errors["verify:form_code_incorrect"], 2);
        let create = &r.steps["create"];
        assert!(
            (create.p50_ms - 50.0).abs() < 0.1 && (create.p99_ms - 99.0).abs() < 0.1,
            "{create:?}"
        );
        assert!((r.flow.max_ms - 200.0).abs() < 0.2);
        let text = r.to_string();
        assert!(
            text.contains("100 completed") && text.contains("error verify:form_code_incorrect: 2")
        );
    }

    #[test]
    fn only_loopback_targets_unless_told() {
        assert!(crate::ensure_loopback("http://127.0.0.1:8787", false).is_ok());
        assert!(crate::ensure_loopback("http://localhost:8787", false).is_ok());
        assert!(crate::ensure_loopback("http://[::1]:8787", false).is_ok());
        assert!(crate::ensure_loopback("http://10.0.0.5:8787", false).is_err());
        assert!(crate::ensure_loopback("https://auth.example.com", false).is_err());
        assert_eq!(
            crate::ensure_loopback("http://auth.example.com", true).expect("allowed"),
            "auth.example.com:80"
        );
        assert_eq!(
            crate::ensure_loopback("http://[::1]:8787", false).expect("loopback"),
            "[::1]:8787"
        );
        // TLS would measure the load tool's handshakes, not the server.
        assert!(crate::ensure_loopback("https://auth.example.com", true).is_err());
    }
}
