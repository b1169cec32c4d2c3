//! What to do about an AppStack, given what it wants and what AWS has (pure, no I/O).
//!
//! The stack's resources form a closed graph. A resource is created once everything it needs
//! exists: the cluster, roles, security groups, log groups and target groups need only the VPC;
//! the load balancer needs its security group; listeners need the load balancer; rules need the
//! listener and the target group; a service needs the cluster, its log group, the task security
//! group, the roles and — when exposed — its rule (ECS refuses a target group no load balancer
//! uses); scaling needs the service. Each reconcile writes every step whose needs are met: one
//! dependency wave. Existing resources that drifted are set back in the same wave.

use std::collections::{BTreeMap, BTreeSet};

use stackwright_api::conditions::reason;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::autoscaling::{Metric, ScalableTarget, ScalingPolicy};
use stackwright_cloud::ec2::{IngressRule, SecurityGroup, Source};
use stackwright_cloud::ecs::{
    Cluster, LoadBalancerAttachment, NetworkConfiguration, NewTaskDefinition, Service, ServiceConnect, ServiceUpdate,
};
use stackwright_cloud::elbv2::{Action, Listener, ListenerSettings, LoadBalancer, Rule, TargetGroup};
use stackwright_cloud::iam::Role;
use stackwright_cloud::logs::LogGroup;
use stackwright_cloud::servicediscovery::Namespace;

use super::desired::{DesiredService, DesiredStack, ROLLED_OUT_TAG, TLS_POLICY};
use super::network::plan::{NetStep, NetworkPlan};
use super::policies::same_document;
use super::storage::{NFS_PORT, ObservedStorage, plan_storage};
use super::taskdef::{Revision, revision};
use crate::supporting::{name_conflict_message, rule_changes};

/// A role the stack owns and its inline policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRole {
    pub role: Role,
    pub policy: Option<String>,
}

/// A target group with what is read of it besides DescribeTargetGroups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedTargetGroup {
    pub group: TargetGroup,
    /// None when not read (the resync reads no attributes).
    pub attributes: Option<BTreeMap<String, String>>,
}

/// The stack's Cloud Map namespace with its tags (None when not read: a resync reads none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedNamespace {
    pub namespace: Namespace,
    pub tags: Option<BTreeMap<String, String>>,
}

/// What is known of the revisions of one service's family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revisions {
    /// The content hash of the revision the PRIMARY deployment runs (None: not ours, or unknown).
    pub running: Option<String>,
    /// The newest ACTIVE revision of the family: (content hash, ARN), read only when the service
    /// does not run the wanted content.
    pub newest: Option<(String, String)>,
}

/// What AWS has of a stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub cluster: Option<Cluster>,
    pub execution_role: Option<ObservedRole>,
    pub task_role: Option<ObservedRole>,
    pub lb_group: Option<SecurityGroup>,
    pub task_group: Option<SecurityGroup>,
    /// By name; tags None when read by the listing.
    pub log_groups: BTreeMap<String, LogGroup>,
    pub load_balancer: Option<LoadBalancer>,
    /// None when not read.
    pub lb_attributes: Option<BTreeMap<String, String>>,
    pub listeners: Vec<Listener>,
    /// The rules of the listener that carries them.
    pub rules: Vec<Rule>,
    /// Rules on the stack's other listener (:80 beside HTTPS, which only redirects).
    pub stray_rules: Vec<Rule>,
    /// By name.
    pub target_groups: BTreeMap<String, ObservedTargetGroup>,
    /// ELBv2 tags by ARN (load balancer and target groups); None when not read.
    pub elb_tags: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Services by name, not INACTIVE.
    pub services: BTreeMap<String, Service>,
    /// By service name.
    pub revisions: BTreeMap<String, Revisions>,
    /// By resource id.
    pub scalable_targets: BTreeMap<String, ScalableTarget>,
    /// By policy name.
    pub policies: BTreeMap<String, ScalingPolicy>,
    /// Looked for when the stack wants one or its inventory lists one.
    pub namespace: Option<ObservedNamespace>,
    /// The EFS file system, looked for when a service has volumes or the inventory lists one.
    pub storage: Option<ObservedStorage>,
}

/// The roles of a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleKind {
    Execution,
    Task,
}

/// The security groups of a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    LoadBalancer,
    Tasks,
}

/// One write.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    CreateCluster,
    /// Start creating the Cloud Map namespace (it is listed once Cloud Map has made it).
    CreateNamespace,
    /// The Cloud Map services ECS left in the namespace, then the namespace (by id).
    DeleteNamespace(String),
    CreateFileSystem,
    /// A mount target in this task subnet (the first of its zone), in the task security group.
    CreateMountTarget(String),
    CreateAccessPoint {
        service: String,
        volume: String,
    },
    DeleteMountTarget(String),
    DeleteAccessPoint(String),
    DeleteFileSystem(String),
    CreateRole(RoleKind),
    PutRolePolicy(RoleKind, String),
    DeleteRolePolicy(RoleKind),
    CreateSecurityGroup(GroupKind),
    AuthorizeIngress(GroupKind, Vec<IngressRule>),
    RevokeIngress(GroupKind, Vec<IngressRule>),
    CreateLogGroup(String),
    SetRetention(String, i32),
    CreateTargetGroup(String),
    ModifyHealthCheck(String),
    SetTargetGroupAttributes(String),
    CreateLoadBalancer,
    /// No service is exposed any more: the load balancer goes (its listeners and rules with it),
    /// then its security group.
    DeleteLoadBalancer(String),
    DeleteSecurityGroup(String),
    SetLoadBalancerAttributes,
    SetLoadBalancerSecurityGroups(Vec<String>),
    CreateListener(ListenerSettings),
    ModifyListener(String, ListenerSettings),
    /// A listener on a port the stack no longer listens on (:443 without a certificate); its
    /// rules go with it.
    DeleteListener(String),
    DeleteRule(String),
    SetRulePriorities(Vec<(String, i32)>),
    ModifyRule(String, String),
    CreateRule(String),
    /// Register the service's task definition (unless `reuse` names a revision with its
    /// content), then create the service on it.
    CreateService {
        service: String,
        reuse: Option<String>,
    },
    /// Register (unless reused) and roll the service to it, with `update`'s other changes; then
    /// tag the service with the content hash rolled out.
    Roll {
        service: String,
        reuse: Option<String>,
        update: Box<ServiceUpdate>,
    },
    UpdateService(String, Box<ServiceUpdate>),
    RegisterScalableTarget(String),
    PutScalingPolicy(String, Metric),
    DeleteScalingPolicy {
        name: String,
        resource_id: String,
    },
    DeregisterScalableTarget(String),
    /// A service no longer in the spec (its scaling goes with it).
    DeleteService(String),
    DeleteTargetGroup(String),
    DeleteLogGroup(String),
    /// Deletion of the stack: a role with its policies.
    DeleteRole(RoleKind),
    /// Deletion of the stack: every revision of a family.
    DeregisterTaskDefinitions(String),
    DeleteCluster,
    /// Put the ownership tags (and spec.tags) on an adopted resource.
    Tag(Owned, String),
    /// A write to the network the stack owns.
    Network(NetStep),
}

