//! Prometheus metrics: how many objects are Ready or Stalled and why, reconciles by kind, their
//! duration and errors by bounded category, status writes, AWS call attempts by service,
//! operation and outcome, time spent waiting for the client-side rate limits, and leadership.
//! No object names in labels.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use prometheus_client::metrics::gauge::Gauge;
use stackwright_api::conditions;

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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    pub kind: &'static str,
    /// `Ready`, `Reconciling` or `Stalled`.
    pub condition: &'static str,
    /// The condition's reason: a short CamelCase word from a fixed set.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RegionLabels {
    pub service: String,
    pub region: String,
}

/// How many objects of each kind stand in which condition, for alerts such as "Stalled for 15
/// minutes": every object counted once, under the condition its status reports now.
#[derive(Debug, Default)]
pub struct ObjectCensus {
    gauge: Family<ObjectLabels, Gauge>,
    invalid: Family<KindLabels, Gauge>,
    seen: Mutex<Census>,
}

#[derive(Debug, Default)]
struct Census {
    standing: HashMap<String, ObjectLabels>,
    /// Unreadable objects: their kind and the version last reported.
    invalid: HashMap<String, (&'static str, Option<String>)>,
}

impl ObjectCensus {
    /// Counts object `key` of `kind` under what `conditions` say (replacing its earlier count).
    pub fn observe(&self, kind: &'static str, key: &str, conditions: &[Condition]) {
        let Some(labels) = summarize(kind, conditions) else { return };
        let mut seen = self.lock();
        if seen.invalid.remove(key).is_some() {
            self.invalid.get_or_create(&KindLabels { kind }).dec();
        }
        if seen.standing.get(key) == Some(&labels) {
            return;
        }
        if let Some(old) = seen.standing.insert(key.to_string(), labels.clone()) {
            self.gauge.get_or_create(&old).dec();
        }
        self.gauge.get_or_create(&labels).inc();
    }

    /// Counts object `key` as one that cannot be read (fails to deserialize). Returns whether
    /// this version of it is new here, i.e. worth reporting.
    pub fn invalid(&self, kind: &'static str, key: &str, version: Option<&str>) -> bool {
        let mut seen = self.lock();
        if let Some(old) = seen.standing.remove(key) {
            self.gauge.get_or_create(&old).dec();
        }
        match seen.invalid.insert(key.to_string(), (kind, version.map(str::to_string))) {
            None => {
                self.invalid.get_or_create(&KindLabels { kind }).inc();
                true
            }
            Some((_, earlier)) => earlier.as_deref() != version,
        }
    }

