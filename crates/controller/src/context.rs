//! What every reconcile shares: clients, settings, metrics, the event recorder, retry backoff.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use kube::runtime::events::Recorder;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::Cloud;

use crate::metrics::Metrics;

/// Settings that shape reconciles.
#[derive(Clone, Debug)]
pub struct Settings {
    /// This controller instance's id, written into the `stackwright.io/cluster` tag and names.
    pub cluster_id: String,
}

pub struct Context {
    pub client: Client,
    pub cloud: Cloud,
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    failures: Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Context {
    pub fn new(client: Client, cloud: Cloud, settings: Settings, metrics: Arc<Metrics>, recorder: Recorder) -> Self {
        Context { client, cloud, settings, metrics, recorder, failures: Mutex::default() }
    }

    /// The identity of a namespaced object for naming and ownership tags.
    pub fn identity<K: kube::Resource<DynamicType = ()>>(&self, obj: &K) -> ObjectIdentity {
        let meta = obj.meta();
        ObjectIdentity {
            cluster_id: self.settings.cluster_id.clone(),
            kind: K::kind(&()).into_owned(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
        }
    }

    /// Exponential backoff with jitter for an object whose reconcile keeps failing:
    /// 2 s, 4 s, 8 s ... capped at 5 minutes.
    pub fn next_backoff<K: kube::Resource<DynamicType = ()>>(&self, obj: &K) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = failures.entry(backoff_key(obj)).or_insert(0);
        *n = n.saturating_add(1);
        let base = Duration::from_secs(1u64 << (*n).min(8)).min(Duration::from_secs(300));
        let jitter = rand::random_range(0.8..1.2);
        base.mul_f64(jitter)
    }

    /// Forgets an object's failures after a successful reconcile.
    pub fn reset_backoff<K: kube::Resource<DynamicType = ()>>(&self, obj: &K) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&backoff_key(obj));
    }
}

/// `Kind/namespace/name`: one failure count per object, across every kind sharing the context.
fn backoff_key<K: kube::Resource<DynamicType = ()>>(obj: &K) -> String {
    let meta = obj.meta();
    format!(
        "{}/{}/{}",
        K::kind(&()),
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use stackwright_api::{Bucket, Database};

    use super::backoff_key;

    #[test]
    fn objects_of_different_kinds_back_off_separately() {
        let mut bucket = Bucket::new("docs", serde_yaml::from_str("{}").expect("valid spec"));
        bucket.metadata.namespace = Some("pw".into());
        let mut db = Database::new(
            "docs",
            serde_yaml::from_str("{version: '15.7', instanceClass: db.t3.small, network: {appStack: pw}}")
                .expect("valid spec"),
        );
        db.metadata.namespace = Some("pw".into());
        assert_eq!(backoff_key(&bucket), "Bucket/pw/docs");
        assert_ne!(backoff_key(&bucket), backoff_key(&db));
    }
}
