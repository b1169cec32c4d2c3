//! `Cache`: an ElastiCache (Redis OSS or Valkey) replication group with its subnet group, parameter
//! group, security group, AUTH token secret and the `<name>-connection` Secret.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::CommonStatus;
use crate::network::{Endpoint, NetworkRef, REGION_PATTERN};

/// An ElastiCache replication group owned by this object.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "stackwright.io",
    version = "v1alpha1",
    kind = "Cache",
    namespaced,
    status = "CacheStatus",
    shortname = "scache",
    category = "stackwright",
    doc = "An ElastiCache Redis OSS or Valkey cache: encrypted at rest, optionally in transit with an AUTH token kept in AWS Secrets Manager, reachable only from the AppStacks that bind to it.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "Endpoint", type_ = "string", json_path = ".status.primaryEndpoint.address"),
    printcolumn(
        name = "Cost",
        type_ = "string",
        json_path = ".status.estimatedMonthlyCostUSD",
        description = "Estimated fixed monthly cost in USD, from the built-in price table"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.region) || !has(oldSelf.region) || self.region == oldSelf.region")
        .message("region is immutable: a cache cannot move between regions (create a new Cache)"),
)]
pub struct CacheSpec {
    /// AWS region for this cache; defaults to the controller's region. Immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = REGION_PATTERN), length(max = 32))]
    pub region: Option<String>,

    /// Tags added to every AWS resource of this cache beside the stackwright.io ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 40))]
    pub tags: BTreeMap<String, String>,

    /// Engine: `redis` (Redis OSS, default) or `valkey`. Immutable.
    #[serde(default)]
    #[x_kube(validation = Rule::new("self == oldSelf").message("engine is immutable: create a new Cache with the other engine"))]
    pub engine: CacheEngine,

    /// Engine version, e.g. `7.1` for Redis OSS or `8.0` for Valkey. Raising it upgrades in place.
    #[schemars(regex(pattern = r"^[0-9]+\.([0-9]+|x)(\.[0-9]+)?$"), length(min = 1, max = 16))]
    pub version: String,

    /// ElastiCache node type, e.g. `cache.t3.micro`, `cache.r7g.large`. Changing it scales in place.
    #[schemars(regex(pattern = r"^cache\.[a-z0-9-]+\.[a-z0-9]+$"), length(max = 64))]
    pub node_type: String,

    /// Read replicas beside the primary (0 to 5). One or more turns on automatic failover and
    /// multi-AZ placement.
    #[serde(default)]
    #[schemars(range(min = 0, max = 5))]
    pub replicas: i32,

    /// Encrypt connections with TLS and require an AUTH token, which is generated, kept in AWS
    /// Secrets Manager and referenced by ARN from the connection Secret. Encryption at rest is
    /// always on. Fixed once the cache exists: ElastiCache cannot switch a replication group
    /// between plain and TLS connections without a migration its clients must take part in.
    #[serde(default = "default_true")]
    #[x_kube(validation = Rule::new("self == oldSelf").message("transitEncryption is immutable: create a new Cache with the other setting and move the clients to it"))]
    pub transit_encryption: bool,

    /// What the engine evicts when memory is full (`maxmemory-policy`, set in a parameter group
    /// this object owns). Default `allkeys-lru`: any key, least recently used first.
    #[serde(default)]
    pub eviction_policy: EvictionPolicy,

    /// Days automatic daily snapshots are kept (0 to 35; 0 turns them off).
    #[serde(default)]
    #[schemars(range(min = 0, max = 35))]
    pub snapshot_retention_days: i32,

    /// Where the nodes are placed: `appStack` (that stack's VPC and subnets) or explicit `vpcId` +
    /// `subnetIds`.
    pub network: NetworkRef,

    /// What happens to the cache when this object is deleted: `Delete` (default) removes it,
    /// `Snapshot` takes a final snapshot first, `Retain` keeps it.
    #[serde(default)]
    pub deletion_policy: CacheDeletionPolicy,
}

fn default_true() -> bool {
    true
}

/// Cache engine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheEngine {
    /// Redis OSS (default).
    #[default]
    Redis,
    /// Valkey, the open-source Redis OSS fork.
    Valkey,
}

impl CacheEngine {
    /// The ElastiCache engine name.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheEngine::Redis => "redis",
            CacheEngine::Valkey => "valkey",
        }
    }

    /// The port the engine listens on.
    pub fn port(self) -> i32 {
        6379
    }
}

/// `maxmemory-policy`: which keys are evicted when memory is full.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvictionPolicy {
    /// Any key, least recently used first (default).
    #[default]
    AllkeysLru,
    /// Any key, least frequently used first.
    AllkeysLfu,
    /// Any key, at random.
    AllkeysRandom,
    /// Keys with an expiry, least recently used first.
    VolatileLru,
    /// Keys with an expiry, least frequently used first.
    VolatileLfu,
    /// Keys with an expiry, at random.
    VolatileRandom,
    /// Keys with an expiry, nearest expiry first.
    VolatileTtl,
    /// Nothing: writes fail when memory is full.
    Noeviction,
}

impl EvictionPolicy {
    /// The `maxmemory-policy` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::AllkeysLru => "allkeys-lru",
            EvictionPolicy::AllkeysLfu => "allkeys-lfu",
            EvictionPolicy::AllkeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
            EvictionPolicy::Noeviction => "noeviction",
        }
    }
}

