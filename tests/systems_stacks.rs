//! Tier 4: AccuNode and Paperwurks (dev) of SYSTEMS.md, applied all at once in any order, become
//! Ready; every attribute SYSTEMS.md lists for them holds in AWS, read with independent SDK
//! clients; deleting them leaves only what the deletion policies keep. Both run as written under
//! `examples/existing-network/` (on a VPC the user already has: the placeholder VPC and subnet
//! ids are replaced by a network the test makes), then as written under `examples/accunode/`
//! and `examples/paperwurks/dev/`, in the network their stacks own.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::ServiceField;
use kube::Api;
use stackwright_api::AppStack;
use support::{env, eventually, repo_root};

const CONVERGE: Duration = Duration::from_secs(240);

struct Clients {
    ec2: aws_sdk_ec2::Client,
    ecs: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    aas: aws_sdk_applicationautoscaling::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    rds: aws_sdk_rds::Client,
    s3: aws_sdk_s3::Client,
}

struct Running {
    ns: String,
    aws: Clients,
    stack: AppStack,
    cluster: String,
    _controller: support::Controller,
}

fn all_ready(list: &serde_json::Value) -> bool {
    list["items"].as_array().is_some_and(|items| {
        items.iter().all(|o| {
            let ready = o["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
            ready && o["status"]["observedGeneration"] == o["metadata"]["generation"]
        })
    })
}

/// Applies the example under `examples/` (every kind in one apply, the stack first) and waits
/// until every object is Ready. With `octet`, the example is one of `existing-network/`: its
/// placeholder VPC and subnets are replaced by a fresh network of `region`.
async fn run(example: &str, region: &str, stack: &str, octet: Option<u8>) -> Running {
    let env = env();
    let ns = env.namespace("system").await;
    let controller = env.controller_with_resync(&ns, "systems", "10m");
    let config = env.sdk_config().await.into_builder().region(aws_config::Region::new(region.to_string())).build();
    let aws = Clients {
        ec2: aws_sdk_ec2::Client::new(&config),
        ecs: aws_sdk_ecs::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        aas: aws_sdk_applicationautoscaling::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        rds: aws_sdk_rds::Client::new(&config),
        s3: aws_sdk_s3::Client::new(&config),
    };
    let dir = repo_root().join("examples").join(example);
    let mut docs = Vec::new();
    for kind in ["AppStack", "Database", "Cache", "Bucket"] {
        docs.extend(env.kustomize(&dir, kind));
    }
    let mut manifests = docs.join("\n---\n");
    if let Some(octet) = octet {
        let (vpc, public, private) = support::stack_network_in(&aws.ec2, octet, region).await;
        manifests = manifests
            .replace("vpc-0123456789abcdef0", &vpc)
            .replace("subnet-0000000000000000a", &public[0])
            .replace("subnet-0000000000000000b", &public[1])
            .replace("subnet-0000000000000000c", &private[0])
            .replace("subnet-0000000000000000d", &private[1]);
    }
    env.apply(&ns, &manifests);
    eventually(&format!("{example}: every object is Ready"), CONVERGE, || async {
        let out = env.kubectl(&["get", "stackwright", "-n", &ns, "-o", "json"], None);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        (out.status.success() && all_ready(&list)).then_some(())
    })
    .await;
    let stacks: Api<AppStack> = Api::namespaced(env.client().await, &ns);
    let stack = stacks.get(stack).await.unwrap();
    let cluster_arn =
        stack.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == "ecs:Cluster").unwrap().id.clone();
    let cluster = cluster_arn.rsplit('/').next().unwrap().to_string();
    Running { ns, aws, stack, cluster, _controller: controller }
}

/// Service name → (cpu, memory, container definition, service).
async fn services(
    r: &Running,
) -> BTreeMap<String, (String, String, aws_sdk_ecs::types::ContainerDefinition, aws_sdk_ecs::types::Service)> {
    let names: Vec<String> = r.stack.spec.services.iter().map(|s| s.name.clone()).collect();
    let out = r
        .aws
        .ecs
        .describe_services()
        .cluster(&r.cluster)
        .set_services(Some(names))
        .include(ServiceField::Tags)
        .send()
        .await
        .unwrap();
    let mut map = BTreeMap::new();
    for s in out.services() {
        let def =
            r.aws.ecs.describe_task_definition().task_definition(s.task_definition().unwrap()).send().await.unwrap();
        let def = def.task_definition().unwrap();
        map.insert(
            s.service_name().unwrap().to_string(),
            (
                def.cpu().unwrap().to_string(),
                def.memory().unwrap().to_string(),
                def.container_definitions()[0].clone(),
                s.clone(),
            ),
        );
    }
    map
}

