"""ElastiCache (Redis OSS / Valkey): parameter groups, replication group members and lifecycle.

What moto 5.2.5 lacks or gets wrong, and what this extension does instead, following the
ElastiCache API Reference (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/):

* Cache parameter groups do not exist in moto (HTTP 500). Here: CreateCacheParameterGroup,
  DescribeCacheParameterGroups, ModifyCacheParameterGroup, ResetCacheParameterGroup,
  DeleteCacheParameterGroup, DescribeCacheParameters, DescribeEngineDefaultParameters, for the
  families ``redis7``, ``valkey7`` and ``valkey8`` with their ``default.<family>`` groups. The
  parameters are a subset of the engine's (``maxmemory-policy`` with its allowed values,
  ``appendonly``, ``appendfsync``, ``timeout``, ``maxmemory-samples``, ...) with ElastiCache's
  defaults; values are checked against the allowed values. Errors: ``CacheParameterGroupNotFound``,
  ``CacheParameterGroupAlreadyExists``, ``InvalidCacheParameterGroupState`` when deleting a group a
  cache cluster still uses, ``InvalidParameterValue``. Groups are taggable by ARN
  (``arn:aws:elasticache:<region>:<account>:parametergroup:<name>``).
* CreateReplicationGroup (cluster mode disabled) ignores ``NumCacheClusters`` in moto. Here the
  group has that many member clusters, ``<id>-001`` the primary and the rest replicas, in
  ``MemberClusters`` and ``NodeGroups[0].NodeGroupMembers`` (``CurrentRole`` primary/replica),
  with ``PrimaryEndpoint`` and ``ReaderEndpoint``. Each member is a cache cluster of its own in
  DescribeCacheClusters, carrying what the replication group data type has no member for:
  ``EngineVersion`` (a major.minor request reported as the patch release it runs, "7.1" as
  "7.1.0"), ``CacheParameterGroup``, ``SecurityGroups``, ``CacheSubnetGroupName``.
  Checked as AWS does: a parameter group and subnet group that exist, an AUTH token only with
  transit encryption, automatic failover only with a replica, Multi-AZ only with automatic failover.
* Lifecycles, one delay per step: replication groups and cache clusters ``creating`` ->
  ``available``; ModifyReplicationGroup, IncreaseReplicaCount and DecreaseReplicaCount
  ``modifying`` -> ``available`` with the new values; DeleteReplicationGroup and DeleteCacheCluster
  ``deleting`` -> gone (moto leaves them ``deleting`` forever), with ``FinalSnapshotIdentifier``
  a snapshot ``creating`` -> ``available`` that outlives the group. Modify and delete need the group
  ``available`` (``InvalidReplicationGroupState``), and so does tagging it.
* ModifyReplicationGroup in moto takes six parameters. Here also ``CacheParameterGroupName``,
  ``SecurityGroupIds``, ``EngineVersion``, ``SnapshotWindow``, ``PreferredMaintenanceWindow``,
  ``AuthToken``, ``TransitEncryptionEnabled``. ``ApplyImmediately`` defaults to false: a new node
  type or engine version then waits in the member clusters' ``PendingModifiedValues`` for a
  maintenance window (control route ``POST /stackwright-emulator/elasticache/maintenance-window``).
* DeleteCacheSubnetGroup does not exist in moto. Here it does, refusing with
  ``CacheSubnetGroupInUse`` while a cache cluster uses the group.
* ModifyCacheSubnetGroup does not exist in moto. Here it replaces the group's subnets and
  description, keeping its ARN and tags; a subnet that does not exist is ``InvalidSubnet``, as are
  subnets in more than one VPC (moto's check on create).
"""

import inspect

from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.elasticache.exceptions import (
    CacheClusterNotFound,
    CacheSubnetGroupNotFound,
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    InvalidSubnet,
    ReplicationGroupNotFound,
    SnapshotAlreadyExists,
)
from moto.elasticache.models import (
    CacheCluster,
    CacheSubnetGroup,
    ElastiCacheBackend,
    ReplicationGroup,
    Snapshot,
    elasticache_backends,
)
from moto.elasticache.responses import ElastiCacheResponse
from moto.core.responses import ActionResult, EmptyResult

from . import control, lifecycle

# --------------------------------------------------------------------------------------------
# Parameters. (name, default, data type, allowed values, modifiable, change type, description)
# Defaults and allowed values as in ElastiCache's "Redis OSS-specific parameters" and
# "Valkey-specific parameters" (ElastiCache User Guide, ParameterGroups.Engine).

