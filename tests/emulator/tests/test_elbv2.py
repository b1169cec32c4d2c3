"""elbv2: CreateLoadBalancer/CreateTargetGroup are idempotent by name; load balancers provision;
only HTTPS and TLS listeners have a security policy and certificates; CreateListener is idempotent
and refuses a port in use with other settings; SetRulePriorities checks the new order as a whole;
DescribeTags refuses an ARN that names nothing."""

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


def fixed_response(status):
    return [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": status, "ContentType": "text/plain"}}]


def http_listener(elbv2, lb, port=80, status="404"):
    return elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=fixed_response(status)
    )["Listeners"][0]


def test_same_listener_settings_on_a_port_return_the_existing_listener(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html:
    # "This operation is idempotent [...] If you attempt to create multiple listeners with the same
    # settings, each call succeeds."
    lb = create_lb(elbv2, network)
    first = http_listener(elbv2, lb)
    again = http_listener(elbv2, lb)
    assert again["ListenerArn"] == first["ListenerArn"]
    assert len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) == 1


@pytest.mark.parametrize(
    "change", [{"status": "503"}, {"protocol": "HTTPS"}], ids=["other default action", "other protocol"]
)
def test_a_port_in_use_with_other_settings_is_duplicate_listener(elbv2, network, certificate, change):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html
    # (Errors: DuplicateListener, "A listener with the specified port already exists.", HTTP 400)
    lb = create_lb(elbv2, network)
    first = http_listener(elbv2, lb)
    params = {"LoadBalancerArn": lb["LoadBalancerArn"], "Port": 80, "DefaultActions": fixed_response("404")}
    if "status" in change:
        params.update(Protocol="HTTP", DefaultActions=fixed_response(change["status"]))
    else:
        params.update(Protocol="HTTPS", Certificates=[{"CertificateArn": certificate}])
    with pytest.raises(ClientError) as raised:
        elbv2.create_listener(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == "DuplicateListener"
    assert error["Error"]["Message"] == "A listener with the specified port already exists."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert listener["ListenerArn"] == first["ListenerArn"]
    # another port is another listener
    assert http_listener(elbv2, lb, port=8080)["ListenerArn"] != first["ListenerArn"]


def create_rule(elbv2, listener, priority, path):
    return elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=priority,
        Conditions=[{"Field": "path-pattern", "Values": [path]}],
        Actions=fixed_response("404"),
    )["Rules"][0]


def priorities(elbv2, listener):
    rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    return {rule["RuleArn"]: rule["Priority"] for rule in rules if not rule["IsDefault"]}


