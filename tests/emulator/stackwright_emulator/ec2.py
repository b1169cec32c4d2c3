"""EC2: DependencyViolation for what is in use; the NAT gateway lifecycle; the VPC network rules.

moto 5.2.5 deletes a security group or a subnet whatever still uses it, and creates NAT gateways
``available`` and deletes them at once. Following the EC2 API Reference
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/):

* DeleteSecurityGroup answers ``DependencyViolation`` ("resource sg-... has a dependent object")
  while another security group's rule references the group (its own rules do not count), or while
  something the emulator knows is attached to it: an RDS DB instance (VpcSecurityGroups), an
  ElastiCache replication group or cache cluster (SecurityGroups), an ECS service or task in
  ``awsvpc`` mode (networkConfiguration securityGroups), an ELBv2 load balancer, an EFS mount
  target, an EC2 instance that is not terminated. In AWS all of these hold network interfaces in
  the group; the emulator asks the resources, because moto leaves some of its network interfaces
  behind (an ECS task's survives the task).
* DeleteSubnet answers ``DependencyViolation`` ("The subnet 'subnet-...' has dependencies and
  cannot be deleted.") while one of these sits in it: an RDS DB instance whose DB subnet group
  contains it, an ElastiCache cluster whose cache subnet group contains it, an ECS service or task,
  a load balancer, an EFS mount target, a NAT gateway not yet ``deleted``, an EC2 instance.
* CreateNatGateway: ``pending`` -> ``available``. DeleteNatGateway: ``deleting`` -> ``deleted``,
  its network interface released and its Elastic IP address disassociated (not released), as
  API_DeleteNatGateway.html says; a gateway that does not exist is ``NatGatewayNotFound``.

Every resource counts until its own lifecycle has removed it (a DB instance that is ``deleting``
still holds its security group).

The network of a VPC (moto accepts what AWS refuses, or forgets what AWS remembers):

* ``ClientToken`` on CreateNatGateway and CreateVpcEndpoint (Run_Instance_Idempotency.html,
  "Ensuring idempotency in Amazon EC2 API requests"): a request repeating a token returns the
  resource the first request created, whatever its state now, and echoes ``ClientToken``; the same
  token with other parameters is ``IdempotentParameterMismatch``. moto ignored the token (a second
  NAT gateway failed with ``Resource.AlreadyAssociated`` on its address, a second endpoint was made).
* ReleaseAddress of an address that is associated (in a nondefault VPC) is
  ``InvalidIPAddress.InUse`` (API_ReleaseAddress.html); moto released it.
* DetachInternetGateway while the VPC has mapped public addresses (a network interface in it with a
  public IP: an Elastic IP of a NAT gateway or instance) is ``DependencyViolation`` "Network vpc-...
  has some mapped public address(es). Please unmap those public address(es) before detaching the
  gateway." (API_DetachInternetGateway.html); moto detached.
* DeleteVpc is ``DependencyViolation`` "The vpc 'vpc-...' has dependencies and cannot be deleted."
  also while an internet gateway is attached, a VPC endpoint is not ``deleted`` or a security group
  other than the default one is in it (API_DeleteVpc.html: "You must detach or delete all gateways
  and resources that are associated with the VPC"); moto checked only subnets, route tables and
  VPN gateways.
* AssociateRouteTable for a subnet that already has an explicit association (with this route table
  or another) is ``Resource.AlreadyAssociated`` "the specified association for route table rtb-...
  conflicts with an existing association"; moto returned the existing association's id, even one of
  another route table.
* DeleteSubnet removes the subnet's route table association with it (a subnet in a custom route
  table can be deleted, and the route table then has no association left); moto left the
  association, so the route table could never be deleted.
* ModifyVpcEndpoint ``AddRouteTableIds`` / ``RemoveRouteTableIds`` of a Gateway endpoint add and
  remove the route to the service's prefix list in those route tables, as CreateVpcEndpoint does
  (API_ModifyVpcEndpoint.html); moto changed only the endpoint's list.
* DeleteVpcEndpoints reports an id that does not exist in ``Unsuccessful`` with
  ``InvalidVpcEndpoint.NotFound`` (errors.overview.html: "If you are performing a bulk request that
  is partially successful or unsuccessful, the response includes a list of the unsuccessful
  items"), and leaves an endpoint already ``deleted`` as it is; moto reported nothing, and failed
  with ``InvalidRoute.NotFound`` deleting a gateway endpoint twice or one whose route tables changed.
* DescribeNatGateways honours the filters ``tag:<key>`` (the gateway has the tag ``<key>`` with one
  of the values) and ``tag-key`` (it has a tag with one of the keys), as API_DescribeNatGateways.html
  lists them. As in every EC2 filter (API_Filter.html), a gateway matches a filter if it matches any
  of its values and must match every filter; a value may use the wildcards ``*`` (zero or more
  characters) and ``?`` (exactly one), and ``\\`` escapes them. moto ignored both filters and
  returned every NAT gateway of the region. (DescribeVpcs, DescribeSubnets, DescribeRouteTables,
  DescribeInternetGateways, DescribeAddresses and DescribeVpcEndpoints honour them in moto.)
"""

