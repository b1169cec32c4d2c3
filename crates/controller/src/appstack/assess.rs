//! Where a stack stands (pure): the outcome its conditions report, and the status fields AWS
//! decides — URL, load balancer, task security group, each service's rollout, the inventory.

use stackwright_api::appstack::{LoadBalancerStatus, ServiceStatus, StackNetworkStatus, SubnetStatus};
use stackwright_api::common::OwnedResource;
use stackwright_api::conditions::{Outcome, reason};
use stackwright_cloud::ecs::Service;

use stackwright_api::naming::ObjectIdentity;

use super::desired::DesiredStack;
use super::network::desired::DesiredNetwork;
use super::network::plan::ObservedNetwork;
use super::plan::{Observed, Owned, Planned, Step};
use super::resolve::Bindings;

/// How a service's rollout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// The PRIMARY deployment is COMPLETED with at least the desired count running.
    Done,
    /// Still rolling out (message says how far).
    InProgress(String),
    /// The PRIMARY deployment failed (the circuit breaker stopped it, with nothing to roll back to).
    Failed(String),
}

/// Reads a service's rollout from its PRIMARY deployment.
pub fn rollout(s: &Service) -> Rollout {
    let Some(d) = s.primary() else { return Rollout::InProgress(format!("service {} has no deployment yet", s.name)) };
    let reason = d.rollout_state_reason.clone().unwrap_or_default();
    match d.rollout_state.as_deref() {
        Some("FAILED") => Rollout::Failed(if reason.is_empty() { "deployment failed".into() } else { reason }),
        Some("COMPLETED") | None if s.running_count >= s.desired_count && s.deployments.len() == 1 => Rollout::Done,
        _ => Rollout::InProgress(format!(
            "service {} is rolling out: {} of {} tasks running, {} pending",
            s.name, s.running_count, s.desired_count, s.pending_count
        )),
    }
}

/// The outcome of a reconcile that wrote nothing (or after `steps` were written).
pub fn outcome(
    want: &DesiredStack,
    planned: &Planned,
    bindings: &Bindings,
    observed: &Observed,
    paused: bool,
) -> Outcome {
    if let Some((reason, message)) = &planned.blocked {
        return Outcome::stalled(reason, message.clone());
    }
    if let Some(o @ Outcome::Stalled { .. }) = bindings.outcome() {
        return o;
    }
    if let Some((service, message)) = planned.rolled_back.first() {
        return Outcome::stalled(
            reason::DEPLOYMENT_FAILED,
            format!(
                "the rollout of service {service} failed and ECS rolled it back: {message}; change the service (e.g. a fixed image) to roll out again"
            ),
        );
    }
    for s in &want.services {
        if let Some(svc) = observed.services.get(&s.name)
            && let Rollout::Failed(message) = rollout(svc)
        {
            return Outcome::stalled(
                reason::DEPLOYMENT_FAILED,
                format!("the rollout of service {} failed: {message}", s.name),
            );
        }
    }
    if paused {
        let in_sync = planned.steps.is_empty();
        let message = if in_sync {
            "paused (stackwright.io/paused): AWS matches the spec".to_string()
        } else {
            format!("paused (stackwright.io/paused): not writing {}", describe(&planned.steps))
        };
        return Outcome::Paused { in_sync, message };
    }
    if !planned.steps.is_empty() {
        let creating = want.services.iter().any(|s| !observed.services.contains_key(&s.name));
        let reason = if creating { reason::CREATING } else { reason::UPDATING };
        return Outcome::progressing(reason, describe(&planned.steps));
    }
    if let Some(o) = bindings.outcome() {
        return o;
    }
    if let Some(lb) = &observed.load_balancer
        && lb.state == "provisioning"
    {
        return Outcome::progressing(reason::CREATING, format!("load balancer {} is provisioning", lb.name));
    }
    if let Some(waiting) = &planned.network_waiting {
        return Outcome::progressing(reason::CREATING, format!("the network waits: {waiting}"));
    }
    if !planned.waiting.is_empty() {
        return Outcome::progressing(
            reason::CREATING,
            format!("services {} wait for what they need to exist", planned.waiting.join(", ")),
        );
    }
    for s in &want.services {
        match observed.services.get(&s.name).map(rollout) {
            None => return Outcome::progressing(reason::CREATING, format!("creating service {}", s.name)),
            Some(Rollout::InProgress(message)) => return Outcome::progressing(ROLLING_OUT, message),
            Some(_) => {}
        }
    }
    let services = want.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    Outcome::Ready { message: format!("services {services} are running the spec's revision") }
}

