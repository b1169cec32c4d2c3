//! Prometheus metrics: reconciles by kind, their duration and errors by bounded category, status
//! writes, and AWS call attempts by service, operation and outcome. No object names in labels.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use stackwright_cloud::{CallOutcome, CallRecorder};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub kind: &'static str,
    pub category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AwsCallLabels {
    pub service: String,
    pub operation: String,
    pub outcome: &'static str,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub reconciles: Family<KindLabels, Counter>,
    pub reconcile_errors: Family<ErrorLabels, Counter>,
    pub reconcile_duration: Family<KindLabels, Histogram>,
    pub status_writes: Family<KindLabels, Counter>,
    pub aws_calls: Family<AwsCallLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("stackwright");
        let reconciles = Family::<KindLabels, Counter>::default();
        let reconcile_errors = Family::<ErrorLabels, Counter>::default();
        let reconcile_duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
        });
        let status_writes = Family::<KindLabels, Counter>::default();
        let aws_calls = Family::<AwsCallLabels, Counter>::default();
        registry.register("reconciles", "Reconciles run, by kind", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by kind and error category",
            reconcile_errors.clone(),
        );
        registry.register("reconcile_duration_seconds", "Reconcile duration, by kind", reconcile_duration.clone());
        registry.register("status_writes", "Status updates written to the API server, by kind", status_writes.clone());
        registry.register("aws_calls", "AWS API call attempts, by service, operation and outcome", aws_calls.clone());
        Metrics { registry, reconciles, reconcile_errors, reconcile_duration, status_writes, aws_calls }
    }
}

impl Metrics {
    pub fn reconciled(&self, kind: &'static str, took: Duration, error: Option<&'static str>) {
        self.reconciles.get_or_create(&KindLabels { kind }).inc();
        self.reconcile_duration.get_or_create(&KindLabels { kind }).observe(took.as_secs_f64());
        if let Some(category) = error {
            self.reconcile_errors.get_or_create(&ErrorLabels { kind, category }).inc();
        }
    }

    pub fn status_written(&self, kind: &'static str) {
        self.status_writes.get_or_create(&KindLabels { kind }).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl CallRecorder for Metrics {
    fn record(&self, service: &str, operation: &str, outcome: CallOutcome) {
        // Service and operation names come from the SDK's fixed operation metadata: bounded.
        let labels =
            AwsCallLabels { service: service.to_string(), operation: operation.to_string(), outcome: outcome.as_str() };
        self.aws_calls.get_or_create(&labels).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_the_documented_series() {
        let m = Metrics::default();
        m.reconciled("Bucket", Duration::from_millis(20), Some("conflict"));
        m.status_written("Bucket");
        m.record("S3", "PutBucketVersioning", CallOutcome::Success);
        let text = m.encode();
        assert!(text.contains(r#"stackwright_reconciles_total{kind="Bucket"} 1"#), "{text}");
        assert!(text.contains(r#"stackwright_reconcile_errors_total{kind="Bucket",category="conflict"} 1"#), "{text}");
        assert!(text.contains(r#"stackwright_status_writes_total{kind="Bucket"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"stackwright_aws_calls_total{service="S3",operation="PutBucketVersioning",outcome="success"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("stackwright_reconcile_duration_seconds_bucket"), "{text}");
    }
}
