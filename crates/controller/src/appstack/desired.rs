//! What an AppStack spec means in AWS (pure): the closed set of resources one stack owns, each
//! under a deterministic name, with the settings the spec decides. The task definitions, which
//! also need the bindings and the roles, are rendered in `taskdef`.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use stackwright_api::appstack::{AppStackDeletionPolicy, AppStackSpec, Service, VolumeDeletionPolicy};
use stackwright_api::naming::{ELB_NAME_MAX, ObjectIdentity};
use stackwright_cloud::autoscaling::{Metric, ScalingPolicy};
use stackwright_cloud::ecs::{ConnectService, DeploymentConfiguration, ServiceConnect};
use stackwright_cloud::elbv2::{HealthCheck, RuleConditions};

use super::network::desired::DesiredNetwork;
use super::network::plan::Placement;
use super::rules::{RuleShape, priorities};

/// IAM role names: at most 64 characters.
const ROLE_NAME_MAX: usize = 64;
/// ECS cluster names and task definition families: at most 255 characters.
const ECS_NAME_MAX: usize = 255;
/// Name of the inline policy on each role the stack owns.
pub const ROLE_POLICY: &str = "stackwright";
/// The TLS policy of an HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// The tag on each task definition revision: a hash of its content.
pub const CONTENT_HASH_TAG: &str = "stackwright.io/content-hash";
/// The tag on each ECS service: the content hash of the revision last rolled out to it.
pub const ROLLED_OUT_TAG: &str = "stackwright.io/rolled-out";

/// Everything a stack asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredStack {
    pub region: String,
    pub tags: BTreeMap<String, String>,
    pub cluster: String,
    pub vpc_id: String,
    pub task_subnets: Vec<String>,
    pub assign_public_ip: bool,
    /// The network the stack owns (`network.managed`); None for an existing one. Until its VPC
    /// and subnets exist, `vpc_id` and the subnets are empty (see [`DesiredStack::place`]).
    pub network: Option<DesiredNetwork>,
    /// Whether the network is whole, so services can start (always, for an existing one).
    pub network_whole: bool,
    pub load_balancer: Option<DesiredLoadBalancer>,
    /// The load balancer's name and its security group's, also when no service is exposed (what
    /// an earlier spec created is found and removed).
    pub lb_name: String,
    pub lb_security_group: String,
    pub task_security_group: String,
    /// The roles the stack creates (None: the spec names its own).
    pub execution_role: Option<String>,
    pub task_role: Option<String>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub services: Vec<DesiredService>,
    pub deletion_policy: AppStackDeletionPolicy,
    /// Prefix of the stack's log groups not named in the spec (one listing finds them all).
    pub log_group_prefix: String,
    /// The Cloud Map HTTP namespace through which the services reach each other by name (ECS
    /// Service Connect), when the stack has more than one service and one of them a port.
    pub namespace: Option<DesiredNamespace>,
    /// The EFS file system behind the services' volumes (its creation token also when no service
    /// has volumes: a file system an earlier spec made is found through it).
    pub storage: DesiredStorage,
}

/// The stack's EFS file system and an access point per volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredStorage {
    /// CreationToken: derived from the object's name, not its uid, so a stack of the same name
    /// finds a file system its deleted predecessor kept (and a create retried after a crash is
    /// the same request).
    pub creation_token: String,
    pub volumes: Vec<DesiredVolume>,
    pub deletion_policy: VolumeDeletionPolicy,
}

impl DesiredStorage {
    pub fn wanted(&self) -> bool {
        !self.volumes.is_empty()
    }

    pub fn volume(&self, service: &str, name: &str) -> Option<&DesiredVolume> {
        self.volumes.iter().find(|v| v.service == service && v.name == name)
    }
}

/// One volume of one service: its access point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredVolume {
    pub service: String,
    pub name: String,
    /// `/<service>/<volume>`: each volume its own directory of the file system.
    pub root_directory: String,
    pub client_token: String,
    pub uid: i64,
    pub gid: i64,
}

/// The mode of a volume's root directory when EFS creates it.
pub const VOLUME_PERMISSIONS: &str = "755";

/// The stack's Cloud Map namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNamespace {
    pub name: String,
    /// CreatorRequestId: the same stack always sends the same, so a create retried after a
    /// crash is the same request.
    pub request_id: String,
}

/// The load balancer and what hangs on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredLoadBalancer {
    pub name: String,
    pub scheme: &'static str,
    pub subnets: Vec<String>,
    pub security_group: String,
    pub allowed_cidrs: Vec<String>,
    pub idle_timeout_seconds: i32,
    pub deregistration_delay_seconds: i32,
    pub certificate_arn: Option<String>,
}