/// (min, max, CPU target, scale-out cooldown, scale-in cooldown) of a service's autoscaling.
async fn scaling(r: &Running, service: &str) -> (i32, i32, f64, Option<i32>, Option<i32>) {
    let id = format!("service/{}/{service}", r.cluster);
    let t = r
        .aws
        .aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(&id)
        .send()
        .await
        .unwrap();
    let t = &t.scalable_targets()[0];
    let p = r
        .aws
        .aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .unwrap();
    let c = p.scaling_policies()[0].target_tracking_scaling_policy_configuration().unwrap();
    (t.min_capacity(), t.max_capacity(), c.target_value(), c.scale_out_cooldown(), c.scale_in_cooldown())
}

/// The load balancer, its :80 listener's rules and the target group of `service`.
async fn load_balancer(
    r: &Running,
    service: &aws_sdk_ecs::types::Service,
) -> (aws_sdk_elasticloadbalancingv2::types::LoadBalancer, aws_sdk_elasticloadbalancingv2::types::TargetGroup) {
    let arn = r.stack.status.as_ref().unwrap().load_balancer.as_ref().unwrap().arn.clone().unwrap();
    let lbs = r.aws.elb.describe_load_balancers().load_balancer_arns(&arn).send().await.unwrap();
    let tg_arn = service.load_balancers()[0].target_group_arn().unwrap();
    let tgs = r.aws.elb.describe_target_groups().target_group_arns(tg_arn).send().await.unwrap();
    (lbs.load_balancers()[0].clone(), tgs.target_groups()[0].clone())
}

