//! The crash matrix of AppStack: the real controller is aborted (by fault injection, for the
//! AppStack's own calls) right after each AWS write of a stack's create, update and delete paths
//! in turn, then a fresh controller takes over. After every crash point the stack must converge
//! (Ready, or gone after a delete) with exactly one of each owned resource — one cluster, one
//! service and one task definition revision per content, one load balancer, listener, rule and
//! target group, two security groups, two roles, two log groups, the scaling targets and
//! policies, one Cloud Map namespace with the api's discovery service, and with a volume one EFS
//! file system, mount target and access point — no orphan, and no stalled status along the way.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::{ClusterField, ServiceField};
use kube::api::DeleteParams;
use stackwright_api::AppStack;
use support::crash::Crash;

async fn case(point: &str) -> Crash<AppStack> {
    Crash::bare("crashstack", point, "crashstack", 70).await
}

/// The AccuNode shape: an exposed, autoscaled api and an autoscaled worker.
fn spec(case: &Crash<AppStack>, image: &str) -> String {
    format!(
        r#"  network: {{vpcId: {vpc}, publicSubnetIds: [{a}, {b}], privateSubnetIds: [{c}]}}
  tags: {{team: web}}
  services:
  - name: api
    image: {image}
    port: 8000
    expose: {{paths: ["/*"], healthCheck: {{path: /health}}}}
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70}}
  - name: worker
    image: {image}
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60}}
"#,
        vpc = case.vpc,
        a = case.subnets[0],
        b = case.subnets[1],
        c = case.subnets[2],
    )
}

/// The update: a new image (a new revision for both), another health check path, the api under
/// `/api/*` (its rule changes, and its priority), the worker without autoscaling at 2 tasks, a
/// longer log retention and idle timeout.
fn updated(case: &Crash<AppStack>) -> String {
    spec(case, "registry.example/app:v2")
        .replace("healthCheck: {path: /health}", "healthCheck: {path: /ready}")
        .replace("paths: [\"/*\"]", "paths: [\"/api/*\"]")
        .replace(
            "    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60}\n",
            "    replicas: 2\n    logRetentionDays: 14\n",
        )
        + "  loadBalancer: {idleTimeoutSeconds: 120}\n"
}

struct Aws {
    ec2: aws_sdk_ec2::Client,
    ecs: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    aas: aws_sdk_applicationautoscaling::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    cloudmap: aws_sdk_servicediscovery::Client,
    efs: aws_sdk_efs::Client,
}

async fn aws(case: &Crash<AppStack>) -> Aws {
    let config = case.env.sdk_config().await;
    Aws {
        ec2: aws_sdk_ec2::Client::new(&config),
        ecs: aws_sdk_ecs::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        aas: aws_sdk_applicationautoscaling::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cloudmap: aws_sdk_servicediscovery::Client::new(&config),
        efs: aws_sdk_efs::Client::new(&config),
    }
}

