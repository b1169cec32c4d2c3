//! AppStack end to end: the real `stackwright` binary against a real kube-apiserver and the
//! project's AWS emulator (moto with ECS deployments that roll out over the emulator's delay,
//! load balancers that provision, the circuit breaker driven by `emulator-fail` images). Objects
//! go in through the API server; AWS state is read with plain SDK clients that share no code with
//! the controller.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::ServiceField;
use kube::Api;
use kube::api::DeleteParams;
use stackwright_api::AppStack;
use support::{Env, aws_calls, env, eventually};

const CONVERGE: Duration = Duration::from_secs(180);

fn condition(s: &AppStack, type_: &str) -> Option<(String, String, String)> {
    support::condition(&s.status.as_ref()?.common.conditions, type_)
}

fn ready(s: &AppStack) -> bool {
    condition(s, "Ready").is_some_and(|(st, _, _)| st == "True")
        && s.status.as_ref().and_then(|st| st.common.observed_generation) == s.metadata.generation
}

fn stalled_with(s: &AppStack, reason: &str) -> bool {
    condition(s, "Stalled").is_some_and(|(st, r, _)| st == "True" && r == reason)
}

async fn wait_stack(api: &Api<AppStack>, name: &str, what: &str, pred: impl Fn(&AppStack) -> bool) -> AppStack {
    eventually(what, CONVERGE, || async { api.get_opt(name).await.ok().flatten().filter(|s| pred(s)) }).await
}

struct Fixture {
    env: &'static Env,
    ns: String,
    api: Api<AppStack>,
    ec2: aws_sdk_ec2::Client,
    ecs: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    aas: aws_sdk_applicationautoscaling::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    cloudmap: aws_sdk_servicediscovery::Client,
}

async fn setup(prefix: &str) -> Fixture {
    let env = env();
    let ns = env.namespace(prefix).await;
    let config = env.sdk_config().await;
    Fixture {
        api: Api::namespaced(env.client().await, &ns),
        ec2: aws_sdk_ec2::Client::new(&config),
        ecs: aws_sdk_ecs::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        aas: aws_sdk_applicationautoscaling::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cloudmap: aws_sdk_servicediscovery::Client::new(&config),
        env,
        ns,
    }
}

/// A VPC with two public and two private subnets.
async fn network(ec2: &aws_sdk_ec2::Client, octet: u8) -> (String, Vec<String>, Vec<String>) {
    support::stack_network_in(ec2, octet, support::REGION).await
}

/// The AccuNode system's stack (SYSTEMS.md §1) on `vpc`, with `image` for both services.
fn accunode(vpc: &str, public: &[String], private: &[String], image: &str) -> String {
    format!(
        r#"apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata:
  name: accunode
spec:
  network: {{vpcId: {vpc}, publicSubnetIds: [{public}], privateSubnetIds: [{private}]}}
  tags: {{system: accunode}}
  services:
  - name: api
    image: {image}
    cpu: 256
    memory: 512
    port: 8000
    env: [{{name: LOG_LEVEL, value: info}}]
    expose: {{paths: ["/*"], healthCheck: {{path: /health}}}}
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70, scaleOutCooldownSeconds: 300, scaleInCooldownSeconds: 300}}
  - name: worker
    image: {image}
    cpu: 256
    memory: 512
    command: [python, -m, app.worker]
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60, scaleOutCooldownSeconds: 180, scaleInCooldownSeconds: 300}}
"#,
        public = public.join(", "),
        private = private.join(", ")
    )
}

fn resource(s: &AppStack, kind: &str) -> Vec<String> {
    s.status.as_ref().unwrap().common.resources.iter().filter(|r| r.kind == kind).map(|r| r.id.clone()).collect()
}

async fn service(f: &Fixture, cluster: &str, name: &str) -> aws_sdk_ecs::types::Service {
    let out =
        f.ecs.describe_services().cluster(cluster).services(name).include(ServiceField::Tags).send().await.unwrap();
    out.services().first().cloned().unwrap()
}