impl Step {
    /// Whether the step writes a setting a resync does not read (attributes, tags): what the
    /// stack's waves read of those settings is read again after it.
    pub fn writes_settings(&self) -> bool {
        matches!(
            self,
            Step::SetTargetGroupAttributes(_)
                | Step::SetLoadBalancerAttributes
                | Step::Tag(..)
                | Step::Network(NetStep::EnableDnsHostnames(_))
        )
    }
}

/// The kinds of resources a stack owns, for messages, tags and the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owned {
    Cluster,
    Role,
    SecurityGroup,
    LogGroup,
    LoadBalancer,
    Listener,
    TargetGroup,
    ListenerRule,
    TaskDefinition,
    Service,
    ScalableTarget,
    ScalingPolicy,
    Vpc,
    Subnet,
    InternetGateway,
    NatGateway,
    ElasticIp,
    RouteTable,
    VpcEndpoint,
    Namespace,
    FileSystem,
    MountTarget,
    AccessPoint,
}

impl Owned {
    pub fn kind(self) -> &'static str {
        match self {
            Owned::Cluster => "ecs:Cluster",
            Owned::Role => "iam:Role",
            Owned::SecurityGroup => "ec2:SecurityGroup",
            Owned::LogGroup => "logs:LogGroup",
            Owned::LoadBalancer => "elbv2:LoadBalancer",
            Owned::Listener => "elbv2:Listener",
            Owned::TargetGroup => "elbv2:TargetGroup",
            Owned::ListenerRule => "elbv2:ListenerRule",
            Owned::TaskDefinition => "ecs:TaskDefinition",
            Owned::Service => "ecs:Service",
            Owned::ScalableTarget => "application-autoscaling:ScalableTarget",
            Owned::ScalingPolicy => "application-autoscaling:ScalingPolicy",
            Owned::Vpc => "ec2:Vpc",
            Owned::Subnet => "ec2:Subnet",
            Owned::InternetGateway => "ec2:InternetGateway",
            Owned::NatGateway => "ec2:NatGateway",
            Owned::ElasticIp => "ec2:ElasticIp",
            Owned::RouteTable => "ec2:RouteTable",
            Owned::VpcEndpoint => "ec2:VpcEndpoint",
            Owned::Namespace => "servicediscovery:Namespace",
            Owned::FileSystem => "efs:FileSystem",
            Owned::MountTarget => "efs:MountTarget",
            Owned::AccessPoint => "efs:AccessPoint",
        }
    }
}

/// What the plan needs besides the spec and AWS: the stack's rendered task definitions and
/// policy documents (they depend on the roles' ARNs and the bindings).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    /// By service name; None while the bindings are not all Ready.
    pub task_definitions: Option<BTreeMap<String, NewTaskDefinition>>,
    /// The execution role's policy, once its ARN (and so the account) is known.
    pub execution_policy: Option<String>,
    pub task_policy: Option<String>,
}

/// The verdict on one stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Planned {
    /// Progress needs a person (nothing is written).
    pub blocked: Option<(&'static str, String)>,
    /// One wave of writes, in order.
    pub steps: Vec<Step>,
    /// Services whose wanted revision ECS rolled back: (service, ECS's message).
    pub rolled_back: Vec<(String, String)>,
    /// Services not written because something they need is not there yet.
    pub waiting: Vec<String>,
    /// What the network the stack owns waits for (a NAT gateway still pending).
    pub network_waiting: Option<String>,
}

impl Planned {
    fn blocked(reason: &'static str, message: String) -> Self {
        Planned { blocked: Some((reason, message)), ..Default::default() }
    }

    /// Puts the network's wave first (its verdict wins when it needs a person).
    pub fn with_network(mut self, network: NetworkPlan) -> Self {
        if let Some(message) = network.blocked {
            return Planned::blocked(reason::INVALID_SPEC, message);
        }
        let mut steps: Vec<Step> = network.steps.into_iter().map(Step::Network).collect();
        steps.append(&mut self.steps);
        self.steps = steps;
        self.network_waiting = network.waiting;
        self
    }
}