impl DesiredLoadBalancer {
    /// The listener ports: 80, and 443 with a certificate.
    pub fn ports(&self) -> Vec<i32> {
        if self.certificate_arn.is_some() { vec![80, 443] } else { vec![80] }
    }

    /// The port whose listener carries the services' rules.
    pub fn rules_port(&self) -> i32 {
        if self.certificate_arn.is_some() { 443 } else { 80 }
    }

    pub fn load_balancer_attributes(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("idle_timeout.timeout_seconds".into(), self.idle_timeout_seconds.to_string())])
    }

    pub fn target_group_attributes(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("deregistration_delay.timeout_seconds".into(), self.deregistration_delay_seconds.to_string())])
    }
}

/// A service's target group and listener rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub target_group: String,
    pub port: i32,
    pub health_check: HealthCheck,
    pub priority: i32,
    pub conditions: RuleConditions,
}

/// A service's autoscaling.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredScaling {
    pub min: i32,
    pub max: i32,
    /// Every policy the service may have, by metric: Some when wanted.
    pub policies: BTreeMap<Metric, (String, Option<ScalingPolicy>)>,
}

/// One ECS service and what it owns.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredService {
    pub name: String,
    pub spec: Service,
    pub log_group: String,
    pub log_retention_days: i32,
    pub family: String,
    pub exposure: Option<Exposure>,
    /// The desired count the controller sets: None when autoscaling owns it.
    pub desired_count: Option<i32>,
    /// The count a new service starts with.
    pub initial_count: i32,
    pub scaling: Option<DesiredScaling>,
    /// Every policy name the service could have, for finding those to delete.
    pub capacity_provider: &'static str,
    pub deployment: DeploymentConfiguration,
    pub grace_period: Option<i32>,
    /// `service/<cluster>/<service>`: its Application Auto Scaling resource id.
    pub resource_id: String,
    pub client_token: String,
}

