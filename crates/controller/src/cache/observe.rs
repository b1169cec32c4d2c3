//! What AWS has of a Cache: the only reads of its pipeline (I/O).
//!
//! A new or changed object reads each of its resources by name, at once. A resync reads the
//! replication group, security group and both groups from listings shared by every Cache of the
//! sweep (`crate::sweep`), and only its parameter values and token secret on their own. Whatever
//! a listing does not hold is looked up directly, so a resync never acts on an absence it has
//! not confirmed.

use stackwright_api::naming::TAG_CLUSTER;
use stackwright_cloud::CloudError;
use stackwright_cloud::ec2::Ec2;
use stackwright_cloud::elasticache::ElastiCache;
use stackwright_cloud::secretsmanager::SecretsManager;

use super::desired::DesiredCache;
use super::plan::Observed;
use crate::sweep::Listings;

/// The AWS clients of a Cache's region.
#[derive(Debug)]
pub struct Clients {
    pub elasticache: ElastiCache,
    pub ec2: Ec2,
    pub secrets: SecretsManager,
}

/// The token secret, with transit encryption only.
async fn auth_secret(
    aws: &Clients,
    want: &DesiredCache,
) -> Result<Option<stackwright_cloud::secretsmanager::Secret>, CloudError> {
    match &want.auth_token_secret {
        Some(name) => aws.secrets.describe(name).await,
        None => Ok(None),
    }
}

/// Reads everything the plan compares, fresh, by name: the replication group's state and its
/// security group first; while the group is busy (creating, modifying, ...) nothing else can
/// change, so the rest is read only once it is available. Polling a long ElastiCache operation
/// thus costs one ElastiCache call per look.
pub async fn observe(aws: &Clients, want: &DesiredCache, vpc_id: &str) -> Result<Observed, CloudError> {
    let (state, security_group) = tokio::try_join!(
        aws.elasticache.replication_group_state(&want.replication_group),
        aws.ec2.security_group_by_name(vpc_id, &want.security_group),
    )?;
    if let Some(group) = state.filter(|g| g.status != "available") {
        let replication_group = Some(group);
        return Ok(Observed { replication_group, security_group, groups_skipped: true, ..Observed::default() });
    }
    let (subnet_group, parameter_group, replication_group, auth_secret) = tokio::try_join!(
        aws.elasticache.subnet_group(&want.subnet_group),
        aws.elasticache.parameter_group(&want.parameter_group),
        aws.elasticache.replication_group(&want.replication_group),
        auth_secret(aws, want),
    )?;
    let parameters = match &parameter_group {
        Some(g) => aws.elasticache.parameters(&g.name).await?,
        None => Default::default(),
    };
    Ok(Observed {
        security_group,
        subnet_group,
        parameter_group,
        parameters,
        replication_group,
        auth_secret,
        group_tags_known: true,
        groups_skipped: false,
    })
}

/// Reads the same from the sweep's shared listings (the groups without their tags, which were
/// read when the object last changed), falling back to [`observe`] when one lacks a resource.
pub async fn observe_shared(
    aws: &Clients,
    listings: &Listings,
    cluster_id: &str,
    want: &DesiredCache,
    vpc_id: &str,
) -> Result<Observed, CloudError> {
    let (region, age) = (want.region.as_str(), listings.max_age);
    let (groups, security_groups, subnet_groups, parameter_groups) = tokio::try_join!(
        listings.replication_groups.get(region, age, || aws.elasticache.replication_groups()),
        listings.security_groups.get(region, age, || aws.ec2.security_groups_by_tag(TAG_CLUSTER, cluster_id)),
        listings.cache_subnet_groups.get(region, age, || aws.elasticache.subnet_groups()),
        listings.cache_parameter_groups.get(region, age, || aws.elasticache.parameter_groups()),
    )?;
    let replication_group = groups.iter().find(|g| g.id == want.replication_group);
    let security_group = security_groups.iter().find(|g| g.name == want.security_group && g.vpc_id == vpc_id);
    let subnet_group = subnet_groups.iter().find(|g| g.name == want.subnet_group);
    let parameter_group = parameter_groups.iter().find(|g| g.name == want.parameter_group);
    let (Some(replication_group), Some(security_group), Some(subnet_group), Some(parameter_group)) =
        (replication_group, security_group, subnet_group, parameter_group)
    else {
        return observe(aws, want, vpc_id).await;
    };
    let (parameters, auth_secret) =
        tokio::try_join!(aws.elasticache.parameters(&parameter_group.name), auth_secret(aws, want))?;
    Ok(Observed {
        security_group: Some(security_group.clone()),
        subnet_group: Some(subnet_group.clone()),
        parameter_group: Some(parameter_group.clone()),
        parameters,
        replication_group: Some(replication_group.clone()),
        auth_secret,
        group_tags_known: false,
        groups_skipped: false,
    })
}
