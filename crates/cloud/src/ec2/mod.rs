//! EC2: the security groups Stackwright owns (and every ingress rule in them), the VPCs and
//! subnets it places resources in, and (in [`network`]) the VPC network an AppStack creates and
//! owns: its VPC, subnets, internet and NAT gateways, Elastic IP addresses, route tables and
//! gateway endpoints.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types as t;

use crate::error::{CloudError, OptionalExt};

/// The most results DescribeSecurityGroups returns per call.
const PAGE: i32 = 1000;

/// Where an ingress rule admits traffic from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Another security group (by id): whatever is in it.
    SecurityGroup(String),
    /// An IPv4 CIDR block.
    Cidr(String),
    /// An IPv6 CIDR block (Stackwright writes none, but must see one added by hand to remove it).
    Ipv6Cidr(String),
    /// A managed prefix list (likewise).
    PrefixList(String),
}

/// One ingress rule: one protocol, one port range, one source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IngressRule {
    /// As EC2 spells it: `tcp`, `udp`, `icmp`, or `-1` for every protocol.
    pub protocol: String,
    /// The port range; `-1` for both with protocol `-1` (every port).
    pub from_port: i32,
    pub to_port: i32,
    pub source: Source,
    pub description: Option<String>,
}

impl IngressRule {
    /// A TCP rule for one port from one security group.
    pub fn tcp_from_group(port: i32, group_id: &str, description: Option<&str>) -> Self {
        IngressRule {
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            source: Source::SecurityGroup(group_id.into()),
            description: description.map(str::to_string),
        }
    }

    /// The same rule without its description: EC2 tells rules apart by protocol, ports and
    /// source only (a description cannot make a second rule), so do comparisons of what is
    /// admitted.
    pub fn admits(&self) -> IngressRule {
        IngressRule { description: None, ..self.clone() }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    /// One entry per (protocol, ports, source), in EC2's order.
    pub ingress: Vec<IngressRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    pub cidr: String,
}

/// The EC2 client for one region.
#[derive(Clone, Debug)]
pub struct Ec2 {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("ec2:", $op), e))
    };
}

// After `call!`, so the submodule can use it.
mod network;
pub use network::*;

fn filter(name: &str, value: &str) -> t::Filter {
    t::Filter::builder().name(name).values(value).build()
}

fn tags_of(list: Option<Vec<t::Tag>>) -> BTreeMap<String, String> {
    list.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<t::Tag> {
    tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect()
}

/// Flattens EC2's permissions (one per protocol and port range, each with lists of sources)
/// into one rule per source.
fn rules_of(permissions: Vec<t::IpPermission>) -> Vec<IngressRule> {
    let mut out = Vec::new();
    for p in permissions {
        let protocol = p.ip_protocol.unwrap_or_else(|| "-1".into());
        let (from_port, to_port) = (p.from_port.unwrap_or(-1), p.to_port.unwrap_or(-1));
        let rule =
            |source, description| IngressRule { protocol: protocol.clone(), from_port, to_port, source, description };
        for g in p.user_id_group_pairs.unwrap_or_default() {
            if let Some(id) = g.group_id {
                out.push(rule(Source::SecurityGroup(id), g.description));
            }
        }
        for r in p.ip_ranges.unwrap_or_default() {
            if let Some(cidr) = r.cidr_ip {
                out.push(rule(Source::Cidr(cidr), r.description));
            }
        }
        for r in p.ipv6_ranges.unwrap_or_default() {
            if let Some(cidr) = r.cidr_ipv6 {
                out.push(rule(Source::Ipv6Cidr(cidr), r.description));
            }
        }
        for l in p.prefix_list_ids.unwrap_or_default() {
            if let Some(id) = l.prefix_list_id {
                out.push(rule(Source::PrefixList(id), l.description));
            }
        }
    }
    out
}

/// One EC2 permission per rule.
fn permission_of(rule: &IngressRule) -> t::IpPermission {
    let description = rule.description.clone();
    let mut p = t::IpPermission::builder().ip_protocol(&rule.protocol);
    // Protocol -1 means every port: EC2 takes no port range with it.
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    p = match &rule.source {
        Source::SecurityGroup(id) => {
            p.user_id_group_pairs(t::UserIdGroupPair::builder().group_id(id).set_description(description).build())
        }
        Source::Cidr(cidr) => p.ip_ranges(t::IpRange::builder().cidr_ip(cidr).set_description(description).build()),
        Source::Ipv6Cidr(cidr) => {
            p.ipv6_ranges(t::Ipv6Range::builder().cidr_ipv6(cidr).set_description(description).build())
        }
        Source::PrefixList(id) => {
            p.prefix_list_ids(t::PrefixListId::builder().prefix_list_id(id).set_description(description).build())
        }
    };
    p.build()
}

fn group_of(g: t::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: g.group_id.unwrap_or_default(),
        name: g.group_name.unwrap_or_default(),
        vpc_id: g.vpc_id.unwrap_or_default(),
        description: g.description.unwrap_or_default(),
        tags: tags_of(g.tags),
        ingress: rules_of(g.ip_permissions.unwrap_or_default()),
    }
}

