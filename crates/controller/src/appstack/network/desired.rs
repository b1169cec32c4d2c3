//! The network a stack owns (`network.managed`), decided from the spec alone: the VPC's range
//! carved into a /24 per tier and availability zone, one route table per role, the NAT gateways
//! and the S3 gateway endpoint.
//!
//! Carving: the /24 with index `4 × tier + zone` inside the VPC's range, tiers public (0),
//! private (1), database (2); zones 0 to 3. For 10.0.0.0/16 and two zones: public 10.0.0.0/24
//! and 10.0.1.0/24, private 10.0.4.0/24 and 10.0.5.0/24, database 10.0.8.0/24 and 10.0.9.0/24.
//! The layout of a zone never depends on the number of zones, and a /20 (16 /24s) holds all
//! twelve.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use stackwright_api::appstack::ManagedNetwork;
use stackwright_api::naming::ObjectIdentity;

/// Tag key naming a network resource's role in the stack's network (`public`, `private-0`,
/// `nat-1`, ...): route tables, elastic IPs and NAT gateways are told apart by it.
pub const TAG_PART: &str = "stackwright.io/part";
/// The default route every routed tier gets.
pub const ANYWHERE: &str = "0.0.0.0/0";

/// A subnet tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The load balancer and the NAT gateways; routed to the internet gateway.
    Public,
    /// The tasks; routed to a NAT gateway.
    Private,
    /// Databases and Caches placed with `network.appStack`; no route out of the VPC.
    Database,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Database];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Database => "database",
        }
    }

    fn index(self) -> u32 {
        match self {
            Tier::Public => 0,
            Tier::Private => 1,
            Tier::Database => 2,
        }
    }
}

/// One subnet of the layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSubnet {
    pub tier: Tier,
    /// Index of the availability zone (0: the region's first).
    pub zone: usize,
    pub cidr: String,
}

impl DesiredSubnet {
    /// Its `stackwright.io/part` tag, e.g. `private-1`.
    pub fn part(&self) -> String {
        format!("{}-{}", self.tier.as_str(), self.zone)
    }

    /// The route table that carries it.
    pub fn route_table(&self) -> String {
        match self.tier {
            Tier::Private => self.part(),
            tier => tier.as_str().to_string(),
        }
    }
}

/// Everything the stack's network is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNetwork {
    /// The VPC's range, as written (the schema admits network addresses only).
    pub cidr: String,
    pub zones: usize,
    pub nat_gateways: usize,
    /// The S3 gateway endpoint's service name when wanted (`com.amazonaws.<region>.s3`).
    pub s3_endpoint: Option<String>,
    pub subnets: Vec<DesiredSubnet>,
    /// Ownership tags and spec.tags, on everything.
    pub tags: BTreeMap<String, String>,
    /// A name shown in the console (the `Name` tag): `<stack physical name>-<part>`.
    pub name: String,
    /// The object's uid: the idempotency tokens of NAT gateways and the endpoint derive from it.
    pub uid: String,
}

impl DesiredNetwork {
    /// The tags of one part: ownership, spec.tags, `Name` and `stackwright.io/part`.
    pub fn tags_of(&self, part: &str) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        tags.insert("Name".into(), format!("{}-{part}", self.name));
        tags.insert(TAG_PART.into(), part.into());
        tags
    }

    /// The route tables the stack has: `public`, `private-<zone>` for each zone, `database`.
    pub fn route_tables(&self) -> Vec<String> {
        let private = (0..self.zones).map(|z| format!("private-{z}"));
        std::iter::once("public".to_string()).chain(private).chain(std::iter::once("database".to_string())).collect()
    }

    /// The NAT gateway a zone's private subnet goes out through: one per zone up to
    /// `natGateways`, the zones beyond share them in turn.
    pub fn nat_for_zone(&self, zone: usize) -> usize {
        zone % self.nat_gateways.max(1)
    }

    /// The idempotency token of a NAT gateway or the endpoint (at most 64 ASCII characters).
    pub fn client_token(&self, part: &str) -> String {
        format!("{}-{part}", self.uid.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
    }
}

/// The stack's network, or None for an existing one.
pub fn network(
    managed: Option<&ManagedNetwork>,
    region: &str,
    id: &ObjectIdentity,
    tags: &BTreeMap<String, String>,
) -> Option<DesiredNetwork> {
    let m = managed?;
    let zones = usize::try_from(m.availability_zones).unwrap_or(2);
    let subnets = Tier::ALL
        .iter()
        .flat_map(|tier| (0..zones).map(move |zone| (*tier, zone)))
        .filter_map(|(tier, zone)| carve(&m.cidr, tier, zone).map(|cidr| DesiredSubnet { tier, zone, cidr }))
        .collect();
    Some(DesiredNetwork {
        cidr: m.cidr.clone(),
        zones,
        nat_gateways: usize::try_from(m.nat_gateways).unwrap_or(1),
        s3_endpoint: m.s3_gateway_endpoint.then(|| format!("com.amazonaws.{region}.s3")),
        subnets,
        tags: tags.clone(),
        name: id.physical_name("", 200),
        uid: id.uid.clone(),
    })
}

