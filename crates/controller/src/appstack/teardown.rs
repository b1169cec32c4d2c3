//! The deletion of a stack (pure): what to delete next, given what AWS still has, in reverse
//! dependency order — one wave per reconcile, like creation:
//! 1. the services (each with its scaling): nothing else can go while tasks run behind the
//!    load balancer and in the security groups;
//! 2. the load balancer (its listeners and rules go with it) and the EFS mount targets (they sit
//!    in the task security group and the subnets), waited out until they are gone;
//! 3. the target groups; the task group's rules, then both security groups (the task group
//!    once the bound Databases and Caches dropped their rules for it: EC2 refuses with
//!    `DependencyViolation` until then, which is waited out as progress);
//! 4. the roles, the log groups, the task definition revisions, and the cluster last; with
//!    `volumeDeletionPolicy: Delete`, the access points and the EFS file system (kept otherwise).
//!
//! Only resources carrying the stack's ownership tags (or adopted) are deleted; the services and
//! revisions are those of the stack's own cluster and families.

use std::collections::BTreeMap;

use stackwright_api::appstack::VolumeDeletionPolicy;
use stackwright_api::naming::ObjectIdentity;

use super::plan::{GroupKind, Observed, RoleKind, Step};
use super::storage::teardown_storage;

/// One wave of deletion and what it says about progress, or None once nothing is left.
pub fn teardown(
    observed: &Observed,
    known: &[String],
    id: &ObjectIdentity,
    adopt: bool,
    volumes: VolumeDeletionPolicy,
) -> Option<(Vec<Step>, String)> {
    let owns = |tags: &BTreeMap<String, String>| adopt || id.owns(tags);
    let elb_owned = |arn: &str| observed.elb_tags.as_ref().and_then(|t| t.get(arn)).is_some_and(owns);
    let cluster = observed.cluster.as_ref().filter(|c| owns(&c.tags));

    if cluster.is_some() && !observed.services.is_empty() {
        let names: Vec<String> = observed.services.keys().cloned().collect();
        let steps = names.iter().map(|n| Step::DeleteService(n.clone())).collect();
        return Some((steps, format!("deleting ECS services {}", names.join(", "))));
    }
    let storage = observed.storage.as_ref().filter(|st| owns(&st.file_system.tags));
    let lb = observed.load_balancer.as_ref().filter(|l| elb_owned(&l.arn));
    let mounts = teardown_storage(storage, volumes, false);
    if lb.is_some() || mounts.is_some() {
        let mut steps = Vec::new();
        let mut progress = Vec::new();
        if let Some(lb) = lb {
            steps.push(Step::DeleteLoadBalancer(lb.arn.clone()));
            progress.push(format!("deleting load balancer {} (its listeners and rules go with it)", lb.name));
        }
        if let Some((mut mount_steps, message)) = mounts {
            steps.append(&mut mount_steps);
            progress.push(message);
        }
        return Some((steps, progress.join("; ")));
    }

    let mut steps: Vec<Step> = observed
        .target_groups
        .values()
        .filter(|t| elb_owned(&t.group.arn))
        .map(|t| Step::DeleteTargetGroup(t.group.arn.clone()))
        .collect();
    let tasks = observed.task_group.as_ref().filter(|g| owns(&g.tags));
    if let Some(g) = tasks.filter(|g| !g.ingress.is_empty()) {
        // They name the load balancer's group, which EC2 will not delete while they do.
        steps.push(Step::RevokeIngress(GroupKind::Tasks, g.ingress.clone()));
    }
    if let Some(g) = observed.lb_group.as_ref().filter(|g| owns(&g.tags)) {
        steps.push(Step::DeleteSecurityGroup(g.id.clone()));
    }
    if let Some(g) = tasks {
        steps.push(Step::DeleteSecurityGroup(g.id.clone()));
    }
    if !steps.is_empty() {
        return Some((steps, "deleting the target groups and security groups".into()));
    }

    for (kind, role) in [(RoleKind::Execution, &observed.execution_role), (RoleKind::Task, &observed.task_role)] {
        if role.as_ref().is_some_and(|r| owns(&r.role.tags)) {
            steps.push(Step::DeleteRole(kind));
        }
    }
    for g in observed.log_groups.values().filter(|g| g.tags.as_ref().is_some_and(owns)) {
        steps.push(Step::DeleteLogGroup(g.name.clone()));
    }
    if let Some(ns) = observed.namespace.as_ref().filter(|n| n.tags.as_ref().is_some_and(owns)) {
        steps.push(Step::DeleteNamespace(ns.namespace.id.clone()));
    }
    if cluster.is_some() {
        steps.extend(known.iter().map(|name| Step::DeregisterTaskDefinitions(super::desired::family(id, name))));
        steps.push(Step::DeleteCluster);
    }
    let file_system = teardown_storage(storage, volumes, true);
    match (steps.is_empty(), file_system) {
        (true, None) => None,
        (true, Some(fs)) => Some(fs),
        (false, fs) => {
            let mut message =
                "deleting the roles, log groups, Cloud Map namespace, task definitions and the cluster".to_string();
            if let Some((mut fs_steps, fs_message)) = fs {
                steps.append(&mut fs_steps);
                message = format!("{message}; {fs_message}");
            }
            Some((steps, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::desired::desired;
    use super::super::desired::tests::{accunode, id};
    use super::super::plan::Rendered;
    use super::super::simulate::{converge, simulate};
    use super::super::taskdef::{Roles, render};
    use super::*;

    fn kinds(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| format!("{s:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_string()).collect()
    }

    #[test]
    fn a_stack_is_deleted_in_reverse_dependency_waves_and_only_what_is_its_own() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let roles =
            Roles { execution: Some("arn:aws:iam::1:role/e".into()), task: Some("arn:aws:iam::1:role/t".into()) };
        let rendered = Rendered {
            task_definitions: Some(
                want.services.iter().map(|s| (s.name.clone(), render(&want, s, &[], &roles, &[]))).collect(),
            ),
            execution_policy: Some("{}".into()),
            task_policy: None,
        };
        let mut observed = converge(&want, &rendered, &id(), 20);
        let known = vec!["api".to_string(), "worker".to_string()];
        let mut waves = Vec::new();
        for _ in 0..10 {
            let Some((steps, _)) = teardown(&observed, &known, &id(), false, VolumeDeletionPolicy::Retain) else {
                break;
            };
            waves.push(kinds(&steps));
            simulate(&want, &rendered, &mut observed, &steps);
        }
        let expected: Vec<Vec<&str>> = vec![
            vec!["DeleteService", "DeleteService"],
            vec!["DeleteLoadBalancer"],
            vec!["DeleteTargetGroup", "RevokeIngress", "DeleteSecurityGroup", "DeleteSecurityGroup"],
            vec![
                "DeleteRole",
                "DeleteRole",
                "DeleteLogGroup",
                "DeleteLogGroup",
                "DeleteNamespace",
                "DeregisterTaskDefinitions",
                "DeregisterTaskDefinitions",
                "DeleteCluster",
            ],
        ];
        assert_eq!(waves, expected);
        assert_eq!(observed, Observed { elb_tags: observed.elb_tags.clone(), ..Observed::default() }, "nothing left");
    }

    #[test]
    fn what_is_not_the_stack_s_is_left_alone() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let mut observed = Observed {
            cluster: Some(stackwright_cloud::ecs::Cluster {
                name: want.cluster.clone(),
                status: "ACTIVE".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        observed.services.insert("api".into(), stackwright_cloud::ecs::Service::default());
        assert_eq!(
            teardown(&observed, &["api".into()], &id(), false, VolumeDeletionPolicy::Retain),
            None,
            "an untagged cluster is someone else's"
        );
        assert!(
            teardown(&observed, &["api".into()], &id(), true, VolumeDeletionPolicy::Retain).is_some(),
            "unless adopted"
        );
    }
}
