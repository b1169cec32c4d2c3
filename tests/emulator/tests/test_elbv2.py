"""elbv2: CreateLoadBalancer/CreateTargetGroup are idempotent by name; load balancers provision;
only HTTPS and TLS listeners have a security policy and certificates."""

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


# Listeners: SslPolicy and Certificates are "[HTTPS or TLS listener]" properties
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html).

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"


@pytest.fixture
def raw_bodies(elbv2):
    """The XML body of every ELBv2 response the client receives, by operation name."""
    bodies = {}

    def keep(http_response, model, **_):
        bodies[model.name] = http_response.content.decode()

    elbv2.meta.events.register("after-call", keep)
    return bodies


@pytest.fixture
def certificate(client):
    return client("acm").request_certificate(DomainName="example.com")["CertificateArn"]


def create_listener(elbv2, lb, network, protocol, port, **params):
    target_group = create_tg(
        elbv2, network, Name=f"tg-{port}", Protocol=protocol.replace("HTTPS", "HTTP").replace("TLS", "TCP"), Port=port
    )
    actions = [{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}]
    return elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol=protocol, Port=port, DefaultActions=actions, **params
    )["Listeners"][0]


def describe_listener(elbv2, listener):
    [described] = elbv2.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"]
    return described


def test_http_listener_has_no_security_policy_or_certificates(elbv2, network, raw_bodies):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html:
    # SslPolicy and Certificates are "[HTTPS and TLS listeners]"; an HTTP listener has neither, and
    # the response leaves the elements out (no empty or "None" value).
    lb = create_lb(elbv2, network)
    created = create_listener(elbv2, lb, network, "HTTP", 80)
    described = describe_listener(elbv2, created)
    for listener in (created, described):
        assert listener["Protocol"] == "HTTP"
        assert "SslPolicy" not in listener
        assert "Certificates" not in listener
    for operation in ("CreateListener", "DescribeListeners"):
        assert "<SslPolicy" not in raw_bodies[operation]
        assert "<Certificates" not in raw_bodies[operation]


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "TCP_UDP"])
def test_network_listener_without_tls_has_no_security_policy(elbv2, network, raw_bodies, protocol):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html:
    # SslPolicy and Certificates are "[HTTPS or TLS listener]" properties.
    lb = create_lb(elbv2, network, Name="net", Type="network", SecurityGroups=[])
    created = create_listener(elbv2, lb, network, protocol, 53)
    described = describe_listener(elbv2, created)
    for listener in (created, described):
        assert listener["Protocol"] == protocol
        assert "SslPolicy" not in listener
        assert "Certificates" not in listener
    assert "<SslPolicy" not in raw_bodies["DescribeListeners"]


def test_https_listener_without_policy_gets_the_default(elbv2, network, certificate):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html:
    # an HTTPS listener has a security policy (moto's default when the request names none) and its
    # default certificate.
    lb = create_lb(elbv2, network)
    created = create_listener(elbv2, lb, network, "HTTPS", 443, Certificates=[{"CertificateArn": certificate}])
    described = describe_listener(elbv2, created)
    for listener in (created, described):
        assert listener["SslPolicy"] == DEFAULT_SSL_POLICY
        assert listener["Certificates"] == [{"CertificateArn": certificate}]


def test_tls_listener_keeps_the_requested_policy(elbv2, network, certificate):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html
    # (SslPolicy: "[HTTPS and TLS listeners] The security policy that defines which protocols and
    # ciphers are supported.")
    lb = create_lb(elbv2, network, Name="net", Type="network", SecurityGroups=[])
    policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    created = create_listener(
        elbv2, lb, network, "TLS", 443, SslPolicy=policy, Certificates=[{"CertificateArn": certificate}]
    )
    assert created["SslPolicy"] == policy
    assert describe_listener(elbv2, created)["SslPolicy"] == policy


def test_changing_https_to_http_removes_policy_and_certificates(elbv2, network, certificate, raw_bodies):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html:
    # "Changing the protocol from HTTPS to HTTP, or from TLS to TCP, removes the security policy and
    # default certificate properties."
    lb = create_lb(elbv2, network)
    created = create_listener(elbv2, lb, network, "HTTPS", 443, Certificates=[{"CertificateArn": certificate}])
    [modified] = elbv2.modify_listener(ListenerArn=created["ListenerArn"], Protocol="HTTP", Port=80)["Listeners"]
    described = describe_listener(elbv2, created)
    for listener in (modified, described):
        assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
        assert "SslPolicy" not in listener
        assert "Certificates" not in listener
    for operation in ("ModifyListener", "DescribeListeners"):
        assert "<SslPolicy" not in raw_bodies[operation]
        assert "<Certificates" not in raw_bodies[operation]
    assert elbv2.describe_listener_certificates(ListenerArn=created["ListenerArn"])["Certificates"] == []


def test_changing_http_to_https_adds_policy_and_certificate(elbv2, network, certificate):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html:
    # "If you change the protocol from HTTP to HTTPS, or from TCP to TLS, you must add the security
    # policy and default certificate properties."
    lb = create_lb(elbv2, network)
    created = create_listener(elbv2, lb, network, "HTTP", 80)
    policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    [modified] = elbv2.modify_listener(
        ListenerArn=created["ListenerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy=policy,
        Certificates=[{"CertificateArn": certificate}],
    )["Listeners"]
    described = describe_listener(elbv2, created)
    for listener in (modified, described):
        assert listener["Protocol"] == "HTTPS"
        assert listener["SslPolicy"] == policy
        assert listener["Certificates"] == [{"CertificateArn": certificate}]


def test_modifying_an_http_listener_gives_it_no_security_policy(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html:
    # SslPolicy is an "[HTTPS or TLS listener]" property, also after ModifyListener.
    lb = create_lb(elbv2, network)
    created = create_listener(elbv2, lb, network, "HTTP", 80)
    [modified] = elbv2.modify_listener(ListenerArn=created["ListenerArn"], Port=8080)["Listeners"]
    assert modified["Port"] == 8080
    assert "SslPolicy" not in modified
    assert "SslPolicy" not in describe_listener(elbv2, created)