/// Decides one wave. `removed` are services the stack had (its status lists them) that the spec
/// no longer has; `adopt` whether resources without our tags may be taken over.
pub fn plan(
    want: &DesiredStack,
    rendered: &Rendered,
    observed: &Observed,
    removed: &[String],
    id: &ObjectIdentity,
    adopt: bool,
) -> Planned {
    let mut tags = Vec::new();
    if let Some(blocked) = conflicts(want, observed, id, adopt, &mut tags) {
        return blocked;
    }
    let mut steps = tags;
    let mut rolled_back = Vec::new();
    let mut waiting = Vec::new();

    if observed.cluster.is_none() {
        steps.push(Step::CreateCluster);
    }
    match (&want.namespace, &observed.namespace) {
        (Some(_), None) => steps.push(Step::CreateNamespace),
        // Service Connect turned off: the namespace goes once no service is in it any more.
        (None, Some(ns))
            if ns.tags.as_ref().is_some_and(|t| id.owns(t))
                && observed.services.values().all(|s| !s.service_connect.enabled) =>
        {
            steps.push(Step::DeleteNamespace(ns.namespace.id.clone()));
        }
        _ => {}
    }
    let namespace_arn = observed.namespace.as_ref().map(|n| n.namespace.arn.as_str());
    match plan_storage(want, observed.storage.as_ref(), observed.task_group.as_ref().map(|g| g.id.as_str())) {
        Ok(storage) => steps.extend(storage),
        Err((reason, message)) => return Planned::blocked(reason, message),
    }
    for (kind, name, observed_role, policy) in [
        (RoleKind::Execution, &want.execution_role, &observed.execution_role, &rendered.execution_policy),
        (RoleKind::Task, &want.task_role, &observed.task_role, &rendered.task_policy),
    ] {
        if name.is_none() {
            continue;
        }
        match (observed_role, policy) {
            (None, _) => steps.push(Step::CreateRole(kind)),
            (Some(r), Some(doc)) if !r.policy.as_deref().is_some_and(|have| same_document(have, doc)) => {
                steps.push(Step::PutRolePolicy(kind, doc.clone()));
            }
            (Some(r), None) if kind == RoleKind::Task && r.policy.is_some() => steps.push(Step::DeleteRolePolicy(kind)),
            _ => {}
        }
    }

    // Security groups: the load balancer's admits allowedCidrs on the listener ports; the tasks'
    // admit each exposed port from the load balancer's group only.
    if let Some(lb) = &want.load_balancer {
        match &observed.lb_group {
            None => steps.push(Step::CreateSecurityGroup(GroupKind::LoadBalancer)),
            Some(g) => {
                let wanted: BTreeSet<IngressRule> = lb
                    .ports()
                    .into_iter()
                    .flat_map(|port| {
                        lb.allowed_cidrs.iter().map(move |cidr| IngressRule {
                            protocol: "tcp".into(),
                            from_port: port,
                            to_port: port,
                            source: Source::Cidr(cidr.clone()),
                            description: Some("stackwright: load balancer listeners".into()),
                        })
                    })
                    .collect();
                let changes = rule_changes(&wanted, &g.ingress);
                if !changes.revoke.is_empty() {
                    steps.push(Step::RevokeIngress(GroupKind::LoadBalancer, changes.revoke));
                }
                if !changes.authorize.is_empty() {
                    steps.push(Step::AuthorizeIngress(GroupKind::LoadBalancer, changes.authorize));
                }
            }
        }
    }
    // The tasks' group admits each exposed port from the load balancer's group, and — with
    // Service Connect — each service's port from the stack's own tasks.
    match &observed.task_group {
        None => steps.push(Step::CreateSecurityGroup(GroupKind::Tasks)),
        Some(g) => {
            let lb_group = observed.lb_group.as_ref().map(|g| g.id.clone());
            let ports: BTreeSet<i32> =
                want.services.iter().filter_map(|s| s.exposure.as_ref().map(|e| e.port)).collect();
            let mut wanted: BTreeSet<IngressRule> = BTreeSet::new();
            if want.namespace.is_some() {
                wanted.extend(want.services.iter().filter_map(|s| s.spec.port).map(|port| {
                    IngressRule::tcp_from_group(port, &g.id, Some("stackwright: the stack's own services"))
                }));
            }
            // The mount targets sit in this group: NFS from the stack's tasks only.
            if want.storage.wanted() {
                wanted.insert(IngressRule::tcp_from_group(NFS_PORT, &g.id, Some("stackwright: EFS mount targets")));
            }
            match lb_group {
                Some(lb_group) if want.load_balancer.is_some() => {
                    wanted.extend(ports.iter().map(|port| {
                        IngressRule::tcp_from_group(*port, &lb_group, Some("stackwright: the stack's load balancer"))
                    }));
                    push_rule_changes(&mut steps, GroupKind::Tasks, &wanted, &g.ingress);
                }
                _ if want.load_balancer.is_none() => {
                    push_rule_changes(&mut steps, GroupKind::Tasks, &wanted, &g.ingress);
                }
                // The load balancer's group is not there yet: only add, never revoke its rules.
                _ => {
                    let missing: Vec<IngressRule> = rule_changes(&wanted, &g.ingress).authorize.into_iter().collect();
                    if !missing.is_empty() {
                        steps.push(Step::AuthorizeIngress(GroupKind::Tasks, missing));
                    }
                }
            }
        }
    }

    for s in &want.services {
        match observed.log_groups.get(&s.log_group) {
            None => steps.push(Step::CreateLogGroup(s.name.clone())),
            Some(g) if g.retention_days != Some(s.log_retention_days) => {
                steps.push(Step::SetRetention(s.name.clone(), s.log_retention_days));
            }
            Some(_) => {}
        }
    }

    // Load balancer, target groups, listeners, rules.
    let lb_attr = want.load_balancer.as_ref();
    for s in &want.services {
        let Some(e) = &s.exposure else { continue };
        match observed.target_groups.get(&e.target_group) {
            None => steps.push(Step::CreateTargetGroup(s.name.clone())),
            Some(tg) => {
                if tg.group.port != e.port || tg.group.vpc_id != want.vpc_id {
                    return Planned::blocked(
                        reason::INVALID_SPEC,
                        format!(
                            "target group {} forwards to port {} in {}; ELB cannot change a target group's port or VPC in place: remove expose from service {}, let the stack converge, then add it back with the new port",
                            tg.group.name, tg.group.port, tg.group.vpc_id, s.name
                        ),
                    );
                }
                if tg.group.health_check != e.health_check {
                    steps.push(Step::ModifyHealthCheck(s.name.clone()));
                }
                if let (Some(have), Some(lb)) = (&tg.attributes, lb_attr)
                    && lb.target_group_attributes().iter().any(|(k, v)| have.get(k) != Some(v))
                {
                    steps.push(Step::SetTargetGroupAttributes(s.name.clone()));
                }
            }
        }
    }
    if let Some(lb) = &want.load_balancer {
        match (&observed.load_balancer, &observed.lb_group) {
            (None, Some(_)) => steps.push(Step::CreateLoadBalancer),
            (None, None) => {}
            (Some(have), group) => {
                if have.scheme != lb.scheme {
                    return Planned::blocked(
                        reason::INVALID_SPEC,
                        format!(
                            "load balancer {} is {}; ELB cannot change the scheme of a load balancer: delete and recreate the stack, or set loadBalancer.scheme back to {}",
                            have.name, have.scheme, have.scheme
                        ),
                    );
                }
                if let Some(attrs) = &observed.lb_attributes
                    && lb.load_balancer_attributes().iter().any(|(k, v)| attrs.get(k) != Some(v))
                {
                    steps.push(Step::SetLoadBalancerAttributes);
                }
                if let Some(g) = group
                    && have.security_group_ids != [g.id.clone()]
                {
                    steps.push(Step::SetLoadBalancerSecurityGroups(vec![g.id.clone()]));
                }
                for port in lb.ports() {
                    let wanted = listener_settings(lb.certificate_arn.as_deref(), port);
                    match observed.listeners.iter().find(|l| l.port == port) {
                        None => steps.push(Step::CreateListener(wanted)),
                        Some(l) if !same_listener(l, &wanted) => {
                            steps.push(Step::ModifyListener(l.arn.clone(), wanted))
                        }
                        Some(_) => {}
                    }
                }
                for l in observed.listeners.iter().filter(|l| !lb.ports().contains(&l.port)) {
                    steps.push(Step::DeleteListener(l.arn.clone()));
                }
                plan_rules(want, observed, &mut steps);
                // Once the listener that carries the rules has them, none is left elsewhere.
                if observed.listeners.iter().any(|l| l.port == lb.rules_port()) {
                    steps.extend(observed.stray_rules.iter().map(|r| Step::DeleteRule(r.arn.clone())));
                }
            }
        }
    }

    if want.load_balancer.is_none() {
        match (&observed.load_balancer, &observed.lb_group) {
            (Some(lb), _) => steps.push(Step::DeleteLoadBalancer(lb.arn.clone())),
            (None, Some(g)) => {
                let referenced = observed
                    .task_group
                    .as_ref()
                    .is_some_and(|t| t.ingress.iter().any(|r| r.source == Source::SecurityGroup(g.id.clone())));
                if !referenced {
                    steps.push(Step::DeleteSecurityGroup(g.id.clone()));
                }
            }
            (None, None) => {}
        }
    }

    // Services and their scaling.
    let roles_ready = want.execution_role.is_none() || observed.execution_role.is_some();
    let task_roles_ready = want.task_role.is_none() || observed.task_role.is_some();
    for s in &want.services {
        let have = observed.services.get(&s.name);
        if s.exposure.is_none()
            && let Some(tg) = observed.target_groups.get(&super::desired::target_group_name(id, &s.name))
            && !routed(observed, &tg.group.arn)
            && observed.services.get(&s.name).is_none_or(|svc| svc.load_balancers.is_empty())
        {
            steps.push(Step::DeleteTargetGroup(tg.group.arn.clone()));
        }
        let Some(defs) = &rendered.task_definitions else {
            if have.is_none() {
                waiting.push(s.name.clone());
            }
            continue;
        };
        // Not rendered: what its volumes need is not available yet.
        let Some(def) = defs.get(&s.name) else {
            if have.is_none() {
                waiting.push(s.name.clone());
            }
            continue;
        };
        let wanted_hash = def.tags.get(super::desired::CONTENT_HASH_TAG).cloned().unwrap_or_default();
        let revisions = observed.revisions.get(&s.name).cloned().unwrap_or_default();
        let attachment = attachment(s, observed);
        let network = NetworkConfiguration {
            subnet_ids: want.task_subnets.clone(),
            security_group_ids: observed.task_group.iter().map(|g| g.id.clone()).collect(),
            assign_public_ip: want.assign_public_ip,
        };
        match have {
            None => {
                let ready = want.network_whole
                    && observed.cluster.is_some()
                    && observed.log_groups.contains_key(&s.log_group)
                    && observed.task_group.is_some()
                    && roles_ready
                    && task_roles_ready
                    && (want.namespace.is_none() || namespace_arn.is_some())
                    && (s.exposure.is_none() || attachment.is_some());
                if ready {
                    let reuse = revisions.newest.filter(|(h, _)| *h == wanted_hash).map(|(_, arn)| arn);
                    steps.push(Step::CreateService { service: s.name.clone(), reuse });
                } else {
                    waiting.push(s.name.clone());
                }
            }
            Some(svc) => {
                let connect = want.service_connect(s, namespace_arn);
                let update = service_update(s, svc, &network, attachment.as_ref(), connect.as_ref());
                // The circuit breaker rolled back: the PRIMARY says so while the rollback runs,
                // the service's events after it has completed.
                let rollback = svc
                    .primary()
                    .and_then(|d| d.rollout_state_reason.as_deref())
                    .into_iter()
                    .chain(svc.events.iter().map(String::as_str))
                    .find(|r| r.contains("rolling back"));
                let decision = revision(
                    &wanted_hash,
                    revisions.running.as_deref(),
                    revisions.newest.as_ref().map(|(h, a)| (h.as_str(), a.as_str())),
                    svc.tags.get(ROLLED_OUT_TAG).map(String::as_str),
                    rollback,
                );
                match decision {
                    Revision::Current => {
                        if !update.is_empty() {
                            steps.push(Step::UpdateService(s.name.clone(), Box::new(update)));
                        } else if svc.tags.get(ROLLED_OUT_TAG) != Some(&wanted_hash) {
                            // Rolled out before a crash cut the tagging short.
                            steps.push(Step::Tag(Owned::Service, s.name.clone()));
                        }
                    }
                    Revision::Roll { reuse } => {
                        steps.push(Step::Roll { service: s.name.clone(), reuse, update: Box::new(update) });
                    }
                    Revision::RolledBack { message } => {
                        rolled_back.push((s.name.clone(), message));
                        if !update.is_empty() {
                            steps.push(Step::UpdateService(s.name.clone(), Box::new(update)));
                        }
                    }
                }
                plan_scaling(s, observed, &mut steps);
            }
        }
    }
    // A service taken out of the spec goes first; its target group (once no rule and no service
    // uses it) and its log group after.
    for name in removed {
        if observed.services.contains_key(name) {
            steps.push(Step::DeleteService(name.clone()));
            continue;
        }
        if let Some(tg) = observed.target_groups.get(&super::desired::target_group_name(id, name))
            && !routed(observed, &tg.group.arn)
        {
            steps.push(Step::DeleteTargetGroup(tg.group.arn.clone()));
        }
    }
    // Log groups no service writes to any more (a service gone, a group renamed), once the
    // services that wrote to them are gone; only those read with our tags.
    if removed.iter().all(|n| !observed.services.contains_key(n)) {
        let wanted: BTreeSet<&String> = want.services.iter().map(|s| &s.log_group).collect();
        for g in observed.log_groups.values() {
            if !wanted.contains(&g.name) && g.tags.as_ref().is_some_and(|t| id.owns(t)) {
                steps.push(Step::DeleteLogGroup(g.name.clone()));
            }
        }
    }
    Planned { blocked: None, steps, rolled_back, waiting, network_waiting: None }
}

