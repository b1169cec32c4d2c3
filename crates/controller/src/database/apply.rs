//! The writes of a Database's plan: one wave, in the plan's order (I/O). Every create carries the
//! ownership tags, so a crash right after one leaves a resource the next reconcile recognises.

use stackwright_cloud::CloudError;

use super::desired::DesiredDatabase;
use super::observe::Clients;
use super::plan::{Resource, Step};
use crate::access::{Target, required};

/// Makes `steps` in order; stops at the first failure.
pub async fn apply(
    aws: &Clients,
    want: &DesiredDatabase,
    target: &Target<'_>,
    steps: &[Step],
) -> Result<(), CloudError> {
    let mut group_id = target.security_group_id.map(str::to_string);
    for step in steps {
        match step {
            Step::CreateSecurityGroup => {
                let description = format!("Stackwright Database {}: its port, from bound AppStacks only", owner(want));
                let id = aws
                    .ec2
                    .create_security_group(target.vpc_id, &want.security_group, &description, &want.tags)
                    .await?;
                // EC2 gives a new group an allow-all egress rule; RDS needs none, but the rule
                // does no harm and is what every RDS console-created group has.
                group_id = Some(id);
            }
            Step::AuthorizeIngress(rules) => aws.ec2.authorize_ingress(required(&group_id)?, rules).await?,
            Step::RevokeIngress(rules) => aws.ec2.revoke_ingress(required(&group_id)?, rules).await?,
            Step::CreateSubnetGroup => {
                let description = format!("Stackwright Database {}", owner(want));
                aws.rds.create_subnet_group(&want.subnet_group, &description, target.subnet_ids, &want.tags).await?;
            }
            Step::ModifySubnetGroup(subnets) => aws.rds.modify_subnet_group(&want.subnet_group, subnets).await?,
            Step::CreateParameterGroup => {
                let description = format!("Stackwright Database {}", owner(want));
                aws.rds.create_parameter_group(&want.parameter_group, &want.family, &description, &want.tags).await?;
            }
            Step::SetParameters(values) => aws.rds.modify_parameters(&want.parameter_group, values).await?,
            Step::ResetParameters(names) => aws.rds.reset_parameters(&want.parameter_group, names).await?,
            Step::CreateInstance => {
                aws.rds.create_instance(&want.new_instance(required(&group_id)?)).await?;
            }
            Step::ModifyInstance(m) => {
                aws.rds.modify_instance(&want.identifier, m).await?;
            }
            Step::Tag { resource: Resource::SecurityGroup, arn_or_id } => {
                aws.ec2.create_tags(std::slice::from_ref(arn_or_id), &want.tags).await?;
            }
            Step::Tag { arn_or_id, .. } => aws.rds.add_tags(arn_or_id, &want.tags).await?,
        }
    }
    Ok(())
}

fn owner(want: &DesiredDatabase) -> &str {
    want.tags.get(stackwright_api::naming::TAG_OWNER).map(String::as_str).unwrap_or_default()
}