impl Ec2 {
    pub(crate) fn new(client: Client) -> Self {
        Ec2 { client }
    }

    /// Security groups matching every filter, page by page.
    async fn groups(&self, filters: Vec<t::Filter>) -> Result<Vec<SecurityGroup>, CloudError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = call!(
                "DescribeSecurityGroups",
                self.client
                    .describe_security_groups()
                    .set_filters(Some(filters.clone()))
                    .max_results(PAGE)
                    .set_next_token(token)
                    .send()
            )?;
            out.extend(page.security_groups.unwrap_or_default().into_iter().map(group_of));
            match page.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(out),
            }
        }
    }

    /// The security group of this name in this VPC (names are unique per VPC), if any.
    pub async fn security_group_by_name(&self, vpc_id: &str, name: &str) -> Result<Option<SecurityGroup>, CloudError> {
        Ok(self.groups(vec![filter("vpc-id", vpc_id), filter("group-name", name)]).await?.into_iter().next())
    }

    /// Every security group with this tag, in one listing: one call serves many objects (e.g.
    /// every group owned by this controller).
    pub async fn security_groups_by_tag(&self, key: &str, value: &str) -> Result<Vec<SecurityGroup>, CloudError> {
        self.groups(vec![filter(&format!("tag:{key}"), value)]).await
    }

    /// A security group by id, `None` if it does not exist.
    pub async fn security_group(&self, id: &str) -> Result<Option<SecurityGroup>, CloudError> {
        let out =
            call!("DescribeSecurityGroups", self.client.describe_security_groups().group_ids(id).send()).optional()?;
        Ok(out.and_then(|o| o.security_groups.unwrap_or_default().into_iter().next()).map(group_of))
    }

    /// Creates a security group with its tags, and returns its id. A name already used in the VPC
    /// is `AlreadyExists`. EC2 gives a new group a rule admitting all outbound traffic, and no
    /// inbound rule.
    pub async fn create_security_group(
        &self,
        vpc_id: &str,
        name: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, CloudError> {
        let mut req = self.client.create_security_group().vpc_id(vpc_id).group_name(name).description(description);
        if !tags.is_empty() {
            req = req.tag_specifications(
                t::TagSpecification::builder()
                    .resource_type(t::ResourceType::SecurityGroup)
                    .set_tags(Some(tag_list(tags)))
                    .build(),
            );
        }
        let out = call!("CreateSecurityGroup", req.send())?;
        Ok(out.group_id.unwrap_or_default())
    }

    /// Adds ingress rules. A rule that is already there is success: the rule is as wanted.
    pub async fn authorize_ingress(&self, group_id: &str, rules: &[IngressRule]) -> Result<(), CloudError> {
        if rules.is_empty() {
            return Ok(());
        }
        match self.authorize(group_id, rules).await {
            Err(e) if e.code == "InvalidPermission.Duplicate" && rules.len() > 1 => {
                // EC2 refuses the whole request for one duplicate; add the others one by one.
                for rule in rules {
                    match self.authorize(group_id, std::slice::from_ref(rule)).await {
                        Err(e) if e.code == "InvalidPermission.Duplicate" => {}
                        other => other?,
                    }
                }
                Ok(())
            }
            Err(e) if e.code == "InvalidPermission.Duplicate" => Ok(()),
            other => other,
        }
    }

    async fn authorize(&self, group_id: &str, rules: &[IngressRule]) -> Result<(), CloudError> {
        let permissions = rules.iter().map(permission_of).collect();
        call!(
            "AuthorizeSecurityGroupIngress",
            self.client
                .authorize_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
        )
        .map(drop)
    }

    /// Removes ingress rules. A rule that is not there is success: the rule is as wanted. Pass
    /// the rules as [`Ec2::security_group`] read them: AWS matches a rule by protocol, ports and
    /// source, and the description read with it can only help a stricter match.
    pub async fn revoke_ingress(&self, group_id: &str, rules: &[IngressRule]) -> Result<(), CloudError> {
        if rules.is_empty() {
            return Ok(());
        }
        match self.revoke(group_id, rules).await {
            Err(e) if e.code == "InvalidPermission.NotFound" && rules.len() > 1 => {
                // One missing rule can fail the whole request; revoke the others one by one.
                for rule in rules {
                    match self.revoke(group_id, std::slice::from_ref(rule)).await {
                        Err(e) if e.code == "InvalidPermission.NotFound" => {}
                        other => other?,
                    }
                }
                Ok(())
            }
            Err(e) if e.code == "InvalidPermission.NotFound" => Ok(()),
            other => other,
        }
    }

    async fn revoke(&self, group_id: &str, rules: &[IngressRule]) -> Result<(), CloudError> {
        let permissions = rules.iter().map(permission_of).collect();
        // Rules that do not exist may also come back as `UnknownIpPermissions` of a successful
        // call: either way they are not there, as wanted.
        call!(
            "RevokeSecurityGroupIngress",
            self.client.revoke_security_group_ingress().group_id(group_id).set_ip_permissions(Some(permissions)).send()
        )
        .map(drop)
    }

    /// Deletes a security group. While anything uses it (a DB instance, another group's rule, a
    /// network interface), EC2 answers `DependencyViolation`: `Busy`, try again later.
    pub async fn delete_security_group(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteSecurityGroup", self.client.delete_security_group().group_id(id).send()).map(drop)
    }

    /// Adds (or overwrites) tags on EC2 resources.
    pub async fn create_tags(&self, ids: &[String], tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        let req = self.client.create_tags().set_resources(Some(ids.to_vec())).set_tags(Some(tag_list(tags)));
        call!("CreateTags", req.send()).map(drop)
    }

    /// The subnets among `ids` that exist (one call; a missing one is simply not in the result,
    /// so the caller can name it).
    pub async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, CloudError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // A filter rather than SubnetIds: SubnetIds fails the whole call for one missing subnet.
        let ids_filter = t::Filter::builder().name("subnet-id").set_values(Some(ids.to_vec())).build();
        let out = call!("DescribeSubnets", self.client.describe_subnets().filters(ids_filter).send())?;
        Ok(out
            .subnets
            .unwrap_or_default()
            .into_iter()
            .map(|s| Subnet {
                id: s.subnet_id.unwrap_or_default(),
                vpc_id: s.vpc_id.unwrap_or_default(),
                availability_zone: s.availability_zone.unwrap_or_default(),
                cidr: s.cidr_block.unwrap_or_default(),
                tags: tags_of(s.tags),
            })
            .collect())
    }

    /// A VPC by id, `None` if it does not exist.
    pub async fn vpc(&self, id: &str) -> Result<Option<Vpc>, CloudError> {
        let out = call!("DescribeVpcs", self.client.describe_vpcs().vpc_ids(id).send()).optional()?;
        Ok(out
            .and_then(|o| o.vpcs.unwrap_or_default().into_iter().next())
            .map(|v| Vpc { id: v.vpc_id.unwrap_or_default(), cidr: v.cidr_block.unwrap_or_default() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_flatten_to_one_rule_per_source() {
        let p = t::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(5432)
            .to_port(5432)
            .user_id_group_pairs(t::UserIdGroupPair::builder().group_id("sg-a").description("app").build())
            .user_id_group_pairs(t::UserIdGroupPair::builder().group_id("sg-b").build())
            .ip_ranges(t::IpRange::builder().cidr_ip("10.0.0.0/16").build())
            .ipv6_ranges(t::Ipv6Range::builder().cidr_ipv6("::/0").build())
            .prefix_list_ids(t::PrefixListId::builder().prefix_list_id("pl-1").build())
            .build();
        let all = t::IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(t::IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let rules = rules_of(vec![p, all]);
        let tcp =
            |source| IngressRule { protocol: "tcp".into(), from_port: 5432, to_port: 5432, source, description: None };
        assert_eq!(
            rules,
            [
                IngressRule { description: Some("app".into()), ..tcp(Source::SecurityGroup("sg-a".into())) },
                tcp(Source::SecurityGroup("sg-b".into())),
                tcp(Source::Cidr("10.0.0.0/16".into())),
                tcp(Source::Ipv6Cidr("::/0".into())),
                tcp(Source::PrefixList("pl-1".into())),
                IngressRule {
                    protocol: "-1".into(),
                    from_port: -1,
                    to_port: -1,
                    source: Source::Cidr("0.0.0.0/0".into()),
                    description: None
                },
            ]
        );
    }

    #[test]
    fn a_rule_round_trips_through_its_permission() {
        let rules = [
            IngressRule::tcp_from_group(6379, "sg-app", Some("app tasks")),
            IngressRule {
                protocol: "-1".into(),
                from_port: -1,
                to_port: -1,
                source: Source::Cidr("10.1.0.0/16".into()),
                description: None,
            },
        ];
        for rule in &rules {
            assert_eq!(rules_of(vec![permission_of(rule)]), std::slice::from_ref(rule));
        }
        // Every port: no port range is sent.
        let all = permission_of(&rules[1]);
        assert_eq!((all.from_port, all.to_port), (None, None));
    }
}
