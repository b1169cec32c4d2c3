//! Tier 2: every EC2 adapter call for the VPC network an AppStack creates and owns (VPC, subnets,
//! internet and NAT gateways, Elastic IP addresses, route tables, gateway endpoints), against the
//! emulator, including idempotency, deletes of what is gone, and how errors map to categories.
//! Each test makes its own VPC and tags everything after the process and the test, so tests run
//! in parallel in one emulator.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use stackwright_cloud::ec2::{Ec2, Route, RouteTableAssociation, RouteTarget};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

/// Remembers the operation of every call attempt.
#[derive(Debug, Default)]
struct Calls(Mutex<Vec<String>>);

impl CallRecorder for Calls {
    fn record(&self, _service: &str, operation: &str, _outcome: CallOutcome) {
        self.0.lock().unwrap().push(operation.to_string());
    }
    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: std::time::Duration) {}
}

impl Calls {
    fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|o| *o == operation).count()
    }
}

async fn ec2() -> (Ec2, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let ec2 = Cloud::new(support::env().aws_settings(), calls.clone()).await.ec2(support::REGION);
    (ec2, calls)
}

fn unique(name: &str) -> String {
    format!("network-{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The tags of one owned part: the owner (unique to the test) and the part's name.
fn owned(test: &str, part: &str) -> BTreeMap<String, String> {
    tags(&[("stackwright.io/owner", &unique(test)), ("stackwright.io/part", part)])
}

fn owner(test: &str) -> BTreeMap<String, String> {
    tags(&[("stackwright.io/owner", &unique(test))])
}

/// Ends every lifecycle in progress in the emulator (NAT gateways `pending` or `deleting`), so a
/// test sees the state after the transition without waiting for it.
fn finish_lifecycles() {
    support::env().emulator("lifecycles/finish");
}

fn assert_category<T: std::fmt::Debug>(
    result: Result<T, stackwright_cloud::CloudError>,
    category: ErrorCategory,
    code: &str,
) {
    let err = result.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (category, code), "{err}");
}

fn route(destination: &str, target: RouteTarget) -> Route {
    Route { destination: destination.into(), target }
}

/// A VPC of the test's own with an internet gateway attached and subnets in the first two zones.
async fn network(ec2: &Ec2, test: &str, octet: u8) -> (String, String, Vec<String>) {
    let vpc = ec2.create_vpc(&format!("10.{octet}.0.0/16"), &owned(test, "vpc")).await.unwrap().id;
    let igw = ec2.create_internet_gateway(&owned(test, "igw")).await.unwrap().id;
    ec2.attach_internet_gateway(&igw, &vpc).await.unwrap();
    let zones = ec2.availability_zones().await.unwrap();
    let mut subnets = Vec::new();
    for (i, zone) in zones.iter().take(2).enumerate() {
        let part = format!("public-{i}");
        let subnet = ec2.create_subnet(&vpc, &format!("10.{octet}.{i}.0/24"), zone, &owned(test, &part)).await.unwrap();
        subnets.push(subnet.id);
    }
    (vpc, igw, subnets)
}

#[tokio::test]
async fn availability_zones_are_the_regions_own_sorted() {
    let (ec2, _) = ec2().await;
    let zones = ec2.availability_zones().await.unwrap();
    assert!(!zones.is_empty());
    let mut sorted = zones.clone();
    sorted.sort();
    assert_eq!(zones, sorted);
    assert!(zones.iter().all(|z| z.starts_with("us-east-1")), "{zones:?}");
    assert!(zones.contains(&"us-east-1a".to_string()) && zones.contains(&"us-east-1b".to_string()), "{zones:?}");
}

#[tokio::test]
async fn vpcs_are_created_tagged_found_by_tags_and_deleted() {
    let (ec2, calls) = ec2().await;
    let test = "vpc";
    let want = owned(test, "vpc");
    assert!(ec2.vpcs_by_tags(&want).await.unwrap().is_empty());

    let vpc = ec2.create_vpc("10.40.0.0/16", &want).await.unwrap();
    assert!(vpc.id.starts_with("vpc-"), "{}", vpc.id);
    assert_eq!((vpc.cidr.as_str(), &vpc.tags), ("10.40.0.0/16", &want));
    assert!(["pending", "available"].contains(&vpc.state.as_str()), "{}", vpc.state);

    // Every one of the tags: a subset finds it, a tag it lacks does not.
    let found = ec2.vpcs_by_tags(&want).await.unwrap();
    assert_eq!(found.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), [vpc.id.as_str()]);
    assert_eq!((found[0].cidr.as_str(), found[0].state.as_str(), &found[0].tags), ("10.40.0.0/16", "available", &want));
    assert_eq!(ec2.vpcs_by_tags(&owner(test)).await.unwrap().len(), 1);
    let mut more = want.clone();
    more.insert("stackwright.io/extra".into(), "yes".into());
    assert!(ec2.vpcs_by_tags(&more).await.unwrap().is_empty());
    // No tags would match every VPC of the region: refused without a call.
    let before = calls.count("DescribeVpcs");
    assert_category(ec2.vpcs_by_tags(&BTreeMap::new()).await, ErrorCategory::Invalid, "NoTags");
    assert_eq!(calls.count("DescribeVpcs"), before);

    assert!(!ec2.dns_hostnames(&vpc.id).await.unwrap());
    ec2.enable_dns_hostnames(&vpc.id).await.unwrap();
    assert!(ec2.dns_hostnames(&vpc.id).await.unwrap());
    ec2.enable_dns_hostnames(&vpc.id).await.unwrap();
    assert!(ec2.dns_hostnames(&vpc.id).await.unwrap());

    ec2.delete_vpc(&vpc.id).await.unwrap();
    assert!(ec2.vpcs_by_tags(&want).await.unwrap().is_empty());
    ec2.delete_vpc(&vpc.id).await.unwrap();
    assert_category(ec2.dns_hostnames(&vpc.id).await, ErrorCategory::NotFound, "InvalidVpcID.NotFound");
}