_PARAMETERS = [
    ("activedefrag", "no", "string", "yes,no", True, "immediate", "Enabled active memory defragmentation"),
    ("activerehashing", "yes", "string", "yes,no", True, "requires-reboot", "Apply rehashing or not."),
    ("appendfsync", "everysec", "string", "always,everysec,no", True, "immediate",
     "fsync policy for AOF persistence"),
    ("appendonly", "no", "string", "yes,no", True, "immediate", "Enable Redis persistence."),
    ("close-on-replica-write", "yes", "string", "yes,no", True, "immediate",
     "If enabled, clients who attempt to write to a read-only replica will be disconnected."),
    ("cluster-enabled", "no", "string", "yes,no", True, "requires-reboot", "Enable cluster mode"),
    ("databases", "16", "integer", "1-1200000", True, "requires-reboot", "Set the number of databases."),
    ("lazyfree-lazy-eviction", "no", "string", "yes,no", True, "immediate",
     "Perform an asynchronous delete on evictions"),
    ("lazyfree-lazy-expire", "no", "string", "yes,no", True, "immediate",
     "Perform an asynchronous delete on expired keys"),
    ("lazyfree-lazy-server-del", "no", "string", "yes,no", True, "immediate",
     "Perform an asynchronous delete on key updates"),
    ("lfu-decay-time", "1", "integer", "0-", True, "immediate",
     "The amount of time in minutes to decrement the key counter for LFU eviction policy"),
    ("lfu-log-factor", "10", "integer", "1-", True, "immediate",
     "The log factor for incrementing key counter for LFU eviction policy"),
    ("maxclients", "65000", "integer", "1-65000", False, "requires-reboot",
     "The maximum number of Redis clients."),
    ("maxmemory-policy", "volatile-lru", "string",
     "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction",
     True, "immediate", "Max memory policy."),
    ("maxmemory-samples", "3", "integer", "1-", True, "immediate", "Max memory samples."),
    ("notify-keyspace-events", None, "string", None, True, "immediate",
     "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled"),
    ("reserved-memory-percent", "25", "integer", "0-100", True, "immediate",
     "The percent of memory to reserve for non-data memory usage."),
    ("slowlog-log-slower-than", "10000", "integer", "-", True, "immediate",
     "The execution time, in microseconds, to exceed in order for the command to get logged."),
    ("slowlog-max-len", "128", "integer", "0-", True, "immediate", "The length of the slow log."),
    ("tcp-keepalive", "300", "integer", "0-", True, "immediate",
     "If non-zero, send ACKs every given number of seconds."),
    ("timeout", "0", "integer", "0,20-", True, "immediate",
     "Close connection if client is idle for a given number of seconds, or never if 0."),
]
# family -> (engine, the lowest engine version of the family)
FAMILIES = {"redis7": ("redis", "7.0.4"), "valkey7": ("valkey", "7.2.4"), "valkey8": ("valkey", "8.0.0")}
DEFAULT_ENGINE_VERSION = {"redis": "7.1.0", "valkey": "8.0.1"}
# A version asked for as major.minor runs as that line's patch release, which is what the member
# clusters report (ElastiCache User Guide, "Supported engines and versions").
PATCH_RELEASE = {
    ("redis", "6.x"): "6.2.6", ("redis", "6.2"): "6.2.6", ("redis", "7.0"): "7.0.7", ("redis", "7.1"): "7.1.0",
    ("valkey", "7.2"): "7.2.6", ("valkey", "8.0"): "8.0.1", ("valkey", "8.1"): "8.1.0",
}


def engine_version(engine: str, requested: str | None) -> str:
    if not requested:
        return DEFAULT_ENGINE_VERSION[engine]
    return PATCH_RELEASE.get((engine, requested), requested)


def family_of(engine: str, version: str | None) -> str:
    engine = (engine or "redis").lower()
    major = (version or DEFAULT_ENGINE_VERSION.get(engine, "7")).split(".")[0]
    return f"{engine}{major}" if int(major) >= 7 else f"{engine}{major}.x"


def _allowed(value: str, data_type: str, allowed: str | None) -> bool:
    """Whether ``value`` is among ``allowed``: a comma-separated list of words, or for integers of
    numbers and ranges ("1-75", "20-" for 20 and above, "-" for any)."""
    if allowed is None:
        return True
    if data_type != "integer":
        return value in allowed.split(",")
    try:
        number = int(value)
    except ValueError:
        return False
    for part in allowed.split(","):
        low, dash, high = part.partition("-")
        if not dash:
            if number == int(part):
                return True
        elif (not low or number >= int(low)) and (not high or number <= int(high)):
            return True
    return False


