//! The network an AppStack owns (`network.managed`), end to end: the real `stackwright` binary
//! against a real kube-apiserver and the project's AWS emulator (NAT gateways and RDS take their
//! lifecycle delays). AWS is read with plain SDK clients that share no code with the controller.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use kube::Api;
use kube::api::DeleteParams;
use stackwright_api::AppStack;
use support::{aws_calls, env, eventually};

const CONVERGE: Duration = Duration::from_secs(240);

fn manifests() -> String {
    r#"apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: shop}
spec:
  network:
    managed: {cidr: 10.20.0.0/16, availabilityZones: 2, natGateways: 1, s3GatewayEndpoint: true}
  services:
  - name: web
    image: registry.example/shop:v1
    port: 8080
    expose: {paths: ["/*"], healthCheck: {path: /health}}
  bindings:
  - {database: shop-db, envPrefix: DATABASE}
---
apiVersion: stackwright.io/v1alpha1
kind: Database
metadata: {name: shop-db}
spec: {version: "15.7", instanceClass: db.t3.small, network: {appStack: shop}, deletionPolicy: Delete}
"#
    .to_string()
}

fn vpc_filter(vpc: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc).build()
}

fn all_ready(list: &serde_json::Value) -> bool {
    list["items"].as_array().is_some_and(|items| {
        items.len() == 2
            && items.iter().all(|o| {
                let ready = o["status"]["conditions"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
                ready && o["status"]["observedGeneration"] == o["metadata"]["generation"]
            })
    })
}

/// The 0.0.0.0/0 target of each route table of the VPC, by the subnets associated with it.
async fn default_routes(ec2: &aws_sdk_ec2::Client, vpc: &str) -> BTreeMap<String, Option<String>> {
    let tables = ec2.describe_route_tables().filters(vpc_filter(vpc)).send().await.unwrap();
    let mut out = BTreeMap::new();
    for t in tables.route_tables() {
        let target = t
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .and_then(|r| r.gateway_id().or(r.nat_gateway_id()).map(str::to_string));
        for a in t.associations() {
            if let Some(subnet) = a.subnet_id() {
                out.insert(subnet.to_string(), target.clone());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_stack_builds_its_own_network_runs_in_its_tiers_repairs_it_and_deletes_it_last() {
    let env = env();
    let ns = env.namespace("netowned").await;
    let controller = env.controller_with_resync(&ns, "netowned", "3s");
    let config = env.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let rds = aws_sdk_rds::Client::new(&config);
    env.apply(&ns, &manifests());
    eventually("the stack and its database are Ready", CONVERGE, || async {
        let out = env.kubectl(&["get", "stackwright", "-n", &ns, "-o", "json"], None);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        (out.status.success() && all_ready(&list)).then_some(())
    })
    .await;
    let stacks: Api<AppStack> = Api::namespaced(env.client().await, &ns);
    let stack = stacks.get("shop").await.unwrap();
    let status = stack.status.clone().unwrap();
    let network = status.network.clone().unwrap();
    let vpc = network.vpc_id.clone().unwrap();
    assert_eq!(network.cidr.as_deref(), Some("10.20.0.0/16"));

    // The VPC: its range, DNS hostnames, the stack's tags.
    let found = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    let v = &found.vpcs()[0];
    assert_eq!(v.cidr_block(), Some("10.20.0.0/16"));
    let owner = format!("AppStack/{ns}/shop");
    assert!(v.tags().iter().any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str())));
    let dns = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(dns.enable_dns_hostnames().and_then(|a| a.value()), Some(true));

    // Three tiers of /24s over the region's first two zones, as the status lays them out.
    let zones = ec2.describe_availability_zones().send().await.unwrap();
    let mut names: Vec<String> =
        zones.availability_zones().iter().filter_map(|z| z.zone_name().map(str::to_string)).collect();
    names.sort();
    let subnets = ec2.describe_subnets().filters(vpc_filter(&vpc)).send().await.unwrap();
    let by_cidr: BTreeMap<String, (String, String)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            let zone = s.availability_zone().unwrap().to_string();
            (s.cidr_block().unwrap().to_string(), (s.subnet_id().unwrap().to_string(), zone))
        })
        .collect();
    let layout = [
        ("public", "10.20.0.0/24", 0),
        ("public", "10.20.1.0/24", 1),
        ("private", "10.20.4.0/24", 0),
        ("private", "10.20.5.0/24", 1),
        ("database", "10.20.8.0/24", 0),
        ("database", "10.20.9.0/24", 1),
    ];
    assert_eq!(by_cidr.len(), 6, "{by_cidr:?}");
    let mut tier: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, cidr, zone) in layout {
        let (id, az) = &by_cidr[cidr];
        assert_eq!(az, &names[zone], "{cidr}");
        tier.entry(name).or_default().push(id.clone());
        let reported = network.subnets.iter().find(|s| s.cidr == cidr).unwrap();
        assert_eq!((reported.tier.as_str(), reported.id.as_ref()), (name, Some(id)));
    }
    assert_eq!(network.data_subnet_ids, tier["database"]);

    // The internet gateway, one NAT gateway in the first public subnet with an elastic IP,
    // routes per tier, and the S3 endpoint on the private tables.
    let attached = Filter::builder().name("attachment.vpc-id").values(&vpc).build();
    let gateways = ec2.describe_internet_gateways().filters(attached).send().await.unwrap();
    let igw = gateways.internet_gateways()[0].internet_gateway_id().unwrap().to_string();
    let nats = ec2.describe_nat_gateways().filter(vpc_filter(&vpc)).send().await.unwrap();
    let live: Vec<_> =
        nats.nat_gateways().iter().filter(|n| n.state().map(|s| s.as_str()) != Some("deleted")).collect();
    assert_eq!(live.len(), 1);
    let nat = live[0].nat_gateway_id().unwrap().to_string();
    assert_eq!(live[0].subnet_id(), Some(tier["public"][0].as_str()));
    assert!(live[0].nat_gateway_addresses().iter().any(|a| a.allocation_id().is_some()));
    let routes = default_routes(&ec2, &vpc).await;
    for s in &tier["public"] {
        assert_eq!(routes[s].as_deref(), Some(igw.as_str()));
    }
    for s in &tier["private"] {
        assert_eq!(routes[s].as_deref(), Some(nat.as_str()), "both zones share the one NAT gateway");
    }
    for s in &tier["database"] {
        assert_eq!(routes[s], None, "the database tier has no way out");
    }
    let endpoints = ec2.describe_vpc_endpoints().filters(vpc_filter(&vpc)).send().await.unwrap();
    let s3 = &endpoints.vpc_endpoints()[0];
    assert_eq!(s3.service_name(), Some("com.amazonaws.us-east-1.s3"));
    let tables = ec2.describe_route_tables().filters(vpc_filter(&vpc)).send().await.unwrap();
    let private_tables: BTreeSet<String> = tables
        .route_tables()
        .iter()
        .filter(|t| {
            t.associations().iter().any(|a| a.subnet_id().is_some_and(|s| tier["private"].iter().any(|p| p == s)))
        })
        .map(|t| t.route_table_id().unwrap().to_string())
        .collect();
    assert_eq!(s3.route_table_ids().iter().cloned().collect::<BTreeSet<_>>(), private_tables);

    // The stack in its tiers: tasks in the private subnets without public IPs, the load balancer
    // in the public ones, the database in the database tier.
    let cluster = status.common.resources.iter().find(|r| r.kind == "ecs:Cluster").unwrap().id.clone();
    let svc = ecs.describe_services().cluster(&cluster).services("web").send().await.unwrap();
    let vpc_config = svc.services()[0].network_configuration().unwrap().awsvpc_configuration().unwrap();
    assert_eq!(
        vpc_config.subnets().iter().cloned().collect::<BTreeSet<_>>(),
        tier["private"].iter().cloned().collect()
    );
    assert_eq!(vpc_config.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"));
    let lb_arn = status.load_balancer.as_ref().unwrap().arn.clone().unwrap();
    let lbs = elb.describe_load_balancers().load_balancer_arns(&lb_arn).send().await.unwrap();
    let lb_subnets: BTreeSet<String> =
        lbs.load_balancers()[0].availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect();
    assert_eq!(lb_subnets, tier["public"].iter().cloned().collect());
    let mut database = tier["database"].clone();
    database.sort();
    assert_eq!(support::db_subnets_in(&rds, &vpc).await, database, "the database in the database tier");

    // In sync, resyncs read and write nothing.
    let looks = |m: &str| aws_calls(m, |op| op == "DescribeVpcs");
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let m1 = controller.metrics().await;
    let m2 = eventually("two resyncs", Duration::from_secs(60), || async {
        let m = controller.metrics().await;
        (looks(&m) >= looks(&m1) + 2).then_some(m)
    })
    .await;
    assert_eq!(writes(&m2), writes(&m1), "no AWS writes in steady state");

    // Drift: the public route removed by hand comes back.
    let public_table = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(tier["public"][0].as_str())))
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    ec2.delete_route().route_table_id(&public_table).destination_cidr_block("0.0.0.0/0").send().await.unwrap();
    eventually("the public route is back", CONVERGE, || async {
        let routes = default_routes(&ec2, &vpc).await;
        (routes[&tier["public"][0]].as_deref() == Some(igw.as_str())).then_some(())
    })
    .await;

    // Deletion: the stack and its database go; the network last, entirely.
    let dp = DeleteParams::default();
    stacks.delete("shop", &dp).await.unwrap();
    let dbs_api: Api<stackwright_api::Database> = Api::namespaced(env.client().await, &ns);
    dbs_api.delete("shop-db", &dp).await.unwrap();
    eventually("the stack is gone", Duration::from_secs(300), || async {
        stacks.get_opt("shop").await.ok()?.is_none().then_some(())
    })
    .await;
    assert!(ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err(), "the VPC is gone");
    let tagged = Filter::builder().name("tag:stackwright.io/owner").values(&owner).build();
    let addresses = ec2.describe_addresses().filters(tagged.clone()).send().await.unwrap();
    assert!(addresses.addresses().is_empty(), "the elastic IP is released");
    let gateways = ec2.describe_internet_gateways().filters(tagged).send().await.unwrap();
    assert!(gateways.internet_gateways().is_empty(), "the internet gateway is deleted");
    let nats = ec2.describe_nat_gateways().filter(vpc_filter(&vpc)).send().await.unwrap();
    assert!(nats.nat_gateways().iter().all(|n| n.state().map(|s| s.as_str()) == Some("deleted")));
}