/// What happens to the cache when its object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum CacheDeletionPolicy {
    /// Delete the cache (default).
    #[default]
    Delete,
    /// Take a final snapshot, then delete the cache. The snapshot is kept.
    Snapshot,
    /// Keep the cache; only the Kubernetes object goes away.
    Retain,
}

/// Observed state of a Cache.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheStatus {
    /// Where to connect for reads and writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_endpoint: Option<Endpoint>,
    /// Where to connect for reads spread over the replicas (with replicas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_endpoint: Option<Endpoint>,
    /// The replication group status (`creating`, `available`, `modifying`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_status: Option<String>,
    /// Name of the Secret in this namespace with `host`, `port` and, with transit encryption,
    /// `authTokenSecretArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_secret: Option<String>,
    /// ARN of the Secrets Manager secret holding the AUTH token (with transit encryption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_secret_arn: Option<String>,
    /// Name of the final snapshot taken on deletion (`deletionPolicy: Snapshot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_snapshot_id: Option<String>,
    /// Changes ElastiCache has accepted but not applied yet (setting: pending value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_modifications: BTreeMap<String, String>,
    #[serde(flatten)]
    pub common: CommonStatus,
}

#[cfg(test)]
mod tests {
    use kube::CustomResourceExt;

    use super::*;

    #[test]
    fn accunode_redis_round_trips_with_defaults() {
        let cache: Cache = serde_yaml::from_str(
            r#"
apiVersion: stackwright.io/v1alpha1
kind: Cache
metadata: {name: accunode-redis, namespace: accunode}
spec:
  version: "7.1"
  nodeType: cache.t3.micro
  network: {appStack: accunode}
"#,
        )
        .expect("valid manifest");
        let s = &cache.spec;
        assert_eq!(s.engine, CacheEngine::Redis);
        assert_eq!(s.replicas, 0);
        assert!(s.transit_encryption);
        assert_eq!(s.eviction_policy, EvictionPolicy::AllkeysLru);
        assert_eq!(s.snapshot_retention_days, 0);
        assert_eq!(s.deletion_policy, CacheDeletionPolicy::Delete);
        let again: Cache = serde_yaml::from_str(&serde_yaml::to_string(&cache).expect("ser")).expect("de");
        assert_eq!(again.spec, cache.spec);
    }

    #[test]
    fn valkey_with_replicas_and_explicit_subnets() {
        let spec: CacheSpec = serde_yaml::from_str(
            r#"
engine: valkey
version: "8.0"
nodeType: cache.r7g.large
replicas: 2
transitEncryption: false
evictionPolicy: volatile-ttl
snapshotRetentionDays: 7
network: {vpcId: vpc-0123abcd, subnetIds: [subnet-0123abcd]}
deletionPolicy: Snapshot
"#,
        )
        .expect("valid");
        assert_eq!((spec.engine.as_str(), spec.replicas, spec.eviction_policy.as_str()), ("valkey", 2, "volatile-ttl"));
        assert!(!spec.transit_encryption);
        assert_eq!(spec.deletion_policy, CacheDeletionPolicy::Snapshot);
        let yaml = serde_yaml::to_string(&spec).expect("ser");
        assert!(yaml.contains("evictionPolicy: volatile-ttl"), "{yaml}");
    }

    #[test]
    fn eviction_policy_spelling_matches_the_parameter() {
        for p in [
            EvictionPolicy::AllkeysLru,
            EvictionPolicy::AllkeysLfu,
            EvictionPolicy::AllkeysRandom,
            EvictionPolicy::VolatileLru,
            EvictionPolicy::VolatileLfu,
            EvictionPolicy::VolatileRandom,
            EvictionPolicy::VolatileTtl,
            EvictionPolicy::Noeviction,
        ] {
            assert_eq!(serde_json::to_value(p).expect("ser"), serde_json::json!(p.as_str()));
        }
    }

    #[test]
    fn crd_has_names_columns_defaults_and_rules() {
        let crd = Cache::crd();
        assert_eq!(crd.spec.names.short_names, Some(vec!["scache".to_string()]));
        let version = &crd.spec.versions[0];
        let columns: Vec<&str> =
            version.additional_printer_columns.iter().flatten().map(|c| c.json_path.as_str()).collect();
        assert_eq!(columns[2], ".status.primaryEndpoint.address");
        let json = serde_json::to_string(&crd).expect("ser");
        for rule in ["engine is immutable", "region is immutable", "has(self.appStack) ? "] {
            assert!(json.contains(rule), "missing {rule}");
        }
        let spec = &version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("schema")
            .properties
            .as_ref()
            .expect("props")["spec"];
        let props = spec.properties.as_ref().expect("spec props");
        let default = |k: &str| props[k].default.as_ref().map(|d| d.0.clone());
        assert_eq!(default("deletionPolicy"), Some(serde_json::json!("Delete")));
        assert_eq!(default("transitEncryption"), Some(serde_json::json!(true)));
        assert_eq!(default("replicas"), Some(serde_json::json!(0)));
        assert_eq!(props["replicas"].maximum, Some(5.0));
    }
}
