"""elbv2: CreateLoadBalancer/CreateTargetGroup are idempotent by name; load balancers provision."""

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def network(client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


@pytest.fixture
def elbv2(client):
    return client("elbv2")


def create_lb(elbv2, network, **overrides):
    params = {"Name": "web", "Subnets": network["subnets"], "SecurityGroups": [network["group"]]}
    params.update(overrides)
    return elbv2.create_load_balancer(**params)["LoadBalancers"][0]


def test_same_load_balancer_settings_return_the_existing_one(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html:
    # "If you attempt to create multiple load balancers with the same settings, each call succeeds."
    first = create_lb(elbv2, network)
    again = create_lb(elbv2, network, Subnets=list(reversed(network["subnets"])), Scheme="internet-facing")
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    # Scheme: "The default is an Internet-facing load balancer."
    assert first["Scheme"] == "internet-facing"
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


def test_name_in_use_with_other_settings_is_duplicate_load_balancer_name(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
    # (Errors: DuplicateLoadBalancerName, "A load balancer with the specified name already exists.",
    # HTTP 400)
    create_lb(elbv2, network)
    with pytest.raises(ClientError) as raised:
        create_lb(elbv2, network, Scheme="internal")
    error = raised.value.response
    assert error["Error"]["Code"] == "DuplicateLoadBalancerName"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


def test_load_balancer_is_provisioning_then_active(elbv2, network, delay, finish):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html:
    # a new load balancer is provisioning, then active.
    delay(30)
    created = create_lb(elbv2, network)
    assert created["State"]["Code"] == "provisioning"
    [described] = elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"]
    assert described["State"]["Code"] == "provisioning"
    finish()
    [described] = elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"]
    assert described["State"]["Code"] == "active"


def test_without_delay_the_load_balancer_is_active_at_once(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html
    # (STACKWRIGHT_EMULATOR_DELAY=0: every lifecycle is over when the call returns)
    assert create_lb(elbv2, network)["State"]["Code"] == "active"


def create_tg(elbv2, network, **overrides):
    params = {"Name": "web", "Protocol": "HTTP", "Port": 80, "VpcId": network["vpc"], "TargetType": "ip"}
    params.update(overrides)
    return elbv2.create_target_group(**params)["TargetGroups"][0]


def test_same_target_group_settings_return_the_existing_one(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html:
    # "If you attempt to create multiple target groups with the same settings, each call succeeds."
    first = create_tg(elbv2, network, Tags=[{"Key": "team", "Value": "a"}])
    again = create_tg(elbv2, network)
    assert again["TargetGroupArn"] == first["TargetGroupArn"]
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1
    tags = elbv2.describe_tags(ResourceArns=[first["TargetGroupArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}]


@pytest.mark.parametrize("change", [{"Port": 8080}, {"HealthCheckPath": "/healthz"}])
def test_target_group_name_in_use_with_other_settings_is_duplicate(elbv2, network, change):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
    # (Errors: DuplicateTargetGroupName, "A target group with the specified name already exists.")
    create_tg(elbv2, network)
    with pytest.raises(ClientError) as raised:
        create_tg(elbv2, network, **change)
    assert raised.value.response["Error"]["Code"] == "DuplicateTargetGroupName"
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1
