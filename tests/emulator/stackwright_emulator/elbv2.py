"""Elastic Load Balancing v2: idempotent creation by name, load balancers that provision, a
security policy and certificates only on HTTPS and TLS listeners, one listener a port, rule
priorities reordered as a whole, and DescribeTags refusing an ARN that names nothing.

moto 5.2 builds a load balancer's ARN from a random id before it checks for a duplicate, so a second
CreateLoadBalancer with a name in use creates a second load balancer of that name; a second
CreateTargetGroup fails with DuplicateTargetGroupName even when its settings are the same. AWS
documents both operations as idempotent by name:

* CreateLoadBalancer (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html):
  "This operation is idempotent, which means that it completes at most one time. If you attempt to
  create multiple load balancers with the same settings, each call succeeds." A name in use with
  other settings is ``DuplicateLoadBalancerName`` ("A load balancer with the specified name already
  exists.", HTTP 400).
* CreateTargetGroup (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html):
  the same, with ``DuplicateTargetGroupName``.

The settings compared are what the request determines (type, scheme, subnets, security groups, IP
address type; for target groups protocol, port, VPC, target type, IP address type and the health
check), with AWS's defaults applied to both sides: moto builds the load balancer or target group the
request describes, and it is compared with the one that exists and then dropped. Tags are not
compared, and a repeated call does not change them.

A load balancer created without ``Scheme`` is ``internet-facing``, AWS's default (moto leaves the
scheme out). A new load balancer's ``State`` is ``provisioning`` and becomes ``active`` after
:func:`~.settings.delay` seconds (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html);
moto turns every load balancer ``active`` at the first DescribeLoadBalancers. The transition is a
:class:`~.lifecycle.Walk`, settled before every ELBv2 request.

Listeners (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html):

* ``SslPolicy`` and ``Certificates`` are "[HTTPS or TLS listener]" properties. moto's CreateListener
  handler gives every listener the policy ``ELBSecurityPolicy-2016-08`` when the request names none,
  so an HTTP (TCP, UDP, TCP_UDP, GENEVE) listener read back with a security policy. Here a listener
  of a protocol other than HTTPS and TLS has neither, in the CreateListener, DescribeListeners and
  ModifyListener responses (the elements are left out); an HTTPS or TLS listener created without
  ``SslPolicy`` keeps moto's default.
* ModifyListener (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html):
  "Changing the protocol from HTTPS to HTTP, or from TLS to TCP, removes the security policy and
  default certificate properties." moto kept both. A change to HTTPS without ``SslPolicy`` (which
  AWS requires then) gets moto's default policy, as CreateListener does.
* CreateListener (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html)
  on a port the load balancer already has a listener on: "This operation is idempotent [...] If you
  attempt to create multiple listeners with the same settings, each call succeeds": the same
  protocol, SSL policy, default certificate, default actions and ALPN policy return the existing
  listener (tags are not compared and not changed); other settings are ``DuplicateListener`` ("A
  listener with the specified port already exists.", HTTP 400). moto looked the port up among the
  load balancer's listener ARNs, never found it, and created a second listener on the port.

Rules and tags:

* SetRulePriorities (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html):
  "You can reorder the rules as long as there are no priority conflicts in the new order. Any
  existing rules that you do not specify retain their current priority." ``PriorityInUse`` is
  answered when a new priority is held by a rule of the listener that the call does not move; so
  rules can swap priorities in one call. moto checked each new priority against the current ones
  (a swap was ``PriorityInUse``). moto's other checks stay: a priority given twice is
  ``ValidationError``, an unknown rule ``RuleNotFound``.
* DescribeTags (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html,
  Errors): an ARN of a load balancer, target group, listener, rule or trust store that does not
  exist (or no longer does) refuses the whole call with ``LoadBalancerNotFound``,
  ``TargetGroupNotFound``, ``ListenerNotFound``, ``RuleNotFound`` or ``TrustStoreNotFound`` (HTTP
  400), for the first such ARN in the request. moto answered an unknown ARN with no tags and a
  deleted resource with the tags it had (it keeps them after the delete). moto has no trust stores,
  so every trust store ARN names nothing. A string that is no ELBv2 resource ARN is left to moto.
"""

import copy
import inspect

from moto.elbv2.exceptions import (
    DuplicateListenerError,
    DuplicateLoadBalancerName,
    DuplicatePriorityError,
    DuplicateTargetGroupName,
    ELBClientError,
    ListenerNotFoundError,
    LoadBalancerNotFoundError,
    PriorityInUseError,
    RuleNotFoundError,
    TargetGroupNotFoundError,
)
from moto.elbv2.models import ELBv2Backend, FakeAction, FakeLoadBalancer
from moto.elbv2.responses import ELBV2Response

