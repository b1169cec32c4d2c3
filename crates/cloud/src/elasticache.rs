//! ElastiCache (Redis OSS / Valkey, cluster mode disabled): replication groups read in bulk,
//! their creation, modification, replica count and deletion, final snapshots, cache subnet groups
//! and cache parameter groups.
//!
//! What one resync costs: the replication group data type lacks the engine version, parameter
//! group, security groups and subnet group (its member clusters carry them), and no describe
//! returns tags. [`ElastiCache::replication_groups`] therefore reads a page of
//! DescribeReplicationGroups and a page of DescribeCacheClusters (100 each) and joins them: two
//! calls per hundred groups (or clusters) in the region, shared by every Cache there, and no
//! ListTagsForResource. Tags are read (one call per resource) only by the single reads
//! ([`ElastiCache::replication_group`], [`ElastiCache::subnet_group`],
//! [`ElastiCache::parameter_group`], [`ElastiCache::snapshot`]) and [`ElastiCache::tags`], which a
//! reconciler needs when it meets a resource whose ownership it has not confirmed yet (first sight,
//! after an "already exists", adoption), not on every resync.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types as t;

use crate::error::{CloudError, ErrorCategory, OptionalExt};
use crate::paging::all_pages;
use crate::secretsmanager::Redacted;

/// The most records DescribeReplicationGroups, DescribeCacheClusters and DescribeCacheParameters
/// return per page.
const PAGE: i32 = 100;
/// The most parameters ModifyCacheParameterGroup and ResetCacheParameterGroup take per call.
const PARAMETERS_PER_CALL: usize = 20;

/// A host and port clients connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub address: String,
    pub port: i32,
}

/// Changes AWS has accepted but not applied yet: in progress while the group is `modifying`, or
/// waiting for the maintenance window when they were not applied immediately.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingModifications {
    pub node_type: Option<String>,
    pub engine_version: Option<String>,
    /// Automatic failover being switched on (`true`) or off.
    pub automatic_failover: Option<bool>,
    pub transit_encryption: Option<bool>,
    /// The AUTH token update in progress, as AWS words it (`SETTING`, `ROTATING`).
    pub auth_token: Option<String>,
    /// The member cluster that is becoming the primary.
    pub primary_cluster_id: Option<String>,
}

impl PendingModifications {
    pub fn is_empty(&self) -> bool {
        *self == PendingModifications::default()
    }
}

/// A replication group (cluster mode disabled) with everything the Cache kind compares or reports,
/// joined from the group and its member clusters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicationGroup {
    pub id: String,
    pub arn: String,
    /// AWS's word: `creating`, `available`, `modifying`, `deleting`, `create-failed`, `snapshotting`.
    pub status: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The release the primary runs (`7.1.0` for a group created with `7.1`); `None` while no
    /// member cluster is visible (the moment a group is created or deleted).
    pub engine_version: Option<String>,
    pub node_type: String,
    /// The member clusters, the primary first.
    pub member_clusters: Vec<String>,
    /// Whether automatic failover is on or being switched on.
    pub automatic_failover: bool,
    pub multi_az: bool,
    pub at_rest_encryption: bool,
    pub transit_encryption: bool,
    pub auth_token_enabled: bool,
    /// Days automatic snapshots are kept; 0 means none are taken.
    pub snapshot_retention_limit: i32,
    /// The cache parameter group the primary uses (from the member clusters).
    pub parameter_group: Option<String>,
    /// The VPC security groups of the primary, sorted.
    pub security_group_ids: Vec<String>,
    /// The cache subnet group (from the member clusters).
    pub subnet_group: Option<String>,
    pub primary_endpoint: Option<Endpoint>,
    /// The endpoint that spreads reads over the replicas; AWS reports it with no replica too.
    pub reader_endpoint: Option<Endpoint>,
    pub pending: PendingModifications,
    /// `None` where the read did not ask for tags (the bulk read: see the module comment).
    pub tags: Option<BTreeMap<String, String>>,
}

impl ReplicationGroup {
    /// How many cache clusters (nodes) the group has: the primary and its replicas.
    pub fn num_cache_clusters(&self) -> usize {
        self.member_clusters.len()
    }

    /// How many read replicas the group has.
    pub fn replicas(&self) -> usize {
        self.member_clusters.len().saturating_sub(1)
    }
}