#[tokio::test]
async fn subnets_are_created_in_the_given_zones_and_listed_and_hold_their_vpc() {
    let (ec2, _) = ec2().await;
    let test = "subnets";
    let vpc = ec2.create_vpc("10.41.0.0/16", &owned(test, "vpc")).await.unwrap().id;
    let zones = ec2.availability_zones().await.unwrap();
    assert!(zones.len() >= 3, "{zones:?}");
    let mut created = Vec::new();
    for (i, zone) in zones.iter().take(3).enumerate() {
        let part = format!("private-{i}");
        let subnet =
            ec2.create_subnet(&vpc, &format!("10.41.{}.0/24", 10 + i), zone, &owned(test, &part)).await.unwrap();
        assert!(subnet.id.starts_with("subnet-"), "{}", subnet.id);
        assert_eq!((subnet.vpc_id.as_str(), subnet.availability_zone.as_str()), (vpc.as_str(), zone.as_str()));
        assert_eq!((subnet.cidr, &subnet.tags), (format!("10.41.{}.0/24", 10 + i), &owned(test, &part)));
        created.push(ec2.subnets(std::slice::from_ref(&subnet.id)).await.unwrap().remove(0));
    }
    let mut listed = ec2.subnets_in(&vpc).await.unwrap();
    listed.sort_by(|a, b| a.cidr.cmp(&b.cidr));
    assert_eq!(listed, created);

    // A CIDR block overlapping a subnet already there (observe lists the VPC's subnets first, so
    // such a subnet is not one of ours): a person must act.
    let overlapping = ec2.create_subnet(&vpc, "10.41.8.0/21", &zones[0], &owned(test, "other")).await;
    assert_category(overlapping, ErrorCategory::Conflict, "InvalidSubnet.Conflict");

    // A VPC with a subnet in it cannot go yet.
    let err = ec2.delete_vpc(&vpc).await.unwrap_err();
    assert_eq!(
        (err.category, err.code.as_str(), err.operation),
        (ErrorCategory::Busy, "DependencyViolation", "ec2:DeleteVpc")
    );

    for subnet in &created {
        ec2.delete_subnet(&subnet.id).await.unwrap();
        ec2.delete_subnet(&subnet.id).await.unwrap();
    }
    assert!(ec2.subnets_in(&vpc).await.unwrap().is_empty());
    ec2.delete_vpc(&vpc).await.unwrap();
}

