//! Tier 2: every ECS adapter call the AppStack reconciler uses (its cluster, task definition
//! revisions and services), against the emulator, including how errors map to categories and the
//! deployment lifecycle as the adapter reports it: a first rollout, a new task definition, a
//! capacity provider change, and failing tasks stopped by the circuit breaker; and ECS Service
//! Connect over a Cloud Map namespace (the Cloud Map adapter); and task volumes on an EFS file
//! system through an access point (the EFS adapter).
//!
//! Names carry the process id and the test, so the tests run in parallel in one emulator. Rollouts
//! take the time of each service's `stackwright-emulator/rollout-seconds` tag ("0" where a test
//! does not watch them); the tests poll for states with a deadline, never sleep a fixed time.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stackwright_cloud::ecs::{
    AwsLogs, ConnectService, Container, ContainerHealthCheck, DeploymentConfiguration, Ecs, EfsVolume,
    LoadBalancerAttachment, MountPoint, NetworkConfiguration, NewService, NewTaskDefinition, Service, ServiceConnect,
    ServiceUpdate,
};
use stackwright_cloud::efs::{NewAccessPoint, PosixUser};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

const ROLLOUT_TAG: &str = "stackwright-emulator/rollout-seconds";
const BREAKER_REASON: &str = "ECS deployment circuit breaker: tasks failed to start.";

/// The operations an adapter called.
#[derive(Debug, Default)]
struct Calls(Mutex<Vec<String>>);

impl CallRecorder for Calls {
    fn record(&self, _service: &str, operation: &str, _outcome: CallOutcome) {
        self.0.lock().unwrap().push(operation.into());
    }
    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: Duration) {}
}

impl Calls {
    fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|o| *o == operation).count()
    }
}

async fn ecs_counted() -> (Ecs, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    (Cloud::new(support::env().aws_settings(), calls.clone()).await.ecs(support::REGION), calls)
}

async fn ecs() -> Ecs {
    ecs_counted().await.0
}