/// What CreateReplicationGroup is asked for. At-rest encryption is always on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReplicationGroup {
    pub id: String,
    pub description: String,
    /// `redis` or `valkey`.
    pub engine: String,
    pub engine_version: String,
    pub node_type: String,
    /// Read replicas beside the primary; one or more also turn on automatic failover and Multi-AZ.
    pub replicas: u32,
    pub parameter_group: String,
    pub subnet_group: String,
    pub security_group_ids: Vec<String>,
    pub snapshot_retention_limit: i32,
    pub transit_encryption: bool,
    /// The AUTH token (only with transit encryption).
    pub auth_token: Option<Redacted>,
    /// Attached in the create call itself, so the group is never untagged.
    pub tags: BTreeMap<String, String>,
}

/// What ModifyReplicationGroup is asked to change; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modification {
    pub node_type: Option<String>,
    pub engine_version: Option<String>,
    pub parameter_group: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub snapshot_retention_limit: Option<i32>,
    pub automatic_failover: Option<bool>,
    pub multi_az: Option<bool>,
    /// Apply now rather than in the next maintenance window (node type and engine version wait
    /// for it otherwise; the other settings always apply at once).
    pub apply_immediately: bool,
}

impl Modification {
    /// Whether it changes nothing (then no call is made).
    pub fn is_empty(&self) -> bool {
        Modification { apply_immediately: false, ..self.clone() } == Modification::default()
    }
}

/// A cache snapshot, e.g. the final snapshot of a deleted replication group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub name: String,
    pub arn: String,
    /// AWS's word: `creating`, `available`, `restoring`, `copying`, `deleting`.
    pub status: String,
    /// The replication group it was taken of.
    pub replication_group_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A cache subnet group: the subnets (of one VPC) a replication group's nodes are placed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetGroup {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub vpc_id: String,
    /// Sorted.
    pub subnet_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// A cache parameter group (its parameters are read apart: [`ElastiCache::parameters`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterGroup {
    pub name: String,
    pub arn: String,
    /// E.g. `redis7`, `valkey8`: see [`family`].
    pub family: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

/// The cache parameter group family of an engine version: `redis7` for Redis OSS 7.x, `valkey7`
/// and `valkey8` for Valkey, `redis6.x` for Redis OSS 6, `redis5.0` and older by major.minor.
pub fn family(engine: &str, version: &str) -> String {
    let engine = engine.to_ascii_lowercase();
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    match major.parse::<u32>() {
        Ok(m) if m >= 7 => format!("{engine}{m}"),
        Ok(6) => format!("{engine}6.x"),
        Ok(m) => format!("{engine}{m}.{}", parts.next().unwrap_or("0")),
        Err(_) => format!("{engine}{version}"),
    }
}

/// The ElastiCache client for one region.
#[derive(Clone, Debug)]
pub struct ElastiCache {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("elasticache:", $op), e))
    };
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<t::Tag> {
    tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect()
}

