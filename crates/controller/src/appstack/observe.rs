//! What AWS has of a stack, read in a handful of batched calls whatever its number of services:
//! one DescribeServices for up to ten services, one listing of the stack's log groups, one
//! DescribeTargetGroups, one DescribeScalableTargets, one DescribeScalingPolicies, and so on.
//! What only changes when the stack's own writes change it (tags, attributes) is read when the
//! object changed, not on a resync.
//!
//! Task definition revisions are immutable, so the content hash of a revision is remembered by
//! its ARN once read ([`RevisionHashes`]): a resync reads no task definition.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use stackwright_cloud::CloudError;
use stackwright_cloud::autoscaling::AutoScaling;
use stackwright_cloud::ec2::Ec2;
use stackwright_cloud::ecs::{Ecs, NewTaskDefinition};
use stackwright_cloud::elbv2::Elbv2;
use stackwright_cloud::iam::Iam;
use stackwright_cloud::logs::Logs;

use super::desired::{CONTENT_HASH_TAG, DesiredStack, ROLE_POLICY};
use super::plan::{Observed, ObservedRole, ObservedTargetGroup, Revisions};

/// The AWS clients a stack uses.
#[derive(Clone, Debug)]
pub struct Clients {
    pub ecs: Ecs,
    pub elbv2: Elbv2,
    pub autoscaling: AutoScaling,
    pub iam: Iam,
    pub logs: Logs,
    pub ec2: Ec2,
}

/// Content hashes of task definition revisions by ARN (a revision never changes).
#[derive(Debug, Default)]
pub struct RevisionHashes(Mutex<HashMap<String, Option<String>>>);

impl RevisionHashes {
    pub fn get(&self, arn: &str) -> Option<Option<String>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(arn).cloned()
    }

    pub fn remember(&self, arn: &str, hash: Option<String>) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(arn.to_string(), hash);
    }
}

/// The target group names of every service the stack has or had (`known`): a service whose
/// exposure or whole entry went away leaves its group to delete.
fn target_group_names(known: &[String], id: &stackwright_api::naming::ObjectIdentity) -> Vec<String> {
    known.iter().map(|name| super::desired::target_group_name(id, name)).collect()
}