pub fn desired(spec: &AppStackSpec, id: &ObjectIdentity, default_region: &str) -> DesiredStack {
    let region = spec.region.clone().unwrap_or_else(|| default_region.to_string());
    let cluster = id.physical_name("", ECS_NAME_MAX);
    let lb = &spec.load_balancer;
    let exposed = spec.services.iter().any(|s| s.expose.is_some());
    let load_balancer = exposed.then(|| DesiredLoadBalancer {
        name: id.physical_name("", ELB_NAME_MAX),
        scheme: lb.scheme.as_str(),
        subnets: match lb.scheme {
            stackwright_api::appstack::Scheme::InternetFacing => spec.network.public_subnet_ids.clone(),
            stackwright_api::appstack::Scheme::Internal => spec.network.private_subnet_ids.clone(),
        },
        security_group: id.physical_name("lb", ECS_NAME_MAX),
        allowed_cidrs: lb.allowed_cidrs.clone(),
        idle_timeout_seconds: lb.idle_timeout_seconds,
        deregistration_delay_seconds: lb.deregistration_delay_seconds,
        certificate_arn: lb.certificate_arn.clone(),
    });
    let shapes: Vec<RuleShape<'_>> = spec
        .services
        .iter()
        .filter_map(|s| s.expose.as_ref().map(|e| RuleShape { service: &s.name, paths: &e.paths, hosts: &e.hosts }))
        .collect();
    let priorities = priorities(&shapes);
    let log_group_prefix = format!("/stackwright/{}/{}/{}/", id.cluster_id, id.namespace, id.name);
    let services = spec
        .services
        .iter()
        .map(|s| {
            let exposure = s.expose.as_ref().zip(s.port).map(|(e, port)| Exposure {
                target_group: target_group_name(id, &s.name),
                port,
                health_check: HealthCheck {
                    path: e.health_check.path.clone(),
                    interval_seconds: e.health_check.interval_seconds,
                    timeout_seconds: e.health_check.timeout_seconds,
                    healthy_threshold: e.health_check.healthy_threshold,
                    unhealthy_threshold: e.health_check.unhealthy_threshold,
                    matcher: e.health_check.matcher.clone(),
                },
                priority: priorities.get(&s.name).copied().unwrap_or(50_000),
                conditions: RuleConditions { paths: e.paths.clone(), hosts: e.hosts.clone() },
            });
            let resource_id = format!("service/{cluster}/{}", s.name);
            let scaling = s.autoscaling.as_ref().map(|a| {
                let policy = |metric: Metric, target: Option<i32>| {
                    let name = id.physical_name(&format!("{}-{}", s.name, metric_word(metric)), ECS_NAME_MAX);
                    let wanted = target.map(|t| ScalingPolicy {
                        name: name.clone(),
                        resource_id: resource_id.clone(),
                        metric,
                        resource_label: None,
                        target_value: f64::from(t),
                        scale_out_cooldown_seconds: a.scale_out_cooldown_seconds,
                        scale_in_cooldown_seconds: a.scale_in_cooldown_seconds,
                        arn: None,
                    });
                    (metric, (name, wanted))
                };
                DesiredScaling {
                    min: a.min_replicas,
                    max: a.max_replicas,
                    policies: BTreeMap::from([
                        policy(Metric::Cpu, a.target_cpu_percent),
                        policy(Metric::Memory, a.target_memory_percent),
                        policy(Metric::RequestsPerTarget, a.requests_per_target),
                    ]),
                }
            });
            DesiredService {
                name: s.name.clone(),
                spec: s.clone(),
                log_group: s.log_group_name.clone().unwrap_or_else(|| format!("{log_group_prefix}{}", s.name)),
                log_retention_days: s.log_retention_days,
                family: family(id, &s.name),
                desired_count: if s.autoscaling.is_some() { None } else { Some(s.replicas) },
                initial_count: s.autoscaling.as_ref().map_or(s.replicas, |a| a.min_replicas),
                capacity_provider: s.capacity.capacity_provider(),
                deployment: DeploymentConfiguration {
                    minimum_healthy_percent: s.deployment.minimum_healthy_percent,
                    maximum_percent: s.deployment.maximum_percent,
                    circuit_breaker: s.deployment.circuit_breaker,
                    rollback: s.deployment.circuit_breaker,
                },
                grace_period: exposure.as_ref().map(|_| s.health_check_grace_period_seconds),
                exposure,
                scaling,
                client_token: client_token(&id.uid, &s.name),
                resource_id,
            }
        })
        .collect();
    let tags = id.tags(&spec.tags);
    let connected = spec.services.len() > 1 && spec.services.iter().any(|s| s.port.is_some());
    let storage = DesiredStorage {
        creation_token: format!("stackwright-{}", &client_token(&format!("{}\0{}", id.cluster_id, id.owner()), "efs")),
        volumes: spec
            .services
            .iter()
            .flat_map(|s| {
                s.volumes.iter().map(|v| DesiredVolume {
                    service: s.name.clone(),
                    name: v.name.clone(),
                    root_directory: format!("/{}/{}", s.name, v.name),
                    client_token: client_token(&id.uid, &format!("{}\0{}", s.name, v.name)),
                    uid: v.uid,
                    gid: v.gid,
                })
            })
            .collect(),
        deletion_policy: spec.volume_deletion_policy,
    };
    DesiredStack {
        storage,
        namespace: connected.then(|| DesiredNamespace {
            name: id.physical_name("", ECS_NAME_MAX),
            request_id: client_token(&id.uid, ""),
        }),
        network: super::network::desired::network(spec.network.managed.as_ref(), &region, id, &tags),
        network_whole: spec.network.managed.is_none(),
        region,
        tags,
        vpc_id: spec.network.vpc_id.clone().unwrap_or_default(),
        task_subnets: spec.network.private_subnet_ids.clone(),
        assign_public_ip: spec.network.assign_public_ip,
        load_balancer,
        lb_name: id.physical_name("", ELB_NAME_MAX),
        lb_security_group: id.physical_name("lb", ECS_NAME_MAX),
        task_security_group: id.physical_name("tasks", ECS_NAME_MAX),
        execution_role: spec.execution_role_arn.is_none().then(|| id.physical_name("exec", ROLE_NAME_MAX)),
        task_role: spec.task_role_arn.is_none().then(|| id.physical_name("task", ROLE_NAME_MAX)),
        execution_role_arn: spec.execution_role_arn.clone(),
        task_role_arn: spec.task_role_arn.clone(),
        services,
        deletion_policy: spec.deletion_policy,
        log_group_prefix,
        cluster,
    }
}

/// The task definition family of a stack's service.
pub fn family(id: &ObjectIdentity, service: &str) -> String {
    id.physical_name(service, ECS_NAME_MAX)
}

/// The target group of a stack's service (32 characters at most).
pub fn target_group_name(id: &ObjectIdentity, service: &str) -> String {
    id.physical_name(&format!("tg-{service}"), ELB_NAME_MAX)
}

fn metric_word(metric: Metric) -> &'static str {
    match metric {
        Metric::Cpu => "cpu",
        Metric::Memory => "memory",
        Metric::RequestsPerTarget => "requests",
    }
}