/// Deletes every object of the namespace and waits until they are gone.
async fn delete_all(r: &Running) {
    let env = env();
    let out = env.kubectl(&["delete", "stackwright", "--all", "-n", &r.ns, "--wait=false"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eventually("every object is gone", CONVERGE, || async {
        let out = env.kubectl(&["get", "stackwright", "-n", &r.ns, "-o", "name"], None);
        (out.status.success() && out.stdout.is_empty()).then_some(())
    })
    .await;
}

/// What the stack left in AWS: its cluster, load balancer, security groups and log groups.
async fn stack_leftovers(r: &Running) -> Vec<String> {
    let mut left = Vec::new();
    let clusters = r.aws.ecs.describe_clusters().clusters(&r.cluster).send().await.unwrap();
    left.extend(clusters.clusters().iter().filter(|c| c.status() == Some("ACTIVE")).map(|_| "cluster".to_string()));
    let arn = r.stack.status.as_ref().unwrap().load_balancer.as_ref().and_then(|l| l.arn.clone());
    if let Some(arn) = arn
        && r.aws.elb.describe_load_balancers().load_balancer_arns(arn).send().await.is_ok()
    {
        left.push("load balancer".into());
    }
    let tasks = r.stack.status.as_ref().unwrap().task_security_group_id.clone().unwrap();
    if r.aws
        .ec2
        .describe_security_groups()
        .group_ids(&tasks)
        .send()
        .await
        .is_ok_and(|o| !o.security_groups().is_empty())
    {
        left.push("task security group".into());
    }
    for prefix in [format!("/stackwright/systems/{}/", r.ns), "/ecs/".to_string()] {
        let logs = r.aws.logs.describe_log_groups().log_group_name_prefix(prefix).send().await.unwrap();
        left.extend(logs.log_groups().iter().map(|g| g.log_group_name().unwrap_or_default().to_string()));
    }
    left
}

fn env_of(c: &aws_sdk_ecs::types::ContainerDefinition) -> BTreeMap<String, String> {
    c.environment().iter().filter_map(|e| Some((e.name()?.to_string(), e.value()?.to_string()))).collect()
}

fn secrets_of(c: &aws_sdk_ecs::types::ContainerDefinition) -> Vec<String> {
    let mut names: Vec<String> = c.secrets().iter().map(|s| s.name().to_string()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn accunode_runs_as_described_on_a_network_of_its_own_or_not_and_its_deletion_keeps_only_the_final_snapshot() {
    // On a VPC the user already has...
    let r = run("existing-network/accunode", "us-east-1", "accunode", Some(80)).await;
    accunode(&r).await;
    // ...then as written: VPC 10.0.0.0/16 over us-east-1a and us-east-1b, public subnets for the
    // load balancer, private ones for the tasks, one NAT gateway; no S3 endpoint.
    let r = run("accunode", "us-east-1", "accunode", None).await;
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    let in_vpc = || aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&vpc).build();
    let found = r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert_eq!(found.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    let subnets = r.aws.ec2.describe_subnets().filters(in_vpc()).send().await.unwrap();
    let zone_of = |cidr: &str| {
        subnets.subnets().iter().find(|s| s.cidr_block() == Some(cidr)).and_then(|s| s.availability_zone()).unwrap()
    };
    assert_eq!([zone_of("10.0.0.0/24"), zone_of("10.0.1.0/24")], ["us-east-1a", "us-east-1b"], "public subnets");
    assert_eq!([zone_of("10.0.4.0/24"), zone_of("10.0.5.0/24")], ["us-east-1a", "us-east-1b"], "private subnets");
    let nats = r.aws.ec2.describe_nat_gateways().filter(in_vpc()).send().await.unwrap();
    let live = nats.nat_gateways().iter().filter(|n| n.state().map(|s| s.as_str()) == Some("available"));
    assert_eq!(live.count(), 1, "one NAT gateway");
    let endpoints = r.aws.ec2.describe_vpc_endpoints().filters(in_vpc()).send().await.unwrap();
    assert!(endpoints.vpc_endpoints().is_empty(), "SYSTEMS.md names no S3 endpoint for AccuNode");
    accunode(&r).await;
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

/// AccuNode as SYSTEMS.md describes its services, load balancer, scaling and database access;
/// then deleted with the default policies: only the final database snapshot is left.
async fn accunode(r: &Running) {
    let services = services(r).await;

    // Two Fargate services, api (FastAPI on :8000) and worker, each 0.25 vCPU / 512 MB.
    assert_eq!(services.keys().collect::<Vec<_>>(), ["api", "worker"]);
    for (name, (cpu, memory, c, s)) in &services {
        assert_eq!((cpu.as_str(), memory.as_str()), ("256", "512"), "{name}");
        assert_eq!(s.capacity_provider_strategy()[0].capacity_provider(), "FARGATE", "{name}");
        // Secrets (database URL parts, redis, secret key) come from a secret store, not plain env.
        let secrets = secrets_of(c);
        assert!(
            secrets.contains(&"SECRET_KEY".to_string()) && secrets.contains(&"DATABASE_PASSWORD".to_string()),
            "{name}: {secrets:?}"
        );
        assert!(secrets.contains(&"REDIS_AUTH_TOKEN".to_string()), "{name}: {secrets:?}");
        assert!(env_of(c).contains_key("DATABASE_HOST") && env_of(c).contains_key("REDIS_HOST"), "{name}");
    }
    let (_, _, api, api_service) = &services["api"];
    assert_eq!(api.port_mappings()[0].container_port(), Some(8000));
    assert!(services["worker"].3.load_balancers().is_empty(), "the worker has no port");

    // Internet-facing ALB, target group type ip on :8000, health check /health.
    let (lb, tg) = load_balancer(r, api_service).await;
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!((tg.port(), tg.health_check_path()), (Some(8000), Some("/health")));

    // Auto scaling: api 1–2, CPU 70 %, 300 s / 300 s; worker 1–2, CPU 60 %, 180 s out, 300 s in.
    assert_eq!(scaling(r, "api").await, (1, 2, 70.0, Some(300), Some(300)));
    assert_eq!(scaling(r, "worker").await, (1, 2, 60.0, Some(180), Some(300)));

    // The database admits the tasks only.
    let tasks = r.stack.status.as_ref().unwrap().task_security_group_id.clone().unwrap();
    let dbs: Api<stackwright_api::Database> = Api::namespaced(env().client().await, &r.ns);
    let db = dbs.get("accunode-db").await.unwrap();
    let db_group =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&r.aws.ec2, &db_group, &[format!("5432:{tasks}")]).await;
    let cost: f64 =
        r.stack.status.as_ref().unwrap().common.estimated_monthly_cost_usd.as_deref().unwrap().parse().unwrap();
    assert!(cost > 0.0);

    // Deleted with the default policies: the database leaves its final snapshot, nothing else.
    delete_all(r).await;
    assert!(stack_leftovers(r).await.is_empty(), "{:?}", stack_leftovers(r).await);
    let snapshots = r.aws.rds.describe_db_snapshots().snapshot_type("manual").send().await.unwrap();
    let db_id =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "rds:DBInstance").unwrap().id.clone();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s.db_instance_identifier() == Some(db_id.as_str())),
        "the final snapshot is kept"
    );
    let instances = r.aws.rds.describe_db_instances().db_instance_identifier(&db_id).send().await;
    assert!(instances.is_err() || instances.unwrap().db_instances().is_empty(), "the instance is gone");
}

/// The network of `vpc` as SYSTEMS.md describes Paperwurks': 10.0.0.0/16, three tiers of /24
/// subnets (public, private, database) in two zones, one NAT gateway (dev), an S3 gateway
/// endpoint on the private route tables, the tasks in the private tier, the database in the
/// database tier.
async fn paperwurks_network(r: &Running, vpc: &str) {
    let in_vpc = || aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(vpc).build();
    let found = r.aws.ec2.describe_vpcs().vpc_ids(vpc).send().await.unwrap();
    assert_eq!(found.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    let subnets = r.aws.ec2.describe_subnets().filters(in_vpc()).send().await.unwrap();
    let mut cidrs: Vec<&str> = subnets.subnets().iter().filter_map(|s| s.cidr_block()).collect();
    cidrs.sort_unstable();
    assert_eq!(cidrs, ["10.0.0.0/24", "10.0.1.0/24", "10.0.4.0/24", "10.0.5.0/24", "10.0.8.0/24", "10.0.9.0/24"]);
    let zones: std::collections::BTreeSet<&str> =
        subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    assert_eq!(zones.len(), 2, "two availability zones");
    let id_of = |cidr: &str| {
        subnets.subnets().iter().find(|s| s.cidr_block() == Some(cidr)).unwrap().subnet_id().unwrap().to_string()
    };
    let nats = r.aws.ec2.describe_nat_gateways().filter(in_vpc()).send().await.unwrap();
    let live: Vec<_> =
        nats.nat_gateways().iter().filter(|n| n.state().map(|s| s.as_str()) == Some("available")).collect();
    assert_eq!(live.len(), 1, "one NAT gateway in dev");
    assert_eq!(live[0].subnet_id(), Some(id_of("10.0.0.0/24").as_str()), "in a public subnet");
    let endpoints = r.aws.ec2.describe_vpc_endpoints().filters(in_vpc()).send().await.unwrap();
    let s3 = &endpoints.vpc_endpoints()[0];
    assert_eq!(s3.service_name(), Some("com.amazonaws.eu-west-2.s3"));
    let tables = r.aws.ec2.describe_route_tables().filters(in_vpc()).send().await.unwrap();
    let table_of = |subnet: &str| {
        tables
            .route_tables()
            .iter()
            .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(subnet)))
            .unwrap()
            .route_table_id()
            .unwrap()
            .to_string()
    };
    let private_tables: std::collections::BTreeSet<String> =
        ["10.0.4.0/24", "10.0.5.0/24"].iter().map(|c| table_of(&id_of(c))).collect();
    assert_eq!(s3.route_table_ids().iter().cloned().collect::<std::collections::BTreeSet<_>>(), private_tables);
    let (_, _, _, backend) = &services(r).await["backend"];
    let net = backend.network_configuration().unwrap().awsvpc_configuration().unwrap();
    let private: std::collections::BTreeSet<String> = [id_of("10.0.4.0/24"), id_of("10.0.5.0/24")].into();
    assert_eq!(net.subnets().iter().cloned().collect::<std::collections::BTreeSet<_>>(), private);
    let mut database = vec![id_of("10.0.8.0/24"), id_of("10.0.9.0/24")];
    database.sort();
    assert_eq!(support::db_subnets_in(&r.aws.rds, vpc).await, database, "PostgreSQL in the database tier");
}