/// Whether a listener rule forwards to the target group `arn`.
fn routed(observed: &Observed, arn: &str) -> bool {
    observed
        .rules
        .iter()
        .any(|r| matches!(&r.action, Some(Action::Forward { target_group_arn }) if target_group_arn == arn))
}

fn push_rule_changes(steps: &mut Vec<Step>, group: GroupKind, wanted: &BTreeSet<IngressRule>, have: &[IngressRule]) {
    let changes = rule_changes(wanted, have);
    if !changes.revoke.is_empty() {
        steps.push(Step::RevokeIngress(group, changes.revoke));
    }
    if !changes.authorize.is_empty() {
        steps.push(Step::AuthorizeIngress(group, changes.authorize));
    }
}

/// The 404 every request gets that no rule matches.
pub fn not_found() -> Action {
    Action::FixedResponse { status_code: "404".into(), content_type: "text/plain".into(), body: "Not Found".into() }
}

/// The listener on `port`: without a certificate, HTTP :80 answering 404 where no rule matches;
/// with one, HTTPS :443 so, and :80 redirecting to it.
pub fn listener_settings(certificate_arn: Option<&str>, port: i32) -> ListenerSettings {
    match (certificate_arn, port) {
        (Some(cert), 443) => ListenerSettings {
            port,
            protocol: "HTTPS".into(),
            certificate_arn: Some(cert.to_string()),
            ssl_policy: Some(TLS_POLICY.into()),
            default_action: not_found(),
        },
        (Some(_), _) => ListenerSettings {
            port,
            protocol: "HTTP".into(),
            certificate_arn: None,
            ssl_policy: None,
            default_action: Action::Redirect {
                protocol: "HTTPS".into(),
                port: "443".into(),
                status_code: "HTTP_301".into(),
            },
        },
        (None, _) => ListenerSettings {
            port,
            protocol: "HTTP".into(),
            certificate_arn: None,
            ssl_policy: None,
            default_action: not_found(),
        },
    }
}