#[tokio::test]
async fn accunode_converges_rolls_one_new_revision_keeps_quiet_and_deletes_everything() {
    let f = setup("stack-life").await;
    let (vpc, public, private) = network(&f.ec2, 60).await;
    let ctl = f.env.controller_with_resync(&f.ns, "stacklife", "3s");
    // Every condition the stack passes through, in order.
    let seen = support::record_conditions(f.api.clone()).await;
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v1"));
    let stack = wait_stack(&f.api, "accunode", "the stack is Ready", ready).await;
    let status = stack.status.clone().unwrap();
    // The emulator's rollouts and load balancer take time: the stack waited through them.
    let passed = seen.lock().unwrap().clone();
    let first_ready = passed.iter().position(|c| c == "Ready/Ready").unwrap();
    assert!(
        passed[..first_ready].iter().any(|c| c == "Reconciling/RollingOut" || c == "Reconciling/Creating"),
        "Reconciling before Ready: {passed:?}"
    );
    seen.lock().unwrap().clear();

    // ECS: one cluster, two services on Fargate with the circuit breaker, in the private subnets.
    let cluster_arn = resource(&stack, "ecs:Cluster")[0].clone();
    let cluster = cluster_arn.rsplit('/').next().unwrap().to_string();
    let api = service(&f, &cluster, "api").await;
    assert_eq!(api.status(), Some("ACTIVE"));
    assert_eq!(api.capacity_provider_strategy()[0].capacity_provider(), "FARGATE");
    let dc = api.deployment_configuration().unwrap();
    assert_eq!((dc.minimum_healthy_percent(), dc.maximum_percent()), (Some(100), Some(200)));
    let breaker = dc.deployment_circuit_breaker().unwrap();
    assert!(breaker.enable() && breaker.rollback());
    assert_eq!(api.health_check_grace_period_seconds(), Some(60));
    let net = api.network_configuration().unwrap().awsvpc_configuration().unwrap();
    let mut subnets = net.subnets().to_vec();
    subnets.sort();
    let mut want_private = private.clone();
    want_private.sort();
    assert_eq!(subnets, want_private);
    let task_group = status.task_security_group_id.clone().unwrap();
    assert_eq!(net.security_groups(), std::slice::from_ref(&task_group));
    assert_eq!(api.load_balancers()[0].container_port(), Some(8000));
    let worker = service(&f, &cluster, "worker").await;
    assert!(worker.load_balancers().is_empty());

    // The task definition: size, command, port, env, awslogs into the service's log group.
    let def = f.ecs.describe_task_definition().task_definition(api.task_definition().unwrap()).send().await.unwrap();
    let def = def.task_definition().unwrap();
    assert_eq!((def.cpu(), def.memory()), (Some("256"), Some("512")));
    assert_eq!(def.network_mode().map(|m| m.as_str()), Some("awsvpc"));
    let c = &def.container_definitions()[0];
    assert_eq!(c.image(), Some("registry.example/accunode:v1"));
    assert_eq!(c.port_mappings()[0].container_port(), Some(8000));
    assert!(c.environment().iter().any(|e| e.name() == Some("LOG_LEVEL") && e.value() == Some("info")));
    let log_group = c.log_configuration().unwrap().options().unwrap()["awslogs-group"].clone();
    let groups = f.logs.describe_log_groups().log_group_name_prefix(&log_group).send().await.unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(7));
    let worker_def =
        f.ecs.describe_task_definition().task_definition(worker.task_definition().unwrap()).send().await.unwrap();
    assert_eq!(
        worker_def.task_definition().unwrap().container_definitions()[0].command(),
        ["python", "-m", "app.worker"]
    );

    // The load balancer: internet-facing in the public subnets, :80 answering 404 where no rule
    // matches, one rule forwarding /* to the api's target group (type ip, /health).
    let lb_arn = resource(&stack, "elbv2:LoadBalancer")[0].clone();
    let lbs = f.elb.describe_load_balancers().load_balancer_arns(&lb_arn).send().await.unwrap();
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(status.url.as_deref(), Some(format!("http://{}", lb.dns_name().unwrap()).as_str()));
    let listeners = f.elb.describe_listeners().load_balancer_arn(&lb_arn).send().await.unwrap();
    assert_eq!(listeners.listeners().len(), 1);
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(80));
    let default = &listener.default_actions()[0];
    assert_eq!(default.fixed_response_config().and_then(|r| r.status_code()), Some("404"));
    let tg_arn = api.load_balancers()[0].target_group_arn().unwrap().to_string();
    let tgs = f.elb.describe_target_groups().target_group_arns(&tg_arn).send().await.unwrap();
    let tg = &tgs.target_groups()[0];
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!((tg.port(), tg.health_check_path()), (Some(8000), Some("/health")));
    let rules = f.elb.describe_rules().listener_arn(listener.listener_arn().unwrap()).send().await.unwrap();
    let rule = rules.rules().iter().find(|r| r.is_default() != Some(true)).unwrap();
    assert_eq!(rule.actions()[0].target_group_arn(), Some(tg_arn.as_str()));

    // Security groups chained: the load balancer from anywhere on :80, the tasks on :8000 from the
    // load balancer's group and the stack's own tasks only.
    let lb_group = lb.security_groups()[0].clone();
    assert_eq!(support::ingress_sources(&f.ec2, &lb_group).await, ["80:0.0.0.0/0"]);
    let mut sources = vec![format!("8000:{lb_group}"), format!("8000:{task_group}")];
    sources.sort();
    assert_eq!(support::ingress_sources(&f.ec2, &task_group).await, sources);

    // Service Connect: the worker reaches the api as http://api:8000 through the stack's own Cloud
    // Map namespace; the worker, without a port, is a client only.
    let namespace_name = resource(&stack, "servicediscovery:Namespace")[0].clone();
    let namespaces = f.cloudmap.list_namespaces().send().await.unwrap();
    let namespace = namespaces.namespaces().iter().find(|n| n.name() == Some(namespace_name.as_str())).unwrap();
    assert_eq!(namespace.r#type().map(|t| t.as_str()), Some("HTTP"));
    let namespace_arn = namespace.arn().unwrap().to_string();
    let namespace_id = namespace.id().unwrap().to_string();
    let tags = f.cloudmap.list_tags_for_resource().resource_arn(&namespace_arn).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == "stackwright.io/owner"), "{tags:?}");
    let connect = |s: &aws_sdk_ecs::types::Service| {
        let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY")).unwrap();
        primary.service_connect_configuration().cloned().unwrap()
    };
    let served = connect(&api);
    assert!(served.enabled() && served.namespace() == Some(namespace_arn.as_str()));
    let alias = &served.services()[0].client_aliases()[0];
    assert_eq!(
        (served.services()[0].port_name(), alias.dns_name(), alias.port()),
        ("api", Some("api"), 8000),
        "api serves http://api:8000"
    );
    let client = connect(&worker);
    assert!(client.enabled() && client.namespace() == Some(namespace_arn.as_str()) && client.services().is_empty());

    // Autoscaling: 1–2 tasks on CPU, with the cooldowns of each service.
    let targets = f
        .aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(format!("service/{cluster}/api"))
        .resource_ids(format!("service/{cluster}/worker"))
        .send()
        .await
        .unwrap();
    assert_eq!(targets.scalable_targets().len(), 2);
    for t in targets.scalable_targets() {
        assert_eq!((t.min_capacity(), t.max_capacity()), (1, 2));
        assert_eq!(t.scalable_dimension(), &ScalableDimension::EcsServiceDesiredCount);
    }
    let policies = f
        .aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{cluster}/worker"))
        .send()
        .await
        .unwrap();
    let cfg = policies.scaling_policies()[0].target_tracking_scaling_policy_configuration().unwrap();
    assert_eq!((cfg.target_value(), cfg.scale_out_cooldown(), cfg.scale_in_cooldown()), (60.0, Some(180), Some(300)));

    // The roles the stack owns: ECS tasks may assume them; the execution role writes the stack's
    // logs.
    let roles = resource(&stack, "iam:Role");
    assert_eq!(roles.len(), 2);
    let exec_name = roles[0].rsplit('/').next().unwrap();
    let doc = f.iam.get_role_policy().role_name(exec_name).policy_name("stackwright").send().await.unwrap();
    assert!(
        doc.policy_document().contains("logs%3APutLogEvents") || doc.policy_document().contains("logs:PutLogEvents")
    );

    // Steady state: no AWS writes and no status writes across resyncs (each look at the stack
    // reads its cluster once, so DescribeClusters counts them).
    let before = ctl.metrics().await;
    let looks = |m: &str| aws_calls(m, |op| op == "DescribeClusters");
    let after = eventually("two more resyncs", CONVERGE, || async {
        let m = ctl.metrics().await;
        (looks(&m) >= looks(&before) + 2).then_some(m)
    })
    .await;
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    assert_eq!(writes(&after), writes(&before), "no AWS write while nothing drifted");
    let status_writes = |m: &str| support::metric(m, "stackwright_status_writes_total{kind=\"AppStack\"}");
    assert_eq!(status_writes(&after), status_writes(&before), "no status write while nothing changed");

    // A new image: exactly one new revision, the api rolls to it; the worker too (same image).
    let registered = |m: &str| aws_calls(m, |op| op == "RegisterTaskDefinition");
    let before = ctl.metrics().await;
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v2"));
    let rolled = wait_stack(&f.api, "accunode", "the new image is rolled out", |s| {
        ready(s)
            && s.status
                .as_ref()
                .unwrap()
                .services
                .iter()
                .all(|svc| svc.task_definition_arn.as_deref().is_some_and(|arn| !arn.ends_with(":1")))
    })
    .await;
    let after = ctl.metrics().await;
    assert_eq!(registered(&after) - registered(&before), 2, "one new revision per service, no more");
    let passed = seen.lock().unwrap().clone();
    assert!(passed.iter().any(|c| c == "Reconciling/RollingOut"), "the rollout was waited for: {passed:?}");
    let api = service(&f, &cluster, "api").await;
    assert!(api.task_definition().unwrap().ends_with(":2"), "{:?}", api.task_definition());
    let def = f.ecs.describe_task_definition().task_definition(api.task_definition().unwrap()).send().await.unwrap();
    assert_eq!(def.task_definition().unwrap().container_definitions()[0].image(), Some("registry.example/accunode:v2"));
    assert!(rolled.status.unwrap().services.iter().all(|s| s.rollout_state.as_deref() == Some("COMPLETED")));

    // Deleted: nothing of the stack is left in AWS.
    f.api.delete("accunode", &DeleteParams::default()).await.unwrap();
    eventually("the stack is gone", CONVERGE, || async {
        f.api.get_opt("accunode").await.unwrap().is_none().then_some(())
    })
    .await;
    let clusters = f.ecs.describe_clusters().clusters(&cluster).send().await.unwrap();
    assert!(clusters.clusters().iter().all(|c| c.status() == Some("INACTIVE")), "{clusters:?}");
    assert!(
        f.elb.describe_load_balancers().load_balancer_arns(&lb_arn).send().await.is_err(),
        "the load balancer is gone"
    );
    assert!(
        f.elb.describe_target_groups().target_group_arns(&tg_arn).send().await.is_err(),
        "the target group is gone"
    );
    let left = f.ec2.describe_security_groups().group_ids(&task_group).send().await;
    assert!(left.is_err() || left.unwrap().security_groups().is_empty(), "the task group is gone");
    assert!(f.iam.get_role().role_name(exec_name).send().await.is_err(), "the execution role is gone");
    let groups = f.logs.describe_log_groups().log_group_name_prefix(&log_group).send().await.unwrap();
    assert!(groups.log_groups().is_empty(), "the log groups are gone");
    let namespaces = f.cloudmap.list_namespaces().send().await.unwrap();
    assert!(namespaces.namespaces().iter().all(|n| n.id() != Some(namespace_id.as_str())), "the namespace is gone");
    let targets = f
        .aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(format!("service/{cluster}/api"))
        .send()
        .await
        .unwrap();
    assert!(targets.scalable_targets().is_empty(), "the scalable targets are gone");
    let active = f
        .ecs
        .list_task_definitions()
        .family_prefix(def.task_definition().unwrap().family().unwrap())
        .send()
        .await
        .unwrap();
    assert!(active.task_definition_arns().is_empty(), "every revision is deregistered");
}