#[tokio::test]
async fn internet_gateways_attach_and_detach_idempotently() {
    let (ec2, _) = ec2().await;
    let test = "igw";
    let vpc = ec2.create_vpc("10.42.0.0/16", &owned(test, "vpc")).await.unwrap().id;
    let other_vpc = ec2.create_vpc("10.43.0.0/16", &owned(test, "other")).await.unwrap().id;
    let want = owned(test, "igw");
    assert!(ec2.internet_gateways_by_tags(&want).await.unwrap().is_empty());

    let igw = ec2.create_internet_gateway(&want).await.unwrap();
    assert!(igw.id.starts_with("igw-"), "{}", igw.id);
    assert_eq!((igw.attached_vpcs.len(), &igw.tags), (0, &want));
    assert_eq!(ec2.internet_gateways_by_tags(&want).await.unwrap(), std::slice::from_ref(&igw));

    ec2.attach_internet_gateway(&igw.id, &vpc).await.unwrap();
    ec2.attach_internet_gateway(&igw.id, &vpc).await.unwrap();
    let found = ec2.internet_gateways_by_tags(&owner(test)).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attached_vpcs, std::slice::from_ref(&vpc));
    // Attached elsewhere: not success; observe again.
    assert_category(
        ec2.attach_internet_gateway(&igw.id, &other_vpc).await,
        ErrorCategory::AlreadyExists,
        "Resource.AlreadyAssociated",
    );

    // Attached, the gateway cannot be deleted, nor the VPC.
    assert_category(ec2.delete_internet_gateway(&igw.id).await, ErrorCategory::Busy, "DependencyViolation");
    assert_category(ec2.delete_vpc(&vpc).await, ErrorCategory::Busy, "DependencyViolation");

    // Not attached to that VPC: nothing to detach.
    ec2.detach_internet_gateway(&igw.id, &other_vpc).await.unwrap();
    assert_eq!(ec2.internet_gateways_by_tags(&want).await.unwrap()[0].attached_vpcs, std::slice::from_ref(&vpc));
    ec2.detach_internet_gateway(&igw.id, &vpc).await.unwrap();
    ec2.detach_internet_gateway(&igw.id, &vpc).await.unwrap();
    assert!(ec2.internet_gateways_by_tags(&want).await.unwrap()[0].attached_vpcs.is_empty());

    ec2.delete_internet_gateway(&igw.id).await.unwrap();
    ec2.delete_internet_gateway(&igw.id).await.unwrap();
    ec2.detach_internet_gateway(&igw.id, &vpc).await.unwrap();
    assert!(ec2.internet_gateways_by_tags(&want).await.unwrap().is_empty());
    ec2.delete_vpc(&vpc).await.unwrap();
    ec2.delete_vpc(&other_vpc).await.unwrap();
}

#[tokio::test]
async fn addresses_are_allocated_tagged_found_by_tags_and_released() {
    let (ec2, _) = ec2().await;
    let test = "eip";
    let want = owned(test, "nat-0");
    assert!(ec2.addresses_by_tags(&want).await.unwrap().is_empty());
    let address = ec2.allocate_address(&want).await.unwrap();
    assert!(address.allocation_id.starts_with("eipalloc-"), "{}", address.allocation_id);
    assert!(address.public_ip.parse::<std::net::Ipv4Addr>().is_ok(), "{}", address.public_ip);
    assert_eq!((address.association_id.as_deref(), &address.tags), (None, &want));
    let second = ec2.allocate_address(&owned(test, "nat-1")).await.unwrap();

    assert_eq!(ec2.addresses_by_tags(&want).await.unwrap(), std::slice::from_ref(&address));
    let mut all: Vec<String> =
        ec2.addresses_by_tags(&owner(test)).await.unwrap().into_iter().map(|a| a.allocation_id).collect();
    all.sort();
    let mut expected = vec![address.allocation_id.clone(), second.allocation_id.clone()];
    expected.sort();
    assert_eq!(all, expected);

    for id in [&address.allocation_id, &second.allocation_id] {
        ec2.release_address(id).await.unwrap();
        ec2.release_address(id).await.unwrap();
    }
    assert!(ec2.addresses_by_tags(&owner(test)).await.unwrap().is_empty());
}