/// What of this account belongs to the stack (by its owner tag, or inside its cluster): one line
/// per resource, sorted.
async fn owned(case: &Crash<AppStack>) -> Vec<String> {
    let a = aws(case).await;
    let owner = case.owner("web");
    let mut out = Vec::new();

    let arns = a.ecs.list_clusters().send().await.unwrap().cluster_arns().to_vec();
    let clusters = if arns.is_empty() {
        vec![]
    } else {
        a.ecs
            .describe_clusters()
            .set_clusters(Some(arns))
            .include(ClusterField::Tags)
            .send()
            .await
            .unwrap()
            .clusters()
            .to_vec()
    };
    for c in clusters.iter().filter(|c| c.status() == Some("ACTIVE")) {
        if !c.tags().iter().any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str())) {
            continue;
        }
        out.push("cluster".into());
        let name = c.cluster_name().unwrap();
        let services = a.ecs.list_services().cluster(name).send().await.unwrap().service_arns().to_vec();
        if !services.is_empty() {
            let described = a
                .ecs
                .describe_services()
                .cluster(name)
                .set_services(Some(services))
                .include(ServiceField::Tags)
                .send()
                .await
                .unwrap();
            for s in described.services().iter().filter(|s| s.status() == Some("ACTIVE")) {
                out.push(format!("service {}", s.service_name().unwrap()));
                let resource = format!("service/{name}/{}", s.service_name().unwrap());
                let targets = a
                    .aas
                    .describe_scalable_targets()
                    .service_namespace(ServiceNamespace::Ecs)
                    .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                    .resource_ids(&resource)
                    .send()
                    .await
                    .unwrap();
                out.extend(
                    targets.scalable_targets().iter().map(|_| format!("scalable target {}", s.service_name().unwrap())),
                );
                let policies = a
                    .aas
                    .describe_scaling_policies()
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(&resource)
                    .send()
                    .await
                    .unwrap();
                out.extend(policies.scaling_policies().iter().map(|_| format!("policy {}", s.service_name().unwrap())));
            }
        }
    }
    for family in ["api", "worker"] {
        let defs = a.ecs.list_task_definitions().send().await.unwrap();
        let n = defs
            .task_definition_arns()
            .iter()
            .filter(|arn| arn.contains(&format!("-{}-web-{family}-", case.ns)))
            .count();
        for _ in 0..n {
            out.push(format!("revision {family}"));
        }
    }
    let lbs = a.elb.describe_load_balancers().send().await.unwrap();
    let tgs = a.elb.describe_target_groups().send().await.unwrap();
    let arns: Vec<String> = lbs
        .load_balancers()
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .chain(tgs.target_groups().iter().filter_map(|t| t.target_group_arn().map(str::to_string)))
        .collect();
    let mut ours = std::collections::BTreeSet::new();
    for chunk in arns.chunks(20) {
        let tags = a.elb.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.unwrap();
        for d in tags.tag_descriptions() {
            if d.tags().iter().any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str())) {
                ours.insert(d.resource_arn().unwrap().to_string());
            }
        }
    }
    for lb in lbs.load_balancers().iter().filter(|l| ours.contains(l.load_balancer_arn().unwrap())) {
        out.push("load balancer".into());
        let listeners =
            a.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await.unwrap();
        for l in listeners.listeners() {
            out.push(format!("listener {}", l.port().unwrap_or_default()));
            let rules = a.elb.describe_rules().listener_arn(l.listener_arn().unwrap()).send().await.unwrap();
            out.extend(rules.rules().iter().filter(|r| r.is_default() != Some(true)).map(|_| "rule".to_string()));
        }
    }
    out.extend(
        tgs.target_groups()
            .iter()
            .filter(|t| ours.contains(t.target_group_arn().unwrap()))
            .map(|_| "target group".to_string()),
    );
    let filter = aws_sdk_ec2::types::Filter::builder().name("tag:stackwright.io/owner").values(&owner).build();
    let groups = a.ec2.describe_security_groups().filters(filter).send().await.unwrap();
    out.extend(groups.security_groups().iter().map(|_| "security group".to_string()));
    let roles = a.iam.list_roles().path_prefix("/stackwright/").send().await.unwrap();
    for r in roles.roles() {
        // Another test's role may be deleted between the listing and this read.
        let Ok(tags) = a.iam.list_role_tags().role_name(r.role_name()).send().await else { continue };
        if tags.tags().iter().any(|t| t.key() == "stackwright.io/owner" && t.value() == owner) {
            out.push("role".into());
        }
    }
    let prefix = format!("/stackwright/crashstack/{}/web/", case.ns);
    let logs = a.logs.describe_log_groups().log_group_name_prefix(&prefix).send().await.unwrap();
    out.extend(logs.log_groups().iter().map(|_| "log group".to_string()));
    for ns in a.cloudmap.list_namespaces().send().await.unwrap().namespaces() {
        let Ok(tags) = a.cloudmap.list_tags_for_resource().resource_arn(ns.arn().unwrap()).send().await else {
            continue;
        };
        if !tags.tags().iter().any(|t| t.key() == "stackwright.io/owner" && t.value() == owner) {
            continue;
        }
        out.push("namespace".into());
        let in_namespace = aws_sdk_servicediscovery::types::ServiceFilter::builder()
            .name(aws_sdk_servicediscovery::types::ServiceFilterName::NamespaceId)
            .values(ns.id().unwrap())
            .build()
            .unwrap();
        let services = a.cloudmap.list_services().filters(in_namespace).send().await.unwrap();
        out.extend(services.services().iter().map(|s| format!("discovery service {}", s.name().unwrap())));
    }
    let file_systems = a.efs.describe_file_systems().send().await.unwrap();
    for fs in file_systems.file_systems() {
        if !fs.tags().iter().any(|t| t.key() == "stackwright.io/owner" && t.value() == owner) {
            continue;
        }
        out.push("file system".into());
        let Ok(targets) = a.efs.describe_mount_targets().file_system_id(fs.file_system_id()).send().await else {
            continue; // deleted since the listing
        };
        out.extend(targets.mount_targets().iter().map(|_| "mount target".to_string()));
        let Ok(points) = a.efs.describe_access_points().file_system_id(fs.file_system_id()).send().await else {
            continue;
        };
        out.extend(points.access_points().iter().map(|_| "access point".to_string()));
    }
    out.sort();
    out
}

