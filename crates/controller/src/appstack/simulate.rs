//! An in-memory AWS for the pure steps' tests and benchmarks: applies a wave as AWS would,
//! completing everything at once (no I/O, no emulator), so that `plan` can be driven from an
//! empty account to a converged stack.

use stackwright_cloud::autoscaling::ScalableTarget;
use stackwright_cloud::ec2::SecurityGroup;
use stackwright_cloud::ecs::{Cluster, Deployment, NetworkConfiguration, Service};
use stackwright_cloud::efs::{AccessPoint, FileSystem, MountTarget, PosixUser};
use stackwright_cloud::elbv2::{Action, Listener, LoadBalancer, Rule, TargetGroup};
use stackwright_cloud::iam::Role;
use stackwright_cloud::logs::LogGroup;
use stackwright_cloud::servicediscovery::Namespace;

use super::desired::{CONTENT_HASH_TAG, DesiredStack, ROLLED_OUT_TAG};
use super::plan::{
    GroupKind, Observed, ObservedNamespace, ObservedRole, ObservedTargetGroup, Rendered, Revisions, RoleKind, Step,
    attachment, plan,
};
use super::storage::ObservedStorage;

/// Applies `steps` to `observed` as AWS would, completing everything at once.
pub fn simulate(want: &DesiredStack, rendered: &Rendered, observed: &mut Observed, steps: &[Step]) {
    let tags = want.tags.clone();
    for step in steps {
        match step {
            Step::CreateCluster => {
                observed.cluster = Some(Cluster {
                    name: want.cluster.clone(),
                    status: "ACTIVE".into(),
                    tags: tags.clone(),
                    ..Default::default()
                })
            }
            Step::CreateNamespace => {
                let name = want.namespace.as_ref().expect("namespace").name.clone();
                observed.namespace = Some(ObservedNamespace {
                    namespace: Namespace {
                        id: "ns-1".into(),
                        arn: format!("arn:aws:servicediscovery:r:1:namespace/ns-1#{name}"),
                        name,
                    },
                    tags: Some(tags.clone()),
                });
            }
            Step::DeleteNamespace(_) => observed.namespace = None,
            Step::CreateFileSystem => {
                observed.storage = Some(ObservedStorage {
                    file_system: FileSystem {
                        id: "fs-1".into(),
                        creation_token: want.storage.creation_token.clone(),
                        state: "available".into(),
                        encrypted: true,
                        tags: tags.clone(),
                        ..Default::default()
                    },
                    // Each task subnet in a zone of its own.
                    subnet_zones: want.task_subnets.iter().map(|s| (s.clone(), format!("zone-of-{s}"))).collect(),
                    ..Default::default()
                })
            }
            Step::CreateMountTarget(subnet) => {
                let st = observed.storage.as_mut().expect("file system");
                st.mount_targets.push(MountTarget {
                    id: format!("fsmt-{subnet}"),
                    subnet_id: subnet.clone(),
                    availability_zone: format!("zone-of-{subnet}"),
                    state: "available".into(),
                });
            }
            Step::CreateAccessPoint { service, volume } => {
                let v = want.storage.volume(service, volume).expect("volume");
                let st = observed.storage.as_mut().expect("file system");
                st.access_points.push(AccessPoint {
                    id: format!("fsap-{service}-{volume}"),
                    file_system_id: st.file_system.id.clone(),
                    root_directory: v.root_directory.clone(),
                    posix_user: Some(PosixUser { uid: v.uid, gid: v.gid }),
                    state: "available".into(),
                    tags: tags.clone(),
                    ..Default::default()
                });
            }
            Step::DeleteMountTarget(id) => {
                if let Some(st) = observed.storage.as_mut() {
                    st.mount_targets.retain(|m| m.id != *id);
                }
            }
            Step::DeleteAccessPoint(id) => {
                if let Some(st) = observed.storage.as_mut() {
                    st.access_points.retain(|a| a.id != *id);
                }
            }
            Step::DeleteFileSystem(_) => observed.storage = None,
            Step::CreateRole(kind) => {
                let name = match kind {
                    RoleKind::Execution => &want.execution_role,
                    RoleKind::Task => &want.task_role,
                };
                let role = ObservedRole {
                    role: Role {
                        name: name.clone().unwrap_or_default(),
                        arn: format!("arn:aws:iam::123456789012:role/{kind:?}"),
                        tags: tags.clone(),
                        ..Default::default()
                    },
                    policy: None,
                };
                match kind {
                    RoleKind::Execution => observed.execution_role = Some(role),
                    RoleKind::Task => observed.task_role = Some(role),
                }
            }
            Step::PutRolePolicy(RoleKind::Execution, doc) => {
                if let Some(r) = observed.execution_role.as_mut() {
                    r.policy = Some(doc.clone())
                }
            }
            Step::CreateSecurityGroup(kind) => {
                let g = SecurityGroup {
                    id: format!("sg-{kind:?}"),
                    name: format!("{kind:?}"),
                    vpc_id: want.vpc_id.clone(),
                    tags: tags.clone(),
                    ..Default::default()
                };
                match kind {
                    GroupKind::LoadBalancer => observed.lb_group = Some(g),
                    GroupKind::Tasks => observed.task_group = Some(g),
                }
            }
            Step::AuthorizeIngress(kind, rules) => {
                let g = match kind {
                    GroupKind::LoadBalancer => observed.lb_group.as_mut(),
                    GroupKind::Tasks => observed.task_group.as_mut(),
                };
                if let Some(g) = g {
                    g.ingress.extend(rules.iter().cloned())
                }
            }
            Step::CreateLogGroup(s) => {
                let s = want.service(s).expect("service");
                observed.log_groups.insert(
                    s.log_group.clone(),
                    LogGroup {
                        name: s.log_group.clone(),
                        arn: format!("arn:{}", s.log_group),
                        retention_days: Some(s.log_retention_days),
                        tags: Some(tags.clone()),
                    },
                );
            }
            Step::CreateTargetGroup(s) => {
                let e = want.service(s).and_then(|s| s.exposure.clone()).expect("exposed");
                let arn = format!("arn:aws:elasticloadbalancing:r:1:targetgroup/{}/1", e.target_group);
                observed.elb_tags.get_or_insert_default().insert(arn, tags.clone());
                observed.target_groups.insert(
                    e.target_group.clone(),
                    ObservedTargetGroup {
                        group: TargetGroup {
                            arn: format!("arn:aws:elasticloadbalancing:r:1:targetgroup/{}/1", e.target_group),
                            name: e.target_group.clone(),
                            port: e.port,
                            vpc_id: want.vpc_id.clone(),
                            health_check: e.health_check.clone(),
                            protocol: "HTTP".into(),
                            target_type: "ip".into(),
                            load_balancer_arns: vec![],
                        },
                        attributes: Some(
                            want.load_balancer.as_ref().map(|l| l.target_group_attributes()).unwrap_or_default(),
                        ),
                    },
                );
            }
            Step::CreateLoadBalancer => {
                let lb = want.load_balancer.as_ref().expect("lb");
                let arn = format!("arn:aws:elasticloadbalancing:r:1:loadbalancer/app/{}/1", lb.name);
                observed.elb_tags.get_or_insert_default().insert(arn, tags.clone());
                observed.load_balancer = Some(LoadBalancer {
                    arn: format!("arn:aws:elasticloadbalancing:r:1:loadbalancer/app/{}/1", lb.name),
                    name: lb.name.clone(),
                    scheme: lb.scheme.into(),
                    state: "active".into(),
                    security_group_ids: observed.lb_group.iter().map(|g| g.id.clone()).collect(),
                    ..Default::default()
                });
                observed.lb_attributes = Some(lb.load_balancer_attributes());
            }
            Step::CreateListener(l) => observed.listeners.push(Listener {
                arn: format!("listener-{}", l.port),
                port: l.port,
                protocol: l.protocol.clone(),
                certificate_arn: l.certificate_arn.clone(),
                ssl_policy: l.ssl_policy.clone(),
                default_action: Some(l.default_action.clone()),
            }),
            Step::ModifyListener(arn, l) => {
                let have = observed.listeners.iter_mut().find(|x| &x.arn == arn).expect("listener");
                (have.protocol, have.certificate_arn, have.ssl_policy) =
                    (l.protocol.clone(), l.certificate_arn.clone(), l.ssl_policy.clone());
                have.default_action = Some(l.default_action.clone());
            }
            Step::DeleteListener(arn) => observed.listeners.retain(|x| &x.arn != arn),
            Step::DeleteRule(arn) => {
                observed.rules.retain(|r| &r.arn != arn);
                observed.stray_rules.retain(|r| &r.arn != arn);
            }
            Step::CreateRule(s) => {
                let e = want.service(s).and_then(|s| s.exposure.clone()).expect("exposed");
                let tg = observed.target_groups[&e.target_group].group.arn.clone();
                observed.rules.push(Rule {
                    arn: format!("rule-{s}"),
                    priority: e.priority,
                    conditions: e.conditions.clone(),
                    action: Some(Action::Forward { target_group_arn: tg }),
                });
            }
            Step::CreateService { service, .. } => {
                let s = want.service(service).expect("service");
                let def = &rendered.task_definitions.as_ref().expect("defs")[service];
                let hash = def.tags[CONTENT_HASH_TAG].clone();
                observed.services.insert(
                    service.clone(),
                    Service {
                        name: service.clone(),
                        status: "ACTIVE".into(),
                        desired_count: s.initial_count,
                        running_count: s.initial_count,
                        capacity_provider: Some(s.capacity_provider.into()),
                        deployment_configuration: s.deployment.clone(),
                        health_check_grace_period_seconds: s.grace_period,
                        network: NetworkConfiguration {
                            subnet_ids: want.task_subnets.clone(),
                            security_group_ids: observed.task_group.iter().map(|g| g.id.clone()).collect(),
                            assign_public_ip: want.assign_public_ip,
                        },
                        load_balancers: attachment(s, observed).into_iter().collect(),
                        service_connect: want
                            .service_connect(s, observed.namespace.as_ref().map(|n| n.namespace.arn.as_str()))
                            .expect("the namespace is there"),
                        deployments: vec![Deployment {
                            status: "PRIMARY".into(),
                            rollout_state: Some("COMPLETED".into()),
                            ..Default::default()
                        }],
                        tags: [(ROLLED_OUT_TAG.to_string(), hash.clone())].into(),
                        ..Default::default()
                    },
                );
                observed.revisions.insert(service.clone(), Revisions { running: Some(hash), newest: None });
            }
            Step::UpdateService(name, update) | Step::Roll { service: name, update, .. } => {
                let svc = observed.services.get_mut(name).expect("service");
                if let Some(c) = &update.service_connect {
                    svc.service_connect = c.clone();
                }
                if let Some(count) = update.desired_count {
                    svc.desired_count = count;
                }
                if let Step::Roll { .. } = step {
                    let def = &rendered.task_definitions.as_ref().expect("defs")[name];
                    let hash = def.tags[CONTENT_HASH_TAG].clone();
                    svc.tags.insert(ROLLED_OUT_TAG.to_string(), hash.clone());
                    observed.revisions.insert(name.clone(), Revisions { running: Some(hash), newest: None });
                }
            }
            Step::RegisterScalableTarget(service) => {
                let s = want.service(service).expect("service");
                let sc = s.scaling.as_ref().expect("scaling");
                observed.scalable_targets.insert(
                    s.resource_id.clone(),
                    ScalableTarget {
                        resource_id: s.resource_id.clone(),
                        min_capacity: sc.min,
                        max_capacity: sc.max,
                        arn: None,
                    },
                );
            }
            Step::PutScalingPolicy(service, metric) => {
                let s = want.service(service).expect("service");
                let (name, p) = &s.scaling.as_ref().expect("scaling").policies[metric];
                observed.policies.insert(name.clone(), p.clone().expect("wanted"));
            }
            Step::DeleteService(name) => {
                observed.services.remove(name);
                observed.scalable_targets.retain(|id, _| !id.ends_with(&format!("/{name}")));
                observed.policies.retain(|_, p| !p.resource_id.ends_with(&format!("/{name}")));
            }
            Step::DeleteLoadBalancer(_) => {
                observed.load_balancer = None;
                observed.lb_attributes = None;
                observed.listeners.clear();
                observed.rules.clear();
            }
            Step::DeleteTargetGroup(arn) => observed.target_groups.retain(|_, t| t.group.arn != *arn),
            Step::RevokeIngress(kind, rules) => {
                let g = match kind {
                    GroupKind::LoadBalancer => observed.lb_group.as_mut(),
                    GroupKind::Tasks => observed.task_group.as_mut(),
                };
                if let Some(g) = g {
                    g.ingress.retain(|r| !rules.contains(r));
                }
            }
            Step::DeleteSecurityGroup(id) => {
                for g in [&mut observed.lb_group, &mut observed.task_group] {
                    if g.as_ref().is_some_and(|g| g.id == *id) {
                        *g = None;
                    }
                }
            }
            Step::DeleteRole(RoleKind::Execution) => observed.execution_role = None,
            Step::DeleteRole(RoleKind::Task) => observed.task_role = None,
            Step::DeleteLogGroup(name) => {
                observed.log_groups.remove(name);
            }
            Step::DeregisterTaskDefinitions(_) => observed.revisions.clear(),
            Step::DeleteCluster => observed.cluster = None,
            other => panic!("not simulated: {other:?}"),
        }
    }
}

/// Plans and simulates waves until nothing is left to write (at most `waves`): the observation
/// of a converged stack.
pub fn converge(
    want: &DesiredStack,
    rendered: &Rendered,
    id: &stackwright_api::naming::ObjectIdentity,
    waves: usize,
) -> Observed {
    let mut observed = Observed::default();
    for _ in 0..waves {
        let p = plan(want, rendered, &observed, &[], id, false);
        if p.steps.is_empty() {
            break;
        }
        simulate(want, rendered, &mut observed, &p.steps);
    }
    observed
}
