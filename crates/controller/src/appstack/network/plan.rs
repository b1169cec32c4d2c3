//! What to do about a stack's network (pure, no I/O): one wave of creation or repair, and the
//! deletion in dependency order.
//!
//! Creation: the VPC first; then its subnets, the internet gateway and the route tables; the
//! gateway is attached, each NAT gateway gets its elastic IP and then sits in its zone's public
//! subnet; routes point the public table at the internet gateway and each private table at its
//! zone's NAT gateway (the database table has no route out); each subnet is associated with its
//! tier's table; the S3 gateway endpoint sits on the private tables. What drifted (a route, an
//! association, the endpoint's tables, DNS hostnames) is set back in the same wave.

use std::collections::{BTreeMap, BTreeSet};

use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::ec2::{
    Address, InternetGateway, NatGateway, NetworkVpc, Route, RouteTable, RouteTarget, Subnet, VpcEndpoint,
};

use super::desired::{ANYWHERE, DesiredNetwork, TAG_PART, Tier};

/// What AWS has of a stack's network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedNetwork {
    /// The VPC carrying the stack's ownership tags.
    pub vpc: Option<NetworkVpc>,
    /// Whether the VPC gives instances DNS hostnames; None when not read (a resync).
    pub dns_hostnames: Option<bool>,
    /// Every subnet of the VPC.
    pub subnets: Vec<Subnet>,
    /// The stack's internet gateway (by its tags, attached or not).
    pub internet_gateway: Option<InternetGateway>,
    /// The VPC's NAT gateways that are not `deleted`.
    pub nat_gateways: Vec<NatGateway>,
    /// The stack's elastic IPs (by their tags); None when not read: they are read when a NAT
    /// gateway is missing, on a reconcile that is not a resync, and for deletion.
    pub addresses: Option<Vec<Address>>,
    /// Every route table of the VPC, the main one included.
    pub route_tables: Vec<RouteTable>,
    /// The VPC's endpoints that are not `deleted`.
    pub endpoints: Vec<VpcEndpoint>,
    /// The region's availability zones; None when not read (only when a subnet is missing).
    pub zones: Option<Vec<String>>,
}

impl ObservedNetwork {
    pub fn subnet(&self, cidr: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.cidr == cidr)
    }

    /// The stack's route table with the part tag `part`.
    pub fn route_table(&self, part: &str, id: &ObjectIdentity) -> Option<&RouteTable> {
        self.route_tables.iter().find(|t| id.owns(&t.tags) && t.tags.get(TAG_PART).is_some_and(|p| p == part))
    }

    /// Whether some wanted NAT gateway is missing (its elastic IP must then be looked up).
    pub fn misses_a_nat_gateway(&self, want: &DesiredNetwork) -> bool {
        (0..want.nat_gateways.min(want.zones)).any(|zone| {
            want.subnets
                .iter()
                .find(|s| s.tier == Tier::Public && s.zone == zone)
                .and_then(|s| self.subnet(&s.cidr))
                .is_none_or(|subnet| self.usable_nat_in(&subnet.id).is_none())
        })
    }

    fn usable_nat_in(&self, subnet_id: &str) -> Option<&NatGateway> {
        self.nat_gateways.iter().find(|n| n.subnet_id == subnet_id && usable(n))
    }
}

fn usable(n: &NatGateway) -> bool {
    matches!(n.state.as_str(), "pending" | "available")
}

/// One write to the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetStep {
    CreateVpc,
    EnableDnsHostnames(String),
    CreateSubnet {
        vpc: String,
        part: String,
        cidr: String,
        zone: String,
    },
    CreateInternetGateway,
    AttachInternetGateway {
        gateway: String,
        vpc: String,
    },
    /// The elastic IP of the NAT gateway `nat-<zone>`.
    AllocateAddress(String),
    CreateNatGateway {
        part: String,
        subnet: String,
        allocation: String,
    },
    CreateRouteTable {
        vpc: String,
        part: String,
    },
    CreateRoute {
        table: String,
        route: Route,
    },
    ReplaceRoute {
        table: String,
        route: Route,
    },
    DeleteRoute {
        table: String,
        destination: String,
    },
    Associate {
        table: String,
        subnet: String,
    },
    Disassociate(String),
    CreateEndpoint {
        vpc: String,
        service: String,
        tables: Vec<String>,
    },
    SetEndpointTables {
        endpoint: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    DeleteEndpoint(String),
    DeleteNatGateway(String),
    ReleaseAddress(String),
    DetachInternetGateway {
        gateway: String,
        vpc: String,
    },
    DeleteInternetGateway(String),
    DeleteSubnet(String),
    DeleteRouteTable(String),
    DeleteVpc(String),
}