/// The /24 of `tier` in `zone` inside `vpc` (`a.b.c.d/len`, len 16 to 20), None when the range
/// cannot be read or is too small.
pub fn carve(vpc: &str, tier: Tier, zone: usize) -> Option<String> {
    let (address, len) = vpc.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if !(8..=24).contains(&len) {
        return None;
    }
    let index = tier.index() * 4 + u32::try_from(zone).ok().filter(|z| *z < 4)?;
    if index >= 1 << (24 - len) {
        return None;
    }
    let base = u32::from(address) & (u32::MAX << (32 - len));
    Some(format!("{}/24", Ipv4Addr::from(base + (index << 8))))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The Paperwurks dev stack's identity.
    pub fn id() -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "c1".into(),
            kind: "AppStack".into(),
            namespace: "paperwurks-dev".into(),
            name: "paperwurks".into(),
            uid: "5f0c6b0e-1111-2222-3333-444455556666".into(),
        }
    }

    #[test]
    fn the_range_is_carved_into_a_24_per_tier_and_zone() {
        let net = network(Some(&ManagedNetwork::default()), "eu-west-2", &id(), &BTreeMap::new()).expect("managed");
        let cidrs: Vec<(String, &str)> = net.subnets.iter().map(|s| (s.part(), s.cidr.as_str())).collect();
        assert_eq!(
            cidrs,
            [
                ("public-0".to_string(), "10.0.0.0/24"),
                ("public-1".to_string(), "10.0.1.0/24"),
                ("private-0".to_string(), "10.0.4.0/24"),
                ("private-1".to_string(), "10.0.5.0/24"),
                ("database-0".to_string(), "10.0.8.0/24"),
                ("database-1".to_string(), "10.0.9.0/24"),
            ]
        );
        assert_eq!(net.s3_endpoint.as_deref(), Some("com.amazonaws.eu-west-2.s3"));
        assert_eq!(net.route_tables(), ["public", "private-0", "private-1", "database"]);
        assert_eq!(net.subnets[2].route_table(), "private-0");
        assert_eq!(net.subnets[5].route_table(), "database");
    }

    #[test]
    fn a_20_holds_four_zones_and_a_zone_s_subnets_do_not_move_with_the_number_of_zones() {
        assert_eq!(carve("172.16.32.0/20", Tier::Database, 3).as_deref(), Some("172.16.43.0/24"));
        assert_eq!(carve("10.0.0.0/16", Tier::Private, 1), carve("10.0.0.0/16", Tier::Private, 1));
        let four = ManagedNetwork { cidr: "172.16.32.0/20".into(), availability_zones: 4, ..Default::default() };
        let net = network(Some(&four), "us-east-1", &id(), &BTreeMap::new()).expect("managed");
        assert_eq!(net.subnets.len(), 12);
        let mut cidrs: Vec<&str> = net.subnets.iter().map(|s| s.cidr.as_str()).collect();
        cidrs.sort_unstable();
        cidrs.dedup();
        assert_eq!(cidrs.len(), 12, "no two subnets overlap");
        assert!(carve("10.0.0.0/21", Tier::Database, 3).is_none(), "a /21 has 8 /24s only");
        assert!(carve("not a range", Tier::Public, 0).is_none());
    }

    #[test]
    fn zones_beyond_the_nat_gateways_share_them_and_tokens_are_per_part() {
        let m = ManagedNetwork { availability_zones: 3, nat_gateways: 2, ..Default::default() };
        let net = network(Some(&m), "us-east-1", &id(), &BTreeMap::new()).expect("managed");
        assert_eq!((0..3).map(|z| net.nat_for_zone(z)).collect::<Vec<_>>(), [0, 1, 0]);
        assert_ne!(net.client_token("nat-0"), net.client_token("nat-1"));
        assert!(net.client_token("s3").len() <= 64);
        let tags = net.tags_of("nat-1");
        assert_eq!(tags[TAG_PART], "nat-1");
        assert!(tags["Name"].ends_with("-nat-1"));
        assert!(network(None, "us-east-1", &id(), &BTreeMap::new()).is_none());
    }
}