#[tokio::test]
async fn nat_gateways_are_created_once_per_client_token_listed_and_deleted() {
    let (ec2, calls) = ec2().await;
    let test = "nat";
    let (vpc, igw, subnets) = network(&ec2, test, 44).await;
    let address = ec2.allocate_address(&owned(test, "nat-0")).await.unwrap();
    let token = unique("nat-0");
    let want = owned(test, "nat-0");

    let nat = ec2.create_nat_gateway(&subnets[0], &address.allocation_id, &token, &want).await.unwrap();
    assert!(nat.id.starts_with("nat-"), "{}", nat.id);
    assert_eq!(
        (nat.subnet_id.as_str(), &nat.allocation_ids, &nat.tags),
        (subnets[0].as_str(), &vec![address.allocation_id.clone()], &want)
    );
    assert!(["pending", "available"].contains(&nat.state.as_str()), "{}", nat.state);
    // The same token again (a create whose answer was lost): the same gateway, no second one.
    let again = ec2.create_nat_gateway(&subnets[0], &address.allocation_id, &token, &want).await.unwrap();
    assert_eq!(again.id, nat.id);
    assert_eq!(calls.count("CreateNatGateway"), 2);
    let listed = ec2.nat_gateways_in(&vpc).await.unwrap();
    assert_eq!(listed.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), [nat.id.as_str()]);
    // The same token for another request is a bug, not a state to wait out.
    assert_category(
        ec2.create_nat_gateway(&subnets[1], &address.allocation_id, &token, &want).await,
        ErrorCategory::Invalid,
        "IdempotentParameterMismatch",
    );

    finish_lifecycles();
    let listed = ec2.nat_gateways_in(&vpc).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].state.as_str(), listed[0].failure_message.as_deref(), &listed[0].tags),
        ("available", None, &want)
    );
    assert_eq!(listed[0].allocation_ids, std::slice::from_ref(&address.allocation_id));
    let held = ec2.addresses_by_tags(&want).await.unwrap();
    assert!(held[0].association_id.is_some(), "{held:?}");

    // While the gateway holds the address: it is not released, the gateway not detached, the
    // subnet not deleted.
    assert_category(ec2.release_address(&address.allocation_id).await, ErrorCategory::Busy, "InvalidIPAddress.InUse");
    assert_category(ec2.detach_internet_gateway(&igw, &vpc).await, ErrorCategory::Busy, "DependencyViolation");
    assert_category(ec2.delete_subnet(&subnets[0]).await, ErrorCategory::Busy, "DependencyViolation");

    ec2.delete_nat_gateway(&nat.id).await.unwrap();
    ec2.delete_nat_gateway(&nat.id).await.unwrap();
    let deleting = ec2.nat_gateways_in(&vpc).await.unwrap();
    assert!(
        deleting.iter().all(|n| n.id == nat.id && ["deleting", "deleted"].contains(&n.state.as_str())),
        "{deleting:?}"
    );
    finish_lifecycles();
    assert!(ec2.nat_gateways_in(&vpc).await.unwrap().is_empty(), "a deleted gateway is not listed");
    assert_eq!(ec2.addresses_by_tags(&want).await.unwrap()[0].association_id, None, "the address is let go");

    ec2.release_address(&address.allocation_id).await.unwrap();
    ec2.detach_internet_gateway(&igw, &vpc).await.unwrap();
    ec2.delete_subnet(&subnets[0]).await.unwrap();
    ec2.delete_nat_gateway("nat-0123456789abcdef0").await.unwrap();
}