fn tag_map(tags: Vec<t::Tag>) -> BTreeMap<String, String> {
    tags.into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

fn endpoint(e: Option<t::Endpoint>) -> Option<Endpoint> {
    let e = e?;
    Some(Endpoint { address: e.address?, port: e.port.unwrap_or(6379) })
}

fn missing(operation: &'static str, what: &str) -> CloudError {
    CloudError {
        category: ErrorCategory::Transient,
        operation,
        code: "IncompleteResponse".into(),
        message: format!("the response has no {what}"),
    }
}

/// Joins a replication group with its member clusters (those of `clusters` it names; any may be
/// missing). Group-wide settings come from the primary; pending changes from every member,
/// because ModifyReplicationGroup records them on each.
fn join(group: t::ReplicationGroup, clusters: &HashMap<String, t::CacheCluster>) -> ReplicationGroup {
    let node_group = group.node_groups.unwrap_or_default().into_iter().next();
    let members = group.member_clusters.unwrap_or_default();
    let primary_id = node_group
        .as_ref()
        .and_then(|n| n.node_group_members.as_deref())
        .and_then(|m| m.iter().find(|m| m.current_role.as_deref() == Some("primary")))
        .and_then(|m| m.cache_cluster_id.clone())
        .or_else(|| members.first().cloned());
    let mut member_clusters = Vec::with_capacity(members.len());
    member_clusters.extend(primary_id.iter().filter(|p| members.contains(p)).cloned());
    member_clusters.extend(members.iter().filter(|m| Some(*m) != primary_id.as_ref()).cloned());
    let primary = primary_id.as_ref().and_then(|id| clusters.get(id));

    let mut pending = PendingModifications::default();
    if let Some(p) = group.pending_modified_values {
        pending.automatic_failover =
            p.automatic_failover_status.map(|s| s == t::PendingAutomaticFailoverStatus::Enabled);
        pending.transit_encryption = p.transit_encryption_enabled;
        pending.auth_token = p.auth_token_status.map(|s| s.as_str().to_string());
        pending.primary_cluster_id = p.primary_cluster_id;
    }
    for member in member_clusters.iter().filter_map(|id| clusters.get(id)) {
        let Some(p) = &member.pending_modified_values else { continue };
        pending.node_type = pending.node_type.take().or_else(|| p.cache_node_type.clone());
        pending.engine_version = pending.engine_version.take().or_else(|| p.engine_version.clone());
        pending.transit_encryption = pending.transit_encryption.or(p.transit_encryption_enabled);
        pending.auth_token =
            pending.auth_token.take().or_else(|| p.auth_token_status.as_ref().map(|s| s.as_str().into()));
    }

    let mut security_group_ids: Vec<String> = primary
        .and_then(|c| c.security_groups.as_deref())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.security_group_id.clone())
        .collect();
    security_group_ids.sort();
    let (primary_endpoint, reader_endpoint) = match node_group {
        Some(n) => (endpoint(n.primary_endpoint), endpoint(n.reader_endpoint)),
        None => (None, None),
    };
    ReplicationGroup {
        id: group.replication_group_id.unwrap_or_default(),
        arn: group.arn.unwrap_or_default(),
        status: group.status.unwrap_or_default(),
        engine: group.engine.or_else(|| primary.and_then(|c| c.engine.clone())).unwrap_or_default(),
        engine_version: primary.and_then(|c| c.engine_version.clone()),
        node_type: group.cache_node_type.unwrap_or_default(),
        member_clusters,
        automatic_failover: matches!(
            group.automatic_failover,
            Some(t::AutomaticFailoverStatus::Enabled | t::AutomaticFailoverStatus::Enabling)
        ),
        multi_az: group.multi_az == Some(t::MultiAzStatus::Enabled),
        at_rest_encryption: group.at_rest_encryption_enabled.unwrap_or(false),
        transit_encryption: group.transit_encryption_enabled.unwrap_or(false),
        auth_token_enabled: group.auth_token_enabled.unwrap_or(false),
        snapshot_retention_limit: group.snapshot_retention_limit.unwrap_or(0),
        parameter_group: primary
            .and_then(|c| c.cache_parameter_group.as_ref())
            .and_then(|p| p.cache_parameter_group_name.clone()),
        security_group_ids,
        subnet_group: primary.and_then(|c| c.cache_subnet_group_name.clone()),
        primary_endpoint,
        reader_endpoint,
        pending,
        tags: None,
    }
}

impl ElastiCache {
    pub(crate) fn new(client: Client) -> Self {
        ElastiCache { client }
    }

    /// Every replication group of the region, joined with its member clusters, without tags: two
    /// calls per hundred groups (see the module comment).
    pub async fn replication_groups(&self) -> Result<Vec<ReplicationGroup>, CloudError> {
        let (groups, clusters) = futures::try_join!(self.all_groups(), self.all_clusters())?;
        Ok(groups.into_iter().map(|g| join(g, &clusters)).collect())
    }

    async fn all_groups(&self) -> Result<Vec<t::ReplicationGroup>, CloudError> {
        all_pages(|marker| async move {
            let page = call!(
                "DescribeReplicationGroups",
                self.client.describe_replication_groups().max_records(PAGE).set_marker(marker).send()
            )?;
            Ok((page.replication_groups.unwrap_or_default(), page.marker))
        })
        .await
    }