fn same_listener(have: &Listener, want: &ListenerSettings) -> bool {
    have.protocol == want.protocol
        && have.certificate_arn == want.certificate_arn
        && (want.ssl_policy.is_none() || have.ssl_policy == want.ssl_policy)
        && have.default_action.as_ref() == Some(&want.default_action)
}

/// The rules of the listener that carries them: one per exposed service whose target group
/// exists, at its priority; rules forwarding elsewhere are deleted.
fn plan_rules(want: &DesiredStack, observed: &Observed, steps: &mut Vec<Step>) {
    let Some(lb) = &want.load_balancer else { return };
    if !observed.listeners.iter().any(|l| l.port == lb.rules_port()) {
        return;
    }
    let mut wanted_by_arn: BTreeMap<&str, &DesiredService> = BTreeMap::new();
    for s in &want.services {
        if let Some(e) = &s.exposure
            && let Some(tg) = observed.target_groups.get(&e.target_group)
        {
            wanted_by_arn.insert(tg.group.arn.as_str(), s);
        }
    }
    let forwards_to = |r: &Rule| match &r.action {
        Some(Action::Forward { target_group_arn }) => Some(target_group_arn.clone()),
        _ => None,
    };
    let mut kept: BTreeSet<String> = BTreeSet::new();
    let mut priorities = Vec::new();
    for r in &observed.rules {
        let target = forwards_to(r);
        let Some(s) = target.as_deref().and_then(|t| wanted_by_arn.get(t)) else {
            steps.push(Step::DeleteRule(r.arn.clone()));
            continue;
        };
        if !kept.insert(s.name.clone()) {
            steps.push(Step::DeleteRule(r.arn.clone()));
            continue;
        }
        let Some(e) = &s.exposure else { continue };
        if r.conditions != e.conditions {
            steps.push(Step::ModifyRule(s.name.clone(), r.arn.clone()));
        }
        if r.priority != e.priority {
            priorities.push((r.arn.clone(), e.priority));
        }
    }
    if !priorities.is_empty() {
        steps.push(Step::SetRulePriorities(priorities));
    }
    for s in wanted_by_arn.values() {
        if !kept.contains(&s.name) {
            steps.push(Step::CreateRule(s.name.clone()));
        }
    }
}

/// The load balancer attachment of an exposed service, once its rule routes to its target group.
pub(crate) fn attachment(s: &DesiredService, observed: &Observed) -> Option<LoadBalancerAttachment> {
    let e = s.exposure.as_ref()?;
    let tg = observed.target_groups.get(&e.target_group)?;
    let routed = observed
        .rules
        .iter()
        .any(|r| matches!(&r.action, Some(Action::Forward { target_group_arn }) if *target_group_arn == tg.group.arn));
    routed.then(|| LoadBalancerAttachment {
        target_group_arn: tg.group.arn.clone(),
        container_name: s.name.clone(),
        container_port: e.port,
    })
}

/// What to change on an existing service besides its task definition.
fn service_update(
    s: &DesiredService,
    have: &Service,
    network: &NetworkConfiguration,
    attachment: Option<&LoadBalancerAttachment>,
    connect: Option<&ServiceConnect>,
) -> ServiceUpdate {
    let mut u = ServiceUpdate::default();
    // None: wanted, but the namespace is not there yet.
    if let Some(connect) = connect
        && have.service_connect != *connect
    {
        u.service_connect = Some(connect.clone());
    }
    if let Some(count) = s.desired_count
        && have.desired_count != count
    {
        u.desired_count = Some(count);
    }
    if have.capacity_provider.as_deref() != Some(s.capacity_provider) {
        u.capacity_provider = Some(s.capacity_provider.to_string());
    }
    if have.deployment_configuration != s.deployment {
        u.deployment_configuration = Some(s.deployment.clone());
    }
    if s.grace_period.is_some() && have.health_check_grace_period_seconds != s.grace_period {
        u.health_check_grace_period_seconds = s.grace_period;
    }
    let same_set = |a: &[String], b: &[String]| a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>();
    if !network.security_group_ids.is_empty()
        && (!same_set(&have.network.subnet_ids, &network.subnet_ids)
            || !same_set(&have.network.security_group_ids, &network.security_group_ids)
            || have.network.assign_public_ip != network.assign_public_ip)
    {
        u.network = Some(network.clone());
    }
    let wanted: Vec<LoadBalancerAttachment> = attachment.cloned().into_iter().collect();
    if (s.exposure.is_none() || attachment.is_some()) && have.load_balancers != wanted {
        u.load_balancers = Some(wanted);
    }
    u
}

