//! Tier 2: every Application Auto Scaling adapter call the AppStack reconciler uses (scalable
//! targets of ECS services, target-tracking policies, tags), against the emulator, including how
//! errors map to categories. Each test makes its own ECS cluster and services with a plain ECS
//! client and names everything after the process and the test, so tests run in parallel in one
//! emulator.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stackwright_cloud::autoscaling::{AutoScaling, Metric, ScalableTarget, ScalingPolicy};
use stackwright_cloud::elbv2::{HealthCheck, NewLoadBalancer, NewTargetGroup};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug, Default)]
struct Calls(Mutex<Vec<(String, CallOutcome)>>);

impl CallRecorder for Calls {
    fn record(&self, _service: &str, operation: &str, outcome: CallOutcome) {
        self.0.lock().unwrap().push((operation.into(), outcome));
    }

    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: Duration) {}
}

impl Calls {
    fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|c| c.0 == operation).count()
    }
}

async fn cloud() -> (Cloud, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    (Cloud::new(support::env().aws_settings(), calls.clone()).await, calls)
}

async fn autoscaling() -> (AutoScaling, Arc<Calls>) {
    let (cloud, calls) = cloud().await;
    (cloud.autoscaling(support::REGION), calls)
}

fn unique(name: &str) -> String {
    format!("t{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// An ECS cluster of this test's own with a service of each name (Application Auto Scaling
/// registers only services that exist); returns their resource ids `service/<cluster>/<name>`.
async fn services(cluster: &str, names: &[&str]) -> Vec<String> {
    let ecs = aws_sdk_ecs::Client::new(&support::env().sdk_config().await);
    ecs.create_cluster().cluster_name(cluster).send().await.unwrap();
    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name("web").image("nginx:1").memory(512).build();
    let task = ecs.register_task_definition().family(cluster).container_definitions(container).send().await.unwrap();
    let task = task.task_definition.unwrap().task_definition_arn.unwrap();
    let mut ids = Vec::new();
    for name in names {
        ecs.create_service()
            .cluster(cluster)
            .service_name(*name)
            .task_definition(&task)
            .desired_count(1)
            .send()
            .await
            .unwrap();
        ids.push(format!("service/{cluster}/{name}"));
    }
    ids
}

fn cpu_policy(name: &str, resource_id: &str) -> ScalingPolicy {
    ScalingPolicy {
        name: name.into(),
        resource_id: resource_id.into(),
        metric: Metric::Cpu,
        resource_label: None,
        target_value: 60.0,
        scale_out_cooldown_seconds: 60,
        scale_in_cooldown_seconds: 300,
        arn: None,
    }
}

fn by_name(mut policies: Vec<ScalingPolicy>) -> Vec<ScalingPolicy> {
    policies.sort_by(|a, b| (&a.name, &a.resource_id).cmp(&(&b.name, &b.resource_id)));
    policies
}

#[tokio::test]
async fn scalable_targets_are_registered_updated_and_deregistered() {
    let (aas, calls) = autoscaling().await;
    let cluster = unique("targets");
    let ids = services(&cluster, &["api", "worker"]).await;
    let (api, worker) = (&ids[0], &ids[1]);

    assert!(aas.scalable_targets(&[]).await.unwrap().is_empty());
    assert_eq!(calls.count("DescribeScalableTargets"), 0, "no ids, no call");
    assert!(aas.scalable_targets(&ids).await.unwrap().is_empty());

    let owned = tags(&[("stackwright.io/owner", &cluster), ("stackwright.io/kind", "AppStack")]);
    let arn = aas.register_scalable_target(api, 1, 4, &owned).await.unwrap().unwrap();
    assert!(arn.contains(":scalable-target/"), "{arn}");
    assert_eq!(
        aas.scalable_targets(&ids).await.unwrap(),
        [ScalableTarget { resource_id: api.clone(), min_capacity: 1, max_capacity: 4, arn: Some(arn.clone()) }],
        "only the registered service"
    );
    assert_eq!(aas.tags(&arn).await.unwrap(), owned, "tagged in the registering call");

    // Registering again updates the bounds of the same target and keeps its tags.
    let again = aas.register_scalable_target(api, 2, 8, &BTreeMap::new()).await.unwrap();
    assert_eq!(again.as_deref(), Some(arn.as_str()));
    let targets = aas.scalable_targets(std::slice::from_ref(api)).await.unwrap();
    assert_eq!((targets[0].min_capacity, targets[0].max_capacity), (2, 8));
    assert_eq!(aas.tags(&arn).await.unwrap(), owned);
    // Tags of a registered target change with TagResource (added or overwritten).
    aas.tag_resource(&arn, &tags(&[("team", "web"), ("stackwright.io/kind", "App")])).await.unwrap();
    let want = tags(&[("stackwright.io/owner", &cluster), ("stackwright.io/kind", "App"), ("team", "web")]);
    assert_eq!(aas.tags(&arn).await.unwrap(), want);
    aas.tag_resource(&arn, &BTreeMap::new()).await.unwrap();
    assert_eq!(calls.count("TagResource"), 1, "no tags, no call");

    // Deregistering takes the target's policies along.
    let worker_arn = aas.register_scalable_target(worker, 1, 2, &BTreeMap::new()).await.unwrap().unwrap();
    let policy = unique("targets-cpu");
    aas.put_scaling_policy(&cpu_policy(&policy, api)).await.unwrap();
    aas.put_scaling_policy(&cpu_policy(&policy, worker)).await.unwrap();
    assert_eq!(aas.scaling_policies(std::slice::from_ref(&policy)).await.unwrap().len(), 2);
    aas.deregister_scalable_target(api).await.unwrap();
    let left = aas.scalable_targets(&ids).await.unwrap();
    assert_eq!(left.iter().map(|t| t.resource_id.as_str()).collect::<Vec<_>>(), [worker.as_str()]);
    let policies = aas.scaling_policies(std::slice::from_ref(&policy)).await.unwrap();
    assert_eq!(policies.iter().map(|p| p.resource_id.as_str()).collect::<Vec<_>>(), [worker.as_str()]);
    // Not registered: success.
    aas.deregister_scalable_target(api).await.unwrap();
    let err = aas.tags(&arn).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ResourceNotFoundException"), "{err}");
    assert_eq!(err.operation, "autoscaling:ListTagsForResource");

    aas.deregister_scalable_target(worker).await.unwrap();
    assert!(aas.tags(&worker_arn).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn scalable_targets_are_read_fifty_resource_ids_a_call() {
    let (aas, calls) = autoscaling().await;
    let cluster = unique("fifty");
    let ids = services(&cluster, &["a", "b"]).await;
    aas.register_scalable_target(&ids[0], 1, 3, &BTreeMap::new()).await.unwrap();
    aas.register_scalable_target(&ids[1], 2, 5, &BTreeMap::new()).await.unwrap();
    // 51 ids: the two registered ones, one in each call, and 49 services that do not exist.
    let mut asked = vec![ids[0].clone()];
    asked.extend((0..49).map(|i| format!("service/{cluster}/none-{i}")));
    asked.push(ids[1].clone());
    let mut found = aas.scalable_targets(&asked).await.unwrap();
    found.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
    let bounds: Vec<_> = found.iter().map(|t| (t.resource_id.clone(), t.min_capacity, t.max_capacity)).collect();
    assert_eq!(bounds, [(ids[0].clone(), 1, 3), (ids[1].clone(), 2, 5)]);
    assert_eq!(calls.count("DescribeScalableTargets"), 2);
    for id in &ids {
        aas.deregister_scalable_target(id).await.unwrap();
    }
}

#[tokio::test]
async fn target_tracking_policies_follow_cpu_memory_and_requests_per_target() {
    let (cloud, calls) = cloud().await;
    let aas = cloud.autoscaling(support::REGION);
    let cluster = unique("policies");
    let ids = services(&cluster, &["api", "worker"]).await;
    let (api, worker) = (&ids[0], &ids[1]);

    // A real resource label: the final parts of a load balancer's and a target group's ARNs.
    let elb = cloud.elbv2(support::REGION);
    let ec2 = aws_sdk_ec2::Client::new(&support::env().sdk_config().await);
    let (vpc, subnets) = support::network(&ec2, 70).await;
    let group = support::task_group(&ec2, &vpc, &cluster).await;
    let lb = elb
        .create_load_balancer(&NewLoadBalancer {
            name: unique("pol-lb"),
            scheme: "internet-facing".into(),
            subnet_ids: subnets,
            security_group_ids: vec![group],
            tags: BTreeMap::new(),
        })
        .await
        .unwrap();
    let tg = elb
        .create_target_group(&NewTargetGroup {
            name: unique("pol-tg"),
            port: 80,
            vpc_id: vpc,
            health_check: HealthCheck {
                path: "/".into(),
                interval_seconds: 30,
                timeout_seconds: 5,
                healthy_threshold: 5,
                unhealthy_threshold: 2,
                matcher: "200".into(),
            },
            tags: BTreeMap::new(),
        })
        .await
        .unwrap();
    let label = format!(
        "{}/{}",
        lb.arn.split_once(":loadbalancer/").unwrap().1,
        tg.arn.split_once(":targetgroup/").map(|(_, id)| format!("targetgroup/{id}")).unwrap()
    );
    assert!(
        label.starts_with(&format!("app/{}/", lb.name)) && label.contains(&format!("/targetgroup/{}/", tg.name)),
        "{label}"
    );

    // A policy needs a registered target: NotFound (ObjectNotFoundException) before.
    let (cpu, memory, requests) = (unique("cpu"), unique("memory"), unique("requests"));
    let err = aas.put_scaling_policy(&cpu_policy(&cpu, api)).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ObjectNotFoundException"), "{err}");
    aas.register_scalable_target(api, 1, 10, &BTreeMap::new()).await.unwrap();
    aas.register_scalable_target(worker, 1, 4, &BTreeMap::new()).await.unwrap();

    assert!(aas.scaling_policies(&[]).await.unwrap().is_empty());
    assert_eq!(calls.count("DescribeScalingPolicies"), 0, "no names, no call");

    let wanted = vec![
        cpu_policy(&cpu, api),
        ScalingPolicy {
            name: memory.clone(),
            metric: Metric::Memory,
            target_value: 75.5,
            scale_out_cooldown_seconds: 30,
            scale_in_cooldown_seconds: 600,
            ..cpu_policy(&memory, api)
        },
        ScalingPolicy {
            name: requests.clone(),
            metric: Metric::RequestsPerTarget,
            resource_label: Some(label.clone()),
            target_value: 1000.0,
            ..cpu_policy(&requests, api)
        },
    ];
    let mut arns = BTreeMap::new();
    for p in &wanted {
        let arn = aas.put_scaling_policy(p).await.unwrap();
        assert!(arn.contains(":scalingPolicy:") && arn.ends_with(&format!("policyName/{}", p.name)), "{arn}");
        arns.insert(p.name.clone(), arn);
    }
    // A policy of a name not asked for (on the same service) is not in the answer.
    let other = unique("other");
    aas.put_scaling_policy(&cpu_policy(&other, api)).await.unwrap();

    let asked = vec![cpu.clone(), memory.clone(), requests.clone(), unique("missing")];
    let read = aas.scaling_policies(&asked).await.unwrap();
    let with_arns: Vec<_> =
        wanted.iter().map(|p| ScalingPolicy { arn: Some(arns[&p.name].clone()), ..p.clone() }).collect();
    assert_eq!(by_name(read), by_name(with_arns.clone()));

    // A put of the same name replaces the policy; the same name on another service is another
    // policy, told apart by its resource id.
    let higher = ScalingPolicy { target_value: 80.0, scale_in_cooldown_seconds: 120, ..wanted[0].clone() };
    aas.put_scaling_policy(&higher).await.unwrap();
    aas.put_scaling_policy(&cpu_policy(&cpu, worker)).await.unwrap();
    let read = by_name(aas.scaling_policies(std::slice::from_ref(&cpu)).await.unwrap());
    assert_eq!(read.len(), 2);
    assert_eq!(
        (read[0].resource_id.as_str(), read[0].target_value, read[0].scale_in_cooldown_seconds),
        (api.as_str(), 80.0, 120)
    );
    assert_eq!((read[1].resource_id.as_str(), read[1].target_value), (worker.as_str(), 60.0));

    aas.delete_scaling_policy(&memory, api).await.unwrap();
    aas.delete_scaling_policy(&memory, api).await.unwrap();
    let names: Vec<_> = by_name(aas.scaling_policies(&asked).await.unwrap()).into_iter().map(|p| p.name).collect();
    let mut want = vec![cpu.clone(), cpu.clone(), requests.clone()];
    want.sort();
    assert_eq!(names, want);

    for id in &ids {
        aas.deregister_scalable_target(id).await.unwrap();
    }
    assert!(aas.scaling_policies(&[cpu, requests, other]).await.unwrap().is_empty());
    elb.delete_target_group(&tg.arn).await.unwrap();
    elb.delete_load_balancer(&lb.arn).await.unwrap();
}