    /// The cache clusters of the region that belong to a replication group, by id. Node details
    /// (ShowCacheNodeInfo) are left out: the group's endpoints are on the group.
    async fn all_clusters(&self) -> Result<HashMap<String, t::CacheCluster>, CloudError> {
        let clusters = all_pages(|marker| async move {
            let page = call!(
                "DescribeCacheClusters",
                self.client.describe_cache_clusters().max_records(PAGE).set_marker(marker).send()
            )?;
            Ok((page.cache_clusters.unwrap_or_default(), page.marker))
        })
        .await?;
        Ok(clusters
            .into_iter()
            .filter(|c| c.replication_group_id.is_some())
            .filter_map(|c| Some((c.cache_cluster_id.clone()?, c)))
            .collect())
    }

    /// One replication group's status and group-level settings, without its member clusters'
    /// details and without tags, or `None`: one call, for looking at a group AWS is busy with.
    pub async fn replication_group_state(&self, id: &str) -> Result<Option<ReplicationGroup>, CloudError> {
        let out = call!(
            "DescribeReplicationGroups",
            self.client.describe_replication_groups().replication_group_id(id).send()
        )
        .optional()?;
        let group = out.and_then(|o| o.replication_groups).and_then(|g| g.into_iter().next());
        Ok(group.map(|g| join(g, &HashMap::new())))
    }

    /// One replication group with its tags, or `None` if there is none of this id: three calls
    /// (the group; its primary, whose settings ModifyReplicationGroup keeps equal on every
    /// member; its tags).
    pub async fn replication_group(&self, id: &str) -> Result<Option<ReplicationGroup>, CloudError> {
        let out = call!(
            "DescribeReplicationGroups",
            self.client.describe_replication_groups().replication_group_id(id).send()
        )
        .optional()?;
        let Some(group) = out.and_then(|o| o.replication_groups).and_then(|g| g.into_iter().next()) else {
            return Ok(None);
        };
        let primary = group
            .node_groups()
            .first()
            .and_then(|n| n.node_group_members().iter().find(|m| m.current_role() == Some("primary")))
            .and_then(|m| m.cache_cluster_id.clone())
            .or_else(|| group.member_clusters().first().cloned());
        let arn = group.arn.clone().ok_or_else(|| missing("elasticache:DescribeReplicationGroups", "ARN"))?;
        let cluster = async {
            let Some(primary) = &primary else { return Ok(None) };
            let out =
                call!("DescribeCacheClusters", self.client.describe_cache_clusters().cache_cluster_id(primary).send())
                    // The primary may be gone between the two calls (the group is being deleted).
                    .optional()?;
            Ok(out.and_then(|o| o.cache_clusters).and_then(|c| c.into_iter().next()))
        };
        let (cluster, tags) = futures::try_join!(cluster, self.tags(&arn))?;
        let clusters =
            cluster.and_then(|c| Some((c.cache_cluster_id.clone()?, c))).into_iter().collect::<HashMap<_, _>>();
        Ok(Some(ReplicationGroup { tags: Some(tags), ..join(group, &clusters) }))
    }

    /// Creates a replication group (cluster mode disabled) of `1 + replicas` cache clusters, with
    /// its tags, at-rest encryption, and automatic failover and Multi-AZ when it has a replica.
    pub async fn create_replication_group(&self, new: &NewReplicationGroup) -> Result<(), CloudError> {
        let ha = new.replicas >= 1;
        let count = i32::try_from(new.replicas).unwrap_or(i32::MAX).saturating_add(1);
        let mut req = self
            .client
            .create_replication_group()
            .replication_group_id(&new.id)
            .replication_group_description(&new.description)
            .engine(&new.engine)
            .engine_version(&new.engine_version)
            .cache_node_type(&new.node_type)
            .num_cache_clusters(count)
            .automatic_failover_enabled(ha)
            .multi_az_enabled(ha)
            .cache_parameter_group_name(&new.parameter_group)
            .cache_subnet_group_name(&new.subnet_group)
            .set_security_group_ids(Some(new.security_group_ids.clone()))
            .snapshot_retention_limit(new.snapshot_retention_limit)
            .at_rest_encryption_enabled(true)
            .transit_encryption_enabled(new.transit_encryption)
            .set_tags(Some(tag_list(&new.tags)));
        if let Some(token) = &new.auth_token {
            req = req.auth_token(token.expose());
        }
        call!("CreateReplicationGroup", req.send()).map(drop)
    }

