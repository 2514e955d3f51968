//! Metrics in the Prometheus (OpenMetrics) text format, through the
//! `prometheus-client` crate: settle outcomes by code, request latency
//! histograms by route, proof checks. Labels are low-cardinality (route
//! templates, stable codes), never DIDs or URIs.
//!
//! Each service keeps its own metrics (no process-wide recorder: two
//! exchanges in one process, as in the tests, never mix their counts);
//! one answer of `/metrics` is a [`Scrape`]: every component registers
//! what it has, and the whole is encoded once.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter as Total;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Histogram bucket upper bounds, in seconds (a latency, not money).
const BUCKETS_S: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency() -> Histogram {
    Histogram::new(BUCKETS_S)
}

fn seconds(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answer {
    status: String,
    verdict: String,
}

/// The `ResponseValue` names a label may carry; anything else counts as
/// `other` (a verifier's answer never grows the label set).
const STATUSES: [&str; 16] = [
    "Quick_OK",
    "Quick_Fail",
    "Quick_OK_Smell_OK",
    "Quick_OK_Smell_Fail",
    "Quick_Fail_Smell_OK",
    "Quick_Fail_Smell_Fail",
    "Full_Green",
    "Full_Amber",
    "Full_Red",
    "Model_OK",
    "Model_Fail",
    "Challenge_OK",
    "Challenge_Fail",
    "Model_Pending_Review",
    "Logits_OK",
    "Logits_Fail",
];

/// A help text without its final period (the encoder adds one).
fn bare(help: &str) -> &str {
    help.strip_suffix('.').unwrap_or(help)
}

/// One answer of `/metrics`.
#[derive(Default)]
pub struct Scrape(Registry);

impl Scrape {
    /// A counter of outcomes, as it stands.
    pub fn counter(&mut self, c: &Counter) {
        self.0.register(c.name, bare(c.help), c.values.clone());
    }

    /// A counter kept elsewhere (an atomic), at `value`.
    pub fn total(&mut self, name: &'static str, help: &'static str, value: u64) {
        let c: Total = Total::default();
        c.inc_by(value);
        self.0.register(name, bare(help), c);
    }

    pub fn gauge(&mut self, name: &'static str, help: &'static str, value: i64) {
        let g: Gauge = Gauge::default();
        g.set(value);
        self.0.register(name, bare(help), g);
    }

    /// A gauge in seconds, from integer microseconds; `name` without its
    /// `_seconds` unit.
    pub fn seconds_gauge(&mut self, name: &'static str, help: &'static str, us: u64) {
        let g: Gauge<f64, AtomicU64> = Gauge::default();
        g.set(seconds(Duration::from_micros(us)));
        self.0
            .register_with_unit(name, bare(help), Unit::Seconds, g);
    }

    /// The text answer, ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.0) {
            tracing::error!("metrics: {e}");
        }
        out
    }
}

/// The media type of [`Scrape::encode`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One counter by outcome (a stable code, never a DID): its name (without
/// `_total`), help and values.
pub struct Counter {
    name: &'static str,
    help: &'static str,
    values: Family<Outcome, Total>,
}

impl Counter {
    pub fn new(name: &'static str, help: &'static str) -> Counter {
        Counter {
            name,
            help,
            values: Family::default(),
        }
    }

    /// Adds one under `outcome`.
    pub fn count(&self, outcome: &str) {
        self.values
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// How many under `outcome` (reading adds no line).
    pub fn get(&self, outcome: &str) -> u64 {
        self.values
            .get(&Outcome {
                outcome: outcome.to_owned(),
            })
            .map_or(0, |c| c.get())
    }
}

pub struct Metrics {
    outcomes: Counter,
    requests: Family<RouteStatus, Histogram, fn() -> Histogram>,
    /// Native proof checks by outcome (`ok` or the failed check's name).
    proofs: Counter,
    /// Verifier answers by (status, verdict).
    verdicts: Family<Answer, Total>,
    verifier: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            outcomes: Counter::new(
                "settlement_settle_outcomes",
                "Settle requests by outcome (created, replayed or rejection code).",
            ),
            requests: Family::new_with_constructor(latency),
            proofs: Counter::new(
                "settlement_inference_proofs_checked",
                "Proofs of inference checked natively, by outcome (ok or the failed check).",
            ),
            verdicts: Family::default(),
            verifier: latency(),
        }
    }
}