/// Paperwurks dev as SYSTEMS.md describes its services, security groups, logs and buckets; then
/// deleted with the policies as written: only the final database snapshot is left.
async fn paperwurks_dev(r: &Running) {
    let services = services(r).await;

    // backend 0.5 vCPU / 1 GB on :8000, 1–2 tasks; worker 0.25 vCPU / 512 MB, 1 task.
    let (cpu, memory, backend, backend_service) = &services["backend"];
    assert_eq!((cpu.as_str(), memory.as_str()), ("512", "1024"));
    assert_eq!(backend.port_mappings()[0].container_port(), Some(8000));
    assert_eq!(scaling(r, "backend").await.0..=scaling(r, "backend").await.1, 1..=2);
    let (cpu, memory, _, worker) = &services["worker"];
    assert_eq!((cpu.as_str(), memory.as_str(), worker.desired_count()), ("256", "512", 1));

    // Rolling deployments with circuit breaker, grace period 60 s, tasks in private subnets
    // without public IPs; deregistration delay 30 s, target type ip.
    for (name, (_, _, _, s)) in &services {
        let breaker = s.deployment_configuration().unwrap().deployment_circuit_breaker().unwrap();
        assert!(breaker.enable() && breaker.rollback(), "{name}");
        let net = s.network_configuration().unwrap().awsvpc_configuration().unwrap();
        assert_eq!(net.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"), "{name}");
    }
    assert_eq!(backend_service.health_check_grace_period_seconds(), Some(60));
    let (lb, tg) = load_balancer(r, backend_service).await;
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    let attrs = r
        .aws
        .elb
        .describe_target_group_attributes()
        .target_group_arn(tg.target_group_arn().unwrap())
        .send()
        .await
        .unwrap();
    let delay = attrs.attributes().iter().find(|a| a.key() == Some("deregistration_delay.timeout_seconds"));
    assert_eq!(delay.and_then(|a| a.value()), Some("30"));

    // Security groups chained: ALB :80 from anywhere; tasks :8000 from the ALB group only; RDS
    // :5432 from the task group only.
    let lb_group = lb.security_groups()[0].clone();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &lb_group).await, ["80:0.0.0.0/0"]);
    let tasks = r.stack.status.as_ref().unwrap().task_security_group_id.clone().unwrap();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &tasks).await, [format!("8000:{lb_group}")]);
    let dbs: Api<stackwright_api::Database> = Api::namespaced(env().client().await, &r.ns);
    let db = dbs.get("paperwurks-db").await.unwrap();
    let db_group =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&r.aws.ec2, &db_group, &[format!("5432:{tasks}")]).await;

    // Log retention 7 days in dev, for both services; the region is eu-west-2.
    for (name, (_, _, c, _)) in &services {
        let options = c.log_configuration().unwrap().options().unwrap();
        assert_eq!(options["awslogs-region"], "eu-west-2", "{name}");
        assert_eq!(options["awslogs-group"], format!("/ecs/dev-paperwurks-{name}"), "{name}: SYSTEMS.md's log group");
        let groups =
            r.aws.logs.describe_log_groups().log_group_name_prefix(&options["awslogs-group"]).send().await.unwrap();
        assert_eq!(groups.log_groups()[0].retention_in_days(), Some(7), "{name}");
    }
    // The documents bucket is bound: the backend gets its name.
    assert!(env_of(backend).contains_key("DOCUMENTS_BUCKET"));

    // Deleted with the policies as written: buckets Delete, the database Snapshot (default).
    let buckets: Api<stackwright_api::Bucket> = Api::namespaced(env().client().await, &r.ns);
    let bucket_names: Vec<String> = buckets
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|b| b.status.as_ref()?.bucket_name.clone())
        .collect();
    delete_all(r).await;
    assert!(stack_leftovers(r).await.is_empty(), "{:?}", stack_leftovers(r).await);
    for name in bucket_names {
        assert!(
            r.aws.s3.head_bucket().bucket(&name).send().await.is_err(),
            "bucket {name} is deleted (deletionPolicy Delete)"
        );
    }
    let db_id =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "rds:DBInstance").unwrap().id.clone();
    let snapshots = r.aws.rds.describe_db_snapshots().snapshot_type("manual").send().await.unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s.db_instance_identifier() == Some(db_id.as_str())),
        "the final snapshot is kept"
    );
}