/// Reason of a stack whose services are rolling out.
pub const ROLLING_OUT: &str = "RollingOut";

/// A short description of a wave, for messages and logs.
pub fn describe(steps: &[Step]) -> String {
    let mut words: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::CreateCluster => "creating the ECS cluster".into(),
            Step::CreateNamespace => "creating the Cloud Map namespace (Service Connect)".into(),
            Step::DeleteNamespace(_) => "deleting the Cloud Map namespace".into(),
            Step::CreateFileSystem => "creating the EFS file system".into(),
            Step::CreateMountTarget(subnet) => format!("creating an EFS mount target in {subnet}"),
            Step::CreateAccessPoint { service, volume } => {
                format!("creating the access point of volume {volume} of {service}")
            }
            Step::CreateRole(k) => format!("creating the {k:?} role").to_lowercase(),
            Step::CreateSecurityGroup(k) => format!("creating the {k:?} security group").to_lowercase(),
            Step::CreateLogGroup(s) => format!("creating the log group of {s}"),
            Step::CreateTargetGroup(s) => format!("creating the target group of {s}"),
            Step::CreateLoadBalancer => "creating the load balancer".into(),
            Step::CreateListener(l) => format!("creating the :{} listener", l.port),
            Step::CreateRule(s) => format!("creating the listener rule of {s}"),
            Step::CreateService { service, .. } => format!("creating service {service}"),
            Step::Roll { service, .. } => format!("rolling out a new revision of {service}"),
            Step::UpdateService(s, _) => format!("updating service {s}"),
            Step::RegisterScalableTarget(s) => format!("registering the scalable target of {s}"),
            Step::PutScalingPolicy(s, m) => format!("setting the {m:?} scaling policy of {s}").to_lowercase(),
            Step::DeleteService(s) => format!("deleting service {s} (no longer in the spec)"),
            Step::Network(n) => format!("network: {}", split_camel(n.operation())),
            other => {
                let debug = format!("{other:?}");
                let word = debug.split(['(', ' ', '{']).next().unwrap_or_default().to_string();
                split_camel(&word)
            }
        })
        .collect();
    words.dedup();
    words.join(", ")
}

fn split_camel(word: &str) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Each service as ECS reports it: the spec's, then those taken out of it (`removed`) while
/// anything of theirs is left (so the next reconcile still knows to delete it).
pub fn service_statuses(
    want: &DesiredStack,
    observed: &Observed,
    removed: &[String],
    id: &stackwright_api::naming::ObjectIdentity,
) -> Vec<ServiceStatus> {
    let mut out: Vec<ServiceStatus> = want
        .services
        .iter()
        .filter_map(|s| observed.services.get(&s.name))
        .chain(removed.iter().filter_map(|name| observed.services.get(name)))
        .map(|s| {
            let primary = s.primary();
            ServiceStatus {
                name: s.name.clone(),
                desired_count: s.desired_count,
                running_count: s.running_count,
                pending_count: s.pending_count,
                rollout_state: primary.and_then(|d| d.rollout_state.clone()),
                rollout_state_reason: primary.and_then(|d| d.rollout_state_reason.clone()),
                task_definition_arn: Some(s.task_definition.clone()).filter(|t| !t.is_empty()),
                service_arn: Some(s.arn.clone()),
            }
        })
        .collect();
    for name in removed.iter().filter(|n| !observed.services.contains_key(*n)) {
        // Its log group is found through the inventory; its target group only by its name.
        if observed.target_groups.contains_key(&super::desired::target_group_name(id, name)) {
            out.push(ServiceStatus { name: name.clone(), ..Default::default() });
        }
    }
    out
}

/// The load balancer and URL.
pub fn load_balancer(want: &DesiredStack, observed: &Observed) -> (Option<LoadBalancerStatus>, Option<String>) {
    let Some(lb) = &observed.load_balancer else { return (None, None) };
    let scheme =
        if want.load_balancer.as_ref().is_some_and(|l| l.certificate_arn.is_some()) { "https" } else { "http" };
    (
        Some(LoadBalancerStatus { arn: Some(lb.arn.clone()), dns_name: Some(lb.dns_name.clone()) }),
        Some(format!("{scheme}://{}", lb.dns_name)),
    )
}