/// Scalable target and policies of an existing service.
fn plan_scaling(s: &DesiredService, observed: &Observed, steps: &mut Vec<Step>) {
    let target = observed.scalable_targets.get(&s.resource_id);
    let Some(scaling) = &s.scaling else {
        if target.is_some() {
            steps.push(Step::DeregisterScalableTarget(s.name.clone()));
        }
        return;
    };
    match target {
        None => {
            steps.push(Step::RegisterScalableTarget(s.name.clone()));
            return;
        }
        Some(t) if t.min_capacity != scaling.min || t.max_capacity != scaling.max => {
            steps.push(Step::RegisterScalableTarget(s.name.clone()));
        }
        Some(_) => {}
    }
    for (metric, (name, wanted)) in &scaling.policies {
        let have = observed.policies.get(name);
        match (wanted, have) {
            (Some(_), None) => {
                if *metric != Metric::RequestsPerTarget || resource_label(s, observed).is_some() {
                    steps.push(Step::PutScalingPolicy(s.name.clone(), *metric));
                }
            }
            (Some(w), Some(h)) => {
                let label = if *metric == Metric::RequestsPerTarget { resource_label(s, observed) } else { None };
                let differs = h.target_value != w.target_value
                    || h.scale_in_cooldown_seconds != w.scale_in_cooldown_seconds
                    || h.scale_out_cooldown_seconds != w.scale_out_cooldown_seconds
                    || h.metric != w.metric
                    || h.resource_label != label;
                if differs {
                    steps.push(Step::PutScalingPolicy(s.name.clone(), *metric));
                }
            }
            (None, Some(_)) => {
                steps.push(Step::DeleteScalingPolicy { name: name.clone(), resource_id: s.resource_id.clone() })
            }
            (None, None) => {}
        }
    }
}

/// `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`: what ALBRequestCountPerTarget counts.
pub fn resource_label(s: &DesiredService, observed: &Observed) -> Option<String> {
    let lb = observed.load_balancer.as_ref()?;
    let tg = observed.target_groups.get(&s.exposure.as_ref()?.target_group)?;
    let lb_part = lb.arn.split_once(":loadbalancer/")?.1;
    let tg_part = tg.group.arn.rsplit_once(':')?.1;
    Some(format!("{lb_part}/{tg_part}"))
}

/// A resource under one of the stack's names that is not the stack's: NameConflict, or with
/// adoption a Tag step for it.
fn conflicts(
    want: &DesiredStack,
    observed: &Observed,
    id: &ObjectIdentity,
    adopt: bool,
    tags: &mut Vec<Step>,
) -> Option<Planned> {
    type Found<'a> = (Owned, String, String, Option<&'a BTreeMap<String, String>>);
    let mut found: Vec<Found<'_>> = Vec::new();
    if let Some(c) = &observed.cluster {
        found.push((Owned::Cluster, c.name.clone(), c.name.clone(), Some(&c.tags)));
    }
    for r in [&observed.execution_role, &observed.task_role].into_iter().flatten() {
        found.push((Owned::Role, r.role.name.clone(), r.role.name.clone(), Some(&r.role.tags)));
    }
    for g in [&observed.lb_group, &observed.task_group].into_iter().flatten() {
        found.push((Owned::SecurityGroup, g.name.clone(), g.id.clone(), Some(&g.tags)));
    }
    for g in observed.log_groups.values() {
        found.push((Owned::LogGroup, g.name.clone(), g.arn.clone(), g.tags.as_ref()));
    }
    if let Some(ns) = &observed.namespace {
        found.push((Owned::Namespace, ns.namespace.name.clone(), ns.namespace.arn.clone(), ns.tags.as_ref()));
    }
    if let Some(st) = &observed.storage {
        let fs = &st.file_system;
        found.push((Owned::FileSystem, fs.creation_token.clone(), fs.id.clone(), Some(&fs.tags)));
    }
    if let Some(tags_by_arn) = &observed.elb_tags {
        if let Some(lb) = &observed.load_balancer {
            found.push((Owned::LoadBalancer, lb.name.clone(), lb.arn.clone(), tags_by_arn.get(&lb.arn)));
        }
        for tg in observed.target_groups.values() {
            found.push((
                Owned::TargetGroup,
                tg.group.name.clone(),
                tg.group.arn.clone(),
                tags_by_arn.get(&tg.group.arn),
            ));
        }
    }
    for (kind, name, handle, t) in found {
        let Some(t) = t else { continue };
        if id.owns(t) && want.tags.iter().all(|(k, v)| t.get(k) == Some(v)) {
            continue;
        }
        if !id.owns(t) && !adopt {
            return Some(Planned::blocked(reason::NAME_CONFLICT, name_conflict_message(kind.kind(), &name)));
        }
        tags.push(Step::Tag(kind, handle));
    }
    None
}

#[cfg(test)]
mod tests {
    use stackwright_cloud::ecs::ConnectService;
    use stackwright_cloud::elbv2::RuleConditions;

    use super::super::desired::desired;
    use super::super::desired::tests::{accunode, id};
    use super::super::simulate::{converge, simulate};
    use super::super::taskdef::{Roles, render};
    use super::*;

    fn rendered(want: &DesiredStack) -> Rendered {
        let roles = Roles {
            execution: Some("arn:aws:iam::123456789012:role/exec".into()),
            task: Some("arn:aws:iam::123456789012:role/task".into()),
        };
        Rendered {
            task_definitions: Some(
                want.services.iter().map(|s| (s.name.clone(), render(want, s, &[], &roles, &[]))).collect(),
            ),
            execution_policy: Some("{}".into()),
            task_policy: None,
        }
    }

    fn kinds(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| format!("{s:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_string()).collect()
    }

    #[test]
    fn a_new_stack_is_created_in_dependency_waves_and_then_is_in_sync() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let rendered = rendered(&want);
        let mut observed = Observed::default();
        let mut waves = Vec::new();
        for _ in 0..10 {
            let p = plan(&want, &rendered, &observed, &[], &id(), false);
            assert_eq!(p.blocked, None);
            if p.steps.is_empty() {
                break;
            }
            waves.push(kinds(&p.steps));
            simulate(&want, &rendered, &mut observed, &p.steps);
        }
        let expected: Vec<Vec<&str>> = vec![
            vec![
                "CreateCluster",
                "CreateNamespace",
                "CreateRole",
                "CreateRole",
                "CreateSecurityGroup",
                "CreateSecurityGroup",
                "CreateLogGroup",
                "CreateLogGroup",
                "CreateTargetGroup",
            ],
            vec!["PutRolePolicy", "AuthorizeIngress", "AuthorizeIngress", "CreateLoadBalancer", "CreateService"],
            vec!["CreateListener", "RegisterScalableTarget"],
            vec!["CreateRule", "PutScalingPolicy"],
            vec!["CreateService"],
            vec!["RegisterScalableTarget"],
            vec!["PutScalingPolicy"],
        ];
        assert_eq!(waves, expected);
        let last = plan(&want, &rendered, &observed, &[], &id(), false);
        assert!(last.steps.is_empty() && last.rolled_back.is_empty() && last.waiting.is_empty(), "{last:?}");
    }

