"""EC2 behaviour the ec2 extension reproduces (see stackwright_emulator/ec2.py).

References (Amazon EC2 API Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/):
API_DeleteSecurityGroup.html ("If you attempt to delete a security group that is associated with an
instance or network interface, is referenced by another security group in the same VPC, ... the
operation fails with DependencyViolation"), API_DeleteSubnet.html ("You must terminate all running
instances in the subnet before you can delete the subnet"), errors.overview.html (DependencyViolation),
API_CreateNatGateway.html / API_NatGateway.html (State: pending | failed | available | deleting | deleted).
"""

import time

import pytest
from botocore.exceptions import ClientError


def _vpc(client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    return ec2, vpc, subnets


def _sg(ec2, vpc, name):
    return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]


def _dependency(call, **kwargs):
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "DependencyViolation"
    return error.value.response["Error"]["Message"]


def test_security_group_referenced_by_another_groups_rule(client):
    # API_DeleteSecurityGroup.html: a group "referenced by another security group in the same VPC"
    # cannot be deleted (DependencyViolation, errors.overview.html); API_RevokeSecurityGroupIngress.html
    # removes the reference. A rule of the group that names the group itself holds nothing.
    ec2, vpc, _ = _vpc(client)
    db, app = _sg(ec2, vpc, "db"), _sg(ec2, vpc, "app")
    permission = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[permission])
    # a self-reference does not hold a group
    ec2.authorize_security_group_ingress(
        GroupId=app, IpPermissions=[{**permission, "UserIdGroupPairs": [{"GroupId": app}]}]
    )
    message = _dependency(ec2.delete_security_group, GroupId=app)
    assert message == f"resource {app} has a dependent object"
    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[permission])
    ec2.delete_security_group(GroupId=app)


def test_security_group_and_subnets_of_a_db_instance(client, delay):
    # API_DeleteSecurityGroup.html (a group "associated with an instance or network interface", here
    # the DB instance's) and API_DeleteSubnet.html (what runs in the subnet must go first): both
    # DependencyViolation (errors.overview.html) until RDS API_DeleteDBInstance.html has removed the
    # instance, which holds them while deleting.
    ec2, vpc, subnets = _vpc(client)
    sg = _sg(ec2, vpc, "db")
    rds = client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="u", MasterUserPassword="password123", DBSubnetGroupName="g", VpcSecurityGroupIds=[sg],
    )
    _dependency(ec2.delete_security_group, GroupId=sg)
    message = _dependency(ec2.delete_subnet, SubnetId=subnets[0])
    assert message == f"The subnet '{subnets[0]}' has dependencies and cannot be deleted."
    delay(100)
    rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    _dependency(ec2.delete_security_group, GroupId=sg)  # deleting still holds it
    delay(0)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnets[0])


def test_security_group_and_subnets_of_a_cache(client):
    # API_DeleteSecurityGroup.html and API_DeleteSubnet.html: DependencyViolation (errors.overview.html)
    # while the network interfaces of an ElastiCache replication group (ElastiCache
    # API_CreateReplicationGroup.html, SecurityGroupIds, CacheSubnetGroupName) use them.
    ec2, vpc, subnets = _vpc(client)
    sg = _sg(ec2, vpc, "cache")
    cache = client("elasticache")
    cache.create_cache_subnet_group(CacheSubnetGroupName="g", CacheSubnetGroupDescription="d", SubnetIds=subnets)
    cache.create_replication_group(
        ReplicationGroupId="c", ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t3.micro",
        NumCacheClusters=1, CacheSubnetGroupName="g", SecurityGroupIds=[sg],
    )
    _dependency(ec2.delete_security_group, GroupId=sg)
    _dependency(ec2.delete_subnet, SubnetId=subnets[1])
    cache.delete_replication_group(ReplicationGroupId="c")
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnets[1])