class CacheParameterGroup:
    """A cache parameter group: the API's CacheParameterGroup data type plus the values set."""

    def __init__(self, account_id, region, name, family, description):
        self.cache_parameter_group_name = name
        self.cache_parameter_group_family = family
        self.description = description
        self.is_global = False
        self.arn = f"arn:aws:elasticache:{region}:{account_id}:parametergroup:{name}"
        self.values: dict[str, str] = {}

    @property
    def is_default(self) -> bool:
        return self.cache_parameter_group_name.startswith("default.")

    def parameters(self, source: str | None = None) -> list[dict]:
        minimum = FAMILIES[self.cache_parameter_group_family][1]
        result = []
        for name, default, data_type, allowed, modifiable, change_type, description in _PARAMETERS:
            user = name in self.values
            item_source = "user" if user else "system"
            if source and source != item_source and not (source == "engine-default" and not user):
                continue
            item = {
                "ParameterName": name,
                "Description": description,
                "Source": item_source,
                "DataType": data_type,
                "IsModifiable": modifiable,
                "MinimumEngineVersion": minimum,
                "ChangeType": change_type,
            }
            value = self.values.get(name, default)
            if value is not None:
                item["ParameterValue"] = value
            if allowed is not None:
                item["AllowedValues"] = allowed
            result.append(item)
        return result


def _not_found(name):
    return ElastiCacheException("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")


def _groups(backend) -> dict[str, CacheParameterGroup]:
    groups = backend.__dict__.get("_sw_parameter_groups")
    if groups is None:
        groups = backend.__dict__["_sw_parameter_groups"] = {
            f"default.{family}": CacheParameterGroup(
                backend.account_id, backend.region_name, f"default.{family}", family,
                f"Default parameter group for {family}",
            )
            for family in FAMILIES
        }
    return groups


def _group(backend, name) -> CacheParameterGroup:
    group = _groups(backend).get(name)
    if group is None:
        raise _not_found(name)
    return group


def _in_use(backend, name) -> bool:
    clusters = backend.cache_clusters.values()
    return any(c.cache_parameter_group_name == name for c in clusters) or any(
        getattr(g, "cache_parameter_group_name", None) == name for g in backend.replication_groups.values()
    )


def create_cache_parameter_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    family = self._get_param("CacheParameterGroupFamily")
    groups = _groups(backend)
    if name in groups:
        raise ElastiCacheException(
            "CacheParameterGroupAlreadyExists", f"Cache parameter group {name} already exists."
        )
    if family not in FAMILIES:
        raise InvalidParameterValueException(
            f"The parameter CacheParameterGroupFamily has an invalid value: {family}. "
            f"Valid values: {', '.join(FAMILIES)}"
        )
    group = CacheParameterGroup(backend.account_id, backend.region_name, name, family,
                                self._get_param("Description"))
    groups[name] = group
    tags = self._get_param("Tags") or []
    if tags:
        backend.tagging_service.tag_resource(group.arn, tags)
    return ActionResult({"CacheParameterGroup": group})