fn expected(revisions: usize, worker_scaled: bool) -> Vec<String> {
    expected_with(revisions, worker_scaled, false)
}

/// `expected`, with the HTTPS listener when `https` (the one rule then sits on it).
fn expected_with(revisions: usize, worker_scaled: bool, https: bool) -> Vec<String> {
    let mut want: Vec<String> = [
        "cluster",
        "discovery service api",
        "listener 80",
        "load balancer",
        "log group",
        "log group",
        "namespace",
        "policy api",
        "role",
        "role",
        "rule",
        "scalable target api",
        "security group",
        "security group",
        "service api",
        "service worker",
        "target group",
    ]
    .map(String::from)
    .to_vec();
    for _ in 0..revisions {
        want.push("revision api".into());
        want.push("revision worker".into());
    }
    if worker_scaled {
        want.push("policy worker".into());
        want.push("scalable target worker".into());
    }
    if https {
        want.push("listener 443".into());
    }
    want.sort();
    want
}

async fn eventually_owned(case: &Crash<AppStack>, want: Vec<String>) {
    support::crash::eventually_exactly(want, || owned(case)).await;
}

/// Create path: the controller dies right after `op` while creating the stack.
async fn create_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(&case, "registry.example/app:v1"));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected(1, true)).await;
    case.assert_never_stalled();
}

/// Update path: converged, then the controller dies right after `op` while it rolls a new image,
/// changes the health check and the api's rule, drops the worker's autoscaling, and lengthens
/// the log retention and idle timeout.
async fn update_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(&case, "registry.example/app:v1"));
    case.converge("web").await;
    case.apply("web", &updated(&case));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let stack = case.ready("web").await;
    eventually_owned(&case, expected(2, false)).await;
    case.assert_never_stalled();
    let services = stack.status.unwrap().services;
    assert!(
        services.iter().all(|s| s.task_definition_arn.as_deref().is_some_and(|a| a.ends_with(":2"))),
        "{services:?}"
    );
}

/// The spec with a certificate for the load balancer (an IAM server certificate made for the
/// case).
async fn with_certificate(case: &Crash<AppStack>, op: &str) -> String {
    let cert = support::server_certificate(&format!("{}-{}", case.ns, op.to_lowercase())).await;
    spec(case, "registry.example/app:v1") + &format!("  loadBalancer: {{certificateArn: {cert}}}\n")
}

/// HTTPS path: converged on HTTP, then the controller dies right after `op` while the stack
/// moves to HTTPS (:443 opened and made, :80 turned into a redirect, the rule moved to :443).
async fn https_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(&case, "registry.example/app:v1"));
    case.converge("web").await;
    case.apply("web", &with_certificate(&case, op).await);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected_with(1, true, true)).await;
    case.assert_never_stalled();
}

/// Back to HTTP: converged on HTTPS, the certificate removed; the controller dies right after
/// `op` (:443 deleted with its rule, :80 forwarding again).
async fn plain_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &with_certificate(&case, op).await);
    case.converge("web").await;
    case.apply("web", &spec(&case, "registry.example/app:v1"));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected(1, true)).await;
    case.assert_never_stalled();
}

/// Delete path: converged, deleted; the controller dies right after `op`.
async fn delete_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(&case, "registry.example/app:v1"));
    case.converge("web").await;
    case.api.delete("web", &DeleteParams::default()).await.unwrap();
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.gone("web").await;
    assert!(owned(&case).await.is_empty(), "no orphan: {:?}", owned(&case).await);
}

/// The spec with a volume on the api, whose file system goes with the stack or stays (`policy`).
fn with_volume(case: &Crash<AppStack>, policy: &str) -> String {
    spec(case, "registry.example/app:v1").replacen(
        "    port: 8000\n",
        "    port: 8000\n    volumes: [{name: data, mountPath: /data}]\n",
        1,
    ) + &format!("  volumeDeletionPolicy: {policy}\n")
}

fn expected_with_volume() -> Vec<String> {
    let mut want = expected(1, true);
    want.extend(["access point", "file system", "mount target"].map(String::from));
    want.sort();
    want
}

/// Volumes: the controller dies right after `op` while it creates a stack whose api has a volume.
async fn volume_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &with_volume(&case, "Delete"));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected_with_volume()).await;
    case.assert_never_stalled();
}