#[tokio::test]
async fn route_tables_route_to_gateways_and_are_associated_with_subnets() {
    let (ec2, calls) = ec2().await;
    let test = "routes";
    let (vpc, igw, subnets) = network(&ec2, test, 45).await;
    let address = ec2.allocate_address(&owned(test, "nat-0")).await.unwrap();
    let nat = ec2
        .create_nat_gateway(&subnets[0], &address.allocation_id, &unique("rt-nat"), &owned(test, "nat-0"))
        .await
        .unwrap()
        .id;

    // The main route table comes with the VPC, with its local route.
    let tables = ec2.route_tables_in(&vpc).await.unwrap();
    assert_eq!(tables.len(), 1, "{tables:?}");
    let main = &tables[0];
    assert_eq!(main.routes, [route("10.45.0.0/16", RouteTarget::Local)]);
    assert_eq!(main.associations.len(), 1);
    assert!(main.associations[0].main && main.associations[0].subnet_id.is_none(), "{:?}", main.associations);

    let public = ec2.create_route_table(&vpc, &owned(test, "public")).await.unwrap();
    assert!(public.id.starts_with("rtb-"), "{}", public.id);
    assert_eq!(public.tags, owned(test, "public"));
    assert!(public.associations.is_empty());
    let private = ec2.create_route_table(&vpc, &owned(test, "private")).await.unwrap();

    let to_igw = route("0.0.0.0/0", RouteTarget::InternetGateway(igw.clone()));
    let to_nat = route("0.0.0.0/0", RouteTarget::NatGateway(nat.clone()));
    ec2.create_route(&public.id, &to_igw).await.unwrap();
    assert_category(ec2.create_route(&public.id, &to_igw).await, ErrorCategory::AlreadyExists, "RouteAlreadyExists");
    ec2.create_route(&private.id, &to_nat).await.unwrap();
    // Only gateways are written: refused without a call.
    let before = calls.count("CreateRoute");
    for target in [RouteTarget::Local, RouteTarget::Other("pcx-0123456789abcdef0".into())] {
        assert_category(
            ec2.create_route(&private.id, &route("10.99.0.0/16", target.clone())).await,
            ErrorCategory::Invalid,
            "UnsupportedRouteTarget",
        );
        assert_category(
            ec2.replace_route(&private.id, &route("0.0.0.0/0", target)).await,
            ErrorCategory::Invalid,
            "UnsupportedRouteTarget",
        );
    }
    assert_eq!(calls.count("CreateRoute"), before);
    assert_eq!(calls.count("ReplaceRoute"), 0);

    let by_id =
        |tables: Vec<stackwright_cloud::ec2::RouteTable>, id: &str| tables.into_iter().find(|t| t.id == id).unwrap();
    let listed = ec2.route_tables_in(&vpc).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(by_id(listed.clone(), &public.id).routes, [route("10.45.0.0/16", RouteTarget::Local), to_igw.clone()]);
    assert_eq!(by_id(listed.clone(), &private.id).routes, [route("10.45.0.0/16", RouteTarget::Local), to_nat.clone()]);
    assert_eq!(by_id(listed, &private.id).tags, owned(test, "private"));

    // Replaced in place, and back.
    ec2.replace_route(&public.id, &to_nat).await.unwrap();
    assert_eq!(by_id(ec2.route_tables_in(&vpc).await.unwrap(), &public.id).routes[1], to_nat);
    ec2.replace_route(&public.id, &to_igw).await.unwrap();
    assert_eq!(by_id(ec2.route_tables_in(&vpc).await.unwrap(), &public.id).routes[1], to_igw);
    // No route to replace: observe again.
    let missing = route("192.0.2.0/24", RouteTarget::InternetGateway(igw.clone()));
    assert_category(ec2.replace_route(&public.id, &missing).await, ErrorCategory::NotFound, "InvalidParameterValue");

    // Associations: one per subnet.
    let association = ec2.associate_route_table(&public.id, &subnets[0]).await.unwrap();
    assert!(association.starts_with("rtbassoc-"), "{association}");
    assert_category(
        ec2.associate_route_table(&public.id, &subnets[0]).await,
        ErrorCategory::AlreadyExists,
        "Resource.AlreadyAssociated",
    );
    assert_category(
        ec2.associate_route_table(&private.id, &subnets[0]).await,
        ErrorCategory::AlreadyExists,
        "Resource.AlreadyAssociated",
    );
    let other = ec2.associate_route_table(&private.id, &subnets[1]).await.unwrap();
    let listed = ec2.route_tables_in(&vpc).await.unwrap();
    assert_eq!(
        by_id(listed.clone(), &public.id).associations,
        [RouteTableAssociation { id: association.clone(), subnet_id: Some(subnets[0].clone()), main: false }]
    );
    assert_eq!(by_id(listed, &private.id).associations[0].subnet_id.as_deref(), Some(subnets[1].as_str()));

    // Associated, a table cannot go.
    assert_category(ec2.delete_route_table(&public.id).await, ErrorCategory::Busy, "DependencyViolation");
    ec2.disassociate_route_table(&association).await.unwrap();
    ec2.disassociate_route_table(&association).await.unwrap();
    assert!(by_id(ec2.route_tables_in(&vpc).await.unwrap(), &public.id).associations.is_empty());

    ec2.delete_route(&public.id, "0.0.0.0/0").await.unwrap();
    ec2.delete_route(&public.id, "0.0.0.0/0").await.unwrap();
    assert_eq!(
        by_id(ec2.route_tables_in(&vpc).await.unwrap(), &public.id).routes,
        [route("10.45.0.0/16", RouteTarget::Local)]
    );
    ec2.delete_route_table(&public.id).await.unwrap();
    ec2.delete_route_table(&public.id).await.unwrap();
    ec2.delete_route(&public.id, "0.0.0.0/0").await.unwrap();

    // A deleted subnet takes its association with it.
    ec2.delete_subnet(&subnets[1]).await.unwrap();
    assert!(by_id(ec2.route_tables_in(&vpc).await.unwrap(), &private.id).associations.is_empty());
    ec2.disassociate_route_table(&other).await.unwrap();
    ec2.delete_route_table(&private.id).await.unwrap();
    assert_eq!(ec2.route_tables_in(&vpc).await.unwrap().len(), 1);
}