def test_security_group_and_subnets_of_a_mount_target(client):
    # API_DeleteSecurityGroup.html and API_DeleteSubnet.html: DependencyViolation (errors.overview.html)
    # while an EFS mount target's network interface uses them (EFS API_CreateMountTarget.html: a mount
    # target is a network interface in the subnet; API_DeleteMountTarget.html deletes it).
    ec2, vpc, subnets = _vpc(client)
    sg = _sg(ec2, vpc, "efs")
    efs = client("efs")
    fs = efs.create_file_system(CreationToken="t")["FileSystemId"]
    target = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0], SecurityGroups=[sg])["MountTargetId"]
    _dependency(ec2.delete_security_group, GroupId=sg)
    _dependency(ec2.delete_subnet, SubnetId=subnets[0])
    efs.delete_mount_target(MountTargetId=target)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnets[0])


def test_security_group_and_subnets_of_a_load_balancer_and_an_ecs_service(client):
    # API_DeleteSecurityGroup.html and API_DeleteSubnet.html: DependencyViolation (errors.overview.html)
    # while the network interfaces of a load balancer (ELBv2 API_CreateLoadBalancer.html, Subnets,
    # SecurityGroups) or of an ECS service's awsvpc tasks (ECS API_AwsVpcConfiguration.html) use them;
    # ELBv2 API_DeleteLoadBalancer.html and ECS API_DeleteService.html release them.
    ec2, vpc, subnets = _vpc(client)
    lb_sg, task_sg = _sg(ec2, vpc, "lb"), _sg(ec2, vpc, "task")
    elbv2 = client("elbv2")
    lb = elbv2.create_load_balancer(Name="lb", Subnets=subnets, SecurityGroups=[lb_sg])["LoadBalancers"][0]
    ecs = client("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )
    ecs.create_service(
        cluster="c", serviceName="app", taskDefinition="app", desiredCount=0, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnets[1]], "securityGroups": [task_sg]}},
    )
    _dependency(ec2.delete_security_group, GroupId=lb_sg)
    _dependency(ec2.delete_security_group, GroupId=task_sg)
    _dependency(ec2.delete_subnet, SubnetId=subnets[0])
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    ec2.delete_security_group(GroupId=lb_sg)
    ec2.delete_subnet(SubnetId=subnets[0])
    _dependency(ec2.delete_subnet, SubnetId=subnets[1])
    ecs.delete_service(cluster="c", service="app", force=True)
    deadline = time.monotonic() + 10
    while True:  # an ECS service may drain before it is INACTIVE
        try:
            ec2.delete_security_group(GroupId=task_sg)
            break
        except ClientError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_nat_gateway_lifecycle_and_subnet(client, delay):
    # API_CreateNatGateway.html, API_NatGateway.html (State: pending | failed | available | deleting |
    # deleted), API_DeleteNatGateway.html; API_DeleteSubnet.html: DependencyViolation while the
    # gateway's network interface is in the subnet (errors.overview.html, also NatGatewayNotFound).
    ec2, _, subnets = _vpc(client)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    delay(0.3)
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "pending"

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]

    deadline = time.monotonic() + 10
    while state() != "available":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _dependency(ec2.delete_subnet, SubnetId=subnets[0])
    delay(100)
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert state() == "deleting"
    _dependency(ec2.delete_subnet, SubnetId=subnets[0])
    delay(0)
    assert state() == "deleted"
    ec2.delete_subnet(SubnetId=subnets[0])
    with pytest.raises(ClientError) as error:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert error.value.response["Error"]["Code"] == "NatGatewayNotFound"


# The VPC network (API_CreateNatGateway.html, API_CreateVpcEndpoint.html, Run_Instance_Idempotency.html
# "Ensuring idempotency in Amazon EC2 API requests", API_ReleaseAddress.html, API_DeleteNatGateway.html,
# API_DetachInternetGateway.html, API_DeleteVpc.html, API_AssociateRouteTable.html, API_DeleteSubnet.html,
# API_ModifyVpcEndpoint.html, API_DeleteVpcEndpoints.html with errors.overview.html).