#[tokio::test]
async fn a_failed_rollout_stalls_with_the_ecs_message_and_a_fixed_image_recovers() {
    let f = setup("stack-fail").await;
    let (vpc, public, private) = network(&f.ec2, 61).await;
    let ctl = f.env.controller_with_resync(&f.ns, "stackfail", "10m");
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v1"));
    wait_stack(&f.api, "accunode", "the stack is Ready", ready).await;

    // Tasks of the new image never start: the circuit breaker rolls back, the stack stalls.
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v2-emulator-fail"));
    let stalled = wait_stack(&f.api, "accunode", "DeploymentFailed", |s| stalled_with(s, "DeploymentFailed")).await;
    let (_, _, message) = condition(&stalled, "Stalled").unwrap();
    assert!(message.contains("rolling back") || message.contains("circuit breaker"), "{message}");
    // It stays stalled, also once the rollback has completed: the failed revision is not rolled
    // out again (no UpdateService while the stack is looked at again and again).
    let updates = |m: &str| aws_calls(m, |op| op == "UpdateService");
    let cluster = resource(&stalled, "ecs:Cluster")[0].rsplit('/').next().unwrap().to_string();
    eventually("the rollback completed", CONVERGE, || async {
        let api = service(&f, &cluster, "api").await;
        let done = api.deployments().len() == 1
            && api.deployments()[0].rollout_state().map(|r| r.as_str()) == Some("COMPLETED");
        done.then_some(())
    })
    .await;
    let m0 = ctl.metrics().await;
    let before = updates(&m0);
    let reconciles = |m: &str| support::metric(m, "stackwright_reconciles_total{kind=\"AppStack\"}");
    let annotate = f.env.kubectl(
        &["annotate", "--overwrite", "appstack", "accunode", "-n", &f.ns, "stackwright.io/reconcile-requested-at=1"],
        None,
    );
    assert!(annotate.status.success());
    wait_stack(&f.api, "accunode", "looked at again, still stalled", |s| {
        stalled_with(s, "DeploymentFailed")
            && s.status.as_ref().is_some_and(|st| st.common.observed_generation == s.metadata.generation)
    })
    .await;
    // The reconcile the annotation asked for has run to its end.
    let after = eventually("the requested reconcile finished", CONVERGE, || async {
        let m = ctl.metrics().await;
        (reconciles(&m) > reconciles(&m0)).then_some(m)
    })
    .await;
    assert_eq!(updates(&after), before, "the failed revision is not rolled out again");
    assert!(stalled_with(&f.api.get("accunode").await.unwrap(), "DeploymentFailed"));

    // A fixed image rolls out and the stack is Ready again.
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v3"));
    wait_stack(&f.api, "accunode", "Ready after the fix", |s| ready(s) && condition(s, "Stalled").is_none()).await;
}

