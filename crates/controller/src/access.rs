//! Access kept in step with the bindings while a Database or Cache cannot be placed (its
//! `network.appStack` is gone or silent): the security group it already has still loses the rules
//! of stacks that no longer bind to it, so a deleted stack's task group is free to be deleted.
//! Nothing is created or authorized until the object is placed again (I/O).

use std::collections::BTreeSet;

use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::CloudError;
use stackwright_cloud::ec2::Ec2;

use stackwright_api::common::OwnedResource;
use stackwright_api::network::NetworkRef;

use crate::context::Context;
use crate::placement::{Bound, Placement, admitted_groups, placement};
use crate::supporting::ingress_changes;

/// Where an object goes and which task security groups may connect to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub placement: Placement,
    pub admitted: BTreeSet<String>,
}

/// Reads both from the AppStacks of the object's namespace (the reflector store; no AWS).
pub async fn resolve(
    ctx: &Context,
    id: &ObjectIdentity,
    network: &NetworkRef,
    bound: Bound,
) -> crate::error::Result<Resolved> {
    let stacks = ctx.stacks_in(&id.namespace).await?;
    let stack = network.app_stack.as_ref().and_then(|n| stacks.iter().find(|s| s.metadata.name.as_ref() == Some(n)));
    Ok(Resolved {
        placement: placement(network, stack),
        admitted: admitted_groups(bound, &id.name, &stacks.iter().collect::<Vec<_>>()),
    })
}

/// While the object cannot be placed: revokes from the security group its status lists (if any)
/// the rules of stacks that no longer bind to it.
pub async fn while_unplaced(
    ec2: &Ec2,
    resources: &[OwnedResource],
    port: i32,
    admitted: &BTreeSet<String>,
    id: &ObjectIdentity,
) -> Result<(), CloudError> {
    let group = resources.iter().find(|r| r.kind == "ec2:SecurityGroup" && r.id.starts_with("sg-"));
    match group {
        Some(group) => revoke_unadmitted(ec2, &group.id, port, admitted, id).await.map(drop),
        None => Ok(()),
    }
}

/// Revokes the rules of the group `group_id` (if it exists and is this object's) that admit
/// anything but `port` from `admitted`. Returns how many rules went.
pub async fn revoke_unadmitted(
    ec2: &Ec2,
    group_id: &str,
    port: i32,
    admitted: &BTreeSet<String>,
    id: &ObjectIdentity,
) -> Result<usize, CloudError> {
    let Some(group) = ec2.security_group(group_id).await?.filter(|g| id.owns(&g.tags)) else { return Ok(0) };
    let revoke = ingress_changes(port, admitted, &group.ingress).revoke;
    if !revoke.is_empty() {
        ec2.revoke_ingress(group_id, &revoke).await?;
    }
    Ok(revoke.len())
}

/// Where a wave of writes goes: the resolved network and the security group, once it exists.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub vpc_id: &'a str,
    pub subnet_ids: &'a [String],
    pub security_group_id: Option<&'a str>,
}

/// The security group id a step needs: each plan orders the group's creation first.
pub fn required(id: &Option<String>) -> Result<&str, CloudError> {
    id.as_deref().ok_or_else(|| CloudError {
        category: stackwright_cloud::ErrorCategory::Transient,
        operation: "ec2:DescribeSecurityGroups",
        code: "SecurityGroupUnknown".into(),
        message: "the security group is not known yet".into(),
    })
}

/// Deletes this object's security group `name`, found by its owner tag (the network it was made
/// in may be gone from the spec or the stack by now). A group still in use is `Busy`.
pub async fn delete_security_group(ec2: &Ec2, name: &str, id: &ObjectIdentity) -> Result<(), CloudError> {
    for group in ec2.security_groups_by_tag(stackwright_api::naming::TAG_OWNER, &id.owner()).await? {
        if group.name == name && id.owns(&group.tags) {
            match ec2.delete_security_group(&group.id).await {
                Err(e) if e.is_not_found() => {}
                other => other?,
            }
        }
    }
    Ok(())
}
