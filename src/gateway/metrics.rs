//! The gateway's figures at `GET /metrics`, in Prometheus' text format: requests by status and
//! model, the gateway's own overhead, time to first byte, holds outstanding, the ledger's queue,
//! downgrades and refusals.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

/// A latency histogram.
#[derive(Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Total in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Everything counted since the gateway started.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(u16, String), u64>>,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    downgrades: AtomicU64,
    overhead: Histogram,
    first_byte: Histogram,
}

/// Figures read when `/metrics` is asked, not counted.
pub struct Gauges {
    pub holds_outstanding: usize,
    pub held_usd: f64,
    pub ledger_queue: usize,
}

/// The longest model label kept; longer ids (which a client chooses) are cut.
const MAX_MODEL_LABEL: usize = 100;

impl Metrics {
    /// A request answered with `status`, for `model` (the served one; empty when unknown).
    pub fn request(&self, status: u16, model: &str) {
        let model: String = model.chars().take(MAX_MODEL_LABEL).collect();
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((status, model)).or_default() += 1;
    }

    /// A request the gateway answered itself, for `reason`.
    pub fn refusal(&self, reason: &'static str) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        *refusals.entry(reason).or_default() += 1;
    }

    pub fn downgrade(&self) {
        self.downgrades.fetch_add(1, Ordering::Relaxed);
    }

    /// The gateway's own time on a request before it was forwarded.
    pub fn overhead(&self, took: Duration) {
        self.overhead.observe(took);
    }

    /// From receiving a request to the first byte of OpenRouter's answer.
    pub fn first_byte(&self, took: Duration) {
        self.first_byte.observe(took);
    }

    /// The text of `GET /metrics`.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP gateway_requests_total Requests answered, by HTTP status and served model.\n# TYPE gateway_requests_total counter\n");
        for ((status, model), count) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "gateway_requests_total{{status=\"{status}\",model=\"{}\"}} {count}",
                escape(model)
            );
        }
        out.push_str("# HELP gateway_refusals_total Requests the gateway answered itself, by reason.\n# TYPE gateway_refusals_total counter\n");
        for (reason, count) in self
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "gateway_refusals_total{{reason=\"{reason}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "# HELP gateway_downgrades_total Requests served by the tier's fallback model.\n# TYPE gateway_downgrades_total counter\ngateway_downgrades_total {}",
            self.downgrades.load(Ordering::Relaxed)
        );
        self.overhead.write(
            &mut out,
            "gateway_overhead_seconds",
            "The gateway's own time on a request before forwarding it (auth, policy, hold).",
        );
        self.first_byte.write(
            &mut out,
            "gateway_time_to_first_byte_seconds",
            "From a request's arrival to the first byte of OpenRouter's answer.",
        );
        let _ = writeln!(
            out,
            "# HELP gateway_holds_outstanding Requests holding budget now.\n# TYPE gateway_holds_outstanding gauge\ngateway_holds_outstanding {}",
            gauges.holds_outstanding
        );
        let _ = writeln!(
            out,
            "# HELP gateway_held_usd Budget held by running requests, in dollars.\n# TYPE gateway_held_usd gauge\ngateway_held_usd {}",
            gauges.held_usd
        );
        let _ = writeln!(
            out,
            "# HELP gateway_ledger_queue_depth Ledger rows queued and not yet committed.\n# TYPE gateway_ledger_queue_depth gauge\ngateway_ledger_queue_depth {}",
            gauges.ledger_queue
        );
        out
    }
}

/// A label value with Prometheus' escapes.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