    /// Changes settings of an available group; a modification that changes nothing makes no call.
    pub async fn modify_replication_group(&self, id: &str, change: &Modification) -> Result<(), CloudError> {
        if change.is_empty() {
            return Ok(());
        }
        let req = self
            .client
            .modify_replication_group()
            .replication_group_id(id)
            .set_cache_node_type(change.node_type.clone())
            .set_engine_version(change.engine_version.clone())
            .set_cache_parameter_group_name(change.parameter_group.clone())
            .set_security_group_ids(change.security_group_ids.clone())
            .set_snapshot_retention_limit(change.snapshot_retention_limit)
            .set_automatic_failover_enabled(change.automatic_failover)
            .set_multi_az_enabled(change.multi_az)
            .apply_immediately(change.apply_immediately);
        call!("ModifyReplicationGroup", req.send()).map(drop)
    }

    /// Adds read replicas until the group has `replicas` (applied at once: the API allows no other).
    pub async fn increase_replica_count(&self, id: &str, replicas: u32) -> Result<(), CloudError> {
        let req = self
            .client
            .increase_replica_count()
            .replication_group_id(id)
            .new_replica_count(i32::try_from(replicas).unwrap_or(i32::MAX))
            .apply_immediately(true);
        call!("IncreaseReplicaCount", req.send()).map(drop)
    }

    /// Removes read replicas until the group has `replicas`. The last replica goes only after
    /// automatic failover and Multi-AZ are off.
    pub async fn decrease_replica_count(&self, id: &str, replicas: u32) -> Result<(), CloudError> {
        let req = self
            .client
            .decrease_replica_count()
            .replication_group_id(id)
            .new_replica_count(i32::try_from(replicas).unwrap_or(i32::MAX))
            .apply_immediately(true);
        call!("DecreaseReplicaCount", req.send()).map(drop)
    }

    /// Deletes the group and all its clusters, after taking `final_snapshot` of it when given.
    pub async fn delete_replication_group(&self, id: &str, final_snapshot: Option<&str>) -> Result<(), CloudError> {
        let req = self
            .client
            .delete_replication_group()
            .replication_group_id(id)
            .retain_primary_cluster(false)
            .set_final_snapshot_identifier(final_snapshot.map(str::to_string));
        call!("DeleteReplicationGroup", req.send()).map(drop)
    }

    /// A snapshot with its tags, or `None`.
    pub async fn snapshot(&self, name: &str) -> Result<Option<Snapshot>, CloudError> {
        let out = call!("DescribeSnapshots", self.client.describe_snapshots().snapshot_name(name).send()).optional()?;
        let Some(snapshot) = out.and_then(|o| o.snapshots).and_then(|s| s.into_iter().next()) else {
            return Ok(None);
        };
        let arn = snapshot.arn.ok_or_else(|| missing("elasticache:DescribeSnapshots", "ARN"))?;
        let tags = self.tags(&arn).await?;
        Ok(Some(Snapshot {
            name: snapshot.snapshot_name.unwrap_or_else(|| name.to_string()),
            arn,
            status: snapshot.snapshot_status.unwrap_or_default(),
            replication_group_id: snapshot.replication_group_id,
            tags,
        }))
    }

    /// Deletes a snapshot (not used on the Cache's own path: a final snapshot is the user's).
    pub async fn delete_snapshot(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteSnapshot", self.client.delete_snapshot().snapshot_name(name).send()).map(drop)
    }

