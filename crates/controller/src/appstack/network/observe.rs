//! What AWS has of a stack's network: the VPC by the stack's ownership tags, then what is in it
//! (subnets, route tables, NAT gateways, endpoints) and the internet gateway by its tags, side by
//! side. The elastic IPs, the VPC's DNS attribute and the region's zones are read only when a
//! decision needs them.

use std::collections::BTreeMap;

use stackwright_api::naming::{ObjectIdentity, TAG_CLUSTER, TAG_OWNER};
use stackwright_cloud::CloudError;
use stackwright_cloud::ec2::Ec2;

use super::desired::DesiredNetwork;
use super::plan::ObservedNetwork;
use crate::appstack::observe::ReadOnce;

/// The tags every resource of the stack's network carries, to find them by.
fn ownership(id: &ObjectIdentity) -> BTreeMap<String, String> {
    BTreeMap::from([(TAG_CLUSTER.to_string(), id.cluster_id.clone()), (TAG_OWNER.to_string(), id.owner())])
}

/// Reads the network. `want` is None for a deletion (everything is read); `thorough` (not a
/// resync) also reads the DNS attribute, once per generation, and the elastic IPs.
pub async fn observe(
    ec2: &Ec2,
    want: Option<&DesiredNetwork>,
    id: &ObjectIdentity,
    thorough: Option<&ReadOnce>,
) -> Result<ObservedNetwork, CloudError> {
    let tags = ownership(id);
    let (vpcs, internet_gateways) =
        tokio::try_join!(Box::pin(ec2.vpcs_by_tags(&tags)), Box::pin(ec2.internet_gateways_by_tags(&tags)))?;
    let mut o = ObservedNetwork { internet_gateway: internet_gateways.into_iter().next(), ..Default::default() };
    // The oldest, should a crash ever have left two: the other is found and named by nobody.
    o.vpc = vpcs.into_iter().min_by(|a, b| a.id.cmp(&b.id));
    if let Some(vpc) = &o.vpc {
        let (subnets, route_tables, nat_gateways, endpoints) = tokio::try_join!(
            Box::pin(ec2.subnets_in(&vpc.id)),
            Box::pin(ec2.route_tables_in(&vpc.id)),
            Box::pin(ec2.nat_gateways_in(&vpc.id)),
            Box::pin(ec2.vpc_endpoints_in(&vpc.id)),
        )?;
        (o.subnets, o.route_tables, o.nat_gateways, o.endpoints) = (subnets, route_tables, nat_gateways, endpoints);
        if let (Some(memo), Some(_)) = (thorough, want) {
            let read = async {
                let on = ec2.dns_hostnames(&vpc.id).await?;
                Ok(BTreeMap::from([("enableDnsHostnames".to_string(), on.to_string())]))
            };
            let dns = memo.once(format!("dns-hostnames:{}", vpc.id), read).await?;
            o.dns_hostnames = Some(dns.get("enableDnsHostnames").is_some_and(|v| v == "true"));
        }
    }
    let needs_addresses = match want {
        None => true,
        Some(w) => thorough.is_some() || o.misses_a_nat_gateway(w),
    };
    if needs_addresses {
        o.addresses = Some(ec2.addresses_by_tags(&tags).await?);
    }
    if let Some(w) = want
        && o.vpc.is_some()
        && w.subnets.iter().any(|s| o.subnet(&s.cidr).is_none())
    {
        o.zones = Some(ec2.availability_zones().await?);
    }
    Ok(o)
}
