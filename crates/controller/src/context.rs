//! What every reconcile shares: clients, settings, metrics, the event recorder, retry backoff,
//! and the scheduler's gate and memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::Store;
use stackwright_api::naming::ObjectIdentity;
use stackwright_api::{AppStack, Bucket, Cache, Database};
use stackwright_cloud::Cloud;

use crate::metrics::Metrics;
use crate::schedule::{Gate, Memory};
use crate::sweep::Listings;

/// Settings that shape reconciles.
#[derive(Clone, Debug)]
pub struct Settings {
    /// This controller instance's id, written into the `stackwright.io/cluster` tag and names.
    pub cluster_id: String,
    /// How long a converged object rests before it is read again for drift (jittered ±10 %).
    pub resync_interval: Duration,
}

/// The reflector store of each kind's watch.
#[derive(Default)]
pub struct Stores {
    pub buckets: std::sync::OnceLock<Store<DeserializeGuard<Bucket>>>,
    pub databases: std::sync::OnceLock<Store<DeserializeGuard<Database>>>,
    pub caches: std::sync::OnceLock<Store<DeserializeGuard<Cache>>>,
    /// The AppStacks, which Databases and Caches read for their network and who may connect.
    pub stacks: std::sync::OnceLock<Store<DeserializeGuard<AppStack>>>,
    /// The AppStack controller's own view of the stacks (its queue and this store move together;
    /// the store above belongs to the watch that wakes Databases and Caches, and may lag it).
    pub appstacks: std::sync::OnceLock<Store<DeserializeGuard<AppStack>>>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("buckets", &self.buckets.get().map(|s| s.len()))
            .field("databases", &self.databases.get().map(|s| s.len()))
            .field("caches", &self.caches.get().map(|s| s.len()))
            .field("stacks", &self.stacks.get().map(|s| s.len()))
            .field("appstacks", &self.appstacks.get().map(|s| s.len()))
            .finish()
    }
}

pub struct Context {
    pub client: Client,
    pub cloud: Cloud,
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// Admit reconciles, one gate per kind: urgent work first, resyncs in arrival order. Kinds
    /// mostly call different AWS services, each under its own rate limit; one gate per kind keeps
    /// a kind whose service is slow (RDS, at a dozen calls per second) from holding every place
    /// while another kind's work waits.
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    concurrency: usize,
    /// What the scheduler remembers of settled objects.
    pub memory: Memory,
    /// The reflector stores of the kinds' watches, set once each watch starts.
    pub stores: Stores,
    /// AWS listings shared by the resyncs of a sweep.
    pub listings: Listings,
    /// Resources this process created with its ownership tags in the create call
    /// (`<kind>/<region>/<name>`): their tags need no reading back while it runs.
    pub made: Made,
    /// The content hash of each task definition revision read or registered (revisions never change).
    pub revisions: crate::appstack::observe::RevisionHashes,
    /// The settings each AppStack's waves have read for its current generation.
    pub settings_read: crate::appstack::observe::SettingsRead,
    failures: Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Context {
    pub fn new(
        client: Client,
        cloud: Cloud,
        settings: Settings,
        metrics: Arc<Metrics>,
        recorder: Recorder,
        concurrency: usize,
    ) -> Self {
        Context {
            client,
            cloud,
            listings: Listings::new(settings.resync_interval),
            made: Made::default(),
            revisions: Default::default(),
            settings_read: Default::default(),
            settings,
            metrics,
            recorder,
            gates: Mutex::default(),
            concurrency,
            memory: Memory::default(),
            stores: Stores::default(),
            failures: Mutex::default(),
        }
    }

    /// The gate of kind `K` (made on first use).
    pub fn gate<K: kube::Resource<DynamicType = ()>>(&self) -> Arc<Gate> {
        let mut gates = self.gates.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        gates.entry(K::kind(&()).into_owned()).or_insert_with(|| Arc::new(Gate::new(self.concurrency))).clone()
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
        let n = failures.entry(object_key(obj)).or_insert(0);
        *n = n.saturating_add(1);
        let base = Duration::from_secs(1u64 << (*n).min(8)).min(Duration::from_secs(300));
        let jitter = rand::random_range(0.8..1.2);
        base.mul_f64(jitter)
    }

    /// The AppStacks of `namespace` that can be read, once the AppStack watch has listed them all
    /// (before that, a stack that exists could be taken for missing).
    pub async fn stacks_in(&self, namespace: &str) -> crate::error::Result<Vec<AppStack>> {
        objects_in(self.stores.stacks.get(), "AppStack", namespace).await
    }

    /// The Databases, Caches and Buckets of `namespace` that can be read, once each watch has
    /// listed them all (an AppStack's bindings read them).
    pub async fn bound_in(&self, namespace: &str) -> crate::error::Result<(Vec<Database>, Vec<Cache>, Vec<Bucket>)> {
        Ok((
            objects_in(self.stores.databases.get(), "Database", namespace).await?,
            objects_in(self.stores.caches.get(), "Cache", namespace).await?,
            objects_in(self.stores.buckets.get(), "Bucket", namespace).await?,
        ))
    }

    /// Forgets an object's failures after a successful reconcile.
    pub fn reset_backoff<K: kube::Resource<DynamicType = ()>>(&self, obj: &K) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&object_key(obj));
    }

    /// How many reconciles of this object failed in a row before this one.
    pub fn consecutive_failures<K: kube::Resource<DynamicType = ()>>(&self, obj: &K) -> u32 {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.get(&object_key(obj)).copied().unwrap_or(0)
    }
}

/// The readable objects of `namespace` in `store`, once its watch has listed them all.
async fn objects_in<K: kube::Resource + Clone>(
    store: Option<&Store<DeserializeGuard<K>>>,
    kind: &str,
    namespace: &str,
) -> crate::error::Result<Vec<K>>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    let not_ready = || crate::error::Error::NotReady(format!("the {kind} watch has not listed its objects yet"));
    let store = store.ok_or_else(not_ready)?;
    match tokio::time::timeout(Duration::from_secs(10), store.wait_until_ready()).await {
        Ok(Ok(())) => {}
        _ => return Err(not_ready()),
    }
    Ok(store
        .state()
        .iter()
        .filter_map(|s| s.0.as_ref().ok())
        .filter(|s| s.meta().namespace.as_deref() == Some(namespace))
        .cloned()
        .collect())
}

/// The resources this process created, tagged in the create call.
#[derive(Debug, Default)]
pub struct Made(Mutex<std::collections::HashSet<String>>);

impl Made {
    pub fn remember(&self, key: String) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key);
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(key)
    }
}

/// `Kind/namespace/name`: the key of an object in every per-object map (failure counts, the
/// scheduler's memory, the census), unique across every kind sharing the context.
pub fn object_key<K: kube::Resource<DynamicType = ()>>(obj: &K) -> String {
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

    use super::object_key;

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
        assert_eq!(object_key(&bucket), "Bucket/pw/docs");
        assert_ne!(object_key(&bucket), object_key(&db));
    }
}
