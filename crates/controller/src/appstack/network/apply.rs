//! Sends one wave of the network's writes, in order. Every create carries the stack's tags in
//! the same call (and NAT gateways and the endpoint an idempotency token), so a crash right after
//! one leaves a resource the next observation finds. Nothing here decides.

use stackwright_cloud::ec2::Ec2;
use stackwright_cloud::{CloudError, ErrorCategory};

use super::super::apply::created;
use super::desired::DesiredNetwork;
use super::plan::NetStep;

/// Sends `steps`. `want` is None for a deletion (no step then creates anything).
pub async fn apply(ec2: &Ec2, want: Option<&DesiredNetwork>, steps: &[NetStep]) -> Result<(), CloudError> {
    for step in steps {
        apply_step(ec2, want, step).await?;
    }
    Ok(())
}

async fn apply_step(ec2: &Ec2, want: Option<&DesiredNetwork>, step: &NetStep) -> Result<(), CloudError> {
    let want = || {
        want.ok_or_else(|| CloudError {
            category: ErrorCategory::Invalid,
            operation: "stackwright:apply",
            code: "NoNetwork".into(),
            message: format!("{} needs the network's settings", step.operation()),
        })
    };
    match step {
        NetStep::CreateVpc => {
            let w = want()?;
            created(ec2.create_vpc(&w.cidr, &w.tags_of("vpc")).await)
        }
        NetStep::EnableDnsHostnames(vpc) => ec2.enable_dns_hostnames(vpc).await,
        NetStep::CreateSubnet { vpc, part, cidr, zone } => {
            created(ec2.create_subnet(vpc, cidr, zone, &want()?.tags_of(part)).await)
        }
        NetStep::CreateInternetGateway => created(ec2.create_internet_gateway(&want()?.tags_of("igw")).await),
        NetStep::AttachInternetGateway { gateway, vpc } => ec2.attach_internet_gateway(gateway, vpc).await,
        NetStep::AllocateAddress(part) => created(ec2.allocate_address(&want()?.tags_of(part)).await),
        NetStep::CreateNatGateway { part, subnet, allocation } => {
            let w = want()?;
            created(ec2.create_nat_gateway(subnet, allocation, &w.client_token(part), &w.tags_of(part)).await)
        }
        NetStep::CreateRouteTable { vpc, part } => created(ec2.create_route_table(vpc, &want()?.tags_of(part)).await),
        NetStep::CreateRoute { table, route } => created(ec2.create_route(table, route).await),
        NetStep::ReplaceRoute { table, route } => ec2.replace_route(table, route).await,
        NetStep::DeleteRoute { table, destination } => ec2.delete_route(table, destination).await,
        NetStep::Associate { table, subnet } => created(ec2.associate_route_table(table, subnet).await),
        NetStep::Disassociate(association) => ec2.disassociate_route_table(association).await,
        NetStep::CreateEndpoint { vpc, service, tables } => {
            let w = want()?;
            created(ec2.create_gateway_endpoint(vpc, service, tables, &w.client_token("s3"), &w.tags_of("s3")).await)
        }
        NetStep::SetEndpointTables { endpoint, add, remove } => {
            ec2.set_endpoint_route_tables(endpoint, add, remove).await
        }
        NetStep::DeleteEndpoint(endpoint) => ec2.delete_vpc_endpoint(endpoint).await,
        NetStep::DeleteNatGateway(nat) => ec2.delete_nat_gateway(nat).await,
        NetStep::ReleaseAddress(allocation) => ec2.release_address(allocation).await,
        NetStep::DetachInternetGateway { gateway, vpc } => ec2.detach_internet_gateway(gateway, vpc).await,
        NetStep::DeleteInternetGateway(gateway) => ec2.delete_internet_gateway(gateway).await,
        NetStep::DeleteSubnet(subnet) => ec2.delete_subnet(subnet).await,
        NetStep::DeleteRouteTable(table) => ec2.delete_route_table(table).await,
        NetStep::DeleteVpc(vpc) => ec2.delete_vpc(vpc).await,
    }
}