impl NetStep {
    /// The EC2 operation it sends, for messages.
    pub fn operation(&self) -> &'static str {
        match self {
            NetStep::CreateVpc => "CreateVpc",
            NetStep::EnableDnsHostnames(_) => "ModifyVpcAttribute",
            NetStep::CreateSubnet { .. } => "CreateSubnet",
            NetStep::CreateInternetGateway => "CreateInternetGateway",
            NetStep::AttachInternetGateway { .. } => "AttachInternetGateway",
            NetStep::AllocateAddress(_) => "AllocateAddress",
            NetStep::CreateNatGateway { .. } => "CreateNatGateway",
            NetStep::CreateRouteTable { .. } => "CreateRouteTable",
            NetStep::CreateRoute { .. } => "CreateRoute",
            NetStep::ReplaceRoute { .. } => "ReplaceRoute",
            NetStep::DeleteRoute { .. } => "DeleteRoute",
            NetStep::Associate { .. } => "AssociateRouteTable",
            NetStep::Disassociate(_) => "DisassociateRouteTable",
            NetStep::CreateEndpoint { .. } => "CreateVpcEndpoint",
            NetStep::SetEndpointTables { .. } => "ModifyVpcEndpoint",
            NetStep::DeleteEndpoint(_) => "DeleteVpcEndpoints",
            NetStep::DeleteNatGateway(_) => "DeleteNatGateway",
            NetStep::ReleaseAddress(_) => "ReleaseAddress",
            NetStep::DetachInternetGateway { .. } => "DetachInternetGateway",
            NetStep::DeleteInternetGateway(_) => "DeleteInternetGateway",
            NetStep::DeleteSubnet(_) => "DeleteSubnet",
            NetStep::DeleteRouteTable(_) => "DeleteRouteTable",
            NetStep::DeleteVpc(_) => "DeleteVpc",
        }
    }
}

/// Where the stack's resources go, once the VPC and every subnet exist: subnet ids by zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub vpc_id: String,
    pub public: Vec<String>,
    pub private: Vec<String>,
    pub database: Vec<String>,
}

/// The verdict on a stack's network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkPlan {
    /// Progress needs a person (nothing is written).
    pub blocked: Option<String>,
    /// One wave of writes, in order.
    pub steps: Vec<NetStep>,
    /// Known once the VPC and every subnet exist: the rest of the stack can be built.
    pub placement: Option<Placement>,
    /// What the network waits for while it has nothing to write (a NAT gateway `pending`).
    pub waiting: Option<String>,
}

impl NetworkPlan {
    /// Whether the network is whole: nothing to write, nothing to wait for.
    pub fn complete(&self) -> bool {
        self.blocked.is_none() && self.steps.is_empty() && self.waiting.is_none()
    }

    fn blocked(message: String) -> Self {
        NetworkPlan { blocked: Some(message), ..Default::default() }
    }
}

