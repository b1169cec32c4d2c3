//! What AWS has of a Database: the only reads of its pipeline (I/O).
//!
//! A new or changed object reads each of its four resources by name, at once. A resync reads
//! them from listings shared by every Database of the sweep (`crate::sweep`), and only the
//! parameter values of its own group on their own: a few listing pages answer for hundreds of
//! objects. Whatever a listing does not hold is looked up directly, so a resync never acts on
//! an absence it has not confirmed.

use stackwright_api::naming::TAG_CLUSTER;
use stackwright_cloud::CloudError;
use stackwright_cloud::ec2::Ec2;
use stackwright_cloud::rds::Rds;

use super::desired::DesiredDatabase;
use super::plan::Observed;
use crate::context::Made;
use crate::sweep::Listings;

/// The AWS clients of a Database's region.
#[derive(Debug)]
pub struct Clients {
    pub rds: Rds,
    pub ec2: Ec2,
}

/// Reads everything the plan compares, fresh, by name: the instance and its security group
/// first; while the instance is busy (creating, modifying, ...) nothing else can change, so the
/// subnet and parameter groups are read only once it is available. Polling a long RDS operation
/// thus costs one RDS call per look.
///
/// Groups this process created (`made`: tagged in the create call) are read without their tags.
pub async fn observe(aws: &Clients, want: &DesiredDatabase, vpc_id: &str, made: &Made) -> Result<Observed, CloudError> {
    let (instance, security_group) = tokio::try_join!(
        aws.rds.instance(&want.identifier),
        aws.ec2.security_group_by_name(vpc_id, &want.security_group),
    )?;
    if instance.as_ref().is_some_and(|i| i.status != "available") {
        return Ok(Observed { instance, security_group, groups_skipped: true, ..Observed::default() });
    }
    let subnet_group = async {
        if made.contains(&made_key("subnetgroup", want, &want.subnet_group)) {
            aws.rds.subnet_group_untagged(&want.subnet_group).await
        } else {
            aws.rds.subnet_group(&want.subnet_group).await
        }
    };
    let parameter_group = async {
        if made.contains(&made_key("parametergroup", want, &want.parameter_group)) {
            aws.rds.parameter_group_untagged(&want.parameter_group).await
        } else {
            aws.rds.parameter_group(&want.parameter_group).await
        }
    };
    let (subnet_group, parameter_group) = tokio::try_join!(subnet_group, parameter_group)?;
    let parameters = match &parameter_group {
        Some(g) => aws.rds.user_parameters(&g.name).await?,
        None => Default::default(),
    };
    Ok(Observed { security_group, subnet_group, parameter_group, parameters, instance, groups_skipped: false })
}

/// The key of a group in [`Made`].
pub fn made_key(kind: &str, want: &DesiredDatabase, name: &str) -> String {
    format!("rds:{kind}/{}/{name}", want.region)
}

/// Reads the same from the sweep's shared listings (the groups without their tags, which were
/// read when the object last changed), falling back to [`observe`] when one lacks a resource.
pub async fn observe_shared(
    aws: &Clients,
    listings: &Listings,
    cluster_id: &str,
    want: &DesiredDatabase,
    vpc_id: &str,
) -> Result<Observed, CloudError> {
    let (region, age) = (want.region.as_str(), listings.max_age);
    let (instances, groups, subnet_groups, parameter_groups) = tokio::try_join!(
        listings.db_instances.get(region, age, || aws.rds.instances()),
        listings.security_groups.get(region, age, || aws.ec2.security_groups_by_tag(TAG_CLUSTER, cluster_id)),
        listings.db_subnet_groups.get(region, age, || aws.rds.subnet_groups()),
        listings.db_parameter_groups.get(region, age, || aws.rds.parameter_groups()),
    )?;
    let instance = instances.iter().find(|i| i.identifier == want.identifier);
    let security_group = groups.iter().find(|g| g.name == want.security_group && g.vpc_id == vpc_id);
    let subnet_group = subnet_groups.iter().find(|g| g.name == want.subnet_group);
    let parameter_group = parameter_groups.iter().find(|g| g.name == want.parameter_group);
    let (Some(instance), Some(security_group), Some(subnet_group), Some(parameter_group)) =
        (instance, security_group, subnet_group, parameter_group)
    else {
        return observe(aws, want, vpc_id, &Made::default()).await;
    };
    Ok(Observed {
        parameters: aws.rds.user_parameters(&parameter_group.name).await?,
        security_group: Some(security_group.clone()),
        subnet_group: Some(subnet_group.clone()),
        parameter_group: Some(parameter_group.clone()),
        instance: Some(instance.clone()),
        groups_skipped: false,
    })
}