def _error(call, **kwargs):
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def _network(client):
    """A VPC with an internet gateway attached, a subnet and an Elastic IP address."""
    ec2, vpc, subnets = _vpc(client)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2, vpc, subnets, igw, allocation


def _address(ec2, allocation):
    return ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]


def test_nat_gateway_client_token_returns_the_first_gateway(client):
    # API_CreateNatGateway.html (ClientToken, echoed in the response); Run_Instance_Idempotency.html
    # ("Ensuring idempotency in Amazon EC2 API requests": a repeated token returns the first result,
    # other parameters are IdempotentParameterMismatch); errors.overview.html (Resource.AlreadyAssociated).
    ec2, vpc, subnets, _, allocation = _network(client)
    tags = [{"ResourceType": "natgateway", "Tags": [{"Key": "owner", "Value": "a"}]}]
    first = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation, ClientToken="t-1",
                                   TagSpecifications=tags)
    again = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation, ClientToken="t-1",
                                   TagSpecifications=tags)
    nat = first["NatGateway"]["NatGatewayId"]
    assert (first["ClientToken"], again["ClientToken"]) == ("t-1", "t-1")
    assert again["NatGateway"]["NatGatewayId"] == nat
    assert again["NatGateway"]["Tags"] == [{"Key": "owner", "Value": "a"}]
    listed = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"]
    assert [n["NatGatewayId"] for n in listed] == [nat]

    code, message = _error(ec2.create_nat_gateway, SubnetId=subnets[1], AllocationId=allocation, ClientToken="t-1")
    assert code == "IdempotentParameterMismatch"
    assert "same client token" in message
    # Without a token nothing is idempotent: the address is taken.
    code, _ = _error(ec2.create_nat_gateway, SubnetId=subnets[0], AllocationId=allocation)
    assert code == "Resource.AlreadyAssociated"

    # A deleted gateway is still what its token created.
    ec2.delete_nat_gateway(NatGatewayId=nat)
    replay = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation, ClientToken="t-1")
    assert (replay["NatGateway"]["NatGatewayId"], replay["NatGateway"]["State"]) == (nat, "deleted")


def test_an_address_in_use_is_not_released_and_a_deleted_nat_gateway_lets_it_go(client, delay):
    # API_ReleaseAddress.html: in a nondefault VPC an associated address is not released
    # (InvalidIPAddress.InUse, errors.overview.html); API_DeleteNatGateway.html: deleting a NAT
    # gateway "disassociates its Elastic IP address, but does not release the address".
    ec2, _, subnets, _, allocation = _network(client)
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    address = _address(ec2, allocation)
    assert address["AssociationId"].startswith("eipassoc-")
    code, message = _error(ec2.release_address, AllocationId=allocation)
    assert (code, message) == ("InvalidIPAddress.InUse", f"Address {address['PublicIp']} is in use.")

    delay(100)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert "AssociationId" in _address(ec2, allocation)  # deleting still holds it
    assert _error(ec2.release_address, AllocationId=allocation)[0] == "InvalidIPAddress.InUse"
    delay(0)
    assert "AssociationId" not in _address(ec2, allocation)
    ec2.release_address(AllocationId=allocation)
    assert _error(ec2.release_address, AllocationId=allocation)[0] == "InvalidAllocationID.NotFound"


