//! The VPC network an AppStack creates and owns: the VPC, its subnets, an internet gateway, NAT
//! gateways with their Elastic IP addresses, route tables with their routes and subnet
//! associations, and gateway endpoints.
//!
//! Crash safety: every create tags the resource in the call itself (`TagSpecifications`), and NAT
//! gateways and endpoints take an idempotency token, so a create followed by a crash leaves a
//! resource the controller finds again, by its tags or by the VPC it is in. Deletes of what is
//! already gone succeed; deletes refused while something still depends on the resource
//! (`DependencyViolation`, an address in use) are `Busy`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types as t;

use super::{Ec2, PAGE, Subnet, filter, tag_list, tags_of};
use crate::error::{CloudError, ErrorCategory, OptionalExt, categorize};
use crate::paging::all_pages;

/// The most results DescribeRouteTables returns per call (its limit is lower than the others').
const ROUTE_TABLE_PAGE: i32 = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkVpc {
    pub id: String,
    pub cidr: String,
    /// `pending` or `available`.
    pub state: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: String,
    /// The VPCs it is attached to (at most one), detaching ones included.
    pub attached_vpcs: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatGateway {
    pub id: String,
    pub subnet_id: String,
    /// `pending`, `available`, `deleting`, `deleted` or `failed`.
    pub state: String,
    /// The Elastic IP allocations it holds.
    pub allocation_ids: Vec<String>,
    /// Why it failed, for a `failed` gateway.
    pub failure_message: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub allocation_id: String,
    pub public_ip: String,
    /// Set while the address is associated (with a NAT gateway's network interface, say).
    pub association_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Where a route sends traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteTarget {
    /// Within the VPC (the route EC2 makes for the VPC's CIDR block).
    Local,
    InternetGateway(String),
    NatGateway(String),
    /// Anything else (a transit gateway, a network interface, a peering connection, ...), by id.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// An IPv4 CIDR block.
    pub destination: String,
    pub target: RouteTarget,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTableAssociation {
    pub id: String,
    /// The subnet, for a subnet association (the main association has none).
    pub subnet_id: Option<String>,
    /// Whether this is the VPC's main route table association.
    pub main: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    /// Only routes with a DestinationCidrBlock: the routes a gateway endpoint adds to its
    /// service's prefix list are the endpoint's, and IPv6 routes Stackwright writes none of.
    pub routes: Vec<Route>,
    /// Associations in place (or being made); ended ones are left out.
    pub associations: Vec<RouteTableAssociation>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VpcEndpoint {
    pub id: String,
    pub service_name: String,
    /// As EC2 reports it, in lower case: `pending`, `available`, `deleting`, `failed`, ...
    pub state: String,
    pub route_table_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// The tags given to a create, in the call itself.
fn tag_spec(resource: t::ResourceType, tags: &BTreeMap<String, String>) -> Option<t::TagSpecification> {
    // EC2 refuses a tag specification without tags; Stackwright always passes some.
    (!tags.is_empty())
        .then(|| t::TagSpecification::builder().resource_type(resource).set_tags(Some(tag_list(tags))).build())
}

/// The tags a create answered with, or those it was asked to add when the answer has none
/// (AllocateAddress answers without tags).
fn created_tags(answered: Option<Vec<t::Tag>>, asked: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let answered = tags_of(answered);
    if answered.is_empty() { asked.clone() } else { answered }
}

/// One `tag:<key>` filter per tag: EC2 ANDs filters, so a resource must carry every tag.
fn tag_filters(operation: &'static str, tags: &BTreeMap<String, String>) -> Result<Vec<t::Filter>, CloudError> {
    if tags.is_empty() {
        // No filter would match every resource of the region: never what a lookup of owned
        // resources means.
        return Err(CloudError {
            category: ErrorCategory::Invalid,
            operation,
            code: "NoTags".into(),
            message: "a lookup by tags needs at least one tag".into(),
        });
    }
    Ok(tags.iter().map(|(k, v)| filter(&format!("tag:{k}"), v)).collect())
}

/// Success for a delete of what is already gone.
fn gone_is_done<T>(result: Result<T, CloudError>) -> Result<(), CloudError> {
    result.optional().map(drop)
}

/// EC2's state enums in one spelling: the API sends `available`, the SDK's known variants read
/// `Available`.
fn state_str(state: Option<&str>) -> String {
    state.unwrap_or_default().to_ascii_lowercase()
}

fn non_empty(ids: &[String]) -> Option<Vec<String>> {
    (!ids.is_empty()).then(|| ids.to_vec())
}

fn vpc_of(v: t::Vpc) -> NetworkVpc {
    NetworkVpc {
        id: v.vpc_id.unwrap_or_default(),
        cidr: v.cidr_block.unwrap_or_default(),
        state: state_str(v.state.as_ref().map(t::VpcState::as_str)),
        tags: tags_of(v.tags),
    }
}

fn subnet_of(s: t::Subnet) -> Subnet {
    Subnet {
        id: s.subnet_id.unwrap_or_default(),
        vpc_id: s.vpc_id.unwrap_or_default(),
        availability_zone: s.availability_zone.unwrap_or_default(),
        cidr: s.cidr_block.unwrap_or_default(),
        tags: tags_of(s.tags),
    }
}

fn internet_gateway_of(g: t::InternetGateway) -> InternetGateway {
    InternetGateway {
        id: g.internet_gateway_id.unwrap_or_default(),
        attached_vpcs: g
            .attachments
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.state != Some(t::AttachmentStatus::Detached))
            .filter_map(|a| a.vpc_id)
            .collect(),
        tags: tags_of(g.tags),
    }
}

fn address_of(a: t::Address) -> Address {
    Address {
        allocation_id: a.allocation_id.unwrap_or_default(),
        public_ip: a.public_ip.unwrap_or_default(),
        association_id: a.association_id.filter(|id| !id.is_empty()),
        tags: tags_of(a.tags),
    }
}

fn nat_gateway_of(n: t::NatGateway) -> NatGateway {
    NatGateway {
        id: n.nat_gateway_id.unwrap_or_default(),
        subnet_id: n.subnet_id.unwrap_or_default(),
        state: state_str(n.state.as_ref().map(t::NatGatewayState::as_str)),
        allocation_ids: n
            .nat_gateway_addresses
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| a.allocation_id)
            .collect(),
        failure_message: n.failure_message,
        tags: tags_of(n.tags),
    }
}

fn target_of(r: &t::Route) -> RouteTarget {
    if let Some(id) = &r.nat_gateway_id {
        return RouteTarget::NatGateway(id.clone());
    }
    match r.gateway_id.as_deref() {
        Some("local") => RouteTarget::Local,
        Some(id) if id.starts_with("igw-") => RouteTarget::InternetGateway(id.to_string()),
        Some(id) => RouteTarget::Other(id.to_string()),
        None => RouteTarget::Other(
            [
                &r.transit_gateway_id,
                &r.network_interface_id,
                &r.vpc_peering_connection_id,
                &r.instance_id,
                &r.egress_only_internet_gateway_id,
                &r.carrier_gateway_id,
                &r.local_gateway_id,
                &r.core_network_arn,
            ]
            .into_iter()
            .find_map(Clone::clone)
            .unwrap_or_default(),
        ),
    }
}

fn route_table_of(rt: t::RouteTable) -> RouteTable {
    let ended = |a: &t::RouteTableAssociation| {
        matches!(
            a.association_state.as_ref().and_then(|s| s.state.as_ref()),
            Some(t::RouteTableAssociationStateCode::Disassociated | t::RouteTableAssociationStateCode::Failed)
        )
    };
    RouteTable {
        id: rt.route_table_id.unwrap_or_default(),
        routes: rt
            .routes
            .unwrap_or_default()
            .iter()
            .filter_map(|r| Some(Route { destination: r.destination_cidr_block.clone()?, target: target_of(r) }))
            .collect(),
        associations: rt
            .associations
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !ended(a))
            .map(|a| RouteTableAssociation {
                id: a.route_table_association_id.unwrap_or_default(),
                subnet_id: a.subnet_id,
                main: a.main.unwrap_or(false),
            })
            .collect(),
        tags: tags_of(rt.tags),
    }
}

fn endpoint_of(e: t::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: e.vpc_endpoint_id.unwrap_or_default(),
        service_name: e.service_name.unwrap_or_default(),
        state: state_str(e.state.as_ref().map(t::State::as_str)),
        route_table_ids: e.route_table_ids.unwrap_or_default(),
        tags: tags_of(e.tags),
    }
}

/// The gateway a route goes to, as CreateRoute and ReplaceRoute name it: `(GatewayId,
/// NatGatewayId)`. Stackwright writes routes to its internet and NAT gateways only.
fn route_target(operation: &'static str, route: &Route) -> Result<(Option<String>, Option<String>), CloudError> {
    match &route.target {
        RouteTarget::InternetGateway(id) => Ok((Some(id.clone()), None)),
        RouteTarget::NatGateway(id) => Ok((None, Some(id.clone()))),
        other => Err(CloudError {
            category: ErrorCategory::Invalid,
            operation,
            code: "UnsupportedRouteTarget".into(),
            message: format!(
                "a route to {} can only go to an internet or NAT gateway, not {other:?}",
                route.destination
            ),
        }),
    }
}

/// ReplaceRoute answers `InvalidParameterValue` ("There is no route defined for '0.0.0.0/0' in
/// the route table. Use CreateRoute instead.") for a route that is not there: that is NotFound
/// (observe again), not a value a person must fix.
fn missing_route_is_not_found(mut e: CloudError) -> CloudError {
    if e.code == "InvalidParameterValue" && e.message.starts_with("There is no route defined for") {
        e.category = ErrorCategory::NotFound;
    }
    e
}

/// The first error DeleteVpcEndpoints reports in `Unsuccessful`, unless it says the endpoint is
/// gone.
fn unsuccessful_deletion(items: Vec<t::UnsuccessfulItem>) -> Result<(), CloudError> {
    for item in items {
        let error = item.error.unwrap_or_else(|| t::UnsuccessfulItemError::builder().build());
        let code = error.code.unwrap_or_else(|| "Unknown".into());
        let category = categorize("ec2", &code, None);
        if category == ErrorCategory::NotFound {
            continue;
        }
        let message = match (item.resource_id, error.message) {
            (Some(id), Some(m)) => format!("{id}: {m}"),
            (id, m) => id.or(m).unwrap_or_default(),
        };
        return Err(CloudError { category, operation: "ec2:DeleteVpcEndpoints", code, message });
    }
    Ok(())
}

impl Ec2 {
    /// Names of the region's availability zones in state available, ZoneType availability-zone
    /// (not local/wavelength zones), sorted by name.
    pub async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        let out = call!("DescribeAvailabilityZones", self.client.describe_availability_zones().send())?;
        let mut zones: Vec<String> = out
            .availability_zones
            .unwrap_or_default()
            .into_iter()
            .filter(|z| z.state == Some(t::AvailabilityZoneState::Available))
            // Older answers have no ZoneType: only availability zones had them then.
            .filter(|z| z.zone_type.as_deref().is_none_or(|zt| zt == "availability-zone"))
            .filter_map(|z| z.zone_name)
            .collect();
        zones.sort();
        Ok(zones)
    }

    /// VPCs carrying every one of `tags` (one DescribeVpcs with tag:<key> filters; at least one
    /// tag, else `Invalid` without a call).
    pub async fn vpcs_by_tags(&self, tags: &BTreeMap<String, String>) -> Result<Vec<NetworkVpc>, CloudError> {
        let filters = tag_filters("ec2:DescribeVpcs", tags)?;
        all_pages(|token| {
            let req =
                self.client.describe_vpcs().set_filters(Some(filters.clone())).max_results(PAGE).set_next_token(token);
            async move {
                let page = call!("DescribeVpcs", req.send())?;
                Ok((page.vpcs.unwrap_or_default().into_iter().map(vpc_of).collect(), page.next_token))
            }
        })
        .await
    }

    /// Creates a VPC with its tags.
    pub async fn create_vpc(&self, cidr: &str, tags: &BTreeMap<String, String>) -> Result<NetworkVpc, CloudError> {
        let req = self
            .client
            .create_vpc()
            .cidr_block(cidr)
            .set_tag_specifications(tag_spec(t::ResourceType::Vpc, tags).map(|s| vec![s]));
        let out = call!("CreateVpc", req.send())?;
        let vpc = out.vpc.unwrap_or_else(|| t::Vpc::builder().build());
        let answered = vpc.tags.clone();
        Ok(NetworkVpc { tags: created_tags(answered, tags), ..vpc_of(vpc) })
    }

    /// DescribeVpcAttribute enableDnsHostnames.
    pub async fn dns_hostnames(&self, vpc_id: &str) -> Result<bool, CloudError> {
        let req =
            self.client.describe_vpc_attribute().vpc_id(vpc_id).attribute(t::VpcAttributeName::EnableDnsHostnames);
        let out = call!("DescribeVpcAttribute", req.send())?;
        Ok(out.enable_dns_hostnames.and_then(|v| v.value).unwrap_or(false))
    }

    /// ModifyVpcAttribute EnableDnsHostnames=true (one attribute per call, as the API requires).
    pub async fn enable_dns_hostnames(&self, vpc_id: &str) -> Result<(), CloudError> {
        let on = t::AttributeBooleanValue::builder().value(true).build();
        call!("ModifyVpcAttribute", self.client.modify_vpc_attribute().vpc_id(vpc_id).enable_dns_hostnames(on).send())
            .map(drop)
    }

    /// Deletes a VPC. While anything is in it (a subnet, an attached gateway, an endpoint, a
    /// security group other than the default one) EC2 answers `DependencyViolation`: `Busy`.
    /// Already gone: Ok.
    pub async fn delete_vpc(&self, vpc_id: &str) -> Result<(), CloudError> {
        gone_is_done(call!("DeleteVpc", self.client.delete_vpc().vpc_id(vpc_id).send()))
    }

    /// Every subnet of the VPC (filter vpc-id), paged.
    pub async fn subnets_in(&self, vpc_id: &str) -> Result<Vec<Subnet>, CloudError> {
        let in_vpc = filter("vpc-id", vpc_id);
        all_pages(|token| {
            let req = self.client.describe_subnets().filters(in_vpc.clone()).max_results(PAGE).set_next_token(token);
            async move {
                let page = call!("DescribeSubnets", req.send())?;
                Ok((page.subnets.unwrap_or_default().into_iter().map(subnet_of).collect(), page.next_token))
            }
        })
        .await
    }

    /// Creates a subnet with its tags in one availability zone.
    pub async fn create_subnet(
        &self,
        vpc_id: &str,
        cidr: &str,
        availability_zone: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Subnet, CloudError> {
        let req = self
            .client
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(cidr)
            .availability_zone(availability_zone)
            .set_tag_specifications(tag_spec(t::ResourceType::Subnet, tags).map(|s| vec![s]));
        let out = call!("CreateSubnet", req.send())?;
        let subnet = out.subnet.unwrap_or_else(|| t::Subnet::builder().build());
        let answered = subnet.tags.clone();
        Ok(Subnet { tags: created_tags(answered, tags), ..subnet_of(subnet) })
    }

    /// Deletes a subnet. Gone: Ok; `DependencyViolation` (a NAT gateway, a load balancer, a
    /// task in it): `Busy`. Its route table association goes with it.
    pub async fn delete_subnet(&self, id: &str) -> Result<(), CloudError> {
        gone_is_done(call!("DeleteSubnet", self.client.delete_subnet().subnet_id(id).send()))
    }

    /// Internet gateways carrying every one of `tags` (at least one).
    pub async fn internet_gateways_by_tags(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<InternetGateway>, CloudError> {
        let filters = tag_filters("ec2:DescribeInternetGateways", tags)?;
        all_pages(|token| {
            let req = self
                .client
                .describe_internet_gateways()
                .set_filters(Some(filters.clone()))
                .max_results(PAGE)
                .set_next_token(token);
            async move {
                let page = call!("DescribeInternetGateways", req.send())?;
                let gateways =
                    page.internet_gateways.unwrap_or_default().into_iter().map(internet_gateway_of).collect();
                Ok((gateways, page.next_token))
            }
        })
        .await
    }

    /// Creates an internet gateway with its tags (attached to nothing yet).
    pub async fn create_internet_gateway(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<InternetGateway, CloudError> {
        let req = self
            .client
            .create_internet_gateway()
            .set_tag_specifications(tag_spec(t::ResourceType::InternetGateway, tags).map(|s| vec![s]));
        let out = call!("CreateInternetGateway", req.send())?;
        let gateway = out.internet_gateway.unwrap_or_else(|| t::InternetGateway::builder().build());
        let answered = gateway.tags.clone();
        Ok(InternetGateway { tags: created_tags(answered, tags), ..internet_gateway_of(gateway) })
    }

    /// Attaches an internet gateway to a VPC. Already attached to that VPC: Ok. Attached to
    /// another one: `Resource.AlreadyAssociated` (`AlreadyExists`: observe again).
    pub async fn attach_internet_gateway(&self, igw_id: &str, vpc_id: &str) -> Result<(), CloudError> {
        let req = self.client.attach_internet_gateway().internet_gateway_id(igw_id).vpc_id(vpc_id);
        match call!("AttachInternetGateway", req.send()) {
            Ok(_) => Ok(()),
            Err(e) if e.code == "Resource.AlreadyAssociated" => {
                // EC2 says the same whichever VPC it is attached to: look which one.
                let out = call!(
                    "DescribeInternetGateways",
                    self.client.describe_internet_gateways().internet_gateway_ids(igw_id).send()
                )?;
                let attached_here = out
                    .internet_gateways
                    .unwrap_or_default()
                    .into_iter()
                    .map(internet_gateway_of)
                    .any(|g| g.attached_vpcs.iter().any(|v| v == vpc_id));
                if attached_here { Ok(()) } else { Err(e) }
            }
            Err(e) => Err(e),
        }
    }

    /// Detaches an internet gateway from a VPC. Not attached to it, or gone: Ok.
    /// `DependencyViolation` (the VPC still has mapped public addresses, e.g. a NAT gateway's):
    /// `Busy`.
    pub async fn detach_internet_gateway(&self, igw_id: &str, vpc_id: &str) -> Result<(), CloudError> {
        let req = self.client.detach_internet_gateway().internet_gateway_id(igw_id).vpc_id(vpc_id);
        // `Gateway.NotAttached` counts as NotFound: the attachment is not there.
        gone_is_done(call!("DetachInternetGateway", req.send()))
    }

    /// Deletes an internet gateway. Gone: Ok; still attached (`DependencyViolation`): `Busy`.
    pub async fn delete_internet_gateway(&self, igw_id: &str) -> Result<(), CloudError> {
        let req = self.client.delete_internet_gateway().internet_gateway_id(igw_id);
        gone_is_done(call!("DeleteInternetGateway", req.send()))
    }

    /// Elastic IP addresses carrying every one of `tags` (at least one). DescribeAddresses does
    /// not page.
    pub async fn addresses_by_tags(&self, tags: &BTreeMap<String, String>) -> Result<Vec<Address>, CloudError> {
        let filters = tag_filters("ec2:DescribeAddresses", tags)?;
        let out = call!("DescribeAddresses", self.client.describe_addresses().set_filters(Some(filters)).send())?;
        Ok(out.addresses.unwrap_or_default().into_iter().map(address_of).collect())
    }

    /// AllocateAddress Domain vpc, tagged.
    pub async fn allocate_address(&self, tags: &BTreeMap<String, String>) -> Result<Address, CloudError> {
        let req = self
            .client
            .allocate_address()
            .domain(t::DomainType::Vpc)
            .set_tag_specifications(tag_spec(t::ResourceType::ElasticIp, tags).map(|s| vec![s]));
        let out = call!("AllocateAddress", req.send())?;
        Ok(Address {
            allocation_id: out.allocation_id.unwrap_or_default(),
            public_ip: out.public_ip.unwrap_or_default(),
            association_id: None,
            tags: tags.clone(),
        })
    }

    /// Releases an Elastic IP address. Gone: Ok; still associated (`InvalidIPAddress.InUse`,
    /// e.g. with a NAT gateway that is not yet deleted): `Busy`.
    pub async fn release_address(&self, allocation_id: &str) -> Result<(), CloudError> {
        gone_is_done(call!("ReleaseAddress", self.client.release_address().allocation_id(allocation_id).send()))
    }

    /// NAT gateways of the VPC (filter vpc-id) that are not `deleted`, paged.
    pub async fn nat_gateways_in(&self, vpc_id: &str) -> Result<Vec<NatGateway>, CloudError> {
        let in_vpc = filter("vpc-id", vpc_id);
        let all = all_pages(|token| {
            // DescribeNatGateways names its filter list `Filter`, unlike the others.
            let req =
                self.client.describe_nat_gateways().filter(in_vpc.clone()).max_results(PAGE).set_next_token(token);
            async move {
                let page = call!("DescribeNatGateways", req.send())?;
                Ok((page.nat_gateways.unwrap_or_default().into_iter().map(nat_gateway_of).collect(), page.next_token))
            }
        })
        .await?;
        Ok(all.into_iter().filter(|n| n.state != "deleted").collect())
    }

    /// Public NAT gateway with the given EIP allocation and ClientToken (idempotency: the same
    /// token returns the gateway the first call created), tagged.
    pub async fn create_nat_gateway(
        &self,
        subnet_id: &str,
        allocation_id: &str,
        client_token: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<NatGateway, CloudError> {
        let req = self
            .client
            .create_nat_gateway()
            .subnet_id(subnet_id)
            .allocation_id(allocation_id)
            .connectivity_type(t::ConnectivityType::Public)
            .client_token(client_token)
            .set_tag_specifications(tag_spec(t::ResourceType::Natgateway, tags).map(|s| vec![s]));
        let out = call!("CreateNatGateway", req.send())?;
        let nat = out.nat_gateway.unwrap_or_else(|| t::NatGateway::builder().build());
        let answered = nat.tags.clone();
        Ok(NatGateway { tags: created_tags(answered, tags), ..nat_gateway_of(nat) })
    }

    /// Deletes a NAT gateway (it is `deleting`, then `deleted`, and lets go of its address then).
    /// Gone: Ok.
    pub async fn delete_nat_gateway(&self, id: &str) -> Result<(), CloudError> {
        gone_is_done(call!("DeleteNatGateway", self.client.delete_nat_gateway().nat_gateway_id(id).send()))
    }

    /// Route tables of the VPC (filter vpc-id), the main one included (its association has
    /// main=true), paged.
    pub async fn route_tables_in(&self, vpc_id: &str) -> Result<Vec<RouteTable>, CloudError> {
        let in_vpc = filter("vpc-id", vpc_id);
        all_pages(|token| {
            let req = self
                .client
                .describe_route_tables()
                .filters(in_vpc.clone())
                .max_results(ROUTE_TABLE_PAGE)
                .set_next_token(token);
            async move {
                let page = call!("DescribeRouteTables", req.send())?;
                Ok((page.route_tables.unwrap_or_default().into_iter().map(route_table_of).collect(), page.next_token))
            }
        })
        .await
    }

    /// Creates a route table with its tags (EC2 gives it the local route of the VPC's CIDR).
    pub async fn create_route_table(
        &self,
        vpc_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<RouteTable, CloudError> {
        let req = self
            .client
            .create_route_table()
            .vpc_id(vpc_id)
            .set_tag_specifications(tag_spec(t::ResourceType::RouteTable, tags).map(|s| vec![s]));
        let out = call!("CreateRouteTable", req.send())?;
        let table = out.route_table.unwrap_or_else(|| t::RouteTable::builder().build());
        let answered = table.tags.clone();
        Ok(RouteTable { tags: created_tags(answered, tags), ..route_table_of(table) })
    }

    /// CreateRoute to an internet gateway (GatewayId) or NAT gateway (NatGatewayId);
    /// RouteTarget::Local/Other are refused as Invalid without a call. A route to that
    /// destination already there is `RouteAlreadyExists` (`AlreadyExists`).
    pub async fn create_route(&self, route_table_id: &str, route: &Route) -> Result<(), CloudError> {
        let (gateway, nat) = route_target("ec2:CreateRoute", route)?;
        let req = self
            .client
            .create_route()
            .route_table_id(route_table_id)
            .destination_cidr_block(&route.destination)
            .set_gateway_id(gateway)
            .set_nat_gateway_id(nat);
        call!("CreateRoute", req.send()).map(drop)
    }

    /// ReplaceRoute: the route to `route.destination` goes to the new target. Local/Other are
    /// refused as Invalid without a call; a route that is not there is NotFound.
    pub async fn replace_route(&self, route_table_id: &str, route: &Route) -> Result<(), CloudError> {
        let (gateway, nat) = route_target("ec2:ReplaceRoute", route)?;
        let req = self
            .client
            .replace_route()
            .route_table_id(route_table_id)
            .destination_cidr_block(&route.destination)
            .set_gateway_id(gateway)
            .set_nat_gateway_id(nat);
        call!("ReplaceRoute", req.send()).map(drop).map_err(missing_route_is_not_found)
    }

    /// Deletes the route to an IPv4 CIDR block. Gone (the route or its table): Ok.
    pub async fn delete_route(&self, route_table_id: &str, destination: &str) -> Result<(), CloudError> {
        let req = self.client.delete_route().route_table_id(route_table_id).destination_cidr_block(destination);
        gone_is_done(call!("DeleteRoute", req.send()))
    }

    /// Associates a route table with a subnet and returns the association id. A subnet that
    /// already has an association (with this table or another) is `Resource.AlreadyAssociated`
    /// (`AlreadyExists`: observe again).
    pub async fn associate_route_table(&self, route_table_id: &str, subnet_id: &str) -> Result<String, CloudError> {
        let req = self.client.associate_route_table().route_table_id(route_table_id).subnet_id(subnet_id);
        let out = call!("AssociateRouteTable", req.send())?;
        Ok(out.association_id.unwrap_or_default())
    }

    /// Ends a subnet's route table association (the subnet falls back to the main table). Gone: Ok.
    pub async fn disassociate_route_table(&self, association_id: &str) -> Result<(), CloudError> {
        let req = self.client.disassociate_route_table().association_id(association_id);
        gone_is_done(call!("DisassociateRouteTable", req.send()))
    }

    /// Deletes a route table. Gone: Ok; still associated with a subnet (`DependencyViolation`):
    /// `Busy`.
    pub async fn delete_route_table(&self, id: &str) -> Result<(), CloudError> {
        gone_is_done(call!("DeleteRouteTable", self.client.delete_route_table().route_table_id(id).send()))
    }

    /// VPC endpoints of the VPC (filter vpc-id) not in state deleted, paged.
    pub async fn vpc_endpoints_in(&self, vpc_id: &str) -> Result<Vec<VpcEndpoint>, CloudError> {
        let in_vpc = filter("vpc-id", vpc_id);
        let all = all_pages(|token| {
            let req =
                self.client.describe_vpc_endpoints().filters(in_vpc.clone()).max_results(PAGE).set_next_token(token);
            async move {
                let page = call!("DescribeVpcEndpoints", req.send())?;
                Ok((page.vpc_endpoints.unwrap_or_default().into_iter().map(endpoint_of).collect(), page.next_token))
            }
        })
        .await?;
        Ok(all.into_iter().filter(|e| e.state != "deleted").collect())
    }

    /// A Gateway endpoint (e.g. service com.amazonaws.<region>.s3) on the route tables, with
    /// ClientToken (the same token returns the endpoint the first call created), tagged.
    pub async fn create_gateway_endpoint(
        &self,
        vpc_id: &str,
        service_name: &str,
        route_table_ids: &[String],
        client_token: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<VpcEndpoint, CloudError> {
        let req = self
            .client
            .create_vpc_endpoint()
            .vpc_endpoint_type(t::VpcEndpointType::Gateway)
            .vpc_id(vpc_id)
            .service_name(service_name)
            .set_route_table_ids(non_empty(route_table_ids))
            .client_token(client_token)
            .set_tag_specifications(tag_spec(t::ResourceType::VpcEndpoint, tags).map(|s| vec![s]));
        let out = call!("CreateVpcEndpoint", req.send())?;
        let endpoint = out.vpc_endpoint.unwrap_or_else(|| t::VpcEndpoint::builder().build());
        let answered = endpoint.tags.clone();
        Ok(VpcEndpoint { tags: created_tags(answered, tags), ..endpoint_of(endpoint) })
    }

    /// ModifyVpcEndpoint AddRouteTableIds / RemoveRouteTableIds (no call when both are empty).
    pub async fn set_endpoint_route_tables(
        &self,
        id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), CloudError> {
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let req = self
            .client
            .modify_vpc_endpoint()
            .vpc_endpoint_id(id)
            .set_add_route_table_ids(non_empty(add))
            .set_remove_route_table_ids(non_empty(remove));
        call!("ModifyVpcEndpoint", req.send()).map(drop)
    }

    /// Deletes a VPC endpoint. Gone: Ok. DeleteVpcEndpoints succeeds as a call and reports a
    /// failure per id in `Unsuccessful`: those are mapped like any EC2 error.
    pub async fn delete_vpc_endpoint(&self, id: &str) -> Result<(), CloudError> {
        let out = call!("DeleteVpcEndpoints", self.client.delete_vpc_endpoints().vpc_endpoint_ids(id).send());
        match out {
            Ok(out) => unsuccessful_deletion(out.unsuccessful.unwrap_or_default()),
            Err(e) => gone_is_done(Err::<(), _>(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_ipv4_destinations_and_name_their_target() {
        let route = |cidr: &str| t::Route::builder().destination_cidr_block(cidr);
        let table = t::RouteTable::builder()
            .route_table_id("rtb-1")
            .routes(route("10.0.0.0/16").gateway_id("local").build())
            .routes(route("0.0.0.0/0").gateway_id("igw-1").build())
            .routes(route("10.9.0.0/16").nat_gateway_id("nat-1").build())
            .routes(route("192.168.0.0/16").transit_gateway_id("tgw-1").build())
            .routes(route("172.16.0.0/12").gateway_id("vgw-1").build())
            // The route a gateway endpoint adds, and an IPv6 route: left out.
            .routes(t::Route::builder().destination_prefix_list_id("pl-1").gateway_id("vpce-1").build())
            .routes(t::Route::builder().destination_ipv6_cidr_block("::/0").gateway_id("igw-1").build())
            .associations(t::RouteTableAssociation::builder().route_table_association_id("a-main").main(true).build())
            .associations(
                t::RouteTableAssociation::builder().route_table_association_id("a-1").subnet_id("subnet-1").build(),
            )
            .associations(
                t::RouteTableAssociation::builder()
                    .route_table_association_id("a-old")
                    .subnet_id("subnet-2")
                    .association_state(
                        t::RouteTableAssociationState::builder()
                            .state(t::RouteTableAssociationStateCode::Disassociated)
                            .build(),
                    )
                    .build(),
            )
            .tags(t::Tag::builder().key("owner").value("x").build())
            .build();
        let table = route_table_of(table);
        let r = |destination: &str, target| Route { destination: destination.into(), target };
        assert_eq!(
            table.routes,
            [
                r("10.0.0.0/16", RouteTarget::Local),
                r("0.0.0.0/0", RouteTarget::InternetGateway("igw-1".into())),
                r("10.9.0.0/16", RouteTarget::NatGateway("nat-1".into())),
                r("192.168.0.0/16", RouteTarget::Other("tgw-1".into())),
                r("172.16.0.0/12", RouteTarget::Other("vgw-1".into())),
            ]
        );
        assert_eq!(
            table.associations,
            [
                RouteTableAssociation { id: "a-main".into(), subnet_id: None, main: true },
                RouteTableAssociation { id: "a-1".into(), subnet_id: Some("subnet-1".into()), main: false },
            ],
            "an ended association is left out"
        );
        assert_eq!(table.tags, BTreeMap::from([("owner".to_string(), "x".to_string())]));
    }

    #[test]
    fn only_gateway_targets_are_written() {
        let route = |target| Route { destination: "0.0.0.0/0".into(), target };
        assert_eq!(
            route_target("ec2:CreateRoute", &route(RouteTarget::InternetGateway("igw-1".into()))).unwrap(),
            (Some("igw-1".into()), None)
        );
        assert_eq!(
            route_target("ec2:CreateRoute", &route(RouteTarget::NatGateway("nat-1".into()))).unwrap(),
            (None, Some("nat-1".into()))
        );
        for target in [RouteTarget::Local, RouteTarget::Other("tgw-1".into())] {
            let err = route_target("ec2:ReplaceRoute", &route(target)).unwrap_err();
            assert_eq!((err.category, err.operation), (ErrorCategory::Invalid, "ec2:ReplaceRoute"), "{err}");
        }
    }

    #[test]
    fn states_read_in_one_spelling() {
        let endpoint = endpoint_of(t::VpcEndpoint::builder().state(t::State::Available).build());
        assert_eq!(endpoint.state, "available");
        let endpoint = endpoint_of(t::VpcEndpoint::builder().state(t::State::from("deleted")).build());
        assert_eq!(endpoint.state, "deleted");
        let nat = nat_gateway_of(
            t::NatGateway::builder()
                .state(t::NatGatewayState::Failed)
                .failure_message("Network vpc-1 has no Internet gateway attached")
                .nat_gateway_addresses(t::NatGatewayAddress::builder().allocation_id("eipalloc-1").build())
                .build(),
        );
        assert_eq!(nat.state, "failed");
        assert_eq!(nat.allocation_ids, ["eipalloc-1"]);
        assert_eq!(nat.failure_message.as_deref(), Some("Network vpc-1 has no Internet gateway attached"));
    }

    #[test]
    fn a_lookup_by_no_tags_is_refused() {
        let err = tag_filters("ec2:DescribeVpcs", &BTreeMap::new()).unwrap_err();
        assert_eq!((err.category, err.operation), (ErrorCategory::Invalid, "ec2:DescribeVpcs"));
        let tags = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
        let filters = tag_filters("ec2:DescribeVpcs", &tags).unwrap();
        let names: Vec<_> = filters.iter().map(|f| f.name.clone().unwrap_or_default()).collect();
        assert_eq!(names, ["tag:a", "tag:b"]);
    }

    #[test]
    fn unsuccessful_endpoint_deletions_map_like_errors() {
        let item = |code: &str| {
            t::UnsuccessfulItem::builder()
                .resource_id("vpce-1")
                .error(t::UnsuccessfulItemError::builder().code(code).message("why").build())
                .build()
        };
        assert!(unsuccessful_deletion(vec![]).is_ok());
        assert!(unsuccessful_deletion(vec![item("InvalidVpcEndpoint.NotFound")]).is_ok(), "gone is done");
        assert!(unsuccessful_deletion(vec![item("InvalidVpcEndpointId.NotFound")]).is_ok());
        let err = unsuccessful_deletion(vec![item("IncorrectState")]).unwrap_err();
        assert_eq!(
            (err.category, err.operation, err.code.as_str(), err.message.as_str()),
            (ErrorCategory::Busy, "ec2:DeleteVpcEndpoints", "IncorrectState", "vpce-1: why")
        );
    }

    #[test]
    fn a_missing_route_to_replace_is_not_found() {
        let err = |message: &str| CloudError {
            category: ErrorCategory::Invalid,
            operation: "ec2:ReplaceRoute",
            code: "InvalidParameterValue".into(),
            message: message.into(),
        };
        let missing = missing_route_is_not_found(err(
            "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead.",
        ));
        assert_eq!(missing.category, ErrorCategory::NotFound);
        assert_eq!(
            missing_route_is_not_found(err("Value (x) for parameter gatewayId is invalid.")).category,
            ErrorCategory::Invalid
        );
    }
}
