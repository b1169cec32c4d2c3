//! What a Cache spec means in ElastiCache, EC2 and Secrets Manager: pure, no I/O. One object owns
//! a cache subnet group, a cache parameter group (with `maxmemory-policy`), a security group, the
//! replication group and — with transit encryption — the Secrets Manager secret of its AUTH token.

use std::collections::BTreeMap;

use stackwright_api::cache::{CacheDeletionPolicy, CacheSpec};
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::elasticache::{NewReplicationGroup, family};
use stackwright_cloud::secretsmanager::Redacted;

/// Replication group ids: at most 40 characters, a letter first, single hyphens, none last.
pub const REPLICATION_GROUP_MAX: usize = 40;
/// Cache subnet and parameter group names: at most 255 characters.
pub const GROUP_NAME_MAX: usize = 255;
/// Descriptions of the replication group, its subnet, parameter and security groups: at most 255
/// characters (the security group's limit, the tightest).
pub const DESCRIPTION_MAX: usize = 255;

/// Everything a Cache asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCache {
    pub region: String,
    pub tags: BTreeMap<String, String>,
    pub replication_group: String,
    /// The description of the replication group and of its subnet, parameter and security groups:
    /// which object they belong to, for whoever looks at them in the AWS console.
    pub description: String,
    pub subnet_group: String,
    /// Carries the family in its name: an engine major change needs a group of the new family.
    pub parameter_group: String,
    pub family: String,
    /// The parameters the object sets: `maxmemory-policy` from `evictionPolicy`.
    pub parameters: BTreeMap<String, String>,
    pub security_group: String,
    pub port: i32,
    pub engine: &'static str,
    pub engine_version: String,
    pub node_type: String,
    /// Read replicas; one or more turn on automatic failover and Multi-AZ.
    pub replicas: u32,
    pub transit_encryption: bool,
    /// The Secrets Manager secret of the AUTH token, with transit encryption only.
    pub auth_token_secret: Option<String>,
    pub snapshot_retention_days: i32,
    pub deletion_policy: CacheDeletionPolicy,
    /// The final snapshot's name (deletionPolicy Snapshot): this object's, not an older one's.
    pub final_snapshot: String,
    pub connection_secret: String,
}

pub fn desired(spec: &CacheSpec, id: &ObjectIdentity, default_region: &str) -> DesiredCache {
    let engine = spec.engine.as_str();
    let family = family(engine, &spec.version);
    let replication_group = id.physical_name_letter_first("", REPLICATION_GROUP_MAX, 'c');
    DesiredCache {
        region: spec.region.clone().unwrap_or_else(|| default_region.to_string()),
        tags: id.tags(&spec.tags),
        description: format!("Stackwright {}", id.owner()).chars().take(DESCRIPTION_MAX).collect(),
        subnet_group: id.physical_name("cache-subnets", GROUP_NAME_MAX),
        parameter_group: id.physical_name(&format!("cache-params-{family}"), GROUP_NAME_MAX),
        parameters: BTreeMap::from([("maxmemory-policy".to_string(), spec.eviction_policy.as_str().to_string())]),
        family,
        security_group: id.physical_name("cache", GROUP_NAME_MAX),
        port: spec.engine.port(),
        engine,
        engine_version: spec.version.clone(),
        node_type: spec.node_type.clone(),
        replicas: u32::try_from(spec.replicas).unwrap_or(0),
        transit_encryption: spec.transit_encryption,
        auth_token_secret: spec
            .transit_encryption
            .then(|| format!("stackwright/{}/{}/{}/auth-token", id.cluster_id, id.namespace, id.name)),
        snapshot_retention_days: spec.snapshot_retention_days,
        deletion_policy: spec.deletion_policy,
        final_snapshot: format!("{replication_group}-final-{}", id.short_uid()),
        connection_secret: format!("{}-connection", id.name),
        replication_group,
    }
}

impl DesiredCache {
    /// The CreateReplicationGroup request, once the subnet, parameter and security groups exist
    /// (and, with transit encryption, the AUTH token's secret, whose value is `auth_token`). The
    /// token is sent only with transit encryption: ElastiCache refuses AUTH without TLS.
    pub fn new_replication_group(&self, security_group_id: &str, auth_token: Option<Redacted>) -> NewReplicationGroup {
        NewReplicationGroup {
            id: self.replication_group.clone(),
            description: self.description.clone(),
            engine: self.engine.to_string(),
            engine_version: self.engine_version.clone(),
            node_type: self.node_type.clone(),
            replicas: self.replicas,
            parameter_group: self.parameter_group.clone(),
            subnet_group: self.subnet_group.clone(),
            security_group_ids: vec![security_group_id.to_string()],
            snapshot_retention_limit: self.snapshot_retention_days,
            transit_encryption: self.transit_encryption,
            auth_token: auth_token.filter(|_| self.transit_encryption),
            tags: self.tags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "prod".into(),
            kind: "Cache".into(),
            namespace: "accunode".into(),
            name: name.into(),
            uid: "9a8b7c6d-0000-4000-8000-000000000000".into(),
        }
    }