def test_an_internet_gateway_stays_while_public_addresses_are_mapped(client, delay):
    # API_DetachInternetGateway.html: "The VPC must not contain any running instances with Elastic IP
    # addresses or public IPv4 addresses" (DependencyViolation, errors.overview.html, with
    # Gateway.NotAttached and Resource.AlreadyAssociated); API_AttachInternetGateway.html.
    ec2, vpc, subnets, igw, allocation = _network(client)
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    code, message = _error(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    assert code == "DependencyViolation"
    assert message == (f"Network {vpc} has some mapped public address(es). "
                       "Please unmap those public address(es) before detaching the gateway.")
    delay(100)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert _error(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)[0] == "DependencyViolation"
    delay(0)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    # moto's own answers, as AWS gives them: not attached, attached twice.
    assert _error(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)[0] == "Gateway.NotAttached"
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert _error(ec2.attach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)[0] == "Resource.AlreadyAssociated"


def test_a_vpc_with_a_gateway_an_endpoint_or_a_security_group_is_not_deleted(client):
    # API_DeleteVpc.html: "You must detach or delete all gateways and resources that are associated
    # with the VPC before you can delete it", security groups other than the default one included
    # (DependencyViolation, InvalidVpcID.NotFound: errors.overview.html).
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    message = f"The vpc '{vpc}' has dependencies and cannot be deleted."
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert _error(ec2.delete_vpc, VpcId=vpc) == ("DependencyViolation", message)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    sg = _sg(ec2, vpc, "app")
    assert _error(ec2.delete_vpc, VpcId=vpc) == ("DependencyViolation", message)
    ec2.delete_security_group(GroupId=sg)

    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                       VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]
    assert _error(ec2.delete_vpc, VpcId=vpc) == ("DependencyViolation", message)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])

    ec2.delete_vpc(VpcId=vpc)  # the default security group and main route table go with it
    assert _error(ec2.delete_vpc, VpcId=vpc)[0] == "InvalidVpcID.NotFound"


def test_a_subnet_has_one_explicit_route_table_association(client):
    # API_AssociateRouteTable.html (Resource.AlreadyAssociated, errors.overview.html) with the Amazon
    # VPC User Guide, VPC_Route_Tables.html ("A subnet can only be associated with one route table at
    # a time"), API_DisassociateRouteTable.html,
    # API_DeleteRouteTable.html ("You must disassociate the route table from any subnets before you
    # can delete it"), API_DeleteSubnet.html.
    ec2, vpc, subnets = _vpc(client)
    first = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    second = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    association = ec2.associate_route_table(RouteTableId=first, SubnetId=subnets[0])["AssociationId"]
    for table in (first, second):
        assert _error(ec2.associate_route_table, RouteTableId=table, SubnetId=subnets[0]) == (
            "Resource.AlreadyAssociated",
            f"the specified association for route table {table} conflicts with an existing association",
        )
    ec2.disassociate_route_table(AssociationId=association)
    ec2.associate_route_table(RouteTableId=second, SubnetId=subnets[0])

    # Deleting the subnet ends its association: the route table can go then.
    assert _error(ec2.delete_route_table, RouteTableId=second)[0] == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnets[0])
    table = ec2.describe_route_tables(RouteTableIds=[second])["RouteTables"][0]
    assert table["Associations"] == []
    ec2.delete_route_table(RouteTableId=second)