/// What Databases and Caches placed in this stack see of its network: for an existing network,
/// known from the spec alone, so they can start before the stack has written anything; for one
/// the stack owns, its VPC and database tier once they exist, with every subnet of the layout.
pub fn network(want: &DesiredStack, owned: Option<(&DesiredNetwork, &ObservedNetwork)>) -> Option<StackNetworkStatus> {
    let Some((net, have)) = owned else {
        return want.network.is_none().then(|| StackNetworkStatus {
            vpc_id: Some(want.vpc_id.clone()),
            data_subnet_ids: want.task_subnets.clone(),
            ..Default::default()
        });
    };
    let vpc = have.vpc.as_ref()?;
    let subnets: Vec<SubnetStatus> = net
        .subnets
        .iter()
        .map(|s| {
            let found = have.subnet(&s.cidr);
            SubnetStatus {
                tier: s.tier.as_str().into(),
                cidr: s.cidr.clone(),
                availability_zone: found.map(|f| f.availability_zone.clone()),
                id: found.map(|f| f.id.clone()),
            }
        })
        .collect();
    let database: Vec<String> = subnets.iter().filter(|s| s.tier == "database").filter_map(|s| s.id.clone()).collect();
    let whole = database.len() == net.zones;
    Some(StackNetworkStatus {
        vpc_id: Some(vpc.id.clone()),
        cidr: Some(vpc.cidr.clone()),
        data_subnet_ids: if whole { database } else { Vec::new() },
        subnets,
    })
}

/// The network's part of the inventory.
pub fn network_inventory(have: &ObservedNetwork, id: &ObjectIdentity) -> Vec<OwnedResource> {
    let mut out = Vec::new();
    if let Some(v) = &have.vpc {
        out.push(entry(Owned::Vpc, &v.id, &v.state));
    }
    let subnets = have.subnets.iter().filter(|s| id.owns(&s.tags));
    out.extend(subnets.map(|s| entry(Owned::Subnet, &s.id, "Available")));
    if let Some(g) = &have.internet_gateway {
        out.push(entry(
            Owned::InternetGateway,
            &g.id,
            if g.attached_vpcs.is_empty() { "Detached" } else { "Attached" },
        ));
    }
    let nats = have.nat_gateways.iter().filter(|n| id.owns(&n.tags));
    out.extend(nats.map(|n| entry(Owned::NatGateway, &n.id, &n.state)));
    for a in have.addresses.iter().flatten() {
        out.push(entry(
            Owned::ElasticIp,
            &a.allocation_id,
            if a.association_id.is_some() { "Associated" } else { "Free" },
        ));
    }
    let tables = have.route_tables.iter().filter(|t| id.owns(&t.tags));
    out.extend(tables.map(|t| entry(Owned::RouteTable, &t.id, "Available")));
    let endpoints = have.endpoints.iter().filter(|e| id.owns(&e.tags));
    out.extend(endpoints.map(|e| entry(Owned::VpcEndpoint, &e.id, &e.state)));
    out
}

/// One line of the inventory.
fn entry(kind: Owned, id: &str, state: &str) -> OwnedResource {
    OwnedResource { kind: kind.kind().into(), id: id.into(), state: state.into() }
}