import re

from moto.core.responses import ActionResult
from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models import EC2Backend
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.responses import EC2Response
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.responses.vpcs import VPCs
from moto.ec2.utils import generate_route_id

from . import lifecycle

_delete_security_group = EC2Backend.delete_security_group
_delete_subnet = EC2Backend.delete_subnet
_create_nat_gateway = EC2Backend.create_nat_gateway
_delete_nat_gateway = EC2Backend.delete_nat_gateway
_release_address = EC2Backend.release_address
_detach_internet_gateway = EC2Backend.detach_internet_gateway
_delete_vpc = EC2Backend.delete_vpc
_associate_route_table = EC2Backend.associate_route_table
_modify_vpc_endpoint = EC2Backend.modify_vpc_endpoint
_describe_nat_gateways = EC2Backend.describe_nat_gateways
_create_nat_gateway_response = NatGateways.create_nat_gateway
_create_vpc_endpoint_response = VPCs.create_vpc_endpoint

IDEMPOTENT_MISMATCH = (
    "The request uses the same client token as a previous, but non-identical request. Do not reuse a "
    "client token with different requests, unless the requests are identical."
)


def _backend(service, account, region):
    """The moto backend of ``service`` for an account and region, if it was ever used (no backend
    is created by asking)."""
    from moto.backends import get_backend

    try:
        regions = dict.get(get_backend(service), account)
    except Exception:  # a service moto cannot load contributes nothing
        return None
    return dict.get(regions, region) if regions is not None else None


def _users(ec2):
    """(description, security group ids, subnet ids) of everything in ec2's account and region that
    holds network interfaces in a VPC."""
    account, region = ec2.account_id, ec2.region_name

    rds = _backend("rds", account, region)
    if rds is not None:
        for db in list(rds.databases.values()):
            subnet_group = rds.subnet_groups.get(getattr(db, "_db_subnet_group_name", None) or "")
            subnets = [s.id for s in getattr(subnet_group, "_subnets", [])]
            yield f"DB instance {db.db_instance_identifier}", list(getattr(db, "vpc_security_group_ids", []) or []), subnets

    cache = _backend("elasticache", account, region)
    if cache is not None:
        def cache_subnets(name):
            group = cache.cache_subnet_groups.get(name or "")
            return list(getattr(group, "subnet_ids", []) or [])

        for group in list(cache.replication_groups.values()):
            yield (f"replication group {group.replication_group_id}", list(group.security_group_ids or []),
                   cache_subnets(group.cache_subnet_group_name))
        for cluster in list(cache.cache_clusters.values()):
            yield (f"cache cluster {cluster.cache_cluster_id}", list(cluster.security_group_ids or []),
                   cache_subnets(cluster.cache_subnet_group_name))

    ecs = _backend("ecs", account, region)
    if ecs is not None:
        for service in list(ecs.services.values()):
            if getattr(service, "status", None) == "INACTIVE":
                continue
            config = (getattr(service, "network_configuration", None) or {}).get("awsvpcConfiguration") or {}
            yield f"ECS service {service.name}", list(config.get("securityGroups") or []), list(config.get("subnets") or [])
        for tasks in list(getattr(ecs, "tasks", {}).values()):
            for task in list(tasks.values()):
                if getattr(task, "last_status", None) == "STOPPED":
                    continue
                config = (getattr(task, "network_configuration", None) or {}).get("awsvpcConfiguration") or {}
                if config:
                    yield f"ECS task {task.id}", list(config.get("securityGroups") or []), list(config.get("subnets") or [])[:1]

    elbv2 = _backend("elbv2", account, region)
    if elbv2 is not None:
        for lb in list(elbv2.load_balancers.values()):
            subnets = [getattr(s, "id", s) for s in lb.subnets or []]
            yield f"load balancer {lb.name}", list(lb.security_groups or []), subnets

    efs = _backend("efs", account, region)
    if efs is not None:
        for target in list(efs.mount_targets_by_id.values()):
            yield f"mount target {target.mount_target_id}", list(target.security_groups or []), [target.subnet_id]

    for nat in list(ec2.nat_gateways.values()):
        if nat.state not in ("deleted", "failed"):
            yield f"NAT gateway {nat.id}", [], [nat.subnet_id]

    for reservation in list(ec2.reservations.values()):
        for instance in reservation.instances:
            if instance.state in ("terminated",):
                continue
            groups = [getattr(g, "id", g) for g in instance.security_groups or []]
            yield f"instance {instance.id}", groups, [instance.subnet_id] if instance.subnet_id else []