    /// The object is gone.
    pub fn forget(&self, key: &str) {
        let mut seen = self.lock();
        if let Some(old) = seen.standing.remove(key) {
            self.gauge.get_or_create(&old).dec();
        }
        if let Some((kind, _)) = seen.invalid.remove(key) {
            self.invalid.get_or_create(&KindLabels { kind }).dec();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Census> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The one condition an object is counted under: Stalled, else Reconciling, else Ready (True or
/// False, with its reason).
fn summarize(kind: &'static str, list: &[Condition]) -> Option<ObjectLabels> {
    let is_true = |type_| conditions::find(list, type_).filter(|c| c.status == "True");
    let (condition, found) = if let Some(c) = is_true(conditions::STALLED) {
        (conditions::STALLED, c)
    } else if let Some(c) = is_true(conditions::RECONCILING) {
        (conditions::RECONCILING, c)
    } else {
        let ready = conditions::find(list, conditions::READY)?;
        (if ready.status == "True" { conditions::READY } else { conditions::RECONCILING }, ready)
    };
    Some(ObjectLabels { kind, condition, reason: found.reason.clone() })
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub objects: ObjectCensus,
    pub leader: Gauge,
    pub rate_limit_wait: Family<RegionLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    pub rate_limit_waits: Family<RegionLabels, Counter>,
    pub reconciles: Family<KindLabels, Counter>,
    pub reconcile_errors: Family<ErrorLabels, Counter>,
    pub reconcile_duration: Family<KindLabels, Histogram>,
    pub status_writes: Family<KindLabels, Counter>,
    pub secret_writes: Family<KindLabels, Counter>,
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
        let secret_writes = Family::<KindLabels, Counter>::default();
        let aws_calls = Family::<AwsCallLabels, Counter>::default();
        registry.register("reconciles", "Reconciles run, by kind", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by kind and error category",
            reconcile_errors.clone(),
        );
        registry.register("reconcile_duration_seconds", "Reconcile duration, by kind", reconcile_duration.clone());
        registry.register("status_writes", "Status updates written to the API server, by kind", status_writes.clone());
        registry.register(
            "secret_writes",
            "Connection Secrets applied to the API server, by the kind that owns them",
            secret_writes.clone(),
        );
        registry.register("aws_calls", "AWS API call attempts, by service, operation and outcome", aws_calls.clone());
        let objects = ObjectCensus::default();
        registry.register(
            "objects",
            "Objects by kind and the condition (Ready, Reconciling, Stalled) and reason their status reports",
            objects.gauge.clone(),
        );
        registry.register(
            "invalid_objects",
            "Stored objects that cannot be read (they fail to deserialize), by kind",
            objects.invalid.clone(),
        );
        let leader = Gauge::default();
        registry.register("leader", "1 while this replica holds the leader lease and reconciles", leader.clone());
        let rate_limit_wait = Family::<RegionLabels, Counter<f64, std::sync::atomic::AtomicU64>>::default();
        let rate_limit_waits = Family::<RegionLabels, Counter>::default();
        registry.register_with_unit(
            "aws_rate_limit_wait",
            "Time AWS call attempts waited for the client-side rate limit, by service and region",
            prometheus_client::registry::Unit::Seconds,
            rate_limit_wait.clone(),
        );
        registry.register(
            "aws_rate_limit_waits",
            "AWS call attempts that had to wait for the client-side rate limit, by service and region",
            rate_limit_waits.clone(),
        );
        Metrics {
            registry,
            objects,
            leader,
            rate_limit_wait,
            rate_limit_waits,
            reconciles,
            reconcile_errors,
            reconcile_duration,
            status_writes,
            secret_writes,
            aws_calls,
        }
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

    pub fn secret_written(&self, kind: &'static str) {
        self.secret_writes.get_or_create(&KindLabels { kind }).inc();
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

    fn rate_limit_wait(&self, service: &str, region: &str, waited: Duration) {
        let labels = RegionLabels { service: service.to_string(), region: region.to_string() };
        self.rate_limit_wait.get_or_create(&labels).inc_by(waited.as_secs_f64());
        self.rate_limit_waits.get_or_create(&labels).inc();
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
        m.rate_limit_wait("ec2", "eu-west-2", Duration::from_millis(500));
        let text = m.encode();
        assert!(
            text.contains(r#"stackwright_aws_rate_limit_wait_seconds_total{service="ec2",region="eu-west-2"} 0.5"#),
            "{text}"
        );
        assert!(text.contains(r#"stackwright_aws_rate_limit_waits_total{service="ec2",region="eu-west-2"} 1"#));
    }

    fn cond(type_: &str, status: &str, reason: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: crate::status::now(),
        }
    }

    #[test]
    fn the_census_counts_each_object_once_under_its_current_condition() {
        let m = Metrics::default();
        let stalled = [cond("Ready", "False", "NameConflict"), cond("Stalled", "True", "NameConflict")];
        let ready = [cond("Ready", "True", "Ready")];
        m.objects.observe("Bucket", "Bucket/a/x", &stalled);
        m.objects.observe("Bucket", "Bucket/a/y", &stalled);
        m.objects.observe("Bucket", "Bucket/a/y", &stalled);
        m.objects.observe(
            "Bucket",
            "Bucket/a/z",
            &[cond("Ready", "False", "Creating"), cond("Reconciling", "True", "Creating")],
        );
        let text = m.encode();
        assert!(
            text.contains(r#"stackwright_objects{kind="Bucket",condition="Stalled",reason="NameConflict"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"stackwright_objects{kind="Bucket",condition="Reconciling",reason="Creating"} 1"#),
            "{text}"
        );
        m.objects.observe("Bucket", "Bucket/a/x", &ready);
        assert!(m.objects.invalid("Bucket", "Bucket/a/y", Some("7")));
        assert!(!m.objects.invalid("Bucket", "Bucket/a/y", Some("7")), "the same version is reported once");
        assert!(m.objects.invalid("Bucket", "Bucket/a/y", Some("8")));
        m.objects.forget("Bucket/a/z");
        let text = m.encode();
        assert!(
            text.contains(r#"stackwright_objects{kind="Bucket",condition="Stalled",reason="NameConflict"} 0"#),
            "{text}"
        );
        assert!(text.contains(r#"stackwright_objects{kind="Bucket",condition="Ready",reason="Ready"} 1"#), "{text}");
        assert!(
            text.contains(r#"stackwright_objects{kind="Bucket",condition="Reconciling",reason="Creating"} 0"#),
            "{text}"
        );
        assert!(text.contains(r#"stackwright_invalid_objects{kind="Bucket"} 1"#), "{text}");
    }
}