def test_gateway_endpoint_client_token_route_tables_and_deletion(client):
    # API_CreateVpcEndpoint.html (ClientToken, RouteTableIds) with Run_Instance_Idempotency.html
    # (IdempotentParameterMismatch); API_ModifyVpcEndpoint.html (AddRouteTableIds, RemoveRouteTableIds);
    # API_DeleteVpcEndpoints.html with API_UnsuccessfulItem.html (InvalidVpcEndpoint.NotFound);
    # the routes to the service's prefix list: Amazon VPC PrivateLink guide, "Gateway endpoints".
    ec2, vpc, _ = _vpc(client)
    tables = [ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(3)]
    service = "com.amazonaws.us-east-1.s3"
    request = dict(VpcId=vpc, ServiceName=service, VpcEndpointType="Gateway", RouteTableIds=tables[:2],
                   ClientToken="e-1")
    first = ec2.create_vpc_endpoint(**request)
    endpoint = first["VpcEndpoint"]["VpcEndpointId"]
    again = ec2.create_vpc_endpoint(**{**request, "RouteTableIds": list(reversed(tables[:2]))})
    assert (first["ClientToken"], again["VpcEndpoint"]["VpcEndpointId"]) == ("e-1", endpoint)
    assert len(ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]) == 1
    assert _error(ec2.create_vpc_endpoint, **{**request, "RouteTableIds": tables})[0] == "IdempotentParameterMismatch"

    def endpoint_routes(table):
        routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        return [r["GatewayId"] for r in routes if "DestinationPrefixListId" in r]

    assert [endpoint_routes(t) for t in tables] == [[endpoint], [endpoint], []]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=[tables[2]], RemoveRouteTableIds=[tables[0]])
    assert sorted(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["RouteTableIds"]) == sorted(
        tables[1:])
    assert [endpoint_routes(t) for t in tables] == [[], [endpoint], [endpoint]]

    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])["Unsuccessful"] == []
    assert [endpoint_routes(t) for t in tables] == [[], [], []]
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])["Unsuccessful"] == []  # already deleted
    missing = "vpce-0123456789abcdef0"
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[missing])["Unsuccessful"] == [
        {"Error": {"Code": "InvalidVpcEndpoint.NotFound", "Message": f"The VpcEndpoint Id '{missing}' does not exist"},
         "ResourceId": missing}
    ]


# Tag filters (API_DescribeNatGateways.html: the filters tag:<key> and tag-key; API_Filter.html: the
# values of a filter are joined with OR, the filters with AND; filter values take the wildcards *, zero
# or more characters, and ?, exactly one, and a backslash escapes them).


def _tags(resource_type, **tags):
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def test_nat_gateways_filtered_by_tag_and_tag_key(client):
    # API_DescribeNatGateways.html (filters tag:<key> and tag-key) and API_Filter.html (values ORed,
    # filters ANDed, wildcards * and ?, backslash escapes).
    ec2, vpc, subnets = _vpc(client)
    nats = {}
    for name, subnet, tags in (
        ("web", subnets[0], {"stack": "shop-web", "tier": "public"}),
        ("api", subnets[1], {"stack": "shop-api"}),
        ("odd", subnets[0], {"stack": "a*b?c\\", "owner": "x"}),
        ("bare", subnets[1], {}),
    ):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        spec = _tags("natgateway", **tags) if tags else []
        nats[name] = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation,
                                            TagSpecifications=spec)["NatGateway"]["NatGatewayId"]

    def described(*filters, **kwargs):
        found = ec2.describe_nat_gateways(
            Filters=[{"Name": n, "Values": v} for n, v in filters], **kwargs)["NatGateways"]
        return sorted(name for name, nat in nats.items() if nat in {n["NatGatewayId"] for n in found})

    assert described() == ["api", "bare", "odd", "web"]
    assert described(("tag:stack", ["shop-web"])) == ["web"]
    assert described(("tag:stack", ["shop-web", "shop-api"])) == ["api", "web"]  # any of the values
    assert described(("tag:stack", ["shop-*"])) == ["api", "web"]
    assert described(("tag:stack", ["shop-?pi"])) == ["api"]
    assert described(("tag:stack", ["shop-?"])) == []  # ? is exactly one character
    assert described(("tag:stack", ["shop"])) == []  # the whole value, not a prefix
    assert described(("tag:stack", ["SHOP-WEB"])) == []  # case-sensitive
    assert described(("tag:stack", ["*"])) == ["api", "odd", "web"]
    assert described(("tag:stack", ["a\\*b\\?c\\\\"])) == ["odd"]  # escaped: the literal a*b?c\
    assert described(("tag:stack", ["a\\*bxc*"])) == []
    assert described(("tag:missing", ["*"])) == []
    assert described(("tag-key", ["tier"])) == ["web"]
    assert described(("tag-key", ["tier", "owner"])) == ["odd", "web"]
    assert described(("tag-key", ["t*"])) == ["web"]
    assert described(("tag-key", ["stack"])) == ["api", "odd", "web"]
    # Filters are joined with AND, also with moto's own filters and the ids.
    assert described(("tag:stack", ["shop-*"]), ("tag-key", ["tier"])) == ["web"]
    assert described(("tag:stack", ["shop-*"]), ("subnet-id", [subnets[1]])) == ["api"]
    assert described(("tag:stack", ["shop-*"]), ("vpc-id", [vpc]), ("state", ["available"])) == ["api", "web"]
    assert described(("tag:stack", ["shop-*"]), NatGatewayIds=[nats["web"], nats["bare"]]) == ["web"]
    # Tags added later count, removed ones no longer do.
    ec2.create_tags(Resources=[nats["bare"]], Tags=[{"Key": "stack", "Value": "shop-batch"}])
    ec2.delete_tags(Resources=[nats["web"]], Tags=[{"Key": "stack"}])
    assert described(("tag:stack", ["shop-*"])) == ["api", "bare"]