def test_rules_swap_priorities_in_one_call(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html:
    # "You can reorder the rules as long as there are no priority conflicts in the new order. Any
    # existing rules that you do not specify retain their current priority."
    lb = create_lb(elbv2, network)
    listener = http_listener(elbv2, lb)
    a = create_rule(elbv2, listener, 1, "/a/*")
    b = create_rule(elbv2, listener, 2, "/b/*")
    c = create_rule(elbv2, listener, 3, "/c/*")
    rules = elbv2.set_rule_priorities(
        RulePriorities=[{"RuleArn": a["RuleArn"], "Priority": 2}, {"RuleArn": b["RuleArn"], "Priority": 1}]
    )["Rules"]
    assert {rule["RuleArn"]: rule["Priority"] for rule in rules} == {a["RuleArn"]: "2", b["RuleArn"]: "1"}
    assert priorities(elbv2, listener) == {a["RuleArn"]: "2", b["RuleArn"]: "1", c["RuleArn"]: "3"}


def test_a_priority_held_by_a_rule_not_moved_is_priority_in_use(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html
    # (Errors: PriorityInUse, "The specified priority is in use.", HTTP 400): rule c keeps 3, so a
    # move of a to 3 conflicts in the new order, and the call changes nothing.
    lb = create_lb(elbv2, network)
    listener = http_listener(elbv2, lb)
    a = create_rule(elbv2, listener, 1, "/a/*")
    b = create_rule(elbv2, listener, 2, "/b/*")
    c = create_rule(elbv2, listener, 3, "/c/*")
    with pytest.raises(ClientError) as raised:
        elbv2.set_rule_priorities(
            RulePriorities=[{"RuleArn": b["RuleArn"], "Priority": 1}, {"RuleArn": a["RuleArn"], "Priority": 3}]
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "PriorityInUse"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert priorities(elbv2, listener) == {a["RuleArn"]: "1", b["RuleArn"]: "2", c["RuleArn"]: "3"}


def test_a_priority_held_by_a_rule_of_another_listener_is_free(elbv2, network):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html:
    # priorities conflict within a listener (CreateRule: "A listener can't have multiple rules with
    # the same priority.").
    lb = create_lb(elbv2, network)
    first = http_listener(elbv2, lb)
    second = http_listener(elbv2, lb, port=8080)
    a = create_rule(elbv2, first, 1, "/a/*")
    create_rule(elbv2, second, 2, "/b/*")
    elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": a["RuleArn"], "Priority": 2}])
    assert priorities(elbv2, first) == {a["RuleArn"]: "2"}


# DescribeTags (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html,
# Errors: LoadBalancerNotFound, TargetGroupNotFound, ListenerNotFound, RuleNotFound,
# TrustStoreNotFound, each HTTP 400): an ARN that names nothing refuses the call.

ACCOUNT_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012"


@pytest.fixture
def tagged(elbv2, network):
    """A load balancer with a listener and a rule, and a target group, all tagged: their ARNs."""
    lb = create_lb(elbv2, network, Tags=[{"Key": "team", "Value": "a"}])
    listener = http_listener(elbv2, lb)
    rule = create_rule(elbv2, listener, 1, "/a/*")
    tg = create_tg(elbv2, network, Tags=[{"Key": "team", "Value": "a"}])
    arns = {
        "loadbalancer": lb["LoadBalancerArn"],
        "listener": listener["ListenerArn"],
        "rule": rule["RuleArn"],
        "targetgroup": tg["TargetGroupArn"],
    }
    elbv2.add_tags(ResourceArns=[arns["listener"], arns["rule"]], Tags=[{"Key": "team", "Value": "a"}])
    return arns


def describe_tags_error(elbv2, arns):
    with pytest.raises(ClientError) as raised:
        elbv2.describe_tags(ResourceArns=arns)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Error"]["Code"]


def test_tags_of_existing_resources_are_described(elbv2, tagged):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html
    described = elbv2.describe_tags(ResourceArns=list(tagged.values()))["TagDescriptions"]
    assert {d["ResourceArn"]: d["Tags"] for d in described} == {
        arn: [{"Key": "team", "Value": "a"}] for arn in tagged.values()
    }


@pytest.mark.parametrize(
    "arn, code",
    [
        (f"{ACCOUNT_ARN}:loadbalancer/app/none/0123456789abcdef", "LoadBalancerNotFound"),
        (f"{ACCOUNT_ARN}:targetgroup/none/0123456789abcdef", "TargetGroupNotFound"),
        (f"{ACCOUNT_ARN}:listener/app/none/0123456789abcdef/0123456789abcdef", "ListenerNotFound"),
        (f"{ACCOUNT_ARN}:listener-rule/app/none/0123456789abcdef/0123456789abcdef/0123456789abcdef", "RuleNotFound"),
        (f"{ACCOUNT_ARN}:truststore/none/0123456789abcdef", "TrustStoreNotFound"),
    ],
)
def test_an_unknown_arn_refuses_the_whole_call(elbv2, tagged, arn, code):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html (Errors)
    assert describe_tags_error(elbv2, [arn]) == code
    assert describe_tags_error(elbv2, [tagged["loadbalancer"], arn, tagged["targetgroup"]]) == code


def test_deleted_resources_are_not_found(elbv2, tagged):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html
    # (Errors): a resource deleted names nothing, its tags are not kept.
    elbv2.delete_rule(RuleArn=tagged["rule"])
    assert describe_tags_error(elbv2, [tagged["rule"]]) == "RuleNotFound"
    elbv2.delete_listener(ListenerArn=tagged["listener"])
    assert describe_tags_error(elbv2, [tagged["listener"]]) == "ListenerNotFound"
    elbv2.delete_target_group(TargetGroupArn=tagged["targetgroup"])
    assert describe_tags_error(elbv2, [tagged["targetgroup"]]) == "TargetGroupNotFound"
    elbv2.delete_load_balancer(LoadBalancerArn=tagged["loadbalancer"])
    assert describe_tags_error(elbv2, [tagged["loadbalancer"]]) == "LoadBalancerNotFound"


def test_the_first_arn_that_names_nothing_decides_the_error(elbv2, tagged):
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html (Errors)
    gone_tg = tagged["targetgroup"]
    elbv2.delete_target_group(TargetGroupArn=gone_tg)
    gone_lb = f"{ACCOUNT_ARN}:loadbalancer/app/none/0123456789abcdef"
    assert describe_tags_error(elbv2, [tagged["listener"], gone_tg, gone_lb]) == "TargetGroupNotFound"
    assert describe_tags_error(elbv2, [gone_lb, gone_tg]) == "LoadBalancerNotFound"