/// ECS `clientToken` of one service of one object (at most 36 characters): the same object and
/// service always send the same token, so a CreateService retried after a crash is the same
/// service, and another object's service of that name is refused.
fn client_token(uid: &str, service: &str) -> String {
    let digest = Sha256::digest(format!("{uid}\0{service}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl DesiredStack {
    /// Places the stack in the network it owns, once its VPC and subnets exist: tasks in the
    /// private tier, the load balancer in the public one (or the private one when internal).
    pub fn place(&mut self, placement: &Placement, whole: bool) {
        self.vpc_id.clone_from(&placement.vpc_id);
        self.task_subnets.clone_from(&placement.private);
        self.assign_public_ip = false;
        self.network_whole = whole;
        if let Some(lb) = &mut self.load_balancer {
            lb.subnets = if lb.scheme == "internal" { placement.private.clone() } else { placement.public.clone() };
        }
    }

    /// The Service Connect configuration of service `s` in the namespace `namespace_arn`: each
    /// service serves its port under its own name (`api:8000`) and reaches the others by theirs;
    /// off when the stack has no namespace; None while the wanted namespace is not there yet.
    pub fn service_connect(&self, s: &DesiredService, namespace_arn: Option<&str>) -> Option<ServiceConnect> {
        match (&self.namespace, namespace_arn) {
            (None, _) => Some(ServiceConnect::default()),
            (Some(_), None) => None,
            (Some(_), Some(arn)) => Some(ServiceConnect {
                enabled: true,
                namespace: Some(arn.to_string()),
                services: s
                    .spec
                    .port
                    .map(|port| ConnectService { port_name: s.name.clone(), dns_name: s.name.clone(), port })
                    .into_iter()
                    .collect(),
            }),
        }
    }

    pub fn service(&self, name: &str) -> Option<&DesiredService> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The names of every scaling policy the stack's services could have.
    pub fn policy_names(&self) -> Vec<String> {
        self.services
            .iter()
            .filter_map(|s| s.scaling.as_ref())
            .flat_map(|s| s.policies.values().map(|(n, _)| n.clone()))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn accunode() -> AppStackSpec {
        serde_yaml::from_str(
            r#"
network: {vpcId: vpc-0123456789abcdef0, publicSubnetIds: [subnet-0000000a, subnet-0000000b], privateSubnetIds: [subnet-0000000c]}
services:
- name: api
  image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
  port: 8000
  expose: {paths: ["/*"], healthCheck: {path: /health}}
  autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70, scaleOutCooldownSeconds: 300, scaleInCooldownSeconds: 300}
- name: worker
  image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
  command: [python, -m, worker]
  autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60, scaleOutCooldownSeconds: 180, scaleInCooldownSeconds: 300}
"#,
        )
        .expect("spec")
    }

    pub fn id() -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "c1".into(),
            kind: "AppStack".into(),
            namespace: "prod".into(),
            name: "accunode".into(),
            uid: "5f0c6b0e-1111-2222-3333-444455556666".into(),
        }
    }

    #[test]
    fn accunode_becomes_one_cluster_a_load_balancer_and_two_autoscaled_services() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let lb = want.load_balancer.as_ref().expect("api is exposed");
        assert!(lb.name.len() <= 32, "{}", lb.name);
        assert_eq!(lb.scheme, "internet-facing");
        assert_eq!(lb.ports(), [80]);
        let api = want.service("api").expect("api");
        let exposure = api.exposure.as_ref().expect("exposed");
        assert_eq!(exposure.port, 8000);
        assert_eq!(exposure.health_check.path, "/health");
        assert_eq!(api.desired_count, None, "autoscaling owns the count");
        assert_eq!(api.initial_count, 1);
        assert_eq!(api.grace_period, Some(60));
        let scaling = api.scaling.as_ref().expect("scaling");
        assert_eq!((scaling.min, scaling.max), (1, 2));
        let cpu = scaling.policies[&Metric::Cpu].1.as_ref().expect("cpu policy");
        assert_eq!((cpu.target_value, cpu.scale_out_cooldown_seconds), (70.0, 300));
        assert!(scaling.policies[&Metric::Memory].1.is_none());
        let worker = want.service("worker").expect("worker");
        assert!(worker.exposure.is_none() && worker.grace_period.is_none());
        assert_eq!(
            worker.scaling.as_ref().map(|s| s.policies[&Metric::Cpu].1.as_ref().map(|p| p.scale_out_cooldown_seconds)),
            Some(Some(180))
        );
        assert_eq!(api.client_token.len(), 32);
        assert_ne!(api.client_token, worker.client_token);
        assert_eq!(api.log_group, "/stackwright/c1/prod/accunode/api");
        assert_eq!(api.resource_id, format!("service/{}/api", want.cluster));
        assert!(want.execution_role.as_ref().is_some_and(|r| r.len() <= 64));
    }

    #[test]
    fn names_are_deterministic_and_distinct_per_object() {
        let a = desired(&accunode(), &id(), "us-east-1");
        let b = desired(&accunode(), &id(), "us-east-1");
        assert_eq!(a, b);
        let other = desired(&accunode(), &ObjectIdentity { name: "accunode2".into(), ..id() }, "us-east-1");
        assert_ne!(a.cluster, other.cluster);
        assert_ne!(a.load_balancer.map(|l| l.name), other.load_balancer.map(|l| l.name));
    }
}