/// Each listener of the load balancer: port, protocol, certificate, TLS policy, default action
/// type, and its rules' target groups.
async fn listeners(f: &Fixture, lb_arn: &str) -> Vec<(i32, String, Option<String>, Option<String>, String, usize)> {
    let out = f.elb.describe_listeners().load_balancer_arn(lb_arn).send().await.unwrap();
    let mut found = Vec::new();
    for l in out.listeners() {
        let rules = f.elb.describe_rules().listener_arn(l.listener_arn().unwrap()).send().await.unwrap();
        let forwarding = rules.rules().iter().filter(|r| r.is_default() != Some(true)).count();
        found.push((
            l.port().unwrap(),
            l.protocol().unwrap().as_str().to_string(),
            l.certificates().first().and_then(|c| c.certificate_arn().map(str::to_string)),
            l.ssl_policy().map(str::to_string),
            l.default_actions()[0].r#type().unwrap().as_str().to_string(),
            forwarding,
        ));
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_certificate_moves_the_stack_to_https_and_back_leaving_no_listener_or_rule_behind() {
    let f = setup("stack-https").await;
    let (vpc, public, private) = network(&f.ec2, 65).await;
    let _ctl = f.env.controller_with_resync(&f.ns, "stackhttps", "1h");
    let cert = support::server_certificate(&format!("stack-https-{}", std::process::id())).await;
    let plain = accunode(&vpc, &public, &private, "registry.example/accunode:v1");
    f.env.apply(&f.ns, &plain);
    let stack = wait_stack(&f.api, "accunode", "the stack is Ready on HTTP", ready).await;
    let lb_arn = resource(&stack, "elbv2:LoadBalancer")[0].clone();
    let lb_group = resource(&stack, "ec2:SecurityGroup")
        .into_iter()
        .find(|g| Some(g) != stack.status.as_ref().unwrap().task_security_group_id.as_ref())
        .unwrap();
    let http = vec![(80, "HTTP".to_string(), None, None, "fixed-response".to_string(), 1)];
    assert_eq!(listeners(&f, &lb_arn).await, http);

    // With a certificate: HTTPS :443 with the TLS policy carries the rule, :80 only redirects.
    let with_cert =
        plain.replace("  services:\n", &format!("  loadBalancer: {{certificateArn: {cert}}}\n  services:\n"));
    f.env.apply(&f.ns, &with_cert);
    let stack = wait_stack(&f.api, "accunode", "the stack is Ready on HTTPS", |s| {
        ready(s) && s.status.as_ref().and_then(|st| st.url.as_deref()).is_some_and(|u| u.starts_with("https://"))
    })
    .await;
    let https = vec![
        (80, "HTTP".to_string(), None, None, "redirect".to_string(), 0),
        (
            443,
            "HTTPS".to_string(),
            Some(cert.clone()),
            Some("ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()),
            "fixed-response".to_string(),
            1,
        ),
    ];
    eventually("the rule moved to :443", CONVERGE, || async { (listeners(&f, &lb_arn).await == https).then_some(()) })
        .await;
    assert_eq!(support::ingress_sources(&f.ec2, &lb_group).await, ["443:0.0.0.0/0", "80:0.0.0.0/0"]);
    assert_eq!(resource(&stack, "elbv2:Listener").len(), 2);

    // Without it again: :443 goes with its rule, :80 forwards, 443 is closed.
    f.env.apply(&f.ns, &plain);
    wait_stack(&f.api, "accunode", "the stack is Ready on HTTP again", |s| {
        ready(s) && s.status.as_ref().and_then(|st| st.url.as_deref()).is_some_and(|u| u.starts_with("http://"))
    })
    .await;
    eventually("only :80 is left", CONVERGE, || async { (listeners(&f, &lb_arn).await == http).then_some(()) }).await;
    assert_eq!(support::ingress_sources(&f.ec2, &lb_group).await, ["80:0.0.0.0/0"]);
}

#[tokio::test]
async fn drift_is_set_back_and_removing_autoscaling_returns_to_replicas() {
    let f = setup("stack-drift").await;
    let (vpc, public, private) = network(&f.ec2, 62).await;
    let _ctl = f.env.controller_with_resync(&f.ns, "stackdrift", "2s");
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v1"));
    let stack = wait_stack(&f.api, "accunode", "the stack is Ready", ready).await;
    let cluster = resource(&stack, "ecs:Cluster")[0].rsplit('/').next().unwrap().to_string();
    let task_group = stack.status.clone().unwrap().task_security_group_id.unwrap();
    let api = service(&f, &cluster, "api").await;
    let tg_arn = api.load_balancers()[0].target_group_arn().unwrap().to_string();

    // By hand: a rule opening the tasks to the world, another health check path.
    f.ec2
        .authorize_security_group_ingress()
        .group_id(&task_group)
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    f.elb.modify_target_group().target_group_arn(&tg_arn).health_check_path("/").send().await.unwrap();
    eventually("the drift is set back", CONVERGE, || async {
        let sources = support::ingress_sources(&f.ec2, &task_group).await;
        let tgs = f.elb.describe_target_groups().target_group_arns(&tg_arn).send().await.ok()?;
        let path = tgs.target_groups()[0].health_check_path().map(str::to_string);
        let open = sources.iter().any(|s| s.starts_with("22:"));
        (sources.len() == 2 && !open && path.as_deref() == Some("/health")).then_some(())
    })
    .await;

    // Without autoscaling the worker runs `replicas` tasks and has no scalable target.
    let spec = accunode(&vpc, &public, &private, "registry.example/accunode:v1").replace(
        "    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60, scaleOutCooldownSeconds: 180, scaleInCooldownSeconds: 300}\n",
        "    replicas: 3\n",
    );
    f.env.apply(&f.ns, &spec);
    eventually("the worker runs three tasks without autoscaling", CONVERGE, || async {
        let worker = service(&f, &cluster, "worker").await;
        let targets = f
            .aas
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_ids(format!("service/{cluster}/worker"))
            .send()
            .await
            .ok()?;
        (worker.desired_count() == 3 && targets.scalable_targets().is_empty()).then_some(())
    })
    .await;

    // A desired count changed by hand goes back to the spec's.
    f.ecs.update_service().cluster(&cluster).service("worker").desired_count(1).send().await.unwrap();
    eventually("the count is set back", CONVERGE, || async {
        (service(&f, &cluster, "worker").await.desired_count() == 3).then_some(())
    })
    .await;

    // Nothing exposed any more: the load balancer, its target group and its security group go.
    let lb_arn = resource(&stack, "elbv2:LoadBalancer")[0].clone();
    f.env.apply(&f.ns, &spec.replace("    expose: {paths: [\"/*\"], healthCheck: {path: /health}}\n", ""));
    let stack = wait_stack(&f.api, "accunode", "Ready without a load balancer", |s| {
        ready(s) && s.status.as_ref().is_some_and(|st| st.url.is_none())
    })
    .await;
    eventually("the load balancer and target group are gone", CONVERGE, || async {
        let lb = f.elb.describe_load_balancers().load_balancer_arns(&lb_arn).send().await;
        let tg = f.elb.describe_target_groups().target_group_arns(&tg_arn).send().await;
        (lb.is_err() && tg.is_err()).then_some(())
    })
    .await;
    assert!(service(&f, &cluster, "api").await.load_balancers().is_empty());
    assert_eq!(
        support::ingress_sources(&f.ec2, &task_group).await,
        [format!("8000:{task_group}")],
        "no rule from the load balancer; the worker still reaches the api by name"
    );
    assert_eq!(resource(&stack, "ec2:SecurityGroup"), [task_group]);
}

#[tokio::test]
async fn bindings_become_env_secrets_task_role_and_rules_whatever_the_order_of_apply() {
    let f = setup("stack-bind").await;
    let (vpc, public, private) = network(&f.ec2, 63).await;
    let _ctl = f.env.controller_with_resync(&f.ns, "stackbind", "10m");
    // The stack first: it waits for what it binds, naming it, and goes on once they are Ready.
    let stack = accunode(&vpc, &public, &private, "registry.example/accunode:v1").replace(
        "  tags: {system: accunode}\n",
        "  tags: {system: accunode}\n  bindings:\n  - {database: accunode-db, envPrefix: DATABASE}\n  - {cache: accunode-redis, envPrefix: REDIS, services: [api]}\n  - {bucket: documents, envPrefix: DOCUMENTS, access: ReadOnly}\n",
    );
    f.env.apply(&f.ns, &stack);
    wait_stack(&f.api, "accunode", "DependencyNotFound while nothing bound exists", |s| {
        stalled_with(s, "DependencyNotFound")
    })
    .await;
    f.env.apply(
        &f.ns,
        "apiVersion: stackwright.io/v1alpha1\nkind: Database\nmetadata: {name: accunode-db}\nspec:\n  version: \"15.7\"\n  instanceClass: db.t3.small\n  storage: {sizeGiB: 20}\n  databaseName: accunode\n  masterUsername: accunode_admin\n  network: {appStack: accunode}\n  deletionPolicy: Delete\n---\napiVersion: stackwright.io/v1alpha1\nkind: Cache\nmetadata: {name: accunode-redis}\nspec:\n  version: \"7.1\"\n  nodeType: cache.t3.micro\n  network: {appStack: accunode}\n---\napiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata: {name: documents}\nspec: {deletionPolicy: Delete}\n",
    );
    let waiting = wait_stack(&f.api, "accunode", "WaitingForDependency", |s| {
        condition(s, "Reconciling").is_some_and(|(st, r, _)| st == "True" && r == "WaitingForDependency")
    })
    .await;
    let (_, _, message) = condition(&waiting, "Reconciling").unwrap();
    assert!(
        message.contains("accunode-db") || message.contains("accunode-redis") || message.contains("documents"),
        "{message}"
    );
    let stack = wait_stack(&f.api, "accunode", "the stack is Ready with its bindings", ready).await;
    let status = stack.status.clone().unwrap();
    let task_group = status.task_security_group_id.clone().unwrap();

    // The api's container: connection details as env, the password and token as ECS secrets.
    let cluster = resource(&stack, "ecs:Cluster")[0].rsplit('/').next().unwrap().to_string();
    let api = service(&f, &cluster, "api").await;
    let def = f.ecs.describe_task_definition().task_definition(api.task_definition().unwrap()).send().await.unwrap();
    let def = def.task_definition().unwrap().clone();
    let c = &def.container_definitions()[0];
    let env: std::collections::BTreeMap<&str, &str> =
        c.environment().iter().filter_map(|e| Some((e.name()?, e.value()?))).collect();
    let dbs: Api<stackwright_api::Database> = Api::namespaced(f.env.client().await, &f.ns);
    let db = dbs.get("accunode-db").await.unwrap().status.unwrap();
    let endpoint = db.endpoint.clone().unwrap();
    assert_eq!(env["DATABASE_HOST"], endpoint.address);
    assert_eq!(env["DATABASE_PORT"], endpoint.port.to_string());
    assert_eq!(env["DATABASE_NAME"], "accunode");
    assert_eq!(env["DATABASE_USER"], "accunode_admin");
    assert!(env["REDIS_URL"].starts_with("rediss://"), "{env:?}");
    assert_eq!(env["DOCUMENTS_BUCKET"], {
        let buckets: Api<stackwright_api::Bucket> = Api::namespaced(f.env.client().await, &f.ns);
        buckets.get("documents").await.unwrap().status.unwrap().bucket_name.unwrap()
    });
    let secrets: std::collections::BTreeMap<&str, &str> =
        c.secrets().iter().map(|s| (s.name(), s.value_from())).collect();
    assert_eq!(secrets["DATABASE_PASSWORD"], format!("{}:password::", db.master_user_secret_arn.clone().unwrap()));
    let caches: Api<stackwright_api::Cache> = Api::namespaced(f.env.client().await, &f.ns);
    let cache = caches.get("accunode-redis").await.unwrap().status.unwrap();
    assert_eq!(secrets["REDIS_AUTH_TOKEN"], cache.auth_token_secret_arn.clone().unwrap());
    assert!(
        !c.environment().iter().any(|e| e.value().is_some_and(|v| v.contains("password"))),
        "no secret in plain env"
    );
    let worker = service(&f, &cluster, "worker").await;
    let wdef =
        f.ecs.describe_task_definition().task_definition(worker.task_definition().unwrap()).send().await.unwrap();
    let wc = &wdef.task_definition().unwrap().container_definitions()[0];
    assert!(
        !wc.environment().iter().any(|e| e.name().is_some_and(|n| n.starts_with("REDIS"))),
        "the cache binds api only"
    );

    // The execution role reads exactly those secrets; the task role reads the bucket.
    let roles = resource(&stack, "iam:Role");
    let name = |arn: &str| arn.rsplit('/').next().unwrap().to_string();
    let doc = |role: String| {
        let iam = f.iam.clone();
        async move {
            let out = iam.get_role_policy().role_name(role).policy_name("stackwright").send().await.unwrap();
            let decoded = percent_decoded(out.policy_document());
            serde_json::from_str::<serde_json::Value>(&decoded).unwrap()
        }
    };
    let exec = doc(name(&roles[0])).await.to_string();
    assert!(exec.contains(&db.master_user_secret_arn.clone().unwrap()), "{exec}");
    assert!(exec.contains(&cache.auth_token_secret_arn.clone().unwrap()), "{exec}");
    let task = doc(name(&roles[1])).await.to_string();
    assert!(task.contains("s3:GetObject") && !task.contains("s3:PutObject"), "read-only: {task}");
    assert_eq!(def.task_role_arn(), Some(roles[1].as_str()));

    // The database and the cache admit the stack's tasks, and nothing else.
    let db_group = db.common.resources.iter().find(|r| r.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&f.ec2, &db_group, &[format!("5432:{task_group}")]).await;
    let cache_group = cache.common.resources.iter().find(|r| r.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&f.ec2, &cache_group, &[format!("6379:{task_group}")]).await;
}

/// IAM returns policy documents URL-encoded (RFC 3986 percent-encoding).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_cluster_of_someone_else_is_a_name_conflict_until_adopted_and_paused_writes_nothing() {
    let f = setup("stack-own").await;
    let (vpc, public, private) = network(&f.ec2, 64).await;
    // Someone else's cluster under the name the stack would use (names do not depend on the uid).
    let id = stackwright_api::naming::ObjectIdentity {
        cluster_id: "stackown".into(),
        kind: "AppStack".into(),
        namespace: f.ns.clone(),
        name: "accunode".into(),
        uid: String::new(),
    };
    let cluster = id.physical_name("", 255);
    f.ecs.create_cluster().cluster_name(&cluster).send().await.unwrap();
    let _ctl = f.env.controller_with_resync(&f.ns, "stackown", "10m");
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v1"));
    let stalled = wait_stack(&f.api, "accunode", "NameConflict", |s| stalled_with(s, "NameConflict")).await;
    assert!(condition(&stalled, "Stalled").unwrap().2.contains(&cluster));
    let services = f.ecs.list_services().cluster(&cluster).send().await.unwrap();
    assert!(services.service_arns().is_empty(), "nothing written into someone else's cluster");

    // Adopted: the stack takes the cluster over (tags it) and converges in it.
    let annotate = |key: &str, value: Option<&str>| {
        let out = f.env.kubectl(
            &[
                "annotate",
                "--overwrite",
                "appstack",
                "accunode",
                "-n",
                &f.ns,
                &match value {
                    Some(v) => format!("{key}={v}"),
                    None => format!("{key}-"),
                },
            ],
            None,
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    annotate("stackwright.io/adopt", Some("true"));
    wait_stack(&f.api, "accunode", "Ready in the adopted cluster", ready).await;
    let described = f
        .ecs
        .describe_clusters()
        .clusters(&cluster)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap();
    let tags = described.clusters()[0].tags().to_vec();
    assert!(tags.iter().any(|t| t.key() == Some("stackwright.io/owner")
        && t.value() == Some(format!("AppStack/{}/accunode", f.ns).as_str())));

    // Paused: a new image registers nothing and the status says what is held back.
    annotate("stackwright.io/paused", Some("true"));
    // Task definitions of this namespace's stack only: the other tests run beside this one.
    let ours = |out: aws_sdk_ecs::operation::list_task_definitions::ListTaskDefinitionsOutput| {
        out.task_definition_arns().iter().filter(|a| a.contains(&format!("stackown-{}-", f.ns))).count()
    };
    let registered_before = ours(f.ecs.list_task_definitions().send().await.unwrap());
    f.env.apply(&f.ns, &accunode(&vpc, &public, &private, "registry.example/accunode:v2"));
    let paused = wait_stack(&f.api, "accunode", "Paused with drift", |s| {
        condition(s, "Ready").is_some_and(|(st, r, m)| st == "False" && r == "Paused" && m.contains("rolling out"))
    })
    .await;
    assert!(paused.status.is_some());
    assert!(registered_before > 0);
    assert_eq!(
        ours(f.ecs.list_task_definitions().send().await.unwrap()),
        registered_before,
        "nothing registered while paused"
    );
    annotate("stackwright.io/paused", None);
    wait_stack(&f.api, "accunode", "rolled out once resumed", |s| {
        ready(s)
            && s.status
                .as_ref()
                .unwrap()
                .services
                .iter()
                .all(|x| x.task_definition_arn.as_deref().is_some_and(|a| a.ends_with(":2")))
    })
    .await;
}