/// Deleting a stack with a volume: converged, deleted; the controller dies right after `op`. With
/// `volumeDeletionPolicy: Delete` nothing is left; with `Retain` the file system and its access
/// point are, and nothing else.
async fn volume_delete_path(op: &str, policy: &str) {
    let case = case(op).await;
    case.apply("web", &with_volume(&case, policy));
    case.converge("web").await;
    case.api.delete("web", &DeleteParams::default()).await.unwrap();
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.gone("web").await;
    let left: Vec<String> = if policy == "Retain" { vec!["access point".into(), "file system".into()] } else { vec![] };
    assert_eq!(owned(&case).await, left, "only what the policy keeps");
}

crash_points! { create_path:
    create_after_create_cluster => "CreateCluster";
    create_after_create_http_namespace => "CreateHttpNamespace";
    create_after_create_role => "CreateRole";
    create_after_put_role_policy => "PutRolePolicy";
    create_after_create_security_group => "CreateSecurityGroup";
    create_after_authorize_security_group_ingress => "AuthorizeSecurityGroupIngress";
    create_after_create_log_group => "CreateLogGroup";
    create_after_put_retention_policy => "PutRetentionPolicy";
    create_after_create_target_group => "CreateTargetGroup";
    create_after_modify_target_group_attributes => "ModifyTargetGroupAttributes";
    create_after_create_load_balancer => "CreateLoadBalancer";
    create_after_modify_load_balancer_attributes => "ModifyLoadBalancerAttributes";
    create_after_create_listener => "CreateListener";
    create_after_create_rule => "CreateRule";
    create_after_register_task_definition => "RegisterTaskDefinition";
    create_after_create_service => "CreateService";
    create_after_register_scalable_target => "RegisterScalableTarget";
    create_after_put_scaling_policy => "PutScalingPolicy";
}

crash_points! { update_path:
    update_after_register_task_definition => "RegisterTaskDefinition";
    update_after_update_service => "UpdateService";
    update_after_tag_resource => "TagResource";
    update_after_modify_target_group => "ModifyTargetGroup";
    update_after_modify_rule => "ModifyRule";
    update_after_set_rule_priorities => "SetRulePriorities";
    update_after_deregister_scalable_target => "DeregisterScalableTarget";
    update_after_put_retention_policy => "PutRetentionPolicy";
    update_after_modify_load_balancer_attributes => "ModifyLoadBalancerAttributes";
}

crash_points! { delete_path:
    delete_after_delete_service => "DeleteService";
    delete_after_deregister_scalable_target => "DeregisterScalableTarget";
    delete_after_delete_load_balancer => "DeleteLoadBalancer";
    delete_after_delete_target_group => "DeleteTargetGroup";
    delete_after_revoke_security_group_ingress => "RevokeSecurityGroupIngress";
    delete_after_delete_security_group => "DeleteSecurityGroup";
    delete_after_delete_role_policy => "DeleteRolePolicy";
    delete_after_delete_role => "DeleteRole";
    delete_after_delete_log_group => "DeleteLogGroup";
    delete_after_deregister_task_definition => "DeregisterTaskDefinition";
    delete_after_delete_cluster => "DeleteCluster";
    delete_after_delete_discovery_service => "servicediscovery.DeleteService";
    delete_after_delete_namespace => "DeleteNamespace";
}

crash_points! { https_path:
    https_after_modify_listener => "ModifyListener";
    https_after_create_listener => "CreateListener";
    https_after_create_rule => "CreateRule";
    https_after_delete_rule => "DeleteRule";
}

crash_points! { plain_path:
    plain_after_delete_listener => "DeleteListener";
    plain_after_revoke_security_group_ingress => "RevokeSecurityGroupIngress";
}

crash_points! { volume_path:
    volume_after_create_file_system => "CreateFileSystem";
    volume_after_create_mount_target => "CreateMountTarget";
    volume_after_create_access_point => "CreateAccessPoint";
    volume_after_authorize_security_group_ingress => "AuthorizeSecurityGroupIngress";
}

crash_points! { volume_delete_path:
    volume_delete_after_delete_mount_target => "DeleteMountTarget", "Delete";
    volume_delete_after_delete_access_point => "DeleteAccessPoint", "Delete";
    volume_delete_after_delete_file_system => "DeleteFileSystem", "Delete";
    volume_kept_after_delete_mount_target => "DeleteMountTarget", "Retain";
    volume_kept_after_delete_security_group => "DeleteSecurityGroup", "Retain";
}
