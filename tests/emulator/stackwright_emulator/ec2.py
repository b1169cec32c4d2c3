"""EC2: DependencyViolation for security groups and subnets in use; the NAT gateway lifecycle.

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
  its network interface released; a gateway that does not exist is ``NatGatewayNotFound``.

Every resource counts until its own lifecycle has removed it (a DB instance that is ``deleting``
still holds its security group).
"""

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models import EC2Backend
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.responses import EC2Response

from . import lifecycle

_delete_security_group = EC2Backend.delete_security_group
_delete_subnet = EC2Backend.delete_subnet
_create_nat_gateway = EC2Backend.create_nat_gateway
_delete_nat_gateway = EC2Backend.delete_nat_gateway


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
    return _delete_subnet(self, subnet_id)


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
        if eni is not None and eni.id in self.enis:
            self.delete_network_interface(eni.id)

    nat.state = "deleted"
    lifecycle.start(nat, ["deleting"], on_done=release)
    return nat


def install():
    NatGateway.state = lifecycle.status_property("_sw_status")
    EC2Backend.delete_security_group = delete_security_group
    EC2Backend.delete_subnet = delete_subnet
    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway
    lifecycle.settle_before(EC2Response)
