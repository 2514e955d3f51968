//! Prometheus text metrics, kept in integers: settle outcomes by code and
//! request latency histograms by route. Labels are low-cardinality (route
//! templates, stable codes), never DIDs or URIs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, in microseconds.
const BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        for (i, bound) in BUCKETS_US.iter().enumerate() {
            if us <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(us);
    }

    /// The histogram's lines for metric `name` with `labels` (may be empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS_US.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{}\"}} {}",
                seconds(*bound),
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {}", braces(labels), seconds(self.sum_us));
        let _ = writeln!(out, "{name}_count{} {}", braces(labels), self.count);
    }
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

#[derive(Default)]
pub struct Metrics {
    outcomes: Mutex<BTreeMap<String, u64>>,
    requests: Mutex<BTreeMap<(String, String), Histogram>>,
    /// Native proof checks by outcome (`ok` or the failed check's name).
    proofs: Mutex<BTreeMap<&'static str, u64>>,
    /// Verifier answers by (status, verdict).
    verdicts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    verifier: Mutex<Histogram>,
}

/// One counter by one label (outcomes, codes): its name, help and values.
pub struct Counter {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    values: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counter {
    pub const fn new(name: &'static str, help: &'static str, label: &'static str) -> Counter {
        Counter {
            name,
            help,
            label,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one under `value` (a stable code, never a DID).
    pub fn count(&self, value: &'static str) {
        if let Ok(mut m) = self.values.lock() {
            *m.entry(value).or_insert(0) += 1;
        }
    }

    /// How many under `value`.
    pub fn get(&self, value: &str) -> u64 {
        self.values
            .lock()
            .map(|m| m.get(value).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The counter in Prometheus text.
    pub fn render(&self) -> String {
        let (name, label) = (self.name, self.label);
        let mut out = format!("# HELP {name} {}\n# TYPE {name} counter\n", self.help);
        if let Ok(m) = self.values.lock() {
            for (v, n) in m.iter() {
                let _ = writeln!(out, "{name}{{{label}=\"{v}\"}} {n}");
            }
        }
        out
    }
}

/// A gauge line in Prometheus text.
pub fn gauge(name: &str, help: &str, value: impl std::fmt::Display) -> String {
    format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n")
}

/// Seconds with six decimals, from integer microseconds.
pub fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

impl Metrics {
    /// Counts one settle request's outcome (`created`, `replayed` or a
    /// rejection code).
    pub fn settle_outcome(&self, outcome: &str) {
        if let Ok(mut m) = self.outcomes.lock() {
            *m.entry(outcome.to_owned()).or_insert(0) += 1;
        }
    }

    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            m.entry((route.to_owned(), format!("{}xx", status / 100)))
                .or_default()
                .observe(elapsed);
        }
    }

    /// Counts one proof's native checks: `ok`, or the check that failed.
    pub fn proof_checked(&self, outcome: &'static str) {
        if let Ok(mut m) = self.proofs.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    /// Counts one verifier answer and how long it took to get.
    pub fn verifier_answer(&self, status: &str, verdict: &'static str, elapsed: Duration) {
        let status = STATUSES
            .iter()
            .find(|s| **s == status)
            .copied()
            .unwrap_or("other");
        if let Ok(mut m) = self.verdicts.lock() {
            *m.entry((status, verdict)).or_insert(0) += 1;
        }
        self.verifier_latency(elapsed);
    }

    /// Times a verifier exchange, answered or not.
    pub fn verifier_latency(&self, elapsed: Duration) {
        if let Ok(mut h) = self.verifier.lock() {
            h.observe(elapsed);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP settlement_settle_outcomes_total Settle requests by outcome (created, replayed or rejection code).\n");
        out.push_str("# TYPE settlement_settle_outcomes_total counter\n");
        if let Ok(m) = self.outcomes.lock() {
            for (outcome, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "settlement_settle_outcomes_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP settlement_http_request_duration_seconds HTTP request latency by route and status class.\n");
        out.push_str("# TYPE settlement_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, class), h) in m.iter() {
                let labels = format!("route=\"{route}\",status=\"{class}\"");
                h.render(
                    &mut out,
                    "settlement_http_request_duration_seconds",
                    &labels,
                );
            }
        }
        out.push_str("# HELP settlement_inference_proofs_checked_total Proofs of inference checked natively, by outcome (ok or the failed check).\n");
        out.push_str("# TYPE settlement_inference_proofs_checked_total counter\n");
        if let Ok(m) = self.proofs.lock() {
            for (outcome, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "settlement_inference_proofs_checked_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP settlement_inference_verdicts_total Proof verifier answers, by ResponseValue and verdict.\n");
        out.push_str("# TYPE settlement_inference_verdicts_total counter\n");
        if let Ok(m) = self.verdicts.lock() {
            for ((status, verdict), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "settlement_inference_verdicts_total{{status=\"{status}\",verdict=\"{verdict}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP settlement_inference_verifier_duration_seconds Time to a proof verifier's answer (or to giving up).\n");
        out.push_str("# TYPE settlement_inference_verifier_duration_seconds histogram\n");
        if let Ok(h) = self.verifier.lock() {
            h.render(
                &mut out,
                "settlement_inference_verifier_duration_seconds",
                "",
            );
        }
        out
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
        assert!(text.contains("{route=\"/v1/settle\",status=\"2xx\",le=\"0.002500\"} 0\n"));
        assert!(text.contains("{route=\"/v1/settle\",status=\"2xx\",le=\"0.005000\"} 1\n"));
        assert!(text.contains("{route=\"/v1/settle\",status=\"2xx\",le=\"0.050000\"} 2\n"));
        assert!(text.contains("settlement_http_request_duration_seconds_sum{route=\"/v1/settle\",status=\"2xx\"} 0.033000\n"));
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
        assert!(text.contains(
            "settlement_inference_verifier_duration_seconds_bucket{le=\"0.005000\"} 1\n"
        ));
        assert!(text.contains("settlement_inference_verifier_duration_seconds_count 2\n"));
    }
}