def delete_security_group(self, name=None, group_id=None):
    lifecycle.settle()
    group = self.get_security_group_by_name_or_id(group_id or name)
    if group is not None:
        referenced = any(
            rule.source_group.get("GroupId") == group.id
            for other in self.describe_security_groups()
            if other.id != group.id
            for rule in other.ingress_rules + other.egress_rules
        )
        attached = any(group.id in groups for _what, groups, _subnets in _users(self))
        if referenced or attached:
            raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return _delete_security_group(self, name=name, group_id=group_id)


def delete_subnet(self, subnet_id):
    lifecycle.settle()
    if any(subnet_id in subnets for _what, _groups, subnets in _users(self)):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    subnet = _delete_subnet(self, subnet_id)
    for table in list(self.route_tables.values()):
        for association_id, target in list(table._associations.items()):
            if target == subnet_id:
                del table._associations[association_id]
    return subnet


def create_nat_gateway(self, *args, **kwargs):
    nat = _create_nat_gateway(self, *args, **kwargs)
    lifecycle.start(nat, ["pending"])
    return nat


def delete_nat_gateway(self, nat_gateway_id):
    nat = self.nat_gateways.get(nat_gateway_id)
    if nat is None:
        raise EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
    if nat.state in ("deleting", "deleted"):
        return nat

    def release():
        eni = getattr(nat, "_eni", None)
        if eni is None:
            return
        for address in list(self.addresses):
            if address.eni is eni and address.association_id:
                self.disassociate_address(association_id=address.association_id)
        if eni.id in self.enis:
            self.delete_network_interface(eni.id)

    nat.state = "deleted"
    lifecycle.start(nat, ["deleting"], on_done=release)
    return nat


def _replay(existing, request, token, key):
    """The answer to a repeated client token: the first request's resource, or a mismatch."""
    if existing.__dict__.get("_sw_request") != request:
        raise EC2ClientError("IdempotentParameterMismatch", IDEMPOTENT_MISMATCH)
    return ActionResult({key: existing, "ClientToken": token})


def _idempotent(response, token, request, existing, create, key):
    """A create with ClientToken `token`: the resource an earlier request with the token made, if
    any (`_replay` checks the parameters), else a new one that remembers the token and request."""
    if token:
        for resource in list(existing.values()):
            if resource.__dict__.get("_sw_client_token") == token:
                return _replay(resource, request, token, key)
    result = create(response)
    if token:
        resource = result.result[key]
        resource.__dict__["_sw_client_token"] = token
        resource.__dict__["_sw_request"] = request
        result.result["ClientToken"] = token
    return result