def describe_cache_parameter_groups(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    groups = [_group(backend, name)] if name else list(_groups(backend).values())
    return ActionResult({"CacheParameterGroups": groups})


def modify_cache_parameter_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    group = _group(backend, name)
    if group.is_default:
        raise InvalidParameterValueException(f"Default parameter group {name} cannot be modified.")
    definitions = {p[0]: p for p in _PARAMETERS}
    changes = {}
    for item in self._get_param("ParameterNameValues") or []:
        parameter, value = item.get("ParameterName"), item.get("ParameterValue")
        definition = definitions.get(parameter)
        if definition is None:
            raise InvalidParameterValueException(f"Unknown parameter: {parameter}")
        _n, _default, data_type, allowed, modifiable, _change, _doc = definition
        if not modifiable:
            raise InvalidParameterValueException(f"Parameter {parameter} is not modifiable.")
        if value is None or not _allowed(str(value), data_type, allowed):
            raise InvalidParameterValueException(
                f"Invalid value {value} for parameter {parameter}. Allowed values: {allowed}"
            )
        changes[parameter] = str(value)
    group.values.update(changes)
    return ActionResult({"CacheParameterGroupName": name})


def reset_cache_parameter_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    group = _group(backend, name)
    reset_all = self._get_bool_param("ResetAllParameters")
    names = [p.get("ParameterName") for p in self._get_param("ParameterNameValues") or []]
    if reset_all and names:
        raise InvalidParameterCombinationException(
            "ResetAllParameters and ParameterNameValues cannot be specified together."
        )
    if reset_all:
        group.values.clear()
    else:
        for parameter in names:
            group.values.pop(parameter, None)
    return ActionResult({"CacheParameterGroupName": name})


def delete_cache_parameter_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    group = _group(backend, name)
    if group.is_default:
        raise InvalidParameterValueException(f"Default parameter group {name} cannot be deleted.")
    if _in_use(backend, name):
        raise ElastiCacheException(
            "InvalidCacheParameterGroupState",
            f"One or more cache clusters are still members of this parameter group {name}, "
            "so the group cannot be deleted.",
        )
    del _groups(backend)[name]
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


def describe_cache_parameters(self):
    group = _group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
    return ActionResult(
        {"Parameters": group.parameters(self._get_param("Source")), "CacheNodeTypeSpecificParameters": []}
    )


def describe_engine_default_parameters(self):
    family = self._get_param("CacheParameterGroupFamily")
    if family not in FAMILIES:
        raise InvalidParameterValueException(f"The parameter CacheParameterGroupFamily has an invalid value: {family}")
    defaults = CacheParameterGroup("", "", f"default.{family}", family, "")
    return ActionResult(
        {
            "EngineDefaults": {
                "CacheParameterGroupFamily": family,
                "Parameters": defaults.parameters(),
                "CacheNodeTypeSpecificParameters": [],
            }
        }
    )


# --------------------------------------------------------------------------------------------
# Cache clusters: the members of replication groups, and standalone ones.

_cluster_parameters = list(inspect.signature(CacheCluster.__init__).parameters)[1:]


def _new_cluster(backend, cache_cluster_id, group, az) -> CacheCluster:
    fields = {name: None for name in _cluster_parameters}
    fields.update(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=cache_cluster_id,
        cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id,
        preferred_availability_zone=az,
        num_cache_nodes=1,
        engine=group.engine,
        engine_version=group.engine_version,
        cache_parameter_group_name=group.cache_parameter_group_name,
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        preferred_maintenance_window=group.preferred_maintenance_window,
        port=group.port,
        auto_minor_version_upgrade=group.auto_minor_version_upgrade,
        snapshot_retention_limit=group.snapshot_retention_limit,
        snapshot_window=group.snapshot_window,
        security_group_ids=list(group.security_group_ids or []),
        log_delivery_configurations=[],
        tags=[],
    )
    cluster = CacheCluster(**fields)
    # moto sets these only for engine "redis"; a Valkey member is a replication group member too.
    cluster.replication_group_id = group.replication_group_id
    cluster.num_cache_nodes = 1
    cluster.snapshot_window = group.snapshot_window
    cluster.auth_token_enabled = group.auth_token_enabled
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    cluster.pending_modified_values = {}
    return cluster


def _cluster_parameter_group(self):
    name = self.cache_parameter_group_name or f"default.{family_of(self.engine, self.engine_version)}"
    return {"CacheParameterGroupName": name, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}


def _cluster_security_groups(self):
    return [{"SecurityGroupId": group_id, "Status": "active"} for group_id in self.security_group_ids or []]


def _azs(backend, group, preferred):
    if preferred:
        return list(preferred)
    subnet_group = backend.cache_subnet_groups.get(group.cache_subnet_group_name or "")
    zones = []
    for subnet in getattr(subnet_group, "subnets", []) or []:
        zone = subnet.get("subnet_availability_zone")
        zone = zone.get("Name") if isinstance(zone, dict) else zone
        if zone and zone not in zones:
            zones.append(zone)
    return zones or [f"{backend.region_name}a", f"{backend.region_name}b"]


def _set_members(backend, group, count, preferred_azs=None) -> list[CacheCluster]:
    """Make the group's members ``<id>-001`` (primary) .. ``<id>-<count>`` (replicas), keeping
    those that exist; returns the new cache clusters (already in the backend)."""
    node_group = group.node_groups[0]
    domain = node_group["primary_endpoint_address"].split(".", 1)[1]
    node_group["reader_endpoint"] = {"address": f"replica.{domain}", "port": group.port}
    zones = _azs(backend, group, preferred_azs)
    existing = {m["cache_cluster_id"]: m for m in node_group["node_group_members"]}
    members, created = [], []
    for index in range(count):
        cluster_id = f"{group.replication_group_id}-{index + 1:03d}"
        member = existing.get(cluster_id) or {
            "cache_cluster_id": cluster_id,
            "cache_node_id": "0001",
            "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
            "preferred_availability_zone": zones[index % len(zones)],
        }
        member["current_role"] = "primary" if index == 0 else "replica"
        members.append(member)
        if cluster_id not in backend.cache_clusters:
            cluster = _new_cluster(backend, cluster_id, group, member["preferred_availability_zone"])
            backend.cache_clusters[cluster_id] = cluster
            created.append(cluster)
    for cluster_id in set(existing) - {m["cache_cluster_id"] for m in members}:
        backend.cache_clusters.pop(cluster_id, None)
    node_group["node_group_members"] = members
    group.member_clusters = [m["cache_cluster_id"] for m in members]
    group.primary_cluster_id = group.member_clusters[0]
    if group.snapshot_retention_limit:
        group.snapshotting_cluster_id = group.member_clusters[-1]
    return created


def _member_clusters(backend, group) -> list[CacheCluster]:
    return [backend.cache_clusters[c] for c in group.member_clusters if c in backend.cache_clusters]


def _walk_group(backend, group, steps, on_done=None):
    """Walk the group, its node groups and its member clusters through ``steps``."""

    def done():
        if on_done is not None:
            on_done()
        for node_group in group.node_groups:
            node_group["status"] = "available"

    for node_group in group.node_groups:
        node_group["status"] = steps[0]
    walk = lifecycle.start(group, steps, on_done=done)
    for cluster in _member_clusters(backend, group):
        previous = cluster.__dict__.get("_sw_walk")
        if previous is not None and previous is not walk:
            previous.cancel()
        cluster.__dict__["_sw_walk"] = walk
    return walk


# --------------------------------------------------------------------------------------------
# Replication groups.

_create_group = ElastiCacheBackend.create_replication_group
_create_cluster = ElastiCacheBackend.create_cache_cluster
_create_snapshot = ElastiCacheBackend.create_snapshot


def _check_parameter_group(backend, name):
    if name:
        _group(backend, name)


def create_replication_group(self, **kwargs):
    engine = (kwargs.get("engine") or "redis").lower()
    if engine not in ("redis", "valkey"):
        raise InvalidParameterValueException(f"Invalid engine: {kwargs.get('engine')}. Valid values: redis, valkey")
    kwargs["engine"] = engine
    kwargs["engine_version"] = engine_version(engine, kwargs.get("engine_version"))
    _check_parameter_group(self, kwargs.get("cache_parameter_group_name"))
    subnet_group = kwargs.get("cache_subnet_group_name")
    if subnet_group and subnet_group not in self.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(subnet_group)
    if kwargs.get("auth_token") and not kwargs.get("transit_encryption_enabled"):
        raise InvalidParameterValueException(
            "The AUTH token is only supported when encryption-in-transit is enabled"
        )
    clustered = (kwargs.get("cluster_mode") or "disabled") == "enabled" or (kwargs.get("num_node_groups") or 1) > 1
    count = kwargs.get("num_cache_clusters") or ((kwargs.get("replicas_per_node_group") or 0) + 1)
    if not clustered:
        if kwargs.get("automatic_failover_enabled") and count < 2:
            raise InvalidParameterCombinationException(
                "Replication group must have at least one read replica to enable autofailover."
            )
        if kwargs.get("multi_az_enabled") and not kwargs.get("automatic_failover_enabled"):
            raise InvalidParameterCombinationException(
                "Multi-AZ is only supported with automatic failover enabled."
            )
    group = _create_group(self, **kwargs)
    group.cache_node_type = kwargs.get("cache_node_type") or group.cache_node_type
    group.cache_parameter_group_name = kwargs.get("cache_parameter_group_name") or (
        f"default.{family_of(engine, group.engine_version)}"
    )
    group.security_group_ids = list(kwargs.get("security_group_ids") or [])
    if not clustered:
        group.node_groups[0]["node_group_members"] = []
        _set_members(self, group, count, kwargs.get("preferred_cache_cluster_azs"))
    _walk_group(self, group, ["creating"])
    return group


def _require_available(group):
    if group.status != "available":
        raise ElastiCacheException(
            "InvalidReplicationGroupState", "Replication group must be in available state to modify."
        )


def _get_group(backend, group_id) -> ReplicationGroup:
    group = backend.replication_groups.get(group_id)
    if group is None:
        raise ReplicationGroupNotFound(group_id)
    return group


# ModifyReplicationGroup request member -> (replication group attribute, member cluster attribute)
_MODIFIABLE = {
    "CacheNodeType": ("cache_node_type", "cache_node_type"),
    "EngineVersion": ("engine_version", "engine_version"),
    "CacheParameterGroupName": ("cache_parameter_group_name", "cache_parameter_group_name"),
    "SecurityGroupIds": ("security_group_ids", "security_group_ids"),
    "SnapshotRetentionLimit": ("snapshot_retention_limit", "snapshot_retention_limit"),
    "SnapshotWindow": ("snapshot_window", "snapshot_window"),
    "PreferredMaintenanceWindow": ("preferred_maintenance_window", "preferred_maintenance_window"),
    "ReplicationGroupDescription": ("description", None),
    "TransitEncryptionEnabled": ("transit_encryption_enabled", "transit_encryption_enabled"),
}
# Applied at the next maintenance window unless ApplyImmediately (CacheCluster PendingModifiedValues).
_DEFERRED = {"CacheNodeType", "EngineVersion"}


def _apply(backend, group, changes: dict) -> None:
    for member, value in changes.items():
        if member == "AutomaticFailoverEnabled":
            group.automatic_failover = "enabled" if value else "disabled"
        elif member == "MultiAZEnabled":
            group.multi_az = "enabled" if value else "disabled"
        elif member == "AuthToken":
            group.auth_token_enabled = True
            group.auth_token_last_modified_date = utcnow()
            for cluster in _member_clusters(backend, group):
                cluster.auth_token_enabled = True
                cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
        else:
            group_attribute, cluster_attribute = _MODIFIABLE[member]
            setattr(group, group_attribute, value)
            if cluster_attribute:
                for cluster in _member_clusters(backend, group):
                    setattr(cluster, cluster_attribute, value)
    if group.snapshot_retention_limit and not group.snapshotting_cluster_id:
        group.snapshotting_cluster_id = group.member_clusters[-1]
    if "EngineVersion" in changes or "CacheNodeType" in changes:
        for cluster in _member_clusters(backend, group):
            for member in ("EngineVersion", "CacheNodeType"):
                if member in changes:
                    cluster.pending_modified_values.pop(member, None)


def _pending_of(backend, group) -> dict:
    pending = {}
    for cluster in _member_clusters(backend, group):
        pending.update(cluster.pending_modified_values)
    return pending


def modify_replication_group(self):
    backend = self.elasticache_backend
    group = _get_group(backend, self._get_param("ReplicationGroupId"))
    _require_available(group)
    requested = {}
    for member in list(_MODIFIABLE) + ["AutomaticFailoverEnabled", "MultiAZEnabled", "AuthToken"]:
        value = self._get_param(member)
        if value is not None:
            requested[member] = value
    if "EngineVersion" in requested:
        requested["EngineVersion"] = engine_version(group.engine, requested["EngineVersion"])
    _check_parameter_group(backend, requested.get("CacheParameterGroupName"))
    failover = requested.get("AutomaticFailoverEnabled", group.automatic_failover == "enabled")
    if failover and len(group.member_clusters) < 2:
        raise InvalidParameterCombinationException(
            "Replication group must have at least one read replica to enable autofailover."
        )
    if requested.get("MultiAZEnabled", group.multi_az == "enabled") and not failover:
        raise InvalidParameterCombinationException("Multi-AZ is only supported with automatic failover enabled.")
    if requested.get("AuthToken") and not requested.get("TransitEncryptionEnabled", group.transit_encryption_enabled):
        raise InvalidParameterValueException("The AUTH token is only supported when encryption-in-transit is enabled")
    apply_now = bool(self._get_bool_param("ApplyImmediately"))
    current = {
        "AutomaticFailoverEnabled": group.automatic_failover == "enabled",
        "MultiAZEnabled": group.multi_az == "enabled",
    }
    for member, (attribute, _cluster) in _MODIFIABLE.items():
        current[member] = getattr(group, attribute, None)
    changes = {m: v for m, v in requested.items() if m == "AuthToken" or current.get(m) != v}
    now = {m: v for m, v in changes.items() if m not in _DEFERRED}
    later = {m: v for m, v in changes.items() if m in _DEFERRED}
    if apply_now:
        now.update(_pending_of(backend, group))
        now.update(later)
    else:
        for cluster in _member_clusters(backend, group):
            cluster.pending_modified_values.update(later)
    if now:
        _walk_group(backend, group, ["modifying"], on_done=lambda: _apply(backend, group, now))
    return ActionResult({"ReplicationGroup": group})


def _change_replicas(self, increase: bool):
    backend = self.elasticache_backend
    group = _get_group(backend, self._get_param("ReplicationGroupId"))
    _require_available(group)
    replicas = len(group.member_clusters) - 1
    target = self._get_int_param("NewReplicaCount")
    to_remove = self._get_param("ReplicasToRemove") or []
    if not increase and target is None and to_remove:
        target = replicas - len(to_remove)
    if target is None:
        raise InvalidParameterValueException("NewReplicaCount is required.")
    if (increase and target <= replicas) or (not increase and target >= replicas):
        raise ElastiCacheException(
            "NoOperationFault", f"The replication group already has {replicas} replicas."
        )
    if not increase and target < 1 and group.automatic_failover == "enabled":
        raise InvalidParameterCombinationException(
            "Cannot remove the last replica while automatic failover is enabled."
        )
    if target > 5 or target < 0:
        raise InvalidParameterValueException("NewReplicaCount must be between 0 and 5.")
    if increase:
        _set_members(backend, group, target + 1)

    def shrink():
        if not increase:
            _set_members(backend, group, target + 1)

    _walk_group(backend, group, ["modifying"], on_done=shrink)
    return ActionResult({"ReplicationGroup": group})


def increase_replica_count(self):
    return _change_replicas(self, True)


def decrease_replica_count(self):
    return _change_replicas(self, False)


def delete_replication_group(self, replication_group_id, retain_primary_cluster=None, final_snapshot_identifier=None):
    group = _get_group(self, replication_group_id)
    if group.status != "available":
        raise ElastiCacheException(
            "InvalidReplicationGroupState",
            f"Replication group {replication_group_id} has status {group.status} which is not valid for deletion.",
        )
    if final_snapshot_identifier:
        if final_snapshot_identifier in self.snapshots:
            raise SnapshotAlreadyExists(final_snapshot_identifier)
        snapshot = _create_snapshot(self, final_snapshot_identifier, replication_group_id, None, None, None)
        lifecycle.start(snapshot, ["creating"])

    def remove():
        if self.replication_groups.get(replication_group_id) is group:
            for cluster_id in group.member_clusters:
                self.cache_clusters.pop(cluster_id, None)
            del self.replication_groups[replication_group_id]
            self.tagging_service.delete_all_tags_for_resource(group.arn)

    _walk_group(self, group, ["deleting"] * (2 if final_snapshot_identifier else 1), on_done=remove)
    group.status = "deleting"
    return group


def _delete_replication_group_response(self):
    group = delete_replication_group(
        self.elasticache_backend,
        self._get_param("ReplicationGroupId"),
        self._get_bool_param("RetainPrimaryCluster"),
        self._get_param("FinalSnapshotIdentifier"),
    )
    return ActionResult({"ReplicationGroup": group})


def create_cache_cluster(self, **kwargs):
    _check_parameter_group(self, kwargs.get("cache_parameter_group_name"))
    cluster = _create_cluster(self, **kwargs)
    cluster.pending_modified_values = {}
    cluster.at_rest_encryption_enabled = False
    lifecycle.start(cluster, ["creating"])
    return cluster


def delete_cache_cluster(self, cache_cluster_id):
    cluster = self.cache_clusters.get(cache_cluster_id)
    if cluster is None:
        raise CacheClusterNotFound(cache_cluster_id)
    if cluster.replication_group_id and cluster.replication_group_id in self.replication_groups:
        group = self.replication_groups[cluster.replication_group_id]
        if len(group.member_clusters) == 1:
            raise ElastiCacheException(
                "InvalidCacheClusterState",
                "Cannot delete the cache cluster since it is the only member of a replication group. "
                "Delete the replication group instead.",
            )
    if cluster.cache_cluster_status != "available":
        raise ElastiCacheException(
            "InvalidCacheClusterState",
            f"Cache cluster {cache_cluster_id} is not in a valid state to be deleted.",
        )

    def remove():
        if self.cache_clusters.get(cache_cluster_id) is cluster:
            del self.cache_clusters[cache_cluster_id]

    cluster.cache_cluster_status = "deleting"
    lifecycle.start(cluster, ["deleting"], on_done=remove)
    return cluster


def create_snapshot(self, snapshot_name, replication_group_id, cache_cluster_id, kms_key_id, tags):
    snapshot = _create_snapshot(self, snapshot_name, replication_group_id, cache_cluster_id, kms_key_id, tags)
    lifecycle.start(snapshot, ["creating"])
    return snapshot


# --------------------------------------------------------------------------------------------
# Subnet groups and tags.


def delete_cache_subnet_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    if any(c.cache_subnet_group_name == name for c in backend.cache_clusters.values()) or any(
        g.cache_subnet_group_name == name for g in backend.replication_groups.values()
    ):
        raise ElastiCacheException(
            "CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by a cache cluster."
        )
    group = backend.cache_subnet_groups.pop(name)
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


def modify_cache_subnet_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    group = backend.cache_subnet_groups.get(name)
    if group is None:
        raise CacheSubnetGroupNotFound(name)
    subnet_ids = self._get_param("SubnetIds") or []
    if subnet_ids:
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        known = {i for zone in ec2.subnets.values() for i in zone}
        for subnet_id in subnet_ids:
            if subnet_id not in known:
                raise InvalidSubnet(subnet_id)
        # moto's constructor reads the subnets' VPC, zones and network types (and refuses two VPCs).
        replacement = CacheSubnetGroup(
            backend.account_id, backend.region_name, name, group.cache_subnet_group_description, subnet_ids, None
        )
        for attribute in ("subnet_ids", "subnets", "supported_network_types", "vpc_id"):
            setattr(group, attribute, getattr(replacement, attribute))
    description = self._get_param("CacheSubnetGroupDescription")
    if description is not None:
        group.cache_subnet_group_description = description
    return ActionResult({"CacheSubnetGroup": group})


_list_tags = ElastiCacheBackend.list_tags_for_resource
_add_tags = ElastiCacheBackend.add_tags_to_resource
_remove_tags = ElastiCacheBackend.remove_tags_from_resource


def _check_taggable(backend, arn, changing: bool) -> None:
    """The resource an ARN names must exist; a replication group must be available to be retagged."""
    parts = arn.split(":", 6)
    if len(parts) < 7:
        return  # moto answers InvalidARN
    kind, name = parts[5], parts[6]
    if kind == "parametergroup":
        _group(backend, name)
    elif kind == "replicationgroup":
        group = _get_group(backend, name)
        if changing and group.status != "available":
            raise ElastiCacheException(
                "InvalidReplicationGroupState", "Cluster not in available state to perform tagging operations."
            )
    elif kind == "cluster" and name not in backend.cache_clusters:
        raise CacheClusterNotFound(name)


def list_tags_for_resource(self, arn):
    _check_taggable(self, arn, False)
    if ":parametergroup:" in arn:  # moto's ARN pattern leaves parameter groups out
        return self.tagging_service.list_tags_for_resource(arn)
    return _list_tags(self, arn)


def add_tags_to_resource(self, arn, tags):
    _check_taggable(self, arn, True)
    return _add_tags(self, arn, tags)


def remove_tags_from_resource(self, arn, tags):
    _check_taggable(self, arn, True)
    return _remove_tags(self, arn, tags)


# --------------------------------------------------------------------------------------------


def maintenance_window(query):
    """Open a maintenance window: pending node type / engine version changes start applying."""
    lifecycle.settle()
    started = []
    for account, region, backend in control.selected(elasticache_backends, query):
        for group in list(backend.replication_groups.values()):
            pending = _pending_of(backend, group)
            if pending and group.status == "available":
                _walk_group(backend, group, ["modifying"], on_done=lambda b=backend, g=group, p=pending: _apply(b, g, p))
                started.append({"account": account, "region": region, "id": group.replication_group_id})
    return {"started": started}


def install():
    ReplicationGroup.status = lifecycle.status_property("_sw_status")
    CacheCluster.cache_cluster_status = lifecycle.status_property("_sw_status")
    Snapshot.snapshot_status = lifecycle.status_property("_sw_status")
    CacheCluster.cache_parameter_group = property(_cluster_parameter_group)
    CacheCluster.security_groups = property(_cluster_security_groups)
    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheBackend.create_cache_cluster = create_cache_cluster
    ElastiCacheBackend.delete_cache_cluster = delete_cache_cluster
    ElastiCacheBackend.create_snapshot = create_snapshot
    ElastiCacheBackend.list_tags_for_resource = list_tags_for_resource
    ElastiCacheBackend.add_tags_to_resource = add_tags_to_resource
    ElastiCacheBackend.remove_tags_from_resource = remove_tags_from_resource
    for handler in (
        create_cache_parameter_group,
        describe_cache_parameter_groups,
        modify_cache_parameter_group,
        reset_cache_parameter_group,
        delete_cache_parameter_group,
        describe_cache_parameters,
        describe_engine_default_parameters,
        modify_replication_group,
        increase_replica_count,
        decrease_replica_count,
        delete_cache_subnet_group,
        modify_cache_subnet_group,
    ):
        setattr(ElastiCacheResponse, handler.__name__, handler)
    ElastiCacheResponse.delete_replication_group = _delete_replication_group_response
    lifecycle.settle_before(ElastiCacheResponse)
    control.register(
        "POST",
        "elasticache/maintenance-window",
        maintenance_window,
        "ElastiCache: replication groups with a pending node type or engine version apply it",
    )