/// Reads the stack. `known` are the service names to look for (the spec's and those the status
/// lists), `log_groups` the log groups the status lists; `thorough` also reads what a resync
/// skips (tags, attributes).
pub async fn observe(
    aws: &Clients,
    want: &DesiredStack,
    known: &[String],
    log_groups: &[String],
    id: &stackwright_api::naming::ObjectIdentity,
    thorough: bool,
) -> Result<Observed, CloudError> {
    let mut o = Observed { cluster: aws.ecs.cluster(&want.cluster).await?, ..Default::default() };
    o.execution_role = role(&aws.iam, want.execution_role.as_deref()).await?;
    o.task_role = role(&aws.iam, want.task_role.as_deref()).await?;
    o.lb_group = aws.ec2.security_group_by_name(&want.vpc_id, &want.lb_security_group).await?;
    o.task_group = aws.ec2.security_group_by_name(&want.vpc_id, &want.task_security_group).await?;
    for g in aws.logs.log_groups(&want.log_group_prefix).await? {
        o.log_groups.insert(g.name.clone(), g);
    }
    // Groups named in the spec, or named before (the inventory lists them), one by one.
    let named =
        want.services.iter().map(|s| &s.log_group).chain(log_groups).filter(|n| !n.starts_with(&want.log_group_prefix));
    for name in named.collect::<std::collections::BTreeSet<_>>() {
        if let Some(g) = aws.logs.log_group(name).await? {
            o.log_groups.insert(g.name.clone(), g);
        }
    }
    if thorough {
        for g in o.log_groups.values_mut().filter(|g| g.tags.is_none()) {
            if let Some(tagged) = aws.logs.log_group(&g.name).await? {
                g.tags = tagged.tags;
            }
        }
    }

    for tg in aws.elbv2.target_groups(&target_group_names(known, id)).await? {
        o.target_groups.insert(tg.name.clone(), ObservedTargetGroup { group: tg, attributes: None });
    }
    if thorough {
        for tg in o.target_groups.values_mut() {
            tg.attributes = Some(aws.elbv2.target_group_attributes(&tg.group.arn).await?);
        }
    }
    o.load_balancer = aws.elbv2.load_balancer(&want.lb_name).await?;
    if let Some(lb) = &want.load_balancer
        && let Some(have) = &o.load_balancer
    {
        if thorough {
            o.lb_attributes = Some(aws.elbv2.load_balancer_attributes(&have.arn).await?);
        }
        o.listeners = aws.elbv2.listeners(&have.arn).await?;
        if let Some(l) = o.listeners.iter().find(|l| l.port == lb.rules_port()) {
            o.rules = aws.elbv2.rules(&l.arn).await?;
        }
    }
    if thorough {
        let arns: Vec<String> = o
            .load_balancer
            .iter()
            .map(|l| l.arn.clone())
            .chain(o.target_groups.values().map(|t| t.group.arn.clone()))
            .collect();
        o.elb_tags = Some(if arns.is_empty() { BTreeMap::new() } else { aws.elbv2.tags(&arns).await? });
    }

    if o.cluster.is_some() {
        let services = aws.ecs.services(&want.cluster, known).await?;
        o.services = services.into_iter().filter(|s| s.status != "INACTIVE").map(|s| (s.name.clone(), s)).collect();
    }
    let resource_ids: Vec<String> = o.services.keys().map(|name| format!("service/{}/{name}", want.cluster)).collect();
    for t in aws.autoscaling.scalable_targets(&resource_ids).await? {
        o.scalable_targets.insert(t.resource_id.clone(), t);
    }
    let names = want.policy_names();
    if !o.scalable_targets.is_empty() {
        for p in aws.autoscaling.scaling_policies(&names).await? {
            o.policies.insert(p.name.clone(), p);
        }
    }
    Ok(o)
}

async fn role(iam: &Iam, name: Option<&str>) -> Result<Option<ObservedRole>, CloudError> {
    let Some(name) = name else { return Ok(None) };
    let Some(role) = iam.role(name).await? else { return Ok(None) };
    let policy = iam.role_policy(name, ROLE_POLICY).await?;
    Ok(Some(ObservedRole { role, policy }))
}

/// Which content each service runs, and — for a service that does not run what `defs` want —
/// the newest revision of its family (a revision registered before a crash is reused).
pub async fn observe_revisions(
    aws: &Clients,
    observed: &mut Observed,
    defs: &BTreeMap<String, NewTaskDefinition>,
    hashes: &RevisionHashes,
) -> Result<(), CloudError> {
    for (name, def) in defs {
        let wanted = def.tags.get(CONTENT_HASH_TAG).cloned();
        let running = match observed.services.get(name) {
            Some(s) => hash_of(aws, hashes, &s.task_definition).await?,
            None => None,
        };
        let newest = if running.is_some() && running == wanted {
            None
        } else {
            match aws.ecs.task_definition_arns(&def.family).await?.into_iter().next() {
                Some(arn) => hash_of(aws, hashes, &arn).await?.map(|h| (h, arn)),
                None => None,
            }
        };
        observed.revisions.insert(name.clone(), Revisions { running, newest });
    }
    Ok(())
}

async fn hash_of(aws: &Clients, hashes: &RevisionHashes, arn: &str) -> Result<Option<String>, CloudError> {
    if arn.is_empty() {
        return Ok(None);
    }
    if let Some(known) = hashes.get(arn) {
        return Ok(known);
    }
    let hash = aws.ecs.task_definition(arn).await?.and_then(|d| d.tags.get(CONTENT_HASH_TAG).cloned());
    hashes.remember(arn, hash.clone());
    Ok(hash)
}