impl Metrics {
    /// Counts one settle request's outcome (`created`, `replayed` or a
    /// rejection code).
    pub fn settle_outcome(&self, outcome: &str) {
        self.outcomes.count(outcome);
    }

    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status: format!("{}xx", status / 100),
            })
            .observe(seconds(elapsed));
    }

    /// Counts one proof's native checks: `ok`, or the check that failed.
    pub fn proof_checked(&self, outcome: &'static str) {
        self.proofs.count(outcome);
    }

    /// Counts one verifier answer and how long it took to get.
    pub fn verifier_answer(&self, status: &str, verdict: &'static str, elapsed: Duration) {
        let status = STATUSES
            .iter()
            .find(|s| **s == status)
            .copied()
            .unwrap_or("other");
        self.verdicts
            .get_or_create(&Answer {
                status: status.to_owned(),
                verdict: verdict.to_owned(),
            })
            .inc();
        self.verifier_latency(elapsed);
    }

    /// Times a verifier exchange, answered or not.
    pub fn verifier_latency(&self, elapsed: Duration) {
        self.verifier.observe(seconds(elapsed));
    }

    /// Registers every metric in `scrape`.
    pub fn register(&self, scrape: &mut Scrape) {
        scrape.counter(&self.outcomes);
        scrape.0.register_with_unit(
            "settlement_http_request_duration",
            "HTTP request latency by route and status class",
            Unit::Seconds,
            self.requests.clone(),
        );
        scrape.counter(&self.proofs);
        scrape.0.register(
            "settlement_inference_verdicts",
            "Proof verifier answers, by ResponseValue and verdict",
            self.verdicts.clone(),
        );
        scrape.0.register_with_unit(
            "settlement_inference_verifier_duration",
            "Time to a proof verifier's answer (or to giving up)",
            Unit::Seconds,
            self.verifier.clone(),
        );
    }

    /// This service's metrics alone, as `/metrics` would answer them.
    pub fn render(&self) -> String {
        let mut scrape = Scrape::default();
        self.register(&mut scrape);
        scrape.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.settle_outcome("created");
        m.settle_outcome("created");
        m.settle_outcome("insufficient-funds");
        m.request("/v1/settle", 201, Duration::from_micros(3_000));
        m.request("/v1/settle", 201, Duration::from_micros(30_000));
        let text = m.render();
        assert!(
            text.contains("settlement_settle_outcomes_total{outcome=\"created\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("settlement_settle_outcomes_total{outcome=\"insufficient-funds\"} 1\n")
        );
        assert!(
            text.contains("{le=\"0.0025\",route=\"/v1/settle\",status=\"2xx\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("{le=\"0.005\",route=\"/v1/settle\",status=\"2xx\"} 1\n"));
        assert!(text.contains("{le=\"0.05\",route=\"/v1/settle\",status=\"2xx\"} 2\n"));
        let sum: f64 = text
            .lines()
            .find_map(|l| {
                l.strip_prefix(
                    "settlement_http_request_duration_seconds_sum{route=\"/v1/settle\",status=\"2xx\"} ",
                )
            })
            .expect("the sum")
            .parse()
            .expect("a number");
        assert!((sum - 0.033).abs() < 1e-9, "{sum}");
        assert!(text.contains("settlement_http_request_duration_seconds_count{route=\"/v1/settle\",status=\"2xx\"} 2\n"));
    }

    #[test]
    fn verifier_statuses_never_grow_the_labels() {
        let m = Metrics::default();
        m.verifier_answer("Full_Green", "pass", Duration::from_millis(3));
        m.verifier_answer("did:plc:whatever", "hold", Duration::from_millis(30));
        m.proof_checked("sampling");
        let text = m.render();
        assert!(
            text.contains(
                "settlement_inference_verdicts_total{status=\"Full_Green\",verdict=\"pass\"} 1\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "settlement_inference_verdicts_total{status=\"other\",verdict=\"hold\"} 1\n"
        ));
        assert!(!text.contains("did:plc"));
        assert!(
            text.contains("settlement_inference_proofs_checked_total{outcome=\"sampling\"} 1\n")
        );
        assert!(
            text.contains(
                "settlement_inference_verifier_duration_seconds_bucket{le=\"0.005\"} 1\n"
            )
        );
        assert!(text.contains("settlement_inference_verifier_duration_seconds_count 2\n"));
    }
}