    fn spec(yaml: &str) -> CacheSpec {
        serde_yaml::from_str(yaml).expect("valid spec")
    }

    #[test]
    fn accunode_redis_is_one_encrypted_node_with_its_own_groups() {
        let d = desired(
            &spec("{engine: redis, version: '7.1', nodeType: cache.t3.micro, network: {appStack: accunode}}"),
            &id("accunode-redis"),
            "us-east-1",
        );
        assert_eq!((d.engine, d.family.as_str(), d.port), ("redis", "redis7", 6379));
        assert_eq!(d.replicas, 0);
        assert!(d.transit_encryption, "transit encryption is on by default");
        assert_eq!(d.auth_token_secret.as_deref(), Some("stackwright/prod/accunode/accunode-redis/auth-token"));
        assert_eq!(d.parameters["maxmemory-policy"], "allkeys-lru");
        assert!(d.replication_group.len() <= REPLICATION_GROUP_MAX, "{}", d.replication_group);
        assert!(d.parameter_group.contains("redis7"));
        assert_eq!(d.connection_secret, "accunode-redis-connection");
        assert!(d.final_snapshot.ends_with("-final-9a8b7c6d"));
        assert_eq!(d.tags["stackwright.io/owner"], "Cache/accunode/accunode-redis");
    }

    #[test]
    fn valkey_without_transit_encryption_needs_no_token_and_replicas_count() {
        let d = desired(
            &spec(
                "{engine: valkey, version: '8.0', nodeType: cache.t4g.small, replicas: 2, transitEncryption: false, evictionPolicy: volatile-ttl, network: {appStack: a}}",
            ),
            &id("sessions"),
            "eu-west-2",
        );
        assert_eq!((d.engine, d.family.as_str()), ("valkey", "valkey8"));
        assert_eq!(d.replicas, 2);
        assert_eq!(d.auth_token_secret, None);
        assert_eq!(d.parameters["maxmemory-policy"], "volatile-ttl");
    }

    #[test]
    fn replication_group_ids_start_with_a_letter_and_fit_forty_characters() {
        let mut digits = id(&"x".repeat(100));
        digits.cluster_id = "7".into();
        let d =
            desired(&spec("{version: '7.1', nodeType: cache.t3.micro, network: {appStack: a}}"), &digits, "us-east-1");
        let g = &d.replication_group;
        assert!(g.len() <= REPLICATION_GROUP_MAX && g.starts_with(|c: char| c.is_ascii_lowercase()), "{g}");
        assert!(!g.contains("--") && !g.ends_with('-'), "{g}");
    }

    #[test]
    fn the_create_request_carries_groups_tags_and_the_token_only_with_transit_encryption() {
        let d = desired(
            &spec(
                "{engine: valkey, version: '8.0', nodeType: cache.t4g.small, replicas: 1, snapshotRetentionDays: 3, network: {appStack: a}}",
            ),
            &id("sessions"),
            "us-east-1",
        );
        let new = d.new_replication_group("sg-0123", Some(Redacted::new("token")));
        assert_eq!(new.id, d.replication_group);
        assert_eq!(
            (new.engine.as_str(), new.engine_version.as_str(), new.node_type.as_str()),
            ("valkey", "8.0", "cache.t4g.small")
        );
        assert_eq!(new.replicas, 1);
        assert_eq!(new.security_group_ids, vec!["sg-0123".to_string()]);
        assert_eq!(
            (new.subnet_group.as_str(), new.parameter_group.as_str()),
            (d.subnet_group.as_str(), d.parameter_group.as_str())
        );
        assert_eq!(new.snapshot_retention_limit, 3);
        assert!(new.transit_encryption);
        assert_eq!(new.auth_token.as_ref().map(Redacted::expose), Some("token"));
        assert_eq!(new.tags, d.tags);
        assert_eq!(new.description, "Stackwright Cache/accunode/sessions");

        let plain = desired(
            &spec("{version: '7.1', nodeType: cache.t3.micro, transitEncryption: false, network: {appStack: a}}"),
            &id("plain"),
            "us-east-1",
        );
        let new = plain.new_replication_group("sg-0123", Some(Redacted::new("token")));
        assert!(!new.transit_encryption);
        assert_eq!(new.auth_token, None, "no AUTH without TLS");
    }

    #[test]
    fn descriptions_fit_what_aws_accepts() {
        let d = desired(
            &spec("{version: '7.1', nodeType: cache.t3.micro, network: {appStack: a}}"),
            &id(&"x".repeat(253)),
            "us-east-1",
        );
        assert_eq!(d.description.chars().count(), DESCRIPTION_MAX);
    }
}
