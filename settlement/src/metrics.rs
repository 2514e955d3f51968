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

#[derive(Default)]
pub struct Metrics {
    outcomes: Mutex<BTreeMap<String, u64>>,
    requests: Mutex<BTreeMap<(String, String), Histogram>>,
}

/// Seconds with six decimals, from integer microseconds.
fn seconds(us: u64) -> String {
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
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        if let Ok(mut m) = self.requests.lock() {
            let h = m
                .entry((route.to_owned(), format!("{}xx", status / 100)))
                .or_default();
            for (i, bound) in BUCKETS_US.iter().enumerate() {
                if us <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum_us = h.sum_us.saturating_add(us);
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
                for (i, bound) in BUCKETS_US.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "settlement_http_request_duration_seconds_bucket{{{labels},le=\"{}\"}} {}",
                        seconds(*bound),
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "settlement_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "settlement_http_request_duration_seconds_sum{{{labels}}} {}",
                    seconds(h.sum_us)
                );
                let _ = writeln!(
                    out,
                    "settlement_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
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
}
