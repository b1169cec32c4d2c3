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
