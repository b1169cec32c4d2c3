//! The crash matrix of the network an AppStack owns (`network.managed`): the real controller is
//! aborted right after each EC2 write of the network's create, update and delete paths in turn,
//! then a fresh controller takes over. After every crash point the stack must converge (Ready, or
//! gone after a delete) with exactly one VPC, the six subnets of its layout, one internet
//! gateway, one elastic IP and NAT gateway per wanted NAT gateway, four route tables and the S3
//! endpoint when wanted — no duplicate, no orphan, and no stalled status along the way.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use aws_sdk_ec2::types::Filter;
use kube::api::DeleteParams;
use stackwright_api::AppStack;
use support::crash::Crash;

async fn case(point: &str) -> Crash<AppStack> {
    Crash::bare("crashnet", point, "crashnet", 71).await
}

/// A stack in a network of its own: two zones, `nat` NAT gateways, the S3 endpoint or not; one
/// worker service.
fn spec(nat: usize, s3: bool) -> String {
    format!(
        r#"  network:
    managed: {{cidr: 10.40.0.0/16, availabilityZones: 2, natGateways: {nat}, s3GatewayEndpoint: {s3}}}
  services:
  - name: worker
    image: registry.example/app:v1
"#
    )
}

/// What of the account carries the stack's owner tag, one line per resource, sorted (NAT
/// gateways that are not `deleted`, endpoints that are not `deleted`).
async fn owned(case: &Crash<AppStack>) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&case.env.sdk_config().await);
    let tagged = || Filter::builder().name("tag:stackwright.io/owner").values(case.owner("web")).build();
    let mut out = Vec::new();
    let vpcs = ec2.describe_vpcs().filters(tagged()).send().await.unwrap();
    out.extend(vpcs.vpcs().iter().map(|_| "vpc".to_string()));
    let subnets = ec2.describe_subnets().filters(tagged()).send().await.unwrap();
    out.extend(subnets.subnets().iter().map(|s| format!("subnet {}", s.cidr_block().unwrap_or_default())));
    let gateways = ec2.describe_internet_gateways().filters(tagged()).send().await.unwrap();
    out.extend(gateways.internet_gateways().iter().map(|_| "internet gateway".to_string()));
    let addresses = ec2.describe_addresses().filters(tagged()).send().await.unwrap();
    out.extend(addresses.addresses().iter().map(|_| "elastic ip".to_string()));
    let nats = ec2.describe_nat_gateways().filter(tagged()).send().await.unwrap();
    let live = nats.nat_gateways().iter().filter(|n| n.state().is_some_and(|s| s.as_str() != "deleted"));
    out.extend(live.map(|_| "nat gateway".to_string()));
    let tables = ec2.describe_route_tables().filters(tagged()).send().await.unwrap();
    out.extend(tables.route_tables().iter().map(|_| "route table".to_string()));
    let endpoints = ec2.describe_vpc_endpoints().filters(tagged()).send().await.unwrap();
    let live = endpoints.vpc_endpoints().iter().filter(|e| e.state().is_some_and(|s| s.as_str() != "deleted"));
    out.extend(live.map(|_| "endpoint".to_string()));
    out.sort();
    out
}

fn expected(nat: usize, s3: bool) -> Vec<String> {
    let mut want: Vec<String> = ["vpc", "internet gateway", "route table", "route table", "route table", "route table"]
        .map(String::from)
        .to_vec();
    for cidr in ["10.40.0.0/24", "10.40.1.0/24", "10.40.4.0/24", "10.40.5.0/24", "10.40.8.0/24", "10.40.9.0/24"] {
        want.push(format!("subnet {cidr}"));
    }
    for _ in 0..nat {
        want.push("elastic ip".into());
        want.push("nat gateway".into());
    }
    if s3 {
        want.push("endpoint".into());
    }
    want.sort();
    want
}

async fn eventually_owned(case: &Crash<AppStack>, want: Vec<String>) {
    support::crash::eventually_exactly(want, || owned(case)).await;
}

/// Create path: the controller dies right after `op` while building the network.
async fn create_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(1, true));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected(1, true)).await;
    case.assert_never_stalled();
}

/// Update path: converged with two NAT gateways and the endpoint, then the controller dies right
/// after `op` while it goes down to one NAT gateway without the endpoint.
async fn update_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(2, true));
    case.converge("web").await;
    case.apply("web", &spec(1, false));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("web").await;
    eventually_owned(&case, expected(1, false)).await;
    case.assert_never_stalled();
}

/// Delete path: converged, deleted; the controller dies right after `op`.
async fn delete_path(op: &str) {
    let case = case(op).await;
    case.apply("web", &spec(1, true));
    case.converge("web").await;
    case.api.delete("web", &DeleteParams::default()).await.unwrap();
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.gone("web").await;
    assert!(owned(&case).await.is_empty(), "no orphan: {:?}", owned(&case).await);
}

crash_points! { create_path:
    create_after_create_vpc => "CreateVpc";
    create_after_modify_vpc_attribute => "ModifyVpcAttribute";
    create_after_create_subnet => "CreateSubnet";
    create_after_create_internet_gateway => "CreateInternetGateway";
    create_after_attach_internet_gateway => "AttachInternetGateway";
    create_after_allocate_address => "AllocateAddress";
    create_after_create_nat_gateway => "CreateNatGateway";
    create_after_create_route_table => "CreateRouteTable";
    create_after_create_route => "CreateRoute";
    create_after_associate_route_table => "AssociateRouteTable";
    create_after_create_vpc_endpoint => "CreateVpcEndpoint";
}

crash_points! { update_path:
    update_after_replace_route => "ReplaceRoute";
    update_after_delete_nat_gateway => "DeleteNatGateway";
    update_after_release_address => "ReleaseAddress";
    update_after_delete_vpc_endpoints => "DeleteVpcEndpoints";
}

crash_points! { delete_path:
    delete_after_delete_vpc_endpoints => "DeleteVpcEndpoints";
    delete_after_delete_nat_gateway => "DeleteNatGateway";
    delete_after_release_address => "ReleaseAddress";
    delete_after_detach_internet_gateway => "DetachInternetGateway";
    delete_after_delete_internet_gateway => "DeleteInternetGateway";
    delete_after_delete_subnet => "DeleteSubnet";
    delete_after_delete_route_table => "DeleteRouteTable";
    delete_after_delete_vpc => "DeleteVpc";
}