def test_the_vpc_network_resources_are_filtered_by_tag(client):
    """moto's own filters on the other describes of a VPC's network, which the emulator leaves as
    they are: tag:<key> (any value, wildcards) and tag-key. API_DescribeVpcs.html,
    API_DescribeSubnets.html, API_DescribeRouteTables.html, API_DescribeInternetGateways.html,
    API_DescribeAddresses.html, API_DescribeVpcEndpoints.html (the tag:<key> and tag-key filters of
    each) and API_Filter.html."""
    ec2 = client("ec2")
    created = {}
    for stack in ("shop-web", "shop-api"):
        vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16", TagSpecifications=_tags("vpc", stack=stack))["Vpc"]["VpcId"]
        created[stack] = {
            "Vpcs": vpc,
            "Subnets": ec2.create_subnet(VpcId=vpc, CidrBlock="10.4.1.0/24",
                                         TagSpecifications=_tags("subnet", stack=stack))["Subnet"]["SubnetId"],
            "RouteTables": ec2.create_route_table(
                VpcId=vpc, TagSpecifications=_tags("route-table", stack=stack))["RouteTable"]["RouteTableId"],
            "InternetGateways": ec2.create_internet_gateway(
                TagSpecifications=_tags("internet-gateway", stack=stack))["InternetGateway"]["InternetGatewayId"],
            "Addresses": ec2.allocate_address(Domain="vpc",
                                              TagSpecifications=_tags("elastic-ip", stack=stack))["AllocationId"],
            "VpcEndpoints": ec2.create_vpc_endpoint(
                VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                TagSpecifications=_tags("vpc-endpoint", stack=stack))["VpcEndpoint"]["VpcEndpointId"],
        }
    describes = {
        "Vpcs": (ec2.describe_vpcs, "VpcId"),
        "Subnets": (ec2.describe_subnets, "SubnetId"),
        "RouteTables": (ec2.describe_route_tables, "RouteTableId"),
        "InternetGateways": (ec2.describe_internet_gateways, "InternetGatewayId"),
        "Addresses": (ec2.describe_addresses, "AllocationId"),
        "VpcEndpoints": (ec2.describe_vpc_endpoints, "VpcEndpointId"),
    }
    for key, (describe, id_key) in describes.items():
        def described(name, values):
            found = {r[id_key] for r in describe(Filters=[{"Name": name, "Values": values}])[key]}
            return sorted(stack for stack, ids in created.items() if ids[key] in found), len(found)

        assert described("tag:stack", ["shop-web"]) == (["shop-web"], 1), key
        assert described("tag:stack", ["nope", "shop-a?i"]) == (["shop-api"], 1), key
        assert described("tag:stack", ["shop-*"]) == (["shop-api", "shop-web"], 2), key
        assert described("tag-key", ["stack"]) == (["shop-api", "shop-web"], 2), key
        assert described("tag-key", ["nope"]) == ([], 0), key