/// Decides one wave for the network.
pub fn plan(want: &DesiredNetwork, have: &ObservedNetwork, id: &ObjectIdentity) -> NetworkPlan {
    let mut p = NetworkPlan::default();
    let Some(vpc) = &have.vpc else {
        p.steps.push(NetStep::CreateVpc);
        return p;
    };
    if vpc.cidr != want.cidr {
        return NetworkPlan::blocked(format!(
            "VPC {} has the range {}, the spec asks for {}: the range of a managed network cannot change",
            vpc.id, vpc.cidr, want.cidr
        ));
    }
    if have.dns_hostnames == Some(false) {
        p.steps.push(NetStep::EnableDnsHostnames(vpc.id.clone()));
    }

    let mut subnet_ids: BTreeMap<(Tier, usize), String> = BTreeMap::new();
    for s in &want.subnets {
        if let Some(found) = have.subnet(&s.cidr) {
            subnet_ids.insert((s.tier, s.zone), found.id.clone());
            continue;
        }
        match &have.zones {
            Some(zones) => match zones.get(s.zone) {
                Some(zone) => p.steps.push(NetStep::CreateSubnet {
                    vpc: vpc.id.clone(),
                    part: s.part(),
                    cidr: s.cidr.clone(),
                    zone: zone.clone(),
                }),
                None => {
                    return NetworkPlan::blocked(format!(
                        "the region has {} availability zones; network.managed.availabilityZones asks for {}",
                        zones.len(),
                        want.zones
                    ));
                }
            },
            None => p.waiting = Some("looking up the region's availability zones".into()),
        }
    }

    let gateway = match &have.internet_gateway {
        None => {
            p.steps.push(NetStep::CreateInternetGateway);
            None
        }
        Some(g) if !g.attached_vpcs.contains(&vpc.id) => {
            p.steps.push(NetStep::AttachInternetGateway { gateway: g.id.clone(), vpc: vpc.id.clone() });
            None
        }
        Some(g) => Some(g.id.clone()),
    };

    let mut tables: BTreeMap<String, &RouteTable> = BTreeMap::new();
    for part in want.route_tables() {
        match have.route_table(&part, id) {
            Some(t) => drop(tables.insert(part, t)),
            None => p.steps.push(NetStep::CreateRouteTable { vpc: vpc.id.clone(), part }),
        }
    }

    let mut nats: BTreeMap<usize, &NatGateway> = BTreeMap::new();
    for zone in 0..want.nat_gateways.min(want.zones) {
        let part = format!("nat-{zone}");
        let subnet = subnet_ids.get(&(Tier::Public, zone));
        if let Some(n) = subnet.and_then(|s| have.usable_nat_in(s)) {
            if n.state == "pending" {
                p.waiting = Some(format!("NAT gateway {} is pending", n.id));
            }
            nats.insert(zone, n);
            continue;
        }
        // The elastic IP needs nothing else; the NAT gateway its subnet and the VPC's internet
        // gateway attached.
        let Some(addresses) = &have.addresses else { continue };
        match addresses.iter().find(|a| id.owns(&a.tags) && a.tags.get(TAG_PART) == Some(&part)) {
            None => p.steps.push(NetStep::AllocateAddress(part)),
            Some(a) if a.association_id.is_none() => {
                if let (Some(subnet), Some(_)) = (subnet, &gateway) {
                    p.steps.push(NetStep::CreateNatGateway {
                        part,
                        subnet: subnet.clone(),
                        allocation: a.allocation_id.clone(),
                    });
                }
            }
            // Still held by a NAT gateway on its way out.
            Some(a) => p.waiting = Some(format!("elastic IP {} is still associated", a.public_ip)),
        }
    }
    for n in have.nat_gateways.iter().filter(|n| id.owns(&n.tags)) {
        match n.state.as_str() {
            "failed" => p.steps.push(NetStep::DeleteNatGateway(n.id.clone())),
            // Its elastic IP is released once it is gone.
            "deleting" => p.waiting = Some(format!("NAT gateway {} is being deleted", n.id)),
            _ => {}
        }
    }

    for (part, table) in &tables {
        let target = if part == "public" {
            gateway.clone().map(RouteTarget::InternetGateway)
        } else if let Some(zone) = part.strip_prefix("private-").and_then(|z| z.parse::<usize>().ok()) {
            nats.get(&want.nat_for_zone(zone)).map(|n| RouteTarget::NatGateway(n.id.clone()))
        } else {
            None
        };
        let current = table.routes.iter().find(|r| r.destination == ANYWHERE);
        match (target, current) {
            (Some(target), None) => p.steps.push(NetStep::CreateRoute {
                table: table.id.clone(),
                route: Route { destination: ANYWHERE.into(), target },
            }),
            (Some(target), Some(r)) if r.target != target => p.steps.push(NetStep::ReplaceRoute {
                table: table.id.clone(),
                route: Route { destination: ANYWHERE.into(), target },
            }),
            // The database tier has no way out of the VPC.
            (None, Some(_)) if part == "database" => {
                p.steps.push(NetStep::DeleteRoute { table: table.id.clone(), destination: ANYWHERE.into() });
            }
            _ => {}
        }
    }

    for s in &want.subnets {
        let (Some(subnet), Some(table)) = (subnet_ids.get(&(s.tier, s.zone)), tables.get(&s.route_table())) else {
            continue;
        };
        let association = have
            .route_tables
            .iter()
            .flat_map(|t| t.associations.iter().map(move |a| (t, a)))
            .find(|(_, a)| a.subnet_id.as_ref() == Some(subnet));
        match association {
            None => p.steps.push(NetStep::Associate { table: table.id.clone(), subnet: subnet.clone() }),
            Some((t, a)) if t.id != table.id => p.steps.push(NetStep::Disassociate(a.id.clone())),
            Some(_) => {}
        }
    }

    plan_endpoint(want, have, (id, &vpc.id), &tables, &mut p);

    // NAT gateways beyond natGateways (it was lowered) go once no route uses them, then their
    // elastic IPs.
    let kept: BTreeSet<&str> = nats.values().map(|n| n.id.as_str()).collect();
    let routed: BTreeSet<&str> = have
        .route_tables
        .iter()
        .flat_map(|t| t.routes.iter())
        .filter_map(|r| match &r.target {
            RouteTarget::NatGateway(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    for n in have.nat_gateways.iter().filter(|n| usable(n) && id.owns(&n.tags)) {
        if !kept.contains(n.id.as_str()) && !routed.contains(n.id.as_str()) {
            p.steps.push(NetStep::DeleteNatGateway(n.id.clone()));
        }
    }
    let wanted_parts: BTreeSet<String> = (0..want.nat_gateways.min(want.zones)).map(|z| format!("nat-{z}")).collect();
    for a in have.addresses.iter().flatten() {
        let extra = a.tags.get(TAG_PART).is_some_and(|part| part.starts_with("nat-") && !wanted_parts.contains(part));
        if extra && id.owns(&a.tags) && a.association_id.is_none() {
            p.steps.push(NetStep::ReleaseAddress(a.allocation_id.clone()));
        }
    }

    if want.subnets.iter().all(|s| subnet_ids.contains_key(&(s.tier, s.zone))) {
        let tier =
            |tier: Tier| (0..want.zones).filter_map(|z| subnet_ids.get(&(tier, z)).cloned()).collect::<Vec<String>>();
        p.placement = Some(Placement {
            vpc_id: vpc.id.clone(),
            public: tier(Tier::Public),
            private: tier(Tier::Private),
            database: tier(Tier::Database),
        });
    }
    p
}

/// The S3 gateway endpoint on exactly the private route tables, or none.
fn plan_endpoint(
    want: &DesiredNetwork,
    have: &ObservedNetwork,
    (id, vpc): (&ObjectIdentity, &str),
    tables: &BTreeMap<String, &RouteTable>,
    p: &mut NetworkPlan,
) {
    let ours: Vec<&VpcEndpoint> =
        have.endpoints.iter().filter(|e| id.owns(&e.tags) && e.state.to_lowercase() != "deleting").collect();
    let Some(service) = &want.s3_endpoint else {
        p.steps.extend(ours.iter().map(|e| NetStep::DeleteEndpoint(e.id.clone())));
        return;
    };
    let private: Option<BTreeSet<String>> =
        (0..want.zones).map(|z| tables.get(&format!("private-{z}")).map(|t| t.id.clone())).collect();
    let Some(private) = private else { return };
    match ours.iter().find(|e| &e.service_name == service) {
        None => p.steps.push(NetStep::CreateEndpoint {
            vpc: vpc.to_string(),
            service: service.clone(),
            tables: private.into_iter().collect(),
        }),
        Some(e) => {
            let have: BTreeSet<String> = e.route_table_ids.iter().cloned().collect();
            let add: Vec<String> = private.difference(&have).cloned().collect();
            let remove: Vec<String> = have.difference(&private).cloned().collect();
            if !add.is_empty() || !remove.is_empty() {
                p.steps.push(NetStep::SetEndpointTables { endpoint: e.id.clone(), add, remove });
            }
            if e.state.to_lowercase() == "pending" {
                p.waiting = Some(format!("S3 gateway endpoint {} is pending", e.id));
            }
        }
    }
}

/// One wave of the network's deletion and what it says about progress, or None once nothing of
/// it is left. Only what carries the stack's ownership tags goes.
/// 1. the S3 endpoint and the NAT gateways (waited for until `deleted`);
/// 2. the elastic IPs, the internet gateway's attachment, the subnets (EC2 refuses with
///    `DependencyViolation` while a network interface is in one — a Database still in the
///    database tier —, which is waited out as progress);
/// 3. the internet gateway and the route tables no subnet uses any more;
/// 4. the VPC.
pub fn teardown(have: &ObservedNetwork, id: &ObjectIdentity) -> Option<(Vec<NetStep>, String)> {
    let owns = |tags: &BTreeMap<String, String>| id.owns(tags);
    let endpoints: Vec<&VpcEndpoint> = have.endpoints.iter().filter(|e| owns(&e.tags)).collect();
    let nats: Vec<&NatGateway> = have.nat_gateways.iter().filter(|n| owns(&n.tags)).collect();
    if !endpoints.is_empty() || !nats.is_empty() {
        let mut steps: Vec<NetStep> = endpoints
            .iter()
            .filter(|e| e.state.to_lowercase() != "deleting")
            .map(|e| NetStep::DeleteEndpoint(e.id.clone()))
            .collect();
        steps.extend(nats.iter().filter(|n| n.state != "deleting").map(|n| NetStep::DeleteNatGateway(n.id.clone())));
        return Some((steps, "deleting the NAT gateways and the S3 endpoint".into()));
    }

    let mut steps = Vec::new();
    for a in have.addresses.iter().flatten().filter(|a| owns(&a.tags) && a.association_id.is_none()) {
        steps.push(NetStep::ReleaseAddress(a.allocation_id.clone()));
    }
    if let Some(g) = &have.internet_gateway {
        match g.attached_vpcs.first() {
            Some(vpc) => steps.push(NetStep::DetachInternetGateway { gateway: g.id.clone(), vpc: vpc.clone() }),
            None => steps.push(NetStep::DeleteInternetGateway(g.id.clone())),
        }
    }
    let subnets: Vec<&Subnet> = have.subnets.iter().filter(|s| owns(&s.tags)).collect();
    steps.extend(subnets.iter().map(|s| NetStep::DeleteSubnet(s.id.clone())));
    for t in have.route_tables.iter().filter(|t| owns(&t.tags)) {
        if t.associations.iter().all(|a| a.subnet_id.is_none() && !a.main) {
            steps.push(NetStep::DeleteRouteTable(t.id.clone()));
        }
    }
    if !steps.is_empty() {
        return Some((steps, "deleting the subnets, route tables, internet gateway and elastic IPs".into()));
    }
    let vpc = have.vpc.as_ref()?;
    Some((vec![NetStep::DeleteVpc(vpc.id.clone())], format!("deleting VPC {}", vpc.id)))
}

#[cfg(test)]
mod tests {
    use stackwright_api::appstack::ManagedNetwork;
    use stackwright_cloud::ec2::RouteTableAssociation;

    use super::super::desired::network;
    use super::super::desired::tests::id;
    use super::*;

    fn want(managed: &ManagedNetwork) -> DesiredNetwork {
        network(Some(managed), "eu-west-2", &id(), &id().tags(&BTreeMap::new())).expect("managed")
    }

    /// Applies a wave as EC2 would, everything finished at once (NAT gateways `available`).
    fn simulate(want: &DesiredNetwork, have: &mut ObservedNetwork, steps: &[NetStep]) {
        let next = |prefix: &str, n: usize| format!("{prefix}-{n:04}");
        for step in steps {
            let n = have.subnets.len()
                + have.route_tables.len()
                + have.nat_gateways.len()
                + have.addresses.as_ref().map_or(0, Vec::len)
                + 100;
            match step {
                NetStep::CreateVpc => {
                    have.vpc = Some(NetworkVpc {
                        id: "vpc-1".into(),
                        cidr: want.cidr.clone(),
                        state: "available".into(),
                        tags: want.tags_of("vpc"),
                    });
                    have.dns_hostnames = Some(false);
                    have.zones = Some(vec!["eu-west-2a".into(), "eu-west-2b".into(), "eu-west-2c".into()]);
                    have.addresses = Some(vec![]);
                    have.route_tables.push(RouteTable {
                        id: "rtb-main".into(),
                        associations: vec![RouteTableAssociation { id: "a-main".into(), subnet_id: None, main: true }],
                        ..Default::default()
                    });
                }
                NetStep::EnableDnsHostnames(_) => have.dns_hostnames = Some(true),
                NetStep::CreateSubnet { vpc, part, cidr, zone } => have.subnets.push(Subnet {
                    id: next("subnet", n),
                    vpc_id: vpc.clone(),
                    availability_zone: zone.clone(),
                    cidr: cidr.clone(),
                    tags: want.tags_of(part),
                }),
                NetStep::CreateInternetGateway => {
                    have.internet_gateway =
                        Some(InternetGateway { id: "igw-1".into(), attached_vpcs: vec![], tags: want.tags_of("igw") })
                }
                NetStep::AttachInternetGateway { vpc, .. } => {
                    have.internet_gateway.as_mut().expect("gateway").attached_vpcs = vec![vpc.clone()]
                }
                NetStep::AllocateAddress(part) => have.addresses.get_or_insert_default().push(Address {
                    allocation_id: next("eipalloc", n),
                    public_ip: "203.0.113.1".into(),
                    association_id: None,
                    tags: want.tags_of(part),
                }),
                NetStep::CreateNatGateway { part, subnet, allocation } => {
                    let address = have.addresses.iter_mut().flatten().find(|a| &a.allocation_id == allocation);
                    address.expect("address").association_id = Some("eipassoc".into());
                    have.nat_gateways.push(NatGateway {
                        id: next("nat", n),
                        subnet_id: subnet.clone(),
                        state: "available".into(),
                        allocation_ids: vec![allocation.clone()],
                        failure_message: None,
                        tags: want.tags_of(part),
                    });
                }
                NetStep::CreateRouteTable { part, .. } => have.route_tables.push(RouteTable {
                    id: next("rtb", n),
                    tags: want.tags_of(part),
                    ..Default::default()
                }),
                NetStep::CreateRoute { table, route } | NetStep::ReplaceRoute { table, route } => {
                    let t = have.route_tables.iter_mut().find(|t| &t.id == table).expect("table");
                    t.routes.retain(|r| r.destination != route.destination);
                    t.routes.push(route.clone());
                }
                NetStep::DeleteRoute { table, destination } => {
                    let t = have.route_tables.iter_mut().find(|t| &t.id == table).expect("table");
                    t.routes.retain(|r| &r.destination != destination);
                }
                NetStep::Associate { table, subnet } => {
                    let t = have.route_tables.iter_mut().find(|t| &t.id == table).expect("table");
                    t.associations.push(RouteTableAssociation {
                        id: format!("assoc-{subnet}"),
                        subnet_id: Some(subnet.clone()),
                        main: false,
                    });
                }
                NetStep::Disassociate(a) => {
                    for t in &mut have.route_tables {
                        t.associations.retain(|x| &x.id != a);
                    }
                }
                NetStep::CreateEndpoint { service, tables, .. } => have.endpoints.push(VpcEndpoint {
                    id: "vpce-1".into(),
                    service_name: service.clone(),
                    state: "available".into(),
                    route_table_ids: tables.clone(),
                    tags: want.tags_of("s3"),
                }),
                NetStep::SetEndpointTables { endpoint, add, remove } => {
                    let e = have.endpoints.iter_mut().find(|e| &e.id == endpoint).expect("endpoint");
                    e.route_table_ids.retain(|t| !remove.contains(t));
                    e.route_table_ids.extend(add.iter().cloned());
                }
                NetStep::DeleteEndpoint(e) => have.endpoints.retain(|x| &x.id != e),
                NetStep::DeleteNatGateway(nat) => {
                    let gone = have.nat_gateways.iter().find(|x| &x.id == nat).expect("nat").allocation_ids.clone();
                    have.nat_gateways.retain(|x| &x.id != nat);
                    for a in have.addresses.iter_mut().flatten().filter(|a| gone.contains(&a.allocation_id)) {
                        a.association_id = None;
                    }
                }
                NetStep::ReleaseAddress(a) => have.addresses.get_or_insert_default().retain(|x| &x.allocation_id != a),
                NetStep::DetachInternetGateway { .. } => {
                    have.internet_gateway.as_mut().expect("gateway").attached_vpcs.clear()
                }
                NetStep::DeleteInternetGateway(_) => have.internet_gateway = None,
                NetStep::DeleteSubnet(s) => {
                    have.subnets.retain(|x| &x.id != s);
                    for t in &mut have.route_tables {
                        t.associations.retain(|a| a.subnet_id.as_ref() != Some(s));
                    }
                }
                NetStep::DeleteRouteTable(t) => have.route_tables.retain(|x| &x.id != t),
                NetStep::DeleteVpc(_) => {
                    have.vpc = None;
                    have.route_tables.clear();
                }
            }
        }
    }

    /// Drives `plan` to a whole network; the waves.
    fn converge(want: &DesiredNetwork, have: &mut ObservedNetwork) -> Vec<Vec<&'static str>> {
        let mut waves = Vec::new();
        for _ in 0..10 {
            let p = plan(want, have, &id());
            assert_eq!(p.blocked, None);
            if p.complete() {
                return waves;
            }
            waves.push(p.steps.iter().map(NetStep::operation).collect());
            simulate(want, have, &p.steps);
        }
        panic!("no whole network after 10 waves: {waves:?}");
    }

    #[test]
    fn a_network_is_built_in_dependency_waves_and_then_left_alone() {
        let want = want(&ManagedNetwork::default());
        let mut have = ObservedNetwork::default();
        let waves = converge(&want, &mut have);
        assert_eq!(waves[0], ["CreateVpc"]);
        assert_eq!(waves[1].iter().filter(|o| **o == "CreateSubnet").count(), 6);
        assert!(waves[1].contains(&"ModifyVpcAttribute") && waves[1].contains(&"CreateInternetGateway"));
        assert_eq!(waves[1].iter().filter(|o| **o == "CreateRouteTable").count(), 4, "public, 2 private, database");
        assert!(waves[1].contains(&"AllocateAddress"), "the elastic IP needs nothing but the account");
        assert_eq!(waves.len(), 5, "{waves:?}");

        let public = &want.subnets[0];
        let igw = have.internet_gateway.clone().expect("gateway");
        assert_eq!(igw.attached_vpcs, ["vpc-1"]);
        assert_eq!(have.nat_gateways.len(), 1);
        assert_eq!(have.nat_gateways[0].subnet_id, have.subnet(&public.cidr).expect("public-0").id);
        let route = |part: &str| {
            have.route_table(part, &id()).expect(part).routes.iter().find(|r| r.destination == ANYWHERE).cloned()
        };
        assert_eq!(route("public").map(|r| r.target), Some(RouteTarget::InternetGateway(igw.id.clone())));
        let nat = RouteTarget::NatGateway(have.nat_gateways[0].id.clone());
        assert_eq!(route("private-0").map(|r| r.target), Some(nat.clone()));
        assert_eq!(route("private-1").map(|r| r.target), Some(nat), "one NAT gateway for both zones");
        assert_eq!(route("database"), None, "the database tier has no way out");
        let endpoint = &have.endpoints[0];
        let private: BTreeSet<String> =
            ["private-0", "private-1"].iter().map(|p| have.route_table(p, &id()).expect("table").id.clone()).collect();
        assert_eq!(endpoint.route_table_ids.iter().cloned().collect::<BTreeSet<_>>(), private);
        for s in &want.subnets {
            let subnet = have.subnet(&s.cidr).expect("subnet");
            let table = have.route_table(&s.route_table(), &id()).expect("table");
            assert!(table.associations.iter().any(|a| a.subnet_id.as_ref() == Some(&subnet.id)), "{}", s.part());
        }
        let placement = plan(&want, &have, &id()).placement.expect("placed");
        assert_eq!((placement.public.len(), placement.private.len(), placement.database.len()), (2, 2, 2));
        assert_eq!(placement.database[1], have.subnet("10.0.9.0/24").expect("database-1").id);
    }

    #[test]
    fn drift_is_set_back() {
        let want = want(&ManagedNetwork::default());
        let mut have = ObservedNetwork::default();
        converge(&want, &mut have);
        let public = have.route_table("public", &id()).expect("public").id.clone();
        let private = have.route_table("private-1", &id()).expect("private-1").id.clone();
        let database = have.route_table("database", &id()).expect("database").id.clone();
        // By hand: the public route removed, a database route out, a private subnet moved to the
        // public table, the endpoint taken off a table.
        for t in &mut have.route_tables {
            if t.id == public {
                t.routes.clear();
            }
            if t.id == database {
                t.routes
                    .push(Route { destination: ANYWHERE.into(), target: RouteTarget::InternetGateway("igw-1".into()) });
            }
        }
        let moved = have.subnet("10.0.5.0/24").expect("private-1").id.clone();
        for t in &mut have.route_tables {
            t.associations.retain(|a| a.subnet_id.as_ref() != Some(&moved));
        }
        simulate(&want, &mut have, &[NetStep::Associate { table: public.clone(), subnet: moved.clone() }]);
        have.endpoints[0].route_table_ids.retain(|t| *t != private);

        let p = plan(&want, &have, &id());
        let ops: BTreeSet<&str> = p.steps.iter().map(NetStep::operation).collect();
        assert_eq!(
            ops,
            BTreeSet::from(["CreateRoute", "DeleteRoute", "DisassociateRouteTable", "ModifyVpcEndpoint"]),
            "{:?}",
            p.steps
        );
        let waves = converge(&want, &mut have);
        assert!(waves.len() <= 2, "{waves:?}");
        let table = have.route_table("private-1", &id()).expect("private-1");
        assert!(table.associations.iter().any(|a| a.subnet_id.as_ref() == Some(&moved)));
    }

    #[test]
    fn more_nat_gateways_take_over_their_zones_and_fewer_go_once_no_route_uses_them() {
        let mut have = ObservedNetwork::default();
        let two = want(&ManagedNetwork { availability_zones: 2, nat_gateways: 2, ..Default::default() });
        converge(&two, &mut have);
        assert_eq!(have.nat_gateways.len(), 2);
        let target = |have: &ObservedNetwork, part: &str| {
            have.route_table(part, &id()).expect(part).routes.iter().find(|r| r.destination == ANYWHERE).cloned()
        };
        assert_ne!(target(&have, "private-0"), target(&have, "private-1"));

        let one = want(&ManagedNetwork { availability_zones: 2, nat_gateways: 1, ..Default::default() });
        let first = plan(&one, &have, &id());
        assert!(
            first.steps.iter().all(|s| !matches!(s, NetStep::DeleteNatGateway(_))),
            "a NAT gateway a route still uses stays: {:?}",
            first.steps
        );
        assert!(first.steps.iter().any(|s| matches!(s, NetStep::ReplaceRoute { .. })));
        let mut deleting = have.clone();
        for n in &mut deleting.nat_gateways {
            n.state = "deleting".into();
        }
        assert!(
            plan(&one, &deleting, &id()).waiting.is_some_and(|w| w.contains("being deleted")),
            "a NAT gateway on its way out is waited for: its elastic IP goes after it"
        );
        converge(&one, &mut have);
        assert_eq!(have.nat_gateways.len(), 1);
        assert_eq!(have.addresses.as_ref().map(Vec::len), Some(1), "the second elastic IP is released");
        assert_eq!(target(&have, "private-0"), target(&have, "private-1"));
    }

    #[test]
    fn a_nat_gateway_is_made_once_its_elastic_ip_is_known_and_waited_for_while_pending() {
        let want = want(&ManagedNetwork::default());
        let mut have = ObservedNetwork::default();
        converge(&want, &mut have);
        have.nat_gateways[0].state = "pending".into();
        let p = plan(&want, &have, &id());
        assert!(p.steps.is_empty() && !p.complete(), "{p:?}");
        assert!(p.waiting.as_deref().is_some_and(|w| w.contains("pending")));
        // Gone by hand: the stack's elastic IP, when read, carries the new one; unread, nothing
        // is allocated (it might exist).
        have.nat_gateways.clear();
        for a in have.addresses.iter_mut().flatten() {
            a.association_id = None;
        }
        let p = plan(&want, &have, &id());
        assert!(matches!(p.steps.as_slice(), [NetStep::CreateNatGateway { .. }]), "{:?}", p.steps);
        have.addresses = None;
        assert!(have.misses_a_nat_gateway(&want));
        assert!(plan(&want, &have, &id()).steps.is_empty());
    }

    #[test]
    fn too_few_zones_or_another_range_stall() {
        let want = want(&ManagedNetwork { availability_zones: 4, ..Default::default() });
        let mut have = ObservedNetwork::default();
        simulate(&want, &mut have, &[NetStep::CreateVpc]);
        let p = plan(&want, &have, &id());
        assert!(p.blocked.as_deref().is_some_and(|m| m.contains("has 3 availability zones")), "{p:?}");
        have.vpc.as_mut().expect("vpc").cidr = "10.9.0.0/16".into();
        assert!(plan(&want, &have, &id()).blocked.is_some_and(|m| m.contains("cannot change")));
    }

    #[test]
    fn deletion_goes_in_reverse_dependency_waves_and_leaves_what_is_not_the_stack_s() {
        let want = want(&ManagedNetwork::default());
        let mut have = ObservedNetwork::default();
        converge(&want, &mut have);
        // Someone's own route table in the VPC: not deleted (the VPC then waits for it).
        have.route_tables.push(RouteTable { id: "rtb-theirs".into(), ..Default::default() });
        let mut waves = Vec::new();
        while let Some((steps, _)) = teardown(&have, &id()) {
            assert!(waves.len() < 8, "{waves:?}");
            let ops: Vec<&str> = steps.iter().map(NetStep::operation).collect();
            waves.push(ops);
            let vpc_goes = steps.iter().any(|s| matches!(s, NetStep::DeleteVpc(_)));
            simulate(&want, &mut have, &steps);
            if vpc_goes {
                break;
            }
        }
        let set = |ops: &[&'static str]| ops.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(set(&waves[0]), BTreeSet::from(["DeleteNatGateway", "DeleteVpcEndpoints"]));
        assert_eq!(
            set(&waves[1]),
            BTreeSet::from(["ReleaseAddress", "DetachInternetGateway", "DeleteSubnet"]),
            "{waves:?}"
        );
        assert_eq!(set(&waves[2]), BTreeSet::from(["DeleteInternetGateway", "DeleteRouteTable"]));
        assert_eq!(waves[3], ["DeleteVpc"]);
        assert!(teardown(&have, &id()).is_none());
    }
}