#[tokio::test]
async fn paperwurks_dev_runs_as_described_on_a_network_of_its_own_or_not_and_its_deletion_keeps_only_the_final_snapshot()
 {
    // On a VPC the user already has...
    let r = run("existing-network/paperwurks-dev", "eu-west-2", "paperwurks", Some(81)).await;
    paperwurks_dev(&r).await;
    // ...then as written, in the three-tier network its stack owns. One after the other: the
    // bucket names are global.
    let r = run("paperwurks/dev", "eu-west-2", "paperwurks", None).await;
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    paperwurks_network(&r, &vpc).await;
    paperwurks_dev(&r).await;
    // The network the stack owned goes with it.
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

#[test]
fn the_existing_network_examples_are_the_systems_manifests_with_only_the_network_changed() {
    let env = env();
    for (overlay, base) in
        [("existing-network/accunode", "accunode"), ("existing-network/paperwurks-dev", "paperwurks/dev")]
    {
        let over = env.kustomize(&repo_root().join("examples").join(overlay), "AppStack");
        let orig = env.kustomize(&repo_root().join("examples").join(base), "AppStack");
        let strip = |doc: &str| {
            let mut v: serde_yaml::Value = serde_yaml::from_str(doc).unwrap();
            v["spec"]["network"] = serde_yaml::Value::Null;
            v
        };
        assert_eq!(strip(&over[0]), strip(&orig[0]), "{overlay}");
        assert!(over[0].contains("vpcId: vpc-0123456789abcdef0"), "{overlay}");
    }
}
