//! The writes of a Cache's plan: one wave, in the plan's order (I/O). Every create carries the
//! ownership tags. The AUTH token is generated here and stored in Secrets Manager; the replication
//! group's create reads it back from there (in the same wave or, after a crash between the two, a
//! later one), so the group always gets the stored token; it never reaches a log or a Kubernetes
//! object.

use stackwright_api::naming::TAG_OWNER;
use stackwright_cloud::CloudError;
use stackwright_cloud::secretsmanager::generate_auth_token;

use super::desired::DesiredCache;
use super::observe::Clients;
use super::plan::{Resource, Step};
use crate::access::{Target, required};

/// Makes `steps` in order; stops at the first failure. `uid` (the object's) makes the token
/// secret's creation idempotent.
pub async fn apply(
    aws: &Clients,
    want: &DesiredCache,
    target: &Target<'_>,
    uid: &str,
    steps: &[Step],
) -> Result<(), CloudError> {
    let mut group_id = target.security_group_id.map(str::to_string);
    let owner = want.tags.get(TAG_OWNER).map(String::as_str).unwrap_or_default();
    let ec = &aws.elasticache;
    for step in steps {
        match step {
            Step::CreateSecurityGroup => {
                let description = format!("Stackwright Cache {owner}: its port, from bound AppStacks only");
                group_id = Some(
                    aws.ec2
                        .create_security_group(target.vpc_id, &want.security_group, &description, &want.tags)
                        .await?,
                );
            }
            Step::AuthorizeIngress(rules) => aws.ec2.authorize_ingress(required(&group_id)?, rules).await?,
            Step::RevokeIngress(rules) => aws.ec2.revoke_ingress(required(&group_id)?, rules).await?,
            Step::CreateSubnetGroup => {
                let description = format!("Stackwright Cache {owner}");
                ec.create_subnet_group(&want.subnet_group, &description, target.subnet_ids, &want.tags).await?;
            }
            Step::ModifySubnetGroup(subnets) => ec.modify_subnet_group(&want.subnet_group, subnets).await?,
            Step::CreateParameterGroup => {
                let description = format!("Stackwright Cache {owner}");
                ec.create_parameter_group(&want.parameter_group, &want.family, &description, &want.tags).await?;
            }
            Step::SetParameters(values) => ec.modify_parameters(&want.parameter_group, values).await?,
            Step::ResetParameters(names) => ec.reset_parameters(&want.parameter_group, names).await?,
            Step::CreateAuthSecret => {
                if let Some(name) = &want.auth_token_secret {
                    aws.secrets.create_secret(name, &generate_auth_token(), &want.tags, uid).await?;
                }
            }
            Step::RestoreAuthSecret => {
                if let Some(name) = &want.auth_token_secret {
                    aws.secrets.restore_secret(name).await?;
                }
            }
            Step::CreateReplicationGroup => {
                let token = match &want.auth_token_secret {
                    Some(name) => Some(aws.secrets.secret_value(name).await?),
                    None => None,
                };
                ec.create_replication_group(&want.new_replication_group(required(&group_id)?, token)).await?;
            }
            Step::ModifyReplicationGroup(m) => ec.modify_replication_group(&want.replication_group, m).await?,
            Step::IncreaseReplicas(n) => ec.increase_replica_count(&want.replication_group, *n).await?,
            Step::DecreaseReplicas(n) => ec.decrease_replica_count(&want.replication_group, *n).await?,
            Step::Tag { resource: Resource::SecurityGroup, arn_or_id } => {
                aws.ec2.create_tags(std::slice::from_ref(arn_or_id), &want.tags).await?;
            }
            Step::Tag { resource: Resource::AuthSecret, arn_or_id } => aws.secrets.tag(arn_or_id, &want.tags).await?,
            Step::Tag { arn_or_id, .. } => ec.add_tags(arn_or_id, &want.tags).await?,
        }
    }
    Ok(())
}