    /// The tags of any ElastiCache resource, by ARN.
    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!("ListTagsForResource", self.client.list_tags_for_resource().resource_name(arn).send())?;
        Ok(tag_map(out.tag_list.unwrap_or_default()))
    }

    /// Adds (or overwrites) tags on any ElastiCache resource, by ARN. A replication group must be
    /// `available`.
    pub async fn add_tags(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        call!(
            "AddTagsToResource",
            self.client.add_tags_to_resource().resource_name(arn).set_tags(Some(tag_list(tags))).send()
        )
        .map(drop)
    }

    /// A cache subnet group with its tags, or `None`.
    pub async fn subnet_group(&self, name: &str) -> Result<Option<SubnetGroup>, CloudError> {
        let Some(mut group) = self.describe_subnet_groups(Some(name)).await?.into_iter().next() else {
            return Ok(None);
        };
        group.tags = self.tags(&group.arn).await?;
        Ok(Some(group))
    }

    /// Every cache subnet group of the region, a page of 100 per call, with empty tags
    /// (DescribeCacheSubnetGroups carries none): one listing serves every Cache of a sweep.
    pub async fn subnet_groups(&self) -> Result<Vec<SubnetGroup>, CloudError> {
        self.describe_subnet_groups(None).await
    }

    async fn describe_subnet_groups(&self, name: Option<&str>) -> Result<Vec<SubnetGroup>, CloudError> {
        let groups = all_pages(|marker| async move {
            let req = self
                .client
                .describe_cache_subnet_groups()
                .set_cache_subnet_group_name(name.map(str::to_string))
                .max_records(PAGE)
                .set_marker(marker);
            let Some(page) = call!("DescribeCacheSubnetGroups", req.send()).optional()? else {
                return Ok((vec![], None));
            };
            Ok((page.cache_subnet_groups.unwrap_or_default(), page.marker))
        })
        .await?;
        groups
            .into_iter()
            .map(|group| {
                let arn = group.arn.ok_or_else(|| missing("elasticache:DescribeCacheSubnetGroups", "ARN"))?;
                let mut subnet_ids: Vec<String> =
                    group.subnets.unwrap_or_default().into_iter().filter_map(|s| s.subnet_identifier).collect();
                subnet_ids.sort();
                Ok(SubnetGroup {
                    name: group.cache_subnet_group_name.unwrap_or_default(),
                    arn,
                    description: group.cache_subnet_group_description.unwrap_or_default(),
                    vpc_id: group.vpc_id.unwrap_or_default(),
                    subnet_ids,
                    tags: BTreeMap::new(),
                })
            })
            .collect()
    }

    pub async fn create_subnet_group(
        &self,
        name: &str,
        description: &str,
        subnet_ids: &[String],
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let req = self
            .client
            .create_cache_subnet_group()
            .cache_subnet_group_name(name)
            .cache_subnet_group_description(description)
            .set_subnet_ids(Some(subnet_ids.to_vec()))
            .set_tags(Some(tag_list(tags)));
        call!("CreateCacheSubnetGroup", req.send()).map(drop)
    }

    /// Replaces the group's subnets (they must stay in its VPC).
    pub async fn modify_subnet_group(&self, name: &str, subnet_ids: &[String]) -> Result<(), CloudError> {
        let req = self
            .client
            .modify_cache_subnet_group()
            .cache_subnet_group_name(name)
            .set_subnet_ids(Some(subnet_ids.to_vec()));
        call!("ModifyCacheSubnetGroup", req.send()).map(drop)
    }

    /// Deletes a subnet group no cache cluster uses any more (otherwise Busy).
    pub async fn delete_subnet_group(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteCacheSubnetGroup", self.client.delete_cache_subnet_group().cache_subnet_group_name(name).send())
            .map(drop)
    }

    /// A cache parameter group with its tags, or `None`.
    pub async fn parameter_group(&self, name: &str) -> Result<Option<ParameterGroup>, CloudError> {
        let Some(mut group) = self.describe_parameter_groups(Some(name)).await?.into_iter().next() else {
            return Ok(None);
        };
        group.tags = self.tags(&group.arn).await?;
        Ok(Some(group))
    }

    /// Every cache parameter group of the region (the defaults included), a page of 100 per
    /// call, with empty tags: one listing serves every Cache of a sweep.
    pub async fn parameter_groups(&self) -> Result<Vec<ParameterGroup>, CloudError> {
        self.describe_parameter_groups(None).await
    }

    async fn describe_parameter_groups(&self, name: Option<&str>) -> Result<Vec<ParameterGroup>, CloudError> {
        let groups = all_pages(|marker| async move {
            let req = self
                .client
                .describe_cache_parameter_groups()
                .set_cache_parameter_group_name(name.map(str::to_string))
                .max_records(PAGE)
                .set_marker(marker);
            let Some(page) = call!("DescribeCacheParameterGroups", req.send()).optional()? else {
                return Ok((vec![], None));
            };
            Ok((page.cache_parameter_groups.unwrap_or_default(), page.marker))
        })
        .await?;
        groups
            .into_iter()
            .map(|group| {
                Ok(ParameterGroup {
                    arn: group.arn.ok_or_else(|| missing("elasticache:DescribeCacheParameterGroups", "ARN"))?,
                    name: group.cache_parameter_group_name.unwrap_or_default(),
                    family: group.cache_parameter_group_family.unwrap_or_default(),
                    description: group.description.unwrap_or_default(),
                    tags: BTreeMap::new(),
                })
            })
            .collect()
    }

    /// The parameters set in the group (source `user`), by name; the engine's defaults are left out.
    pub async fn parameters(&self, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let parameters = all_pages(|marker| async move {
            let page = call!(
                "DescribeCacheParameters",
                self.client
                    .describe_cache_parameters()
                    .cache_parameter_group_name(name)
                    .source("user")
                    .max_records(PAGE)
                    .set_marker(marker)
                    .send()
            )?;
            Ok((page.parameters.unwrap_or_default(), page.marker))
        })
        .await?;
        Ok(parameters
            .into_iter()
            // Source filters already; checked again so a reply that ignores it cannot leak
            // defaults into what is compared with the spec.
            .filter(|p| p.source.as_deref().is_none_or(|s| s == "user"))
            .filter_map(|p| Some((p.parameter_name?, p.parameter_value?)))
            .collect())
    }

    pub async fn create_parameter_group(
        &self,
        name: &str,
        family: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let req = self
            .client
            .create_cache_parameter_group()
            .cache_parameter_group_name(name)
            .cache_parameter_group_family(family)
            .description(description)
            .set_tags(Some(tag_list(tags)));
        call!("CreateCacheParameterGroup", req.send()).map(drop)
    }

    /// Sets parameters (twenty per call, the API's limit); the others keep their values.
    pub async fn modify_parameters(&self, name: &str, parameters: &BTreeMap<String, String>) -> Result<(), CloudError> {
        let all: Vec<_> = parameters.iter().collect();
        for chunk in all.chunks(PARAMETERS_PER_CALL) {
            let values = chunk
                .iter()
                .map(|(n, v)| t::ParameterNameValue::builder().parameter_name(*n).parameter_value(*v).build())
                .collect();
            call!(
                "ModifyCacheParameterGroup",
                self.client
                    .modify_cache_parameter_group()
                    .cache_parameter_group_name(name)
                    .set_parameter_name_values(Some(values))
                    .send()
            )?;
        }
        Ok(())
    }

    /// Returns the named parameters to the engine's defaults (twenty per call).
    pub async fn reset_parameters(&self, name: &str, parameters: &[String]) -> Result<(), CloudError> {
        for chunk in parameters.chunks(PARAMETERS_PER_CALL) {
            let values = chunk.iter().map(|n| t::ParameterNameValue::builder().parameter_name(n).build()).collect();
            call!(
                "ResetCacheParameterGroup",
                self.client
                    .reset_cache_parameter_group()
                    .cache_parameter_group_name(name)
                    .set_parameter_name_values(Some(values))
                    .send()
            )?;
        }
        Ok(())
    }

    /// Returns every parameter of the group to the engine's defaults.
    pub async fn reset_all_parameters(&self, name: &str) -> Result<(), CloudError> {
        call!(
            "ResetCacheParameterGroup",
            self.client
                .reset_cache_parameter_group()
                .cache_parameter_group_name(name)
                .reset_all_parameters(true)
                .send()
        )
        .map(drop)
    }

    /// Deletes a parameter group no cache cluster uses any more (otherwise Busy).
    pub async fn delete_parameter_group(&self, name: &str) -> Result<(), CloudError> {
        call!(
            "DeleteCacheParameterGroup",
            self.client.delete_cache_parameter_group().cache_parameter_group_name(name).send()
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_engine_and_its_major_version() {
        for (engine, version, want) in [
            ("redis", "7.1", "redis7"),
            ("redis", "7.1.0", "redis7"),
            ("redis", "7", "redis7"),
            ("Redis", "7.0.7", "redis7"),
            ("valkey", "7.2", "valkey7"),
            ("valkey", "8.0", "valkey8"),
            ("valkey", "8.1.0", "valkey8"),
            ("redis", "6.2", "redis6.x"),
            ("redis", "6.x", "redis6.x"),
            ("redis", "5.0.6", "redis5.0"),
            ("redis", "4.0.10", "redis4.0"),
        ] {
            assert_eq!(family(engine, version), want, "{engine} {version}");
        }
    }

    fn member(id: &str, role: &str) -> t::NodeGroupMember {
        t::NodeGroupMember::builder().cache_cluster_id(id).current_role(role).build()
    }

    fn cluster(id: &str, group: &str, version: &str) -> t::CacheCluster {
        t::CacheCluster::builder()
            .cache_cluster_id(id)
            .replication_group_id(group)
            .engine("valkey")
            .engine_version(version)
            .cache_subnet_group_name("sub")
            .cache_parameter_group(t::CacheParameterGroupStatus::builder().cache_parameter_group_name("params").build())
            .security_groups(t::SecurityGroupMembership::builder().security_group_id("sg-b").build())
            .security_groups(t::SecurityGroupMembership::builder().security_group_id("sg-a").build())
            .build()
    }

    fn group() -> t::ReplicationGroup {
        t::ReplicationGroup::builder()
            .replication_group_id("g")
            .arn("arn:aws:elasticache:us-east-1:123456789012:replicationgroup:g")
            .status("modifying")
            .cache_node_type("cache.t3.micro")
            // AWS lists members in creation order; after a failover the primary is not first.
            .member_clusters("g-001")
            .member_clusters("g-002")
            .node_groups(
                t::NodeGroup::builder()
                    .primary_endpoint(t::Endpoint::builder().address("g.cache").port(6379).build())
                    .reader_endpoint(t::Endpoint::builder().address("replica.g.cache").port(6379).build())
                    .node_group_members(member("g-001", "replica"))
                    .node_group_members(member("g-002", "primary"))
                    .build(),
            )
            .automatic_failover(t::AutomaticFailoverStatus::Enabling)
            .multi_az(t::MultiAzStatus::Enabled)
            .at_rest_encryption_enabled(true)
            .transit_encryption_enabled(true)
            .auth_token_enabled(true)
            .snapshot_retention_limit(3)
            .build()
    }

    #[test]
    fn a_group_is_joined_with_its_primary_and_all_members_pending_changes() {
        let mut replica = cluster("g-001", "g", "7.2.6");
        replica.pending_modified_values =
            Some(t::PendingModifiedValues::builder().cache_node_type("cache.t3.small").build());
        let clusters = HashMap::from([
            ("g-001".to_string(), replica),
            ("g-002".to_string(), cluster("g-002", "g", "8.0.1")),
            ("other-001".to_string(), cluster("other-001", "other", "7.2.6")),
        ]);
        let got = join(group(), &clusters);
        assert_eq!(got.member_clusters, ["g-002", "g-001"], "primary first");
        assert_eq!((got.num_cache_clusters(), got.replicas()), (2, 1));
        assert_eq!(got.engine, "valkey", "from the members when the group does not say");
        assert_eq!(got.engine_version.as_deref(), Some("8.0.1"), "the primary's");
        assert_eq!(got.parameter_group.as_deref(), Some("params"));
        assert_eq!(got.subnet_group.as_deref(), Some("sub"));
        assert_eq!(got.security_group_ids, ["sg-a", "sg-b"]);
        assert!(got.automatic_failover, "enabling counts as on: no second modify");
        assert!(got.multi_az && got.at_rest_encryption && got.transit_encryption && got.auth_token_enabled);
        assert_eq!(got.snapshot_retention_limit, 3);
        assert_eq!(got.primary_endpoint, Some(Endpoint { address: "g.cache".into(), port: 6379 }));
        assert_eq!(got.reader_endpoint, Some(Endpoint { address: "replica.g.cache".into(), port: 6379 }));
        assert_eq!(got.pending.node_type.as_deref(), Some("cache.t3.small"), "from any member");
        assert!(!got.pending.is_empty());
        assert_eq!(got.tags, None);
    }

    #[test]
    fn a_group_without_visible_members_has_no_member_settings() {
        let got = join(group(), &HashMap::new());
        assert_eq!(got.engine_version, None);
        assert_eq!(got.parameter_group, None);
        assert!(got.security_group_ids.is_empty());
        assert!(got.pending.is_empty());
    }

    #[test]
    fn an_empty_modification_is_only_apply_immediately() {
        assert!(Modification::default().is_empty());
        assert!(Modification { apply_immediately: true, ..Default::default() }.is_empty());
        assert!(!Modification { snapshot_retention_limit: Some(0), ..Default::default() }.is_empty());
    }
}