/// The inventory of what the stack owns, as observed.
pub fn inventory(want: &DesiredStack, observed: &Observed) -> Vec<OwnedResource> {
    let mut out = Vec::new();
    out.push(match &observed.cluster {
        Some(c) => entry(Owned::Cluster, &c.arn, &c.status),
        None => entry(Owned::Cluster, &want.cluster, "Missing"),
    });
    for (name, role) in [(&want.execution_role, &observed.execution_role), (&want.task_role, &observed.task_role)] {
        if let Some(name) = name {
            out.push(match role {
                Some(r) => entry(Owned::Role, &r.role.arn, "Available"),
                None => entry(Owned::Role, name, "Missing"),
            });
        }
    }
    for (name, group) in [
        (want.load_balancer.as_ref().map(|l| &l.security_group), &observed.lb_group),
        (Some(&want.task_security_group), &observed.task_group),
    ] {
        if let Some(name) = name {
            out.push(match group {
                Some(g) => entry(Owned::SecurityGroup, &g.id, "Available"),
                None => entry(Owned::SecurityGroup, name, "Missing"),
            });
        }
    }
    if let Some(lb) = &want.load_balancer {
        out.push(match &observed.load_balancer {
            Some(l) => entry(Owned::LoadBalancer, &l.arn, &l.state),
            None => entry(Owned::LoadBalancer, &lb.name, "Missing"),
        });
        for l in &observed.listeners {
            out.push(entry(Owned::Listener, &l.arn, "Available"));
        }
    }
    for s in &want.services {
        if !observed.log_groups.contains_key(&s.log_group) {
            out.push(entry(Owned::LogGroup, &s.log_group, "Missing"));
        }
        if let Some(e) = s.exposure.as_ref().filter(|e| !observed.target_groups.contains_key(&e.target_group)) {
            out.push(entry(Owned::TargetGroup, &e.target_group, "Missing"));
        }
        match observed.services.get(&s.name) {
            Some(svc) => {
                out.push(entry(Owned::Service, &svc.arn, &svc.status));
                if !svc.task_definition.is_empty() {
                    out.push(entry(Owned::TaskDefinition, &svc.task_definition, "Active"));
                }
            }
            None => out.push(entry(Owned::Service, &s.name, "Missing")),
        }
        if let Some(t) = observed.scalable_targets.get(&s.resource_id) {
            out.push(entry(Owned::ScalableTarget, &t.resource_id, "Registered"));
        }
    }
    // By name: the namespace is looked up by it.
    match (&want.namespace, &observed.namespace) {
        (_, Some(n)) => out.push(entry(Owned::Namespace, &n.namespace.name, "Available")),
        (Some(n), None) => out.push(entry(Owned::Namespace, &n.name, "Missing")),
        (None, None) => {}
    }
    match &observed.storage {
        Some(st) => {
            out.push(entry(Owned::FileSystem, &st.file_system.id, &st.file_system.state));
            out.extend(st.mount_targets.iter().map(|m| entry(Owned::MountTarget, &m.id, &m.state)));
            out.extend(st.access_points.iter().map(|a| entry(Owned::AccessPoint, &a.id, &a.state)));
        }
        None if want.storage.wanted() => out.push(entry(Owned::FileSystem, &want.storage.creation_token, "Missing")),
        None => {}
    }
    // Every group found, wanted or not: one whose service is no longer exposed is looked up
    // through this list until it is deleted.
    for t in observed.target_groups.values() {
        out.push(entry(Owned::TargetGroup, &t.group.arn, "Available"));
    }
    for g in observed.log_groups.values() {
        out.push(entry(Owned::LogGroup, &g.name, "Available"));
    }
    for r in &observed.rules {
        out.push(entry(Owned::ListenerRule, &r.arn, "Available"));
    }
    for p in observed.policies.values() {
        out.push(entry(Owned::ScalingPolicy, p.arn.as_deref().unwrap_or(&p.name), "Available"));
    }
    out
}

#[cfg(test)]
mod tests {
    use stackwright_cloud::ecs::Deployment;

    use super::*;

    fn service(deployments: Vec<Deployment>, running: i32, desired: i32) -> Service {
        Service {
            name: "api".into(),
            desired_count: desired,
            running_count: running,
            deployments,
            ..Default::default()
        }
    }

    fn deployment(status: &str, state: &str, reason: &str) -> Deployment {
        Deployment {
            status: status.into(),
            rollout_state: Some(state.into()),
            rollout_state_reason: Some(reason.into()).filter(|r: &String| !r.is_empty()),
            ..Default::default()
        }
    }

    #[test]
    fn every_ecs_deployment_state_reads_as_a_rollout() {
        assert_eq!(rollout(&service(vec![deployment("PRIMARY", "COMPLETED", "")], 2, 2)), Rollout::Done);
        assert!(matches!(
            rollout(&service(vec![deployment("PRIMARY", "COMPLETED", "")], 1, 2)),
            Rollout::InProgress(_)
        ));
        assert!(
            matches!(rollout(&service(vec![deployment("PRIMARY", "IN_PROGRESS", "")], 0, 1)), Rollout::InProgress(m) if m.contains("0 of 1"))
        );
        let two = vec![deployment("PRIMARY", "COMPLETED", ""), deployment("ACTIVE", "COMPLETED", "")];
        assert!(matches!(rollout(&service(two, 2, 2)), Rollout::InProgress(_)), "the old deployment still drains");
        assert_eq!(
            rollout(&service(
                vec![deployment("PRIMARY", "FAILED", "ECS deployment circuit breaker: tasks failed to start.")],
                0,
                1
            )),
            Rollout::Failed("ECS deployment circuit breaker: tasks failed to start.".into())
        );
        assert!(matches!(rollout(&service(vec![], 0, 1)), Rollout::InProgress(_)));
    }

    #[test]
    fn waves_are_described_in_words() {
        assert_eq!(
            describe(&[Step::CreateCluster, Step::CreateLoadBalancer, Step::SetLoadBalancerAttributes]),
            "creating the ECS cluster, creating the load balancer, set load balancer attributes"
        );
    }
}