    #[test]
    fn a_new_image_rolls_the_service_once_and_autoscaling_keeps_the_count() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let rendered = rendered(&want);
        let mut observed = converge(&want, &rendered, &id(), 10);
        // Autoscaling moved the count: not fought over.
        observed.services.get_mut("api").expect("api").desired_count = 2;
        assert!(plan(&want, &rendered, &observed, &[], &id(), false).steps.is_empty());

        let mut spec = accunode();
        spec.services[0].image = "461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-def456".into();
        let changed = desired(&spec, &id(), "us-east-1");
        let p = plan(&changed, &rendered_for(&changed), &observed, &[], &id(), false);
        assert_eq!(p.steps, vec![Step::Roll { service: "api".into(), reuse: None, update: Box::default() }]);
    }

    #[test]
    fn a_rollout_the_circuit_breaker_rolled_back_is_not_tried_again_after_the_rollback_completed() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let mut observed = converge(&want, &rendered(&want), &id(), 10);
        let mut spec = accunode();
        spec.services[0].image.push_str("-broken");
        let changed = desired(&spec, &id(), "us-east-1");
        let rendered = rendered_for(&changed);
        let wanted =
            rendered.task_definitions.as_ref().map(|d| d["api"].tags[super::super::desired::CONTENT_HASH_TAG].clone());
        // Rolled out (the tag says so), failed, rolled back to the old revision, which completed.
        let api = observed.services.get_mut("api").expect("api");
        api.tags.insert(ROLLED_OUT_TAG.into(), wanted.clone().unwrap_or_default());
        api.deployments[0].rollout_state_reason = Some("ECS deployment ecs-svc/3 completed.".into());
        api.events = vec![
            "(service api) has reached a steady state.".into(),
            "(service api) rolling back to deployment ecs-svc/1.".into(),
            "(service api) (deployment ecs-svc/2) deployment failed: tasks failed to start.".into(),
        ];
        observed.revisions.get_mut("api").expect("api").newest = wanted.map(|h| (h, "arn:2".to_string()));
        let p = plan(&changed, &rendered, &observed, &[], &id(), false);
        assert!(!p.steps.iter().any(|s| matches!(s, Step::Roll { service, .. } if service == "api")), "{:?}", p.steps);
        assert_eq!(
            p.rolled_back,
            vec![("api".to_string(), "(service api) rolling back to deployment ecs-svc/1.".to_string())]
        );
    }

    fn rendered_for(want: &DesiredStack) -> Rendered {
        rendered(want)
    }

    #[test]
    fn drift_in_count_rules_and_health_checks_is_set_back() {
        let mut spec = accunode();
        spec.services[1].autoscaling = None;
        spec.services[1].replicas = 2;
        let want = desired(&spec, &id(), "us-east-1");
        let rendered = rendered(&want);
        let mut observed = converge(&want, &rendered, &id(), 10);
        observed.services.get_mut("worker").expect("worker").desired_count = 5;
        observed.task_group.as_mut().expect("group").ingress.push(IngressRule::tcp_from_group(22, "sg-other", None));
        let tg = observed.target_groups.values_mut().next().expect("tg");
        tg.group.health_check.path = "/".into();
        observed.rules[0].conditions = RuleConditions { paths: vec!["/x/*".into()], hosts: vec![] };
        let steps = plan(&want, &rendered, &observed, &[], &id(), false).steps;
        let update = ServiceUpdate { desired_count: Some(2), ..Default::default() };
        assert!(steps.contains(&Step::UpdateService("worker".into(), Box::new(update))), "{steps:?}");
        assert!(
            steps.iter().any(|s| matches!(s, Step::RevokeIngress(GroupKind::Tasks, r) if r[0].from_port == 22)),
            "{steps:?}"
        );
        assert!(steps.contains(&Step::ModifyHealthCheck("api".into())), "{steps:?}");
        assert!(steps.contains(&Step::ModifyRule("api".into(), "rule-api".into())), "{steps:?}");
    }

    #[test]
    fn a_resource_of_someone_else_under_our_name_is_a_name_conflict_unless_adopted() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let observed = Observed {
            cluster: Some(Cluster { name: want.cluster.clone(), status: "ACTIVE".into(), ..Default::default() }),
            ..Default::default()
        };
        let p = plan(&want, &rendered(&want), &observed, &[], &id(), false);
        assert_eq!(p.blocked.map(|b| b.0), Some("NameConflict"));
        let adopted = plan(&want, &rendered(&want), &observed, &[], &id(), true);
        assert_eq!(adopted.blocked, None);
        assert_eq!(adopted.steps[0], Step::Tag(Owned::Cluster, want.cluster.clone()));
    }

    #[test]
    fn a_service_taken_out_of_the_spec_goes_then_its_rule_target_group_and_log_group() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let rendered = rendered(&want);
        let mut observed = converge(&want, &rendered, &id(), 10);
        let mut spec = accunode();
        spec.services.remove(0);
        spec.services[0].port = Some(9000);
        spec.services[0].expose = serde_yaml::from_str("{paths: [\"/*\"]}").ok();
        let smaller = desired(&spec, &id(), "us-east-1");
        let removed = vec!["api".to_string()];
        let p = plan(&smaller, &rendered_for(&smaller), &observed, &removed, &id(), false);
        assert!(p.steps.contains(&Step::DeleteService("api".into())), "{:?}", p.steps);
        assert!(p.steps.contains(&Step::DeleteRule("rule-api".into())), "{:?}", p.steps);
        observed.services.remove("api");
        observed.rules.clear();
        let p = plan(&smaller, &rendered_for(&smaller), &observed, &removed, &id(), false);
        let tg = observed.target_groups.values().next().map(|t| t.group.arn.clone()).unwrap_or_default();
        assert!(p.steps.contains(&Step::DeleteTargetGroup(tg)), "{:?}", p.steps);
        assert!(
            p.steps
                .contains(&Step::DeleteLogGroup(want.service("api").map(|s| s.log_group.clone()).unwrap_or_default())),
            "{:?}",
            p.steps
        );
    }

    #[test]
    fn services_find_each_other_by_name_over_the_stack_s_namespace_and_its_tasks_admit_each_other() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let rendered = rendered(&want);
        let observed = converge(&want, &rendered, &id(), 10);
        let ns = observed.namespace.as_ref().expect("a stack of two services has a namespace");
        let api = &observed.services["api"].service_connect;
        assert!(api.enabled && api.namespace.as_deref() == Some(ns.namespace.arn.as_str()));
        assert_eq!(
            api.services,
            [ConnectService { port_name: "api".into(), dns_name: "api".into(), port: 8000 }],
            "api serves http://api:8000"
        );
        let worker = &observed.services["worker"].service_connect;
        assert!(worker.enabled && worker.services.is_empty(), "worker has no port: a client only");
        let tasks = observed.task_group.as_ref().expect("task group");
        assert!(
            tasks.ingress.contains(&IngressRule::tcp_from_group(
                8000,
                &tasks.id,
                Some("stackwright: the stack's own services")
            )),
            "{:?}",
            tasks.ingress
        );

        // One service left: Service Connect goes off, then the namespace.
        let mut spec = accunode();
        spec.services.truncate(1);
        let alone = desired(&spec, &id(), "us-east-1");
        assert_eq!(alone.namespace, None);
        let mut observed = observed;
        let removed = vec!["worker".to_string()];
        let p = plan(&alone, &rendered_for(&alone), &observed, &removed, &id(), false);
        assert!(
            p.steps.iter().any(|s| matches!(s, Step::UpdateService(n, u) if n == "api"
                && u.service_connect == Some(ServiceConnect::default()))),
            "{:?}",
            p.steps
        );
        assert!(!p.steps.iter().any(|s| matches!(s, Step::DeleteNamespace(_))), "not while a service is in it");
        assert!(p.steps.iter().any(|s| matches!(s, Step::RevokeIngress(GroupKind::Tasks, _))), "{:?}", p.steps);
        simulate(&alone, &rendered_for(&alone), &mut observed, &p.steps);
        let p = plan(&alone, &rendered_for(&alone), &observed, &removed, &id(), false);
        assert!(p.steps.contains(&Step::DeleteNamespace("ns-1".into())), "{:?}", p.steps);

        // A namespace that is not the stack's is a conflict, not adopted silently.
        let mut theirs = converge(&want, &rendered, &id(), 10);
        if let Some(n) = theirs.namespace.as_mut() {
            n.tags = Some(BTreeMap::new());
        }
        let p = plan(&want, &rendered, &theirs, &[], &id(), false);
        assert!(p.blocked.is_some_and(|(r, m)| r == "NameConflict" && m.contains("servicediscovery:Namespace")));
    }

    #[test]
    fn https_moves_the_rules_to_443_and_back_and_leaves_no_listener_or_rule_behind() {
        let plain = desired(&accunode(), &id(), "us-east-1");
        let rendered = rendered(&plain);
        let mut observed = converge(&plain, &rendered, &id(), 10);
        let mut spec = accunode();
        spec.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
        let https = desired(&spec, &id(), "us-east-1");

        // :443 is opened and made, :80 turns into a redirect; its forwarding rule stays until
        // :443 carries the rules.
        let p = plan(&https, &rendered, &observed, &[], &id(), false);
        assert_eq!(kinds(&p.steps), ["AuthorizeIngress", "ModifyListener", "CreateListener"], "{:?}", p.steps);
        simulate(&https, &rendered, &mut observed, &p.steps);
        observed.stray_rules = std::mem::take(&mut observed.rules);
        let p = plan(&https, &rendered, &observed, &[], &id(), false);
        assert_eq!(kinds(&p.steps), ["CreateRule", "DeleteRule"], "{:?}", p.steps);
        assert_eq!(p.steps[1], Step::DeleteRule("rule-api".into()));

        // Without the certificate again (the rules on :443, none on :80): :443 goes with its
        // rules, :80 forwards again and gets the rule, 443 is closed.
        observed.stray_rules.clear();
        observed.rules.clear();
        let p = plan(&plain, &rendered, &observed, &[], &id(), false);
        assert_eq!(
            kinds(&p.steps),
            ["RevokeIngress", "ModifyListener", "DeleteListener", "CreateRule"],
            "{:?}",
            p.steps
        );
        assert_eq!(p.steps[2], Step::DeleteListener("listener-443".into()));
    }

    #[test]
    fn a_stack_in_its_own_network_is_placed_in_its_tiers_and_starts_services_once_it_is_whole() {
        let mut spec = accunode();
        spec.network = serde_yaml::from_str("{managed: {}}").expect("network");
        let mut want = desired(&spec, &id(), "us-east-1");
        assert!(want.network.is_some() && !want.network_whole);
        let placement = super::super::network::plan::Placement {
            vpc_id: "vpc-1".into(),
            public: vec!["subnet-p0".into(), "subnet-p1".into()],
            private: vec!["subnet-q0".into(), "subnet-q1".into()],
            database: vec!["subnet-d0".into(), "subnet-d1".into()],
        };
        want.place(&placement, false);
        assert_eq!((want.vpc_id.as_str(), want.task_subnets.as_slice()), ("vpc-1", placement.private.as_slice()));
        assert_eq!(want.load_balancer.as_ref().map(|l| l.subnets.clone()), Some(placement.public.clone()));
        let rendered = rendered(&want);
        let observed = converge(&want, &rendered, &id(), 10);
        assert!(observed.services.is_empty(), "no service before the network is whole");
        let p = plan(&want, &rendered, &observed, &[], &id(), false);
        assert_eq!(p.waiting, ["api", "worker"]);
        want.place(&placement, true);
        let p = plan(&want, &rendered, &observed, &[], &id(), false);
        assert_eq!(kinds(&p.steps), ["CreateService", "CreateService"]);

        let blocked = NetworkPlan { blocked: Some("too few zones".into()), ..Default::default() };
        let p = plan(&want, &rendered, &observed, &[], &id(), false).with_network(blocked);
        assert!(p.blocked.is_some_and(|(r, m)| r == "InvalidSpec" && m == "too few zones") && p.steps.is_empty());
        let wave = NetworkPlan { steps: vec![NetStep::CreateVpc], ..Default::default() };
        let p = plan(&want, &rendered, &observed, &[], &id(), false).with_network(wave);
        assert_eq!(kinds(&p.steps), ["Network", "CreateService", "CreateService"]);
    }
}
