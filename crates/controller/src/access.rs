//! Access kept in step with the bindings while a Database or Cache cannot be placed (its
//! `network.appStack` is gone or silent): the security group it already has still loses the rules
//! of stacks that no longer bind to it, so a deleted stack's task group is free to be deleted.
//! Nothing is created or authorized until the object is placed again (I/O).

use std::collections::BTreeSet;

use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::CloudError;
use stackwright_cloud::ec2::Ec2;

use crate::supporting::ingress_changes;

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