def create_nat_gateway_response(self):
    token = self._get_param("ClientToken")
    request = (
        self._get_param("SubnetId"),
        self._get_param("AllocationId"),
        self._get_param("ConnectivityType") or "public",
        tuple(self._get_param("SecondaryAllocationIds", []) or []),
    )
    return _idempotent(self, token, request, self.ec2_backend.nat_gateways, _create_nat_gateway_response, "NatGateway")


def create_vpc_endpoint_response(self):
    token = self._get_param("ClientToken")
    request = (
        self._get_param("VpcId"),
        self._get_param("ServiceName"),
        self._get_param("VpcEndpointType") or "Gateway",
        tuple(sorted(self._get_param("RouteTableIds", []) or [])),
        tuple(sorted(self._get_param("SubnetIds", []) or [])),
        tuple(sorted(self._get_param("SecurityGroupIds", []) or [])),
    )
    return _idempotent(
        self, token, request, self.ec2_backend.vpc_end_points, _create_vpc_endpoint_response, "VpcEndpoint"
    )


def release_address(self, address=None, allocation_id=None):
    if address:
        eips = self.address_by_ip([address])
    elif allocation_id:
        eips = self.address_by_allocation([allocation_id])
    else:
        eips = []
    for eip in eips:
        if eip.association_id and not _in_default_vpc(self, eip):
            raise EC2ClientError("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
    return _release_address(self, address=address, allocation_id=allocation_id)


def _in_default_vpc(ec2, eip):
    eni = eip.eni or (eip.instance.nics[0] if eip.instance and eip.instance.nics else None)
    subnet = getattr(eni, "subnet", None)
    vpc = ec2.vpcs.get(getattr(subnet, "vpc_id", None) or "")
    return bool(vpc is not None and vpc.is_default)


def detach_internet_gateway(self, internet_gateway_id, vpc_id):
    lifecycle.settle()
    igw = self.get_internet_gateway(internet_gateway_id)
    if igw.vpc is not None and igw.vpc.id == vpc_id:
        mapped = any(
            eni.public_ip and getattr(eni.subnet, "vpc_id", None) == vpc_id for eni in list(self.enis.values())
        )
        if mapped:
            raise DependencyViolationError(
                f"Network {vpc_id} has some mapped public address(es). "
                "Please unmap those public address(es) before detaching the gateway."
            )
    return _detach_internet_gateway(self, internet_gateway_id, vpc_id)


def delete_vpc(self, vpc_id):
    lifecycle.settle()
    if vpc_id in self.vpcs:
        attached = any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in self.internet_gateways.values())
        endpoints = any(e.vpc_id == vpc_id and e.state != "deleted" for e in self.vpc_end_points.values())
        groups = any(
            g.name != "default" for g in self.describe_security_groups(filters={"vpc-id": [vpc_id]})
        )
        if attached or endpoints or groups:
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return _delete_vpc(self, vpc_id)


def associate_route_table(self, route_table_id, gateway_id=None, subnet_id=None):
    if subnet_id is not None:
        self.get_route_table(route_table_id)
        if any(subnet_id in table._associations.values() for table in self.route_tables.values()):
            raise EC2ClientError(
                "Resource.AlreadyAssociated",
                f"the specified association for route table {route_table_id} conflicts with an existing association",
            )
    return _associate_route_table(self, route_table_id, gateway_id=gateway_id, subnet_id=subnet_id)


def _is_gateway(endpoint):
    return (endpoint.vpc_endpoint_type or "Gateway").lower() == "gateway"


def _endpoint_route(ec2, endpoint, route_table_id, present):
    """Adds (present) or removes the route of a Gateway endpoint to its service's prefix list."""
    prefix_list = endpoint.destination_prefix_list_id
    table = ec2.route_tables.get(route_table_id)
    if not prefix_list or table is None:
        return
    route_id = generate_route_id(route_table_id, None, None, prefix_list)
    if present and route_id not in table._routes:
        ec2.create_route(route_table_id, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list)
    elif not present:
        table._routes.pop(route_id, None)