#[tokio::test]
async fn gateway_endpoints_are_created_once_per_client_token_moved_between_route_tables_and_deleted() {
    let (ec2, calls) = ec2().await;
    let test = "endpoint";
    let vpc = ec2.create_vpc("10.46.0.0/16", &owned(test, "vpc")).await.unwrap().id;
    let mut tables = Vec::new();
    for part in ["public", "private-0", "private-1"] {
        tables.push(ec2.create_route_table(&vpc, &owned(test, part)).await.unwrap().id);
    }
    let service = format!("com.amazonaws.{}.s3", support::REGION);
    let token = unique("s3");
    let want = owned(test, "s3");

    let endpoint = ec2.create_gateway_endpoint(&vpc, &service, &tables[..2], &token, &want).await.unwrap();
    assert!(endpoint.id.starts_with("vpce-"), "{}", endpoint.id);
    assert_eq!((endpoint.service_name.as_str(), &endpoint.tags), (service.as_str(), &want));
    assert!(["pending", "available"].contains(&endpoint.state.as_str()), "{}", endpoint.state);
    let mut on = endpoint.route_table_ids.clone();
    on.sort();
    let mut expected = tables[..2].to_vec();
    expected.sort();
    assert_eq!(on, expected);
    // The same token again: the same endpoint.
    let again = ec2.create_gateway_endpoint(&vpc, &service, &tables[..2], &token, &want).await.unwrap();
    assert_eq!(again.id, endpoint.id);
    let listed = ec2.vpc_endpoints_in(&vpc).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].id.as_str(), listed[0].state.as_str(), &listed[0].tags),
        (endpoint.id.as_str(), "available", &want)
    );

    // The endpoint's routes to the service's prefix list are the endpoint's: not listed as routes.
    for table in ec2.route_tables_in(&vpc).await.unwrap() {
        assert_eq!(table.routes, [route("10.46.0.0/16", RouteTarget::Local)], "{}", table.id);
    }

    ec2.set_endpoint_route_tables(&endpoint.id, std::slice::from_ref(&tables[2]), std::slice::from_ref(&tables[0]))
        .await
        .unwrap();
    let mut on = ec2.vpc_endpoints_in(&vpc).await.unwrap()[0].route_table_ids.clone();
    on.sort();
    let mut expected = tables[1..].to_vec();
    expected.sort();
    assert_eq!(on, expected);
    // Nothing to change: no call.
    let before = calls.count("ModifyVpcEndpoint");
    ec2.set_endpoint_route_tables(&endpoint.id, &[], &[]).await.unwrap();
    assert_eq!(calls.count("ModifyVpcEndpoint"), before);

    // An endpoint holds its VPC.
    assert_category(ec2.delete_vpc(&vpc).await, ErrorCategory::Busy, "DependencyViolation");

    ec2.delete_vpc_endpoint(&endpoint.id).await.unwrap();
    assert!(ec2.vpc_endpoints_in(&vpc).await.unwrap().is_empty(), "a deleted endpoint is not listed");
    ec2.delete_vpc_endpoint(&endpoint.id).await.unwrap();
    ec2.delete_vpc_endpoint("vpce-0123456789abcdef0").await.unwrap();
    for table in &tables {
        ec2.delete_route_table(table).await.unwrap();
    }
    ec2.delete_vpc(&vpc).await.unwrap();
}

#[tokio::test]
async fn deletes_of_what_is_gone_succeed() {
    let (ec2, _) = ec2().await;
    ec2.delete_vpc("vpc-0123456789abcdef0").await.unwrap();
    ec2.delete_subnet("subnet-0123456789abcdef0").await.unwrap();
    ec2.detach_internet_gateway("igw-0123456789abcdef0", "vpc-0123456789abcdef0").await.unwrap();
    ec2.delete_internet_gateway("igw-0123456789abcdef0").await.unwrap();
    ec2.release_address("eipalloc-0123456789abcdef0").await.unwrap();
    ec2.delete_nat_gateway("nat-0123456789abcdef0").await.unwrap();
    ec2.delete_route("rtb-0123456789abcdef0", "0.0.0.0/0").await.unwrap();
    ec2.disassociate_route_table("rtbassoc-0123456789abcdef0").await.unwrap();
    ec2.delete_route_table("rtb-0123456789abcdef0").await.unwrap();
    ec2.delete_vpc_endpoint("vpce-0123456789abcdef0").await.unwrap();
}