from . import lifecycle

LOAD_BALANCER_SETTINGS = ("type", "scheme", "ip_address_type", "vpc_id")
TARGET_GROUP_SETTINGS = (
    "protocol",
    "protocol_version",
    "port",
    "vpc_id",
    "target_type",
    "ip_address_type",
    "health_check_protocol",
    "health_check_port",
    "health_check_path",
    "health_check_interval_seconds",
    "health_check_timeout_seconds",
    "health_check_enabled",
    "healthy_threshold_count",
    "unhealthy_threshold_count",
    "matcher",
)

# moto's CreateListener default (moto/elbv2/responses.py)
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"
# "[HTTPS and TLS listeners]" (CreateListener, ModifyListener: SslPolicy, Certificates)
SECURE_PROTOCOLS = ("HTTPS", "TLS")

_original_create_load_balancer = ELBv2Backend.create_load_balancer
_original_create_target_group = ELBv2Backend.create_target_group
_original_create_listener = ELBv2Backend.create_listener
_original_modify_listener = ELBv2Backend.modify_listener
_original_describe_tags = ELBv2Backend.describe_tags


class TrustStoreNotFoundError(ELBClientError):
    # botocore elbv2 model: TrustStoreNotFoundException, code TrustStoreNotFound, HTTP 400
    code = "TrustStoreNotFound"
    message = "The specified trust store does not exist."


def _load_balancer_settings(lb):
    settings = {name: getattr(lb, name, None) for name in LOAD_BALANCER_SETTINGS}
    settings["subnets"] = sorted(subnet.id for subnet in lb.subnets)
    settings["security_groups"] = sorted(lb.security_groups or [])
    return settings


def _target_group_settings(tg):
    return {name: getattr(tg, name, None) for name in TARGET_GROUP_SETTINGS}


def create_load_balancer(self, name, *args, **kwargs):
    # "The default is an Internet-facing load balancer." (CreateLoadBalancer, Scheme); moto leaves
    # Scheme out of the load balancer when the request does.
    if not args and kwargs.get("scheme") is None:
        kwargs["scheme"] = "internet-facing"
    existing = next((lb for lb in self.load_balancers.values() if lb.name == name), None)
    if existing is None:
        lb = _original_create_load_balancer(self, name, *args, **kwargs)
        lifecycle.start(lb, ["provisioning"], on_done=lambda: setattr(lb, "state", "active"))
        return lb
    # What this request would create, built by moto (validation and defaults included), compared
    # with the load balancer that has the name, then dropped.
    trial = _original_create_load_balancer(self, name, *args, **kwargs)
    self.load_balancers.pop(trial.arn, None)
    self.tagging_service.delete_all_tags_for_resource(trial.arn)
    if _load_balancer_settings(trial) == _load_balancer_settings(existing):
        return existing
    raise DuplicateLoadBalancerName()


def create_target_group(self, name, **kwargs):
    existing = next((tg for tg in self.target_groups.values() if tg.name == name), None)
    if existing is None:
        return _original_create_target_group(self, name, **kwargs)
    before = dict(self.target_groups)
    self.target_groups.pop(existing.arn)
    try:
        trial = _original_create_target_group(self, name, **dict(kwargs, tags=None))
    finally:
        # the target groups as they were, in their order
        self.target_groups.clear()
        self.target_groups.update(before)
    if _target_group_settings(trial) == _target_group_settings(existing):
        return existing
    raise DuplicateTargetGroupName()


def create_listener(self, *args, **kwargs):
    # moto's CreateListener handler passes its default policy for every protocol (and the
    # CloudFormation path passes positional arguments), so the request is bound to moto's signature.
    call = inspect.signature(_original_create_listener).bind(self, *args, **kwargs)
    arguments = call.arguments
    if (arguments.get("protocol") or "").upper() in SECURE_PROTOCOLS:
        if arguments.get("ssl_policy") is None:
            arguments["ssl_policy"] = DEFAULT_SSL_POLICY
    else:
        arguments["ssl_policy"] = None
        arguments["certificate"] = None
    existing = _listener_on_port(self, arguments.get("load_balancer_arn"), arguments.get("port"))
    if existing is not None:
        # "If you attempt to create multiple listeners with the same settings, each call
        # succeeds." (CreateListener); a port in use with other settings is DuplicateListener.
        if _listener_settings(existing) == _requested_listener_settings(arguments):
            return existing
        raise DuplicateListenerError()
    return _original_create_listener(*call.args, **call.kwargs)