def modify_vpc_endpoint(self, vpc_id, policy_doc, add_subnets, remove_subnets, remove_route_tables,
                        add_route_tables, add_security_groups, remove_security_groups):
    endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
    before = set(endpoint.route_table_ids)
    _modify_vpc_endpoint(self, vpc_id, policy_doc, add_subnets, remove_subnets, remove_route_tables,
                         add_route_tables, add_security_groups, remove_security_groups)
    if _is_gateway(endpoint):
        after = set(endpoint.route_table_ids)
        for table in before - after:
            _endpoint_route(self, endpoint, table, present=False)
        for table in after - before:
            _endpoint_route(self, endpoint, table, present=True)


def delete_vpc_endpoints(self, vpce_ids=None):
    for vpce_id in vpce_ids or []:
        endpoint = self.vpc_end_points.get(vpce_id)
        if endpoint is None or endpoint.state == "deleted":
            continue
        if _is_gateway(endpoint):
            for table in endpoint.route_table_ids:
                _endpoint_route(self, endpoint, table, present=False)
        else:
            for eni_id in endpoint.network_interface_ids:
                self.enis.pop(eni_id, None)
        endpoint.state = "deleted"


def delete_vpc_endpoints_response(self):
    ids = self._get_param("VpcEndpointIds", []) or []
    unsuccessful = [
        {
            "Error": {"Code": "InvalidVpcEndpoint.NotFound", "Message": f"The VpcEndpoint Id '{i}' does not exist"},
            "ResourceId": i,
        }
        for i in ids
        if i not in self.ec2_backend.vpc_end_points
    ]
    self.ec2_backend.delete_vpc_endpoints(vpce_ids=[i for i in ids if i in self.ec2_backend.vpc_end_points])
    return ActionResult({"Unsuccessful": unsuccessful})


def _filter_value_pattern(value):
    """The regular expression of an EC2 filter value: ``*`` is zero or more characters, ``?`` exactly
    one, a backslash makes the next character literal (``\\*amazon\\?\\\\`` is ``*amazon?\\``)."""
    parts, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            i += 1
            parts.append(re.escape(value[i]))
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _is_tag_filter(name):
    return name.startswith("tag:") or name == "tag-key"


def _matches_tag_filters(resource, filters):
    """Whether resource matches every ``tag:<key>`` / ``tag-key`` filter (any value of each)."""
    tags = {tag["key"]: tag["value"] for tag in resource.get_tags()}
    for name, values in filters.items():
        if name == "tag-key":
            candidates = list(tags)
        else:
            key = name[len("tag:"):]
            candidates = [tags[key]] if key in tags else []
        patterns = [_filter_value_pattern(value) for value in values or []]
        if not any(pattern.fullmatch(candidate) for pattern in patterns for candidate in candidates):
            return False
    return True


def describe_nat_gateways(self, filters, nat_gateway_ids):
    tag_filters = {name: values for name, values in (filters or {}).items() if _is_tag_filter(name)}
    if not tag_filters:
        return _describe_nat_gateways(self, filters, nat_gateway_ids)
    others = {name: values for name, values in filters.items() if not _is_tag_filter(name)}
    nat_gateways = _describe_nat_gateways(self, others, nat_gateway_ids)
    return [nat for nat in nat_gateways if _matches_tag_filters(nat, tag_filters)]


def install():
    NatGateway.state = lifecycle.status_property("_sw_status")
    EC2Backend.delete_security_group = delete_security_group
    EC2Backend.delete_subnet = delete_subnet
    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway
    EC2Backend.release_address = release_address
    EC2Backend.detach_internet_gateway = detach_internet_gateway
    EC2Backend.delete_vpc = delete_vpc
    EC2Backend.associate_route_table = associate_route_table
    EC2Backend.modify_vpc_endpoint = modify_vpc_endpoint
    EC2Backend.delete_vpc_endpoints = delete_vpc_endpoints
    EC2Backend.describe_nat_gateways = describe_nat_gateways
    NatGateways.create_nat_gateway = create_nat_gateway_response
    VPCs.create_vpc_endpoint = create_vpc_endpoint_response
    VPCs.delete_vpc_endpoints = delete_vpc_endpoints_response
    lifecycle.settle_before(EC2Response)