fn unique(name: &str) -> String {
    format!("adapter-{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A VPC of the test's own with two subnets and a task security group, made with a plain EC2 client.
async fn network(octet: u8, name: &str) -> NetworkConfiguration {
    let ec2 = aws_sdk_ec2::Client::new(&support::env().sdk_config().await);
    let (vpc, subnet_ids) = support::network(&ec2, octet).await;
    let group = support::task_group(&ec2, &vpc, name).await;
    NetworkConfiguration { subnet_ids, security_group_ids: vec![group], assign_public_ip: false }
}

/// A task definition as the AppStack reconciler registers one: every part of the container set.
fn task_definition(family: &str, image: &str) -> NewTaskDefinition {
    NewTaskDefinition {
        family: family.into(),
        cpu: 256,
        memory: 512,
        cpu_architecture: "X86_64".into(),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/shop-execution".into()),
        task_role_arn: Some("arn:aws:iam::123456789012:role/shop-task".into()),
        container: Container {
            name: "api".into(),
            image: image.into(),
            command: vec!["serve".into(), "--port=8080".into()],
            port: Some(8080),
            port_name: Some("http".into()),
            environment: vec![("LOG_LEVEL".into(), "info".into()), ("DB_HOST".into(), "db.internal".into())],
            secrets: vec![(
                "DB_PASSWORD".into(),
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf:password::".into(),
            )],
            health_check: Some(ContainerHealthCheck {
                command: vec!["CMD-SHELL".into(), "curl -fs http://localhost:8080/health || exit 1".into()],
                interval_seconds: 15,
                timeout_seconds: 5,
                retries: 3,
                start_period_seconds: 20,
            }),
            logs: AwsLogs {
                group: format!("/stackwright/ns/{family}"),
                region: support::REGION.into(),
                stream_prefix: "api".into(),
            },
            essential: true,
            mounts: vec![],
        },
        volumes: vec![],
        tags: tags(&[("stackwright.io/owner", "ns/shop")]),
    }
}

fn new_service(
    cluster: &str,
    name: &str,
    task_definition: &str,
    network: &NetworkConfiguration,
    rollout: &str,
) -> NewService {
    NewService {
        cluster: cluster.into(),
        name: name.into(),
        task_definition: task_definition.into(),
        desired_count: 2,
        capacity_provider: "FARGATE".into(),
        network: network.clone(),
        load_balancers: vec![],
        deployment_configuration: DeploymentConfiguration {
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: true,
            rollback: true,
        },
        health_check_grace_period_seconds: None,
        service_connect: ServiceConnect::default(),
        tags: tags(&[("stackwright.io/owner", "ns/shop"), (ROLLOUT_TAG, rollout)]),
        // ECS takes up to 36 ASCII characters; the name's end is what differs between services.
        client_token: name[name.len().saturating_sub(36)..].to_string(),
    }
}

/// A cluster of the test's own.
async fn cluster(ecs: &Ecs, name: &str) -> String {
    let name = unique(name);
    ecs.create_cluster(&name, &BTreeMap::new()).await.unwrap();
    name
}

async fn register(ecs: &Ecs, family: &str, image: &str) -> String {
    ecs.register_task_definition(&task_definition(family, image)).await.unwrap().arn
}

/// The one service `name`, as DescribeServices reports it now.
async fn service(ecs: &Ecs, cluster: &str, name: &str) -> Option<Service> {
    ecs.services(cluster, &[name.to_string()]).await.unwrap().into_iter().next()
}

/// Polls (bounded) until the service satisfies `pred`, and returns it.
async fn wait_for(ecs: &Ecs, cluster: &str, name: &str, what: &str, pred: impl Fn(&Service) -> bool) -> Service {
    support::eventually(what, Duration::from_secs(60), || async {
        service(ecs, cluster, name).await.filter(|s| pred(s))
    })
    .await
}

fn rollout(s: &Service) -> Option<&str> {
    s.primary().and_then(|d| d.rollout_state.as_deref())
}

#[tokio::test]
async fn a_cluster_is_created_with_tags_read_back_and_deleted() {
    let ecs = ecs().await;
    let name = unique("cluster");
    let owner = tags(&[("stackwright.io/owner", "ns/shop")]);
    assert_eq!(ecs.cluster(&name).await.unwrap(), None);

    let created = ecs.create_cluster(&name, &owner).await.unwrap();
    assert_eq!((created.name.as_str(), created.status.as_str()), (name.as_str(), "ACTIVE"));
    assert!(created.arn.starts_with("arn:aws:ecs:us-east-1:") && created.arn.ends_with(&format!(":cluster/{name}")));
    assert_eq!(created.tags, owner);
    assert_eq!(ecs.cluster(&name).await.unwrap(), Some(created.clone()));
    // CreateCluster for an ACTIVE name is that cluster.
    assert_eq!(ecs.create_cluster(&name, &owner).await.unwrap().arn, created.arn);

    ecs.tag_resource(&created.arn, &tags(&[("team", "payments")])).await.unwrap();
    let read = ecs.cluster(&name).await.unwrap().unwrap();
    assert_eq!(read.tags, tags(&[("stackwright.io/owner", "ns/shop"), ("team", "payments")]));

    ecs.delete_cluster(&name).await.unwrap();
    assert_eq!(ecs.cluster(&name).await.unwrap(), None, "an INACTIVE cluster is a deleted one");
    ecs.delete_cluster(&name).await.unwrap();
    ecs.delete_cluster(&unique("never-was")).await.unwrap();
}

#[tokio::test]
async fn task_definitions_are_registered_read_back_listed_and_deregistered() {
    let ecs = ecs().await;
    let family = unique("shop-api");
    // A family whose name starts with the other's: ListTaskDefinitions' familyPrefix finds both.
    let longer = format!("{family}-worker");

    let def = task_definition(&family, "registry.example/shop/api:1.0");
    let first = ecs.register_task_definition(&def).await.unwrap();
    assert_eq!((first.family.as_str(), first.revision, first.status.as_str()), (family.as_str(), 1, "ACTIVE"));
    assert!(first.arn.ends_with(&format!(":task-definition/{family}:1")), "{}", first.arn);
    assert_eq!(first.tags, def.tags);
    // What was registered reads back as it was sent.
    assert_eq!(ecs.task_definition_content(&first.arn).await.unwrap(), Some(def.clone()));

    // The least a definition can be: no port, command, environment, secrets, health check or roles.
    let bare = NewTaskDefinition {
        cpu: 512,
        memory: 1024,
        cpu_architecture: "ARM64".into(),
        execution_role_arn: None,
        task_role_arn: None,
        container: Container {
            name: "api".into(),
            image: "registry.example/shop/api:1.1".into(),
            logs: def.container.logs.clone(),
            essential: true,
            ..Container::default()
        },
        tags: BTreeMap::new(),
        ..def.clone()
    };
    let second = ecs.register_task_definition(&bare).await.unwrap();
    assert_eq!(second.revision, 2);
    assert_eq!(ecs.task_definition_content(&second.arn).await.unwrap(), Some(bare));
    let other = register(&ecs, &longer, "registry.example/shop/worker:1").await;

    assert_eq!(
        ecs.task_definition_arns(&family).await.unwrap(),
        [second.arn.as_str(), first.arn.as_str()],
        "newest first, only this family"
    );
    assert_eq!(ecs.task_definition_arns(&longer).await.unwrap(), [other]);

    assert_eq!(ecs.task_definition(&first.arn).await.unwrap(), Some(first.clone()));
    assert_eq!(
        ecs.task_definition(&format!("{family}:1")).await.unwrap(),
        Some(first.clone()),
        "family:revision as ARN"
    );
    ecs.tag_resource(&first.arn, &tags(&[("team", "payments")])).await.unwrap();
    let tagged = ecs.task_definition(&first.arn).await.unwrap().unwrap();
    assert_eq!(tagged.tags, tags(&[("stackwright.io/owner", "ns/shop"), ("team", "payments")]));

    ecs.deregister_task_definition(&first.arn).await.unwrap();
    let gone = ecs.task_definition(&first.arn).await.unwrap().unwrap();
    assert_eq!(gone.status, "INACTIVE", "a deregistered revision stays readable");
    assert_eq!(ecs.task_definition_arns(&family).await.unwrap(), [second.arn.as_str()]);
    ecs.deregister_task_definition(&first.arn).await.unwrap(); // inactive already: success

    let missing = format!("{family}:99");
    assert_eq!(ecs.task_definition(&missing).await.unwrap(), None);
    assert_eq!(ecs.task_definition_content(&missing).await.unwrap(), None);
    ecs.deregister_task_definition(&missing).await.unwrap();
    assert_eq!(ecs.task_definition_arns(&unique("no-such-family")).await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn a_service_rolls_out_its_first_deployment_then_each_change() {
    let ecs = ecs().await;
    let cluster = cluster(&ecs, "rollout").await;
    let family = unique("rollout");
    let v1 = register(&ecs, &family, "registry.example/shop/api:1").await;
    let v2 = register(&ecs, &family, "registry.example/shop/api:2").await;
    let network = network(61, &unique("rollout")).await;
    let name = unique("api");
    let mut wanted = new_service(&cluster, &name, &v1, &network, "3");
    // The emulator does not look the target group up.
    let target_group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api/0123456789abcdef";
    wanted.load_balancers = vec![LoadBalancerAttachment {
        target_group_arn: target_group.into(),
        container_name: "api".into(),
        container_port: 8080,
    }];
    wanted.health_check_grace_period_seconds = Some(30);

    let created = ecs.create_service(&wanted).await.unwrap();
    assert_eq!((created.name.as_str(), created.status.as_str()), (name.as_str(), "ACTIVE"));
    assert!(
        created.arn.contains(&format!(":service/{cluster}/{name}"))
            || created.arn.ends_with(&format!(":service/{name}")),
        "{}",
        created.arn
    );
    assert_eq!(created.task_definition, v1);
    assert_eq!((created.capacity_provider.as_deref(), created.launch_type.as_deref()), (Some("FARGATE"), None));
    assert_eq!(created.deployment_configuration, wanted.deployment_configuration);
    assert_eq!(created.health_check_grace_period_seconds, Some(30));
    assert_eq!(created.network, network);
    assert_eq!(created.load_balancers, wanted.load_balancers);
    assert_eq!(created.tags, wanted.tags);
    // The create's own answer shows the first deployment starting.
    let first = created.primary().unwrap().clone();
    assert_eq!(created.deployments.len(), 1);
    assert_eq!((first.rollout_state.as_deref(), first.task_definition.as_str()), (Some("IN_PROGRESS"), v1.as_str()));
    assert_eq!((first.desired_count, first.running_count, first.pending_count), (2, 0, 2));

    let done =
        wait_for(&ecs, &cluster, &name, "the first deployment completes", |s| rollout(s) == Some("COMPLETED")).await;
    let primary = done.primary().unwrap();
    assert_eq!(primary.id, first.id);
    assert_eq!((primary.running_count, primary.pending_count, done.running_count), (2, 0, 2));
    assert!(
        done.events.iter().any(|e| e.contains(&format!("(deployment {}) deployment completed.", first.id))),
        "{:?}",
        done.events
    );
    assert!(done.events.iter().any(|e| e.contains("has reached a steady state.")), "{:?}", done.events);
    assert_eq!(done.tags, wanted.tags, "described with its tags");

    // A new task definition is a new PRIMARY deployment; the old one stays ACTIVE with its tasks.
    let updated = ecs
        .update_service(&cluster, &name, &ServiceUpdate { task_definition: Some(v2.clone()), ..Default::default() })
        .await
        .unwrap();
    let second = updated.primary().unwrap().clone();
    assert_ne!(second.id, first.id);
    assert_eq!((second.task_definition.as_str(), second.rollout_state.as_deref()), (v2.as_str(), Some("IN_PROGRESS")));
    assert_eq!(updated.task_definition, v2);
    let previous: Vec<_> = updated
        .deployments
        .iter()
        .skip(1)
        .map(|d| (d.id.as_str(), d.status.as_str(), d.task_definition.as_str(), d.running_count))
        .collect();
    assert_eq!(previous, [(first.id.as_str(), "ACTIVE", v1.as_str(), 2)], "PRIMARY first, then the one it replaces");

    let done = wait_for(&ecs, &cluster, &name, "the second deployment completes", |s| {
        rollout(s) == Some("COMPLETED") && s.deployments.len() == 1
    })
    .await;
    assert_eq!(done.primary().unwrap().id, second.id);
    assert_eq!(done.task_definition, v2);

    // A new desired count alone is no new deployment.
    let scaled = ecs
        .update_service(&cluster, &name, &ServiceUpdate { desired_count: Some(3), ..Default::default() })
        .await
        .unwrap();
    assert_eq!((scaled.desired_count, scaled.primary().unwrap().id.as_str()), (3, second.id.as_str()));

    // Another capacity provider is (a forced deployment, as ECS wants) a new deployment.
    let spot = ecs
        .update_service(
            &cluster,
            &name,
            &ServiceUpdate { capacity_provider: Some("FARGATE_SPOT".into()), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(spot.capacity_provider.as_deref(), Some("FARGATE_SPOT"));
    let third = spot.primary().unwrap();
    assert!(third.id != second.id && third.task_definition == v2, "{:?}", spot.deployments);

    // Settings without a deployment of their own, read back.
    let network2 = NetworkConfiguration { assign_public_ip: true, ..network.clone() };
    let config = DeploymentConfiguration {
        minimum_healthy_percent: 50,
        maximum_percent: 150,
        circuit_breaker: true,
        rollback: false,
    };
    let changed = ecs
        .update_service(
            &cluster,
            &name,
            &ServiceUpdate {
                network: Some(network2.clone()),
                load_balancers: Some(vec![]),
                deployment_configuration: Some(config.clone()),
                health_check_grace_period_seconds: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let read = service(&ecs, &cluster, &name).await.unwrap();
    for s in [&changed, &read] {
        assert_eq!(s.network, network2);
        assert_eq!(s.load_balancers, vec![]);
        assert_eq!(s.deployment_configuration, config);
        assert_eq!(s.health_check_grace_period_seconds, Some(60));
        assert_eq!(s.desired_count, 3);
    }

    ecs.delete_service(&cluster, &name).await.unwrap();
}

#[tokio::test]
async fn a_service_is_created_once_per_client_token_and_deleted() {
    let ecs = ecs().await;
    let cluster = cluster(&ecs, "token").await;
    let td = register(&ecs, &unique("token"), "registry.example/shop/api:1").await;
    let network = network(62, &unique("token")).await;
    let name = unique("api");
    let wanted = new_service(&cluster, &name, &td, &network, "0");

    let created = ecs.create_service(&wanted).await.unwrap();
    // A retry of the same create (a reconcile killed after the call went through) is the same service.
    let again = ecs.create_service(&wanted).await.unwrap();
    assert_eq!(
        (again.arn.as_str(), again.primary().unwrap().id.as_str()),
        (created.arn.as_str(), created.primary().unwrap().id.as_str())
    );
    // Another token for the name: AWS's InvalidParameterException, which means "observe again".
    let other = NewService { client_token: "another-token".into(), ..wanted.clone() };
    let err = ecs.create_service(&other).await.unwrap_err();
    assert_eq!(
        (err.category, err.code.as_str(), err.operation),
        (ErrorCategory::Invalid, "InvalidParameterException", "ecs:CreateService"),
        "{err}"
    );
    assert!(err.message.contains("not idempotent"), "{err}");

    ecs.tag_resource(&created.arn, &tags(&[("team", "payments")])).await.unwrap();
    assert_eq!(service(&ecs, &cluster, &name).await.unwrap().tags.get("team").map(String::as_str), Some("payments"));

    // Deleted with tasks still running (force): it reads back INACTIVE, scaled to zero.
    ecs.delete_service(&cluster, &name).await.unwrap();
    let deleted = service(&ecs, &cluster, &name).await.unwrap();
    assert_eq!((deleted.status.as_str(), deleted.desired_count), ("INACTIVE", 0));
    ecs.delete_service(&cluster, &name).await.unwrap(); // deleted already: success
    ecs.delete_service(&cluster, &unique("never-was")).await.unwrap();

    let err = ecs
        .update_service(&cluster, &name, &ServiceUpdate { desired_count: Some(1), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ServiceNotActiveException"), "{err}");
    ecs.delete_cluster(&cluster).await.unwrap();
}

#[tokio::test]
async fn services_join_a_cloud_map_namespace_over_service_connect_which_goes_after_them() {
    let cloud = Cloud::new(support::env().aws_settings(), Arc::new(Calls::default())).await;
    let (ecs, cloudmap) = (cloud.ecs(support::REGION), cloud.cloudmap(support::REGION));
    let name = unique("connect");
    let owner = tags(&[("stackwright.io/owner", "ns/shop")]);

    // A create retried with its request id (a reconcile killed after the call) is the same one.
    cloudmap.create_http_namespace(&name, &format!("{name}-request"), &owner).await.unwrap();
    cloudmap.create_http_namespace(&name, &format!("{name}-request"), &owner).await.unwrap();
    let ns = support::eventually("the namespace is listed", Duration::from_secs(30), || async {
        cloudmap.http_namespace(&name).await.unwrap()
    })
    .await;
    assert_eq!((ns.name.as_str(), ns.id.is_empty()), (name.as_str(), false));
    assert_eq!(cloudmap.tags(&ns.arn).await.unwrap(), Some(owner.clone()));
    let err = cloudmap.create_http_namespace(&name, "someone-else", &owner).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::AlreadyExists, "NamespaceAlreadyExists"), "{err}");
    assert_eq!(cloudmap.http_namespace(&unique("never-was")).await.unwrap(), None);

    let cluster = cluster(&ecs, "connect").await;
    let td = register(&ecs, &unique("connect"), "registry.example/shop/api:1").await;
    let network = network(66, &unique("connect")).await;
    let connect = ServiceConnect {
        enabled: true,
        namespace: Some(ns.arn.clone()),
        services: vec![ConnectService { port_name: "http".into(), dns_name: "api".into(), port: 8080 }],
    };
    let api = unique("api");
    let wanted = NewService { service_connect: connect.clone(), ..new_service(&cluster, &api, &td, &network, "0") };
    ecs.create_service(&wanted).await.unwrap();
    assert_eq!(service(&ecs, &cluster, &api).await.unwrap().service_connect, connect);
    // ECS made the Cloud Map service clients find `api` through.
    let names: Vec<String> = cloudmap.services(&ns.id).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["http"]);
    let err = cloudmap.delete_namespace(&ns.id).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "ResourceInUse"), "{err}");

    // Turned off: the service reads back without it.
    let off = ServiceUpdate { service_connect: Some(ServiceConnect::default()), ..Default::default() };
    ecs.update_service(&cluster, &api, &off).await.unwrap();
    assert_eq!(service(&ecs, &cluster, &api).await.unwrap().service_connect, ServiceConnect::default());

    // ECS leaves its Cloud Map services behind; the namespace goes after them.
    ecs.delete_service(&cluster, &api).await.unwrap();
    let left = cloudmap.services(&ns.id).await.unwrap();
    assert_eq!(left.len(), 1);
    for s in &left {
        cloudmap.delete_service(&s.id).await.unwrap();
        cloudmap.delete_service(&s.id).await.unwrap(); // gone already: success
    }
    cloudmap.delete_namespace(&ns.id).await.unwrap();
    support::eventually("the namespace is gone", Duration::from_secs(30), || async {
        cloudmap.http_namespace(&name).await.unwrap().is_none().then_some(())
    })
    .await;
    cloudmap.delete_namespace(&ns.id).await.unwrap(); // gone already: success
    ecs.delete_cluster(&cluster).await.unwrap();
}

#[tokio::test]
async fn services_are_described_ten_at_a_time_and_missing_ones_left_out() {
    let ecs = ecs().await;
    let cluster = cluster(&ecs, "batches").await;
    let td = register(&ecs, &unique("batches"), "registry.example/shop/api:1").await;
    let network = network(63, &unique("batches")).await;
    let mut names: Vec<String> = (0..12).map(|i| unique(&format!("svc-{i:02}"))).collect();
    for name in &names {
        ecs.create_service(&new_service(&cluster, name, &td, &network, "0")).await.unwrap();
    }
    ecs.delete_service(&cluster, &names[11]).await.unwrap();

    let mut asked = names.clone();
    asked.insert(3, unique("missing-a"));
    asked.push(unique("missing-b"));
    let (counted, calls) = ecs_counted().await;
    let mut found: Vec<(String, String)> =
        counted.services(&cluster, &asked).await.unwrap().into_iter().map(|s| (s.name, s.status)).collect();
    assert_eq!(calls.count("DescribeServices"), 2, "14 names, at most 10 per call");
    found.sort();
    names.sort();
    let want: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), if *n == unique("svc-11") { "INACTIVE" } else { "ACTIVE" }.to_string()))
        .collect();
    assert_eq!(found, want, "every known service across two batches, deleted ones too");

    assert_eq!(counted.services(&cluster, &[]).await.unwrap(), vec![]);
    assert_eq!(calls.count("DescribeServices"), 2, "no names, no call");
    assert_eq!(ecs.services(&unique("no-such-cluster"), &names).await.unwrap(), vec![]);
    let err = ecs
        .update_service(
            &unique("no-such-cluster"),
            &names[0],
            &ServiceUpdate { desired_count: Some(1), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ClusterNotFoundException"), "{err}");
    for name in &names {
        ecs.delete_service(&cluster, name).await.unwrap();
    }
}

#[tokio::test]
async fn a_first_deployment_whose_tasks_fail_is_failed_by_the_circuit_breaker() {
    let ecs = ecs().await;
    let cluster = cluster(&ecs, "fails").await;
    let broken = register(&ecs, &unique("fails"), "registry.example/shop/api:2-emulator-fail").await;
    let network = network(64, &unique("fails")).await;
    let name = unique("api");
    ecs.create_service(&new_service(&cluster, &name, &broken, &network, "1")).await.unwrap();

    // Nothing to roll back to: the service stays on the failed deployment.
    let failed = wait_for(&ecs, &cluster, &name, "the deployment fails", |s| rollout(s) == Some("FAILED")).await;
    let primary = failed.primary().unwrap();
    assert_eq!(primary.rollout_state_reason.as_deref(), Some(BREAKER_REASON));
    assert_eq!((primary.task_definition.as_str(), primary.running_count), (broken.as_str(), 0));
    assert!(primary.failed_tasks >= 3, "the breaker's threshold is at least 3: {primary:?}");
    assert!(
        failed
            .events
            .iter()
            .any(|e| e.contains(&format!("(deployment {}) deployment failed: tasks failed to start.", primary.id))),
        "{:?}",
        failed.events
    );
    ecs.delete_service(&cluster, &name).await.unwrap();
}

#[tokio::test]
async fn a_failing_update_is_rolled_back_by_the_circuit_breaker() {
    let ecs = ecs().await;
    let cluster = cluster(&ecs, "rollback").await;
    let family = unique("rollback");
    let good = register(&ecs, &family, "registry.example/shop/api:1").await;
    let broken = register(&ecs, &family, "registry.example/shop/api:2-emulator-fail").await;
    let network = network(65, &unique("rollback")).await;
    let name = unique("api");
    // Long enough a rollout for the failed deployment to be seen beside its rollback.
    ecs.create_service(&new_service(&cluster, &name, &good, &network, "5")).await.unwrap();
    let stable =
        wait_for(&ecs, &cluster, &name, "the first deployment completes", |s| rollout(s) == Some("COMPLETED")).await;
    let stable_id = stable.primary().unwrap().id.clone();

    let updated = ecs
        .update_service(&cluster, &name, &ServiceUpdate { task_definition: Some(broken.clone()), ..Default::default() })
        .await
        .unwrap();
    let bad_id = updated.primary().unwrap().id.clone();
    assert_eq!(updated.task_definition, broken);

    // The breaker fails the deployment and starts a rollback to the last completed one.
    let rolling = wait_for(&ecs, &cluster, &name, "a rollback is under way", |s| {
        s.primary().is_some_and(|p| p.id != bad_id && p.id != stable_id)
    })
    .await;
    let rollback = rolling.primary().unwrap();
    assert_eq!(rollback.task_definition, good);
    assert_eq!(
        rollback.rollout_state_reason.as_deref(),
        Some(format!("ECS deployment circuit breaker: rolling back to deploymentId {stable_id}.").as_str())
    );
    let failed =
        rolling.deployments.iter().find(|d| d.id == bad_id).unwrap_or_else(|| panic!("{:?}", rolling.deployments));
    assert_eq!(
        (failed.rollout_state.as_deref(), failed.rollout_state_reason.as_deref()),
        (Some("FAILED"), Some(BREAKER_REASON))
    );
    assert!(failed.failed_tasks >= 3, "{failed:?}");
    assert!(
        rolling.events.iter().any(|e| e.contains(&format!("rolling back to deployment {stable_id}."))),
        "{:?}",
        rolling.events
    );

    let done = wait_for(&ecs, &cluster, &name, "the rollback completes", |s| {
        rollout(s) == Some("COMPLETED") && s.deployments.len() == 1
    })
    .await;
    assert_eq!(done.task_definition, good);
    assert_eq!(done.running_count, 2);
    ecs.delete_service(&cluster, &name).await.unwrap();
}

/// An operation the emulator does not implement answers AWS's own unknown-operation error in each
/// protocol (awsJson: `UnknownOperationException`; awsQuery and ec2Query: `InvalidAction`), which
/// the SDK parses and the adapter classifies as a request a person must change, not as a
/// transient failure to retry (an HTML page would be unparseable).
#[tokio::test]
async fn an_operation_the_emulator_lacks_is_an_aws_error_the_adapter_classifies() {
    use stackwright_cloud::CloudError;
    let config = support::env().sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let json = ecs.get_task_protection().cluster("default").send().await.unwrap_err();
    let json = CloudError::from_sdk("ecs:GetTaskProtection", json);
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let query = elbv2.describe_trust_stores().send().await.unwrap_err();
    let query = CloudError::from_sdk("elbv2:DescribeTrustStores", query);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ec2_query = ec2.describe_fpga_images().send().await.unwrap_err();
    let ec2_query = CloudError::from_sdk("ec2:DescribeFpgaImages", ec2_query);
    for (e, code) in [(&json, "UnknownOperationException"), (&query, "InvalidAction"), (&ec2_query, "InvalidAction")] {
        assert_eq!((e.code.as_str(), e.category), (code, ErrorCategory::Invalid), "{e}");
    }
}

#[tokio::test]
async fn a_task_mounts_an_efs_access_point_and_the_file_system_goes_only_after_its_mount_targets() {
    let cloud = Cloud::new(support::env().aws_settings(), Arc::new(Calls::default())).await;
    let (ecs, efs) = (cloud.ecs(support::REGION), cloud.efs(support::REGION));
    let token = unique("volumes");
    let owner = tags(&[("stackwright.io/owner", "AppStack/ns/chat")]);

    // The creation token makes the create idempotent: the retry names the same file system.
    let fs = efs.create_file_system(&token, &owner).await.unwrap();
    assert!(fs.encrypted, "{fs:?}");
    let again = efs.create_file_system(&token, &owner).await.unwrap_err();
    assert_eq!((again.category, again.code.as_str()), (ErrorCategory::AlreadyExists, "FileSystemAlreadyExists"));
    let fs = support::eventually("the file system is available", Duration::from_secs(30), || async {
        efs.file_system_by_token(&token).await.unwrap().filter(|f| f.state == "available")
    })
    .await;
    assert_eq!((fs.tags.clone(), fs.creation_token.as_str()), (owner.clone(), token.as_str()));
    assert_eq!(efs.file_system_by_token(&unique("never-was")).await.unwrap(), None);

    // One mount target per zone: a second in the zone is refused as already there.
    let network = network(67, &unique("volumes")).await;
    for subnet in &network.subnet_ids {
        efs.create_mount_target(&fs.id, subnet, &network.security_group_ids).await.unwrap();
    }
    let twice = efs.create_mount_target(&fs.id, &network.subnet_ids[0], &network.security_group_ids).await;
    assert_eq!(twice.unwrap_err().category, ErrorCategory::AlreadyExists);
    let targets = support::eventually("the mount targets are available", Duration::from_secs(30), || async {
        let t = efs.mount_targets(&fs.id).await.unwrap();
        t.iter().all(|m| m.state == "available").then_some(t)
    })
    .await;
    let mut zones: Vec<&str> = targets.iter().map(|m| m.availability_zone.as_str()).collect();
    zones.sort_unstable();
    assert_eq!(zones, [format!("{}a", support::REGION), format!("{}b", support::REGION)]);

    // An access point: its own root directory and user; the same client token is the same one.
    let new = NewAccessPoint {
        client_token: format!("{token}-data"),
        file_system_id: fs.id.clone(),
        root_directory: "/mongo/data".into(),
        user: PosixUser { uid: 999, gid: 999 },
        permissions: "755".into(),
        tags: owner.clone(),
    };
    let ap = efs.create_access_point(&new).await.unwrap();
    let retried = efs.create_access_point(&new).await.unwrap_err();
    assert_eq!(retried.category, ErrorCategory::AlreadyExists, "{retried}");
    let listed = efs.access_points(&fs.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].root_directory.as_str(), listed[0].posix_user.clone()),
        (ap.id.as_str(), "/mongo/data", Some(PosixUser { uid: 999, gid: 999 }))
    );

    // The task definition mounts it, and reads back as registered.
    let mut def = task_definition(&unique("volumes"), "mongo:7");
    def.volumes =
        vec![EfsVolume { name: "data".into(), file_system_id: fs.id.clone(), access_point_id: ap.id.clone() }];
    def.container.mounts =
        vec![MountPoint { volume: "data".into(), container_path: "/data/db".into(), read_only: false }];
    let registered = ecs.register_task_definition(&def).await.unwrap();
    let content = ecs.task_definition_content(&registered.arn).await.unwrap().unwrap();
    assert_eq!((content.volumes, content.container.mounts), (def.volumes.clone(), def.container.mounts.clone()));

    // The file system goes only after its mount targets.
    let busy = efs.delete_file_system(&fs.id).await.unwrap_err();
    assert_eq!((busy.category, busy.code.as_str()), (ErrorCategory::Busy, "FileSystemInUse"), "{busy}");
    for m in &targets {
        efs.delete_mount_target(&m.id).await.unwrap();
    }
    support::eventually("the mount targets are gone", Duration::from_secs(30), || async {
        efs.mount_targets(&fs.id).await.unwrap().is_empty().then_some(())
    })
    .await;
    efs.delete_access_point(&ap.id).await.unwrap();
    efs.delete_access_point(&ap.id).await.unwrap(); // gone already: success
    efs.delete_file_system(&fs.id).await.unwrap();
    support::eventually("the file system is gone", Duration::from_secs(30), || async {
        efs.file_system_by_token(&token).await.unwrap().is_none().then_some(())
    })
    .await;
    efs.delete_file_system(&fs.id).await.unwrap(); // gone already: success
    ecs.deregister_task_definition(&registered.arn).await.unwrap();
}