def _listener_on_port(backend, load_balancer_arn, port):
    balancer = backend.load_balancers.get(load_balancer_arn)
    if balancer is None or port is None:
        # an unknown load balancer is moto's LoadBalancerNotFound; a Gateway Load Balancer
        # listener has no port
        return None
    return next((lst for lst in balancer.listeners.values() if str(lst.port) == str(port)), None)


def _actions(actions):
    return [action.data if isinstance(action, FakeAction) else action for action in actions or []]


def _listener_settings(listener):
    return {
        "protocol": listener.protocol,
        "ssl_policy": listener.ssl_policy,
        "certificate": listener.certificate,
        "actions": _actions(listener.default_actions),
        "alpn_policy": listener.alpn_policy or [],
    }


def _requested_listener_settings(arguments):
    # the actions as moto stores them (FakeAction fills in ForwardConfig defaults)
    actions = [FakeAction(copy.deepcopy(action)) for action in _actions(arguments.get("actions"))]
    return {
        "protocol": (arguments.get("protocol") or "").upper(),
        "ssl_policy": arguments.get("ssl_policy"),
        "certificate": arguments.get("certificate"),
        "actions": _actions(actions),
        "alpn_policy": arguments.get("alpn_policy") or [],
    }


def modify_listener(self, *args, **kwargs):
    listener = _original_modify_listener(self, *args, **kwargs)
    if listener.protocol in SECURE_PROTOCOLS:
        if listener.ssl_policy is None:
            listener.ssl_policy = DEFAULT_SSL_POLICY
    else:
        # "Changing the protocol from HTTPS to HTTP, or from TLS to TCP, removes the security policy
        # and default certificate properties." (ModifyListener)
        listener.ssl_policy = None
        listener.certificate = None
        listener.certificates = []
    return listener


def set_rule_priorities(self, rule_priorities):
    # moto's checks first: a priority given twice, then every rule exists.
    priorities = [pair["Priority"] for pair in rule_priorities]
    for priority in set(priorities):
        if priorities.count(priority) > 1:
            raise DuplicatePriorityError(priority)
    moves = [
        (self.describe_rules(listener_arn=None, rule_arns=[pair["RuleArn"]])[0], pair["Priority"])
        for pair in rule_priorities
    ]
    # "You can reorder the rules as long as there are no priority conflicts in the new order. Any
    # existing rules that you do not specify retain their current priority." (SetRulePriorities)
    moved = {rule.arn for rule, _ in moves}
    for rule, priority in moves:
        listener = self.describe_listeners(None, [rule.listener_arn])[0]
        for other in listener.rules.values():
            if other.arn not in moved and other.priority == priority:
                raise PriorityInUseError()
    for rule, priority in moves:
        rule.priority = priority
    return [rule for rule, _ in moves]


def _check_tagged_resource(backend, arn):
    """Raises the error DescribeTags answers for an ARN that names no resource."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    kind = resource.split("/", 1)[0]
    listeners = [lst for lb in backend.load_balancers.values() for lst in lb.listeners.values()]
    if kind == "loadbalancer" and arn not in backend.load_balancers:
        raise LoadBalancerNotFoundError()
    if kind == "targetgroup" and arn not in backend.target_groups:
        raise TargetGroupNotFoundError()
    if kind == "listener" and not any(lst.arn == arn for lst in listeners):
        raise ListenerNotFoundError()
    if kind == "listener-rule" and not any(rule.arn == arn for lst in listeners for rule in lst.rules.values()):
        raise RuleNotFoundError()
    if kind == "truststore":
        raise TrustStoreNotFoundError()


def describe_tags(self, resource_arns):
    # DescribeTags (Errors): an ARN that names nothing refuses the whole call.
    for arn in resource_arns:
        _check_tagged_resource(self, arn)
    return _original_describe_tags(self, resource_arns)


def _activate(self):
    """moto activates every load balancer at the first DescribeLoadBalancers; here the lifecycle
    walk does."""


def install():
    FakeLoadBalancer.state = lifecycle.status_property("_sw_state")
    FakeLoadBalancer.activate = _activate
    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_target_group = create_target_group
    ELBv2Backend.create_listener = create_listener
    ELBv2Backend.modify_listener = modify_listener
    ELBv2Backend.set_rule_priorities = set_rule_priorities
    ELBv2Backend.describe_tags = describe_tags
    lifecycle.settle_before(ELBV2Response)
