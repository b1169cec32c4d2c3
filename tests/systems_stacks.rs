//! Tier 4: AccuNode, Paperwurks (dev) and AI Force of SYSTEMS.md, applied all at once in any
//! order, become Ready; every attribute SYSTEMS.md lists for them holds in AWS, read with
//! independent SDK clients; deleting them leaves only what the deletion policies keep. AccuNode
//! and Paperwurks run as written under `examples/existing-network/` (on a VPC the user already
//! has: the placeholder VPC and subnet ids are replaced by a network the test makes), then as
//! written under `examples/accunode/` and `examples/paperwurks/dev/`, in the network their stacks
//! own. AI Force runs as written under `examples/ai-force/` except for its placeholder
//! certificate ARN, which names no certificate: the test makes one (in IAM, which ELB takes like
//! ACM's) and puts its ARN there; the AI chat server likewise, with its companions' data on EFS.
//! McMillan runs as written under `examples/mcmillan/`, Paperwurks staging and prod under
//! `examples/paperwurks/`.

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
    cloudmap: aws_sdk_servicediscovery::Client,
    efs: aws_sdk_efs::Client,
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
    run_with(example, region, stack, octet, &[]).await
}

/// [`run`], with each `(placeholder, value)` of `replace` replaced in the manifests first.
async fn run_with(example: &str, region: &str, stack: &str, octet: Option<u8>, replace: &[(&str, &str)]) -> Running {
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
        cloudmap: aws_sdk_servicediscovery::Client::new(&config),
        efs: aws_sdk_efs::Client::new(&config),
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
    for (placeholder, value) in replace {
        manifests = manifests.replace(placeholder, value);
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

/// [`run_with`] for an example whose load balancer names the placeholder certificate of the
/// examples: the test makes a certificate (in IAM, which ELB takes like ACM's) and puts its ARN
/// there.
async fn run_with_certificate(example: &str, stack: &str) -> (Running, String) {
    let placeholder = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";
    let certificate = support::server_certificate(&format!("{example}-{}", std::process::id())).await;
    (run_with(example, "us-east-1", stack, None, &[(placeholder, &certificate)]).await, certificate)
}

/// Whether a service runs with Service Connect in its PRIMARY deployment, in which namespace,
/// and the names and ports it serves under.
fn connect_aliases(s: &aws_sdk_ecs::types::Service) -> (bool, Option<String>, Vec<(String, i32)>) {
    let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY")).unwrap();
    let connect = primary.service_connect_configuration().unwrap();
    let aliases = connect
        .services()
        .iter()
        .flat_map(|c| c.client_aliases().iter().map(|a| (a.dns_name().unwrap_or_default().to_string(), a.port())))
        .collect();
    (connect.enabled(), connect.namespace().map(str::to_string), aliases)
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
    // Its log groups: those under its prefix, and those it named (its inventory lists them).
    let named = r.stack.status.as_ref().unwrap().common.resources.iter().filter(|x| x.kind == "logs:LogGroup");
    for prefix in [format!("/stackwright/systems/{}/", r.ns)].into_iter().chain(named.map(|x| x.id.clone())) {
        let logs = r.aws.logs.describe_log_groups().log_group_name_prefix(&prefix).send().await.unwrap();
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

/// What SYSTEMS.md (and the examples, where it is silent) says differs between the Paperwurks
/// environments.
struct Paperwurks {
    env: &'static str,
    /// (cpu, memory) of the backend and its task range.
    backend: (&'static str, &'static str),
    backend_tasks: (i32, i32),
    /// (cpu, memory, tasks) of the worker.
    worker: (&'static str, &'static str, i32),
    log_retention_days: i32,
    nat_gateways: usize,
    /// RDS: (class, GiB, Multi-AZ, backup days).
    database: (&'static str, i32, bool, i32),
    /// Whether the documents bucket is versioned.
    versioned: bool,
}

const PAPERWURKS_DEV: Paperwurks = Paperwurks {
    env: "dev",
    backend: ("512", "1024"),
    backend_tasks: (1, 2),
    worker: ("256", "512", 1),
    log_retention_days: 7,
    nat_gateways: 1,
    database: ("db.t3.small", 20, false, 7),
    versioned: false,
};

/// The network of `vpc` as SYSTEMS.md describes Paperwurks': 10.0.0.0/16, three tiers of /24
/// subnets (public, private, database) in two zones, the environment's NAT gateways in the
/// public tier, an S3 gateway endpoint on the private route tables, the tasks in the private
/// tier, the database in the database tier.
async fn paperwurks_network(r: &Running, vpc: &str, e: &Paperwurks) {
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
    assert_eq!(live.len(), e.nat_gateways, "NAT gateways in {}", e.env);
    let public = [id_of("10.0.0.0/24"), id_of("10.0.1.0/24")];
    let nat_subnets: std::collections::BTreeSet<&str> = live.iter().filter_map(|n| n.subnet_id()).collect();
    assert_eq!(nat_subnets.len(), e.nat_gateways, "one per zone");
    assert!(nat_subnets.iter().all(|s| public.iter().any(|p| p == s)), "in the public tier");
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

/// A Paperwurks environment as SYSTEMS.md describes its services, security groups, database,
/// logs and buckets; then deleted with the policies as written: only the final database
/// snapshot and the buckets whose policy is Retain are left.
async fn paperwurks(r: &Running, e: &Paperwurks) {
    let services = services(r).await;

    // backend on :8000 (dev 0.5 vCPU / 1 GB, 1–2 tasks; prod 1 vCPU / 2 GB, 2–4 tasks); worker
    // (dev 0.25 vCPU / 512 MB, 1 task; prod 0.5 vCPU / 1 GB, 2 tasks).
    let (cpu, memory, backend, backend_service) = &services["backend"];
    assert_eq!((cpu.as_str(), memory.as_str()), e.backend);
    assert_eq!(backend.port_mappings()[0].container_port(), Some(8000));
    let (min, max, _, _, _) = scaling(r, "backend").await;
    assert_eq!((min, max), e.backend_tasks);
    let (cpu, memory, _, worker) = &services["worker"];
    assert_eq!((cpu.as_str(), memory.as_str(), worker.desired_count()), e.worker);

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
    // ... and from the stack's own tasks, which reach the backend by name (Service Connect).
    let mut sources = vec![format!("8000:{lb_group}"), format!("8000:{tasks}")];
    sources.sort();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &tasks).await, sources);
    let dbs: Api<stackwright_api::Database> = Api::namespaced(env().client().await, &r.ns);
    let db = dbs.get("paperwurks-db").await.unwrap();
    let db_group =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&r.aws.ec2, &db_group, &[format!("5432:{tasks}")]).await;

    // Log retention 7 days in dev, for both services; the region is eu-west-2.
    for (name, (_, _, c, _)) in &services {
        let options = c.log_configuration().unwrap().options().unwrap();
        assert_eq!(options["awslogs-region"], "eu-west-2", "{name}");
        assert_eq!(
            options["awslogs-group"],
            format!("/ecs/{}-paperwurks-{name}", e.env),
            "{name}: SYSTEMS.md's log group"
        );
        let groups =
            r.aws.logs.describe_log_groups().log_group_name_prefix(&options["awslogs-group"]).send().await.unwrap();
        assert_eq!(groups.log_groups()[0].retention_in_days(), Some(e.log_retention_days), "{name}");
    }
    // The documents bucket is bound: the backend gets its name.
    assert!(env_of(backend).contains_key("DOCUMENTS_BUCKET"));

    // RDS PostgreSQL 15.8: dev db.t3.small 20 GB, 7-day backups, single-AZ; prod db.t3.medium
    // 100 GB, Multi-AZ, 30-day backups; encrypted.
    let db_id =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "rds:DBInstance").unwrap().id.clone();
    let instance = r.aws.rds.describe_db_instances().db_instance_identifier(&db_id).send().await.unwrap();
    let instance = &instance.db_instances()[0];
    assert_eq!(
        (
            instance.db_instance_class().unwrap(),
            instance.allocated_storage().unwrap(),
            instance.multi_az().unwrap(),
            instance.backup_retention_period().unwrap()
        ),
        e.database
    );
    assert_eq!((instance.engine_version(), instance.storage_encrypted()), (Some("15.8"), Some(true)));

    // The documents bucket: versioned in staging and prod.
    let buckets: Api<stackwright_api::Bucket> = Api::namespaced(env().client().await, &r.ns);
    let documents = format!("paperwurks-{}-documents", e.env);
    let versioning = r.aws.s3.get_bucket_versioning().bucket(&documents).send().await.unwrap();
    assert_eq!(versioning.status().map(|v| v.as_str()) == Some("Enabled"), e.versioned, "{documents}");

    // Deleted with the policies as written: the buckets as their deletionPolicy says, the
    // database Snapshot (default).
    let bucket_policies: Vec<(String, stackwright_api::bucket::BucketDeletionPolicy)> = buckets
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|b| Some((b.status.as_ref()?.bucket_name.clone()?, b.spec.deletion_policy)))
        .collect();
    assert_eq!(bucket_policies.len(), 2);
    delete_all(r).await;
    assert!(stack_leftovers(r).await.is_empty(), "{:?}", stack_leftovers(r).await);
    for (name, policy) in bucket_policies {
        let kept = r.aws.s3.head_bucket().bucket(&name).send().await.is_ok();
        assert_eq!(kept, policy == stackwright_api::bucket::BucketDeletionPolicy::Retain, "bucket {name} ({policy:?})");
    }
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
    paperwurks(&r, &PAPERWURKS_DEV).await;
    // ...then as written, in the three-tier network its stack owns. One after the other: the
    // bucket names are global.
    let r = run("paperwurks/dev", "eu-west-2", "paperwurks", None).await;
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    paperwurks_network(&r, &vpc, &PAPERWURKS_DEV).await;
    paperwurks(&r, &PAPERWURKS_DEV).await;
    // The network the stack owned goes with it.
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

/// Staging and prod as written, each in the three-tier network its stack owns.
async fn paperwurks_as_written(e: &Paperwurks) {
    let r = run(&format!("paperwurks/{}", e.env), "eu-west-2", "paperwurks", None).await;
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    paperwurks_network(&r, &vpc, e).await;
    paperwurks(&r, e).await;
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn paperwurks_staging_runs_as_described_and_its_deletion_keeps_its_buckets_and_the_final_snapshot() {
    paperwurks_as_written(&Paperwurks { env: "staging", log_retention_days: 14, versioned: true, ..PAPERWURKS_DEV })
        .await;
}

#[tokio::test]
async fn paperwurks_prod_runs_as_described_and_its_deletion_keeps_its_buckets_and_the_final_snapshot() {
    paperwurks_as_written(&Paperwurks {
        env: "prod",
        backend: ("1024", "2048"),
        backend_tasks: (2, 4),
        worker: ("512", "1024", 2),
        log_retention_days: 30,
        nat_gateways: 2,
        database: ("db.t3.medium", 100, true, 30),
        versioned: true,
    })
    .await;
}

#[tokio::test]
async fn ai_force_runs_as_described_with_tls_and_its_services_by_name_and_its_deletion_keeps_only_the_final_snapshot() {
    let (r, certificate) = run_with_certificate("ai-force", "ai-force").await;
    let services = services(&r).await;

    // Next.js frontend on :8081, FastAPI backend on :8000, the assessment worker (no port) that
    // scales out.
    assert_eq!(services.keys().collect::<Vec<_>>(), ["backend", "frontend", "worker"]);
    let port = |name: &str| services[name].2.port_mappings().first().and_then(|p| p.container_port());
    assert_eq!((port("frontend"), port("backend"), port("worker")), (Some(8081), Some(8000), None));
    let (min, max, cpu_target, _, _) = scaling(&r, "worker").await;
    assert_eq!((min, max, cpu_target), (1, 4, 70.0), "the worker scales out");

    // ALB with TLS: HTTPS :443 with the certificate and a modern policy, :80 redirecting to it;
    // REST /api/v1 and WebSocket /ws to the backend, everything else to the frontend.
    let (lb, backend_tg) = load_balancer(&r, &services["backend"].3).await;
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let listeners = r.aws.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await;
    let listeners = listeners.unwrap();
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).unwrap();
    assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
    assert_eq!(https.certificates()[0].certificate_arn(), Some(certificate.as_str()));
    assert!(https.ssl_policy().is_some_and(|p| p.contains("TLS13")), "{:?}", https.ssl_policy());
    let http = listeners.listeners().iter().find(|l| l.port() == Some(80)).unwrap();
    let redirect = http.default_actions()[0].redirect_config().unwrap();
    assert_eq!((redirect.protocol(), redirect.port()), (Some("HTTPS"), Some("443")));
    let rules = r.aws.elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let mut routes: Vec<(String, Vec<String>)> = rules
        .rules()
        .iter()
        .filter(|rule| rule.is_default() != Some(true))
        .map(|rule| {
            let tg = rule.actions()[0].target_group_arn().unwrap_or_default();
            let to = if tg == backend_tg.target_group_arn().unwrap() { "backend" } else { "frontend" };
            let paths =
                rule.conditions().iter().flat_map(|c| c.path_pattern_config().map(|p| p.values().to_vec())).flatten();
            (rule.priority().unwrap().to_string(), [to.to_string()].into_iter().chain(paths).collect())
        })
        .collect();
    routes.sort_by_key(|(priority, _)| priority.parse::<i32>().unwrap());
    let routes: Vec<Vec<String>> = routes.into_iter().map(|(_, r)| r).collect();
    assert_eq!(routes, [vec!["backend", "/api/v1*", "/ws*"], vec!["frontend", "/*"]], "the backend's paths first");
    let lb_group = lb.security_groups()[0].clone();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &lb_group).await, ["443:0.0.0.0/0", "80:0.0.0.0/0"]);

    // The services reach each other by name over the stack's Cloud Map namespace: the frontend
    // calls http://backend:8000; the tasks admit each other on their ports.
    let namespace =
        r.stack.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "servicediscovery:Namespace");
    let namespace = namespace.unwrap().id.clone();
    let namespaces = r.aws.cloudmap.list_namespaces().send().await.unwrap();
    let namespace_arn = namespaces
        .namespaces()
        .iter()
        .find(|n| n.name() == Some(namespace.as_str()))
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    for (name, (_, _, _, s)) in &services {
        let (enabled, in_namespace, aliases) = connect_aliases(s);
        assert!(enabled && in_namespace.as_deref() == Some(namespace_arn.as_str()), "{name}");
        let expected: Vec<(String, i32)> = port(name).map(|p| (name.clone(), p)).into_iter().collect();
        assert_eq!(aliases, expected, "{name} is reached as {name}:port");
    }
    let tasks = r.stack.status.as_ref().unwrap().task_security_group_id.clone().unwrap();
    let mut sources =
        vec![format!("8000:{lb_group}"), format!("8000:{tasks}"), format!("8081:{lb_group}"), format!("8081:{tasks}")];
    sources.sort();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &tasks).await, sources);

    // The database and the cache are bound to the backend and the worker only.
    for name in ["backend", "worker"] {
        let env = env_of(&services[name].2);
        assert!(env.contains_key("DATABASE_HOST") && env.contains_key("REDIS_HOST"), "{name}: {env:?}");
    }
    assert!(!env_of(&services["frontend"].2).contains_key("DATABASE_HOST"));

    // Deleted with the default policies: only the final database snapshot is left.
    let dbs: Api<stackwright_api::Database> = Api::namespaced(env().client().await, &r.ns);
    let db = dbs.get("ai-force-db").await.unwrap();
    let db_id =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "rds:DBInstance").unwrap().id.clone();
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    delete_all(&r).await;
    assert!(stack_leftovers(&r).await.is_empty(), "{:?}", stack_leftovers(&r).await);
    let namespaces = r.aws.cloudmap.list_namespaces().send().await.unwrap();
    assert!(namespaces.namespaces().iter().all(|n| n.name() != Some(namespace.as_str())), "the namespace is gone");
    let snapshots = r.aws.rds.describe_db_snapshots().snapshot_type("manual").send().await.unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s.db_instance_identifier() == Some(db_id.as_str())),
        "the final snapshot is kept"
    );
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn ai_chat_runs_as_described_reaching_mongo_and_qdrant_by_name_and_its_deletion_keeps_their_data() {
    let (r, _) = run_with_certificate("ai-chat", "ai-chat").await;
    let services = services(&r).await;

    // server (node:20 image) on :3000 with its env and the JWT secret as a secret, behind HTTPS,
    // several tasks; MongoDB 7 on :27017 and Qdrant v1.16.0 on :6333 as companions.
    assert_eq!(services.keys().collect::<Vec<_>>(), ["mongo", "qdrant", "server"]);
    let port = |name: &str| services[name].2.port_mappings().first().and_then(|p| p.container_port());
    assert_eq!((port("server"), port("mongo"), port("qdrant")), (Some(3000), Some(27017), Some(6333)));
    assert_eq!(services["mongo"].2.image(), Some("mongo:7"));
    assert_eq!(services["qdrant"].2.image(), Some("qdrant/qdrant:v1.16.0"));
    let server = &services["server"].2;
    let env_vars = env_of(server);
    assert_eq!(env_vars["MONGO_URI"], "mongodb://mongo:27017");
    assert_eq!(env_vars["QDRANT_URL"], "http://qdrant:6333");
    assert_eq!((env_vars["NODE_ENV"].as_str(), env_vars["PORT"].as_str()), ("production", "3000"));
    assert_eq!(secrets_of(server), ["JWT_SECRET"]);
    let (min, max, cpu_target, _, _) = scaling(&r, "server").await;
    assert_eq!((min, max, cpu_target), (2, 6, 70.0), "several server tasks");
    let (lb, _) = load_balancer(&r, &services["server"].3).await;
    let listeners = r.aws.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await;
    let ports: Vec<i32> = listeners.unwrap().listeners().iter().filter_map(|l| l.port()).collect();
    assert!(ports.contains(&443) && ports.contains(&80), "{ports:?}");

    // `server` reaches mongo and qdrant by name over the stack's namespace.
    for (name, (_, _, _, s)) in &services {
        let (enabled, _, aliases) = connect_aliases(s);
        assert!(enabled, "{name}");
        assert_eq!(aliases, [(name.clone(), port(name).unwrap())], "{name} is reached as {name}:port");
    }

    // mongo's and qdrant's data on the stack's encrypted EFS file system, an access point each
    // with its own root directory and user, mounted in each zone the tasks run in.
    let status = r.stack.status.as_ref().unwrap();
    let fs_id = status.file_system_id.clone().unwrap();
    let fs = r.aws.efs.describe_file_systems().file_system_id(&fs_id).send().await.unwrap();
    assert_eq!(fs.file_systems()[0].encrypted(), Some(true));
    let targets = r.aws.efs.describe_mount_targets().file_system_id(&fs_id).send().await.unwrap();
    let mut target_subnets: Vec<String> = targets.mount_targets().iter().map(|m| m.subnet_id().to_string()).collect();
    target_subnets.sort();
    let task_net = services["mongo"].3.network_configuration().unwrap().awsvpc_configuration().unwrap();
    let mut task_subnets = task_net.subnets().to_vec();
    task_subnets.sort();
    assert_eq!(target_subnets, task_subnets, "a mount target in each task subnet's zone");
    let points = r.aws.efs.describe_access_points().file_system_id(&fs_id).send().await.unwrap();
    let mut roots: Vec<(String, i64)> = points
        .access_points()
        .iter()
        .map(|a| (a.root_directory().unwrap().path().unwrap().to_string(), a.posix_user().unwrap().uid()))
        .collect();
    roots.sort();
    assert_eq!(roots, [("/mongo/mongo-data".to_string(), 999), ("/qdrant/qdrant-storage".to_string(), 1000)]);
    for (name, path) in [("mongo", "/data/db"), ("qdrant", "/qdrant/storage")] {
        let def = r.aws.ecs.describe_task_definition().task_definition(services[name].3.task_definition().unwrap());
        let def = def.send().await.unwrap();
        let def = def.task_definition().unwrap();
        let efs = def.volumes()[0].efs_volume_configuration().unwrap();
        assert_eq!(efs.file_system_id(), fs_id, "{name}");
        assert_eq!(efs.transit_encryption().map(|t| t.as_str()), Some("ENABLED"), "{name}");
        let point = efs.authorization_config().unwrap().access_point_id().unwrap();
        assert!(points.access_points().iter().any(|a| a.access_point_id() == Some(point)), "{name}");
        let mount = &def.container_definitions()[0].mount_points()[0];
        assert_eq!((mount.container_path(), mount.source_volume()), (Some(path), def.volumes()[0].name()), "{name}");
    }
    assert!(services["server"].2.mount_points().is_empty());

    // The task group: the server from the load balancer; each service and NFS from the tasks only.
    let tasks = status.task_security_group_id.clone().unwrap();
    let lb_group = lb.security_groups()[0].clone();
    let mut sources = vec![
        format!("3000:{lb_group}"),
        format!("3000:{tasks}"),
        format!("27017:{tasks}"),
        format!("6333:{tasks}"),
        format!("2049:{tasks}"),
    ];
    sources.sort();
    assert_eq!(support::ingress_sources(&r.aws.ec2, &tasks).await, sources);

    // Deleted with the default policies: everything goes but the file system with the data (and
    // its access points); an Event says so.
    let vpc = status.network.as_ref().unwrap().vpc_id.clone().unwrap();
    delete_all(&r).await;
    assert!(stack_leftovers(&r).await.is_empty(), "{:?}", stack_leftovers(&r).await);
    let kept = r.aws.efs.describe_file_systems().file_system_id(&fs_id).send().await.unwrap();
    assert_eq!(kept.file_systems()[0].life_cycle_state().as_str(), "available");
    let points = r.aws.efs.describe_access_points().file_system_id(&fs_id).send().await.unwrap();
    assert_eq!(points.access_points().len(), 2, "the access points stay with the data");
    let targets = r.aws.efs.describe_mount_targets().file_system_id(&fs_id).send().await.unwrap();
    assert!(targets.mount_targets().is_empty(), "the mount targets went with the stack");
    let events = env().kubectl(&["get", "events", "-n", &r.ns, "--field-selector", "reason=Kept", "-o", "json"], None);
    let events: serde_json::Value = serde_json::from_slice(&events.stdout).unwrap();
    assert!(
        events["items"].as_array().unwrap().iter().any(|e| e["note"].as_str().unwrap_or_default().contains(&fs_id)
            || e["message"].as_str().unwrap_or_default().contains(&fs_id)),
        "{events}"
    );
    eventually("the VPC is deleted", CONVERGE, || async {
        r.aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn mcmillan_runs_as_described_routed_by_host_and_its_deletion_keeps_the_documents_the_snapshot_and_pgadmin_s_data()
 {
    let r = run("mcmillan", "us-east-1", "mcmillan", None).await;
    let services = services(&r).await;

    // FastAPI `app` on :8000 and `invoiceai` on :8001, both reachable from outside; pgAdmin on
    // :5050 — three exposed services on one load balancer, routed by host name.
    assert_eq!(services.keys().collect::<Vec<_>>(), ["app", "invoiceai", "pgadmin"]);
    let port = |name: &str| services[name].2.port_mappings().first().and_then(|p| p.container_port());
    assert_eq!((port("app"), port("invoiceai"), port("pgadmin")), (Some(8000), Some(8001), Some(5050)));
    let (lb, _) = load_balancer(&r, &services["app"].3).await;
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let listeners = r.aws.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await;
    let listener = listeners.unwrap().listeners()[0].clone();
    let rules = r.aws.elb.describe_rules().listener_arn(listener.listener_arn().unwrap()).send().await.unwrap();
    let mut routes: Vec<(String, String)> = Vec::new();
    for rule in rules.rules().iter().filter(|rule| rule.is_default() != Some(true)) {
        let tg = rule.actions()[0].target_group_arn().unwrap();
        let to = services.iter().find(|(_, s)| s.3.load_balancers()[0].target_group_arn() == Some(tg)).unwrap().0;
        let host = rule.conditions().iter().find_map(|c| c.host_header_config()).unwrap().values()[0].clone();
        routes.push((host, to.clone()));
    }
    routes.sort();
    assert_eq!(
        routes,
        [
            ("api.mcmillan.example.com".to_string(), "app".to_string()),
            ("invoiceai.mcmillan.example.com".to_string(), "invoiceai".to_string()),
            ("pgadmin.mcmillan.example.com".to_string(), "pgadmin".to_string())
        ]
    );

    // PostgreSQL 15, reachable only from inside the network: never public, in the database tier,
    // admitting the stack's tasks only.
    let dbs: Api<stackwright_api::Database> = Api::namespaced(env().client().await, &r.ns);
    let db = dbs.get("mcmillan-db").await.unwrap();
    let db_id =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "rds:DBInstance").unwrap().id.clone();
    let instance = r.aws.rds.describe_db_instances().db_instance_identifier(&db_id).send().await.unwrap();
    let instance = &instance.db_instances()[0];
    // "15" asks RDS for its newest 15.x (the emulator answers with the major version as given).
    assert_eq!(instance.engine_version().unwrap().split('.').next(), Some("15"), "{:?}", instance.engine_version());
    assert_eq!(instance.publicly_accessible(), Some(false));
    let tasks = r.stack.status.as_ref().unwrap().task_security_group_id.clone().unwrap();
    let db_group =
        db.status.as_ref().unwrap().common.resources.iter().find(|x| x.kind == "ec2:SecurityGroup").unwrap().id.clone();
    support::admits(&r.aws.ec2, &db_group, &[format!("5432:{tasks}")]).await;
    for name in ["app", "invoiceai", "pgadmin"] {
        assert!(env_of(&services[name].2).contains_key("DATABASE_HOST"), "{name}");
    }
    // The document bucket is the app's and invoiceai's, not pgAdmin's.
    assert!(env_of(&services["app"].2).contains_key("DOCUMENTS_BUCKET"));
    assert!(!env_of(&services["pgadmin"].2).contains_key("DOCUMENTS_BUCKET"));

    // pgAdmin's saved servers and settings on EFS, as the image's user (5050).
    let fs_id = r.stack.status.as_ref().unwrap().file_system_id.clone().unwrap();
    let points = r.aws.efs.describe_access_points().file_system_id(&fs_id).send().await.unwrap();
    let point = &points.access_points()[0];
    assert_eq!(point.root_directory().unwrap().path(), Some("/pgadmin/pgadmin-data"));
    assert_eq!(point.posix_user().map(|u| (u.uid(), u.gid())), Some((5050, 5050)));
    assert_eq!(services["pgadmin"].2.mount_points()[0].container_path(), Some("/var/lib/pgadmin"));

    // Logs kept: 30 days for each service.
    for (name, (_, _, c, _)) in &services {
        let group = c.log_configuration().unwrap().options().unwrap()["awslogs-group"].clone();
        let groups = r.aws.logs.describe_log_groups().log_group_name_prefix(&group).send().await.unwrap();
        assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30), "{name}");
    }

    // Deleted with the policies as written: the document bucket (Retain, the default), the
    // final database snapshot and pgAdmin's file system stay; the website buckets go.
    let buckets: Api<stackwright_api::Bucket> = Api::namespaced(env().client().await, &r.ns);
    let names: BTreeMap<String, String> = buckets
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|b| Some((b.metadata.name.clone()?, b.status.as_ref()?.bucket_name.clone()?)))
        .collect();
    let vpc = r.stack.status.as_ref().unwrap().network.as_ref().unwrap().vpc_id.clone().unwrap();
    delete_all(&r).await;
    assert!(stack_leftovers(&r).await.is_empty(), "{:?}", stack_leftovers(&r).await);
    for (object, bucket) in &names {
        let kept = r.aws.s3.head_bucket().bucket(bucket).send().await.is_ok();
        assert_eq!(kept, object == "documents", "bucket {bucket} of {object}");
    }
    let snapshots = r.aws.rds.describe_db_snapshots().snapshot_type("manual").send().await.unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s.db_instance_identifier() == Some(db_id.as_str())),
        "the final snapshot is kept"
    );
    let kept = r.aws.efs.describe_file_systems().file_system_id(&fs_id).send().await.unwrap();
    assert_eq!(kept.file_systems()[0].life_cycle_state().as_str(), "available", "pgAdmin's data is kept");
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
