"""ElastiCache behaviour the elasticache extension reproduces (see stackwright_emulator/elasticache.py).

References (ElastiCache API Reference, https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/):
API_CreateCacheParameterGroup.html, API_ModifyCacheParameterGroup.html,
API_DeleteCacheParameterGroup.html, API_DescribeCacheParameters.html,
API_CreateReplicationGroup.html, API_ModifyReplicationGroup.html, API_DeleteReplicationGroup.html,
API_ReplicationGroup.html, API_NodeGroup.html, API_CacheCluster.html, API_DeleteCacheSubnetGroup.html,
API_IncreaseReplicaCount.html, API_DecreaseReplicaCount.html, API_AddTagsToResource.html,
API_ModifyCacheSubnetGroup.html, API_ResetCacheParameterGroup.html,
API_DescribeEngineDefaultParameters.html; the parameters' defaults: ElastiCache User Guide,
"Redis OSS-specific parameters" / "Engine specific parameters" (ParameterGroups.Redis.html,
ParameterGroups.Engine.html).
"""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from polling import statuses_until  # noqa: E402


def _code(error):
    return error.value.response["Error"]["Code"]


def _network(client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName="cache", Description="cache", VpcId=vpc)["GroupId"]
    client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="cache-subnets", CacheSubnetGroupDescription="d", SubnetIds=subnets
    )
    return sg, subnets


def _group(client, replicas=1, **extra):
    cache = client("elasticache")
    sg, _ = _network(client)
    cache.create_cache_parameter_group(
        CacheParameterGroupName="cache-params", CacheParameterGroupFamily="redis7", Description="owned"
    )
    kwargs = dict(
        ReplicationGroupId="cache",
        ReplicationGroupDescription="stackwright cache",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=replicas + 1,
        AutomaticFailoverEnabled=replicas >= 1,
        MultiAZEnabled=replicas >= 1,
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        AuthToken="a-long-enough-auth-token-0123456789",
        SnapshotRetentionLimit=1,
        CacheParameterGroupName="cache-params",
        CacheSubnetGroupName="cache-subnets",
        SecurityGroupIds=[sg],
        Tags=[{"Key": "stackwright.io/owner", "Value": "ns/cache"}],
    )
    kwargs.update(extra)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}  # None: leave the member out
    created = cache.create_replication_group(**kwargs)["ReplicationGroup"]
    return cache, created, sg


def _describe(cache, group_id="cache"):
    return cache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]


# -- parameter groups --------------------------------------------------------------------------


def test_parameter_group_create_describe_modify_reset(client):
    # API_CreateCacheParameterGroup.html, API_DescribeCacheParameters.html,
    # API_ModifyCacheParameterGroup.html, API_ResetCacheParameterGroup.html
    cache = client("elasticache")
    created = cache.create_cache_parameter_group(
        CacheParameterGroupName="p", CacheParameterGroupFamily="valkey8", Description="mine",
        Tags=[{"Key": "k", "Value": "v"}],
    )["CacheParameterGroup"]
    assert created["CacheParameterGroupFamily"] == "valkey8"
    assert created["ARN"].endswith(":parametergroup:p")
    assert cache.list_tags_for_resource(ResourceName=created["ARN"])["TagList"] == [{"Key": "k", "Value": "v"}]
    names = [g["CacheParameterGroupName"] for g in cache.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert {"default.redis7", "default.valkey7", "default.valkey8", "p"} <= set(names)

    def parameters(**kw):
        items = cache.describe_cache_parameters(CacheParameterGroupName="p", **kw)["Parameters"]
        return {p["ParameterName"]: p for p in items}

    policy = parameters()["maxmemory-policy"]
    assert policy["ParameterValue"] == "volatile-lru"
    assert "allkeys-lru" in policy["AllowedValues"].split(",")
    assert {"appendonly", "appendfsync", "timeout", "maxmemory-samples"} <= set(parameters())

    name = cache.modify_cache_parameter_group(
        CacheParameterGroupName="p",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )["CacheParameterGroupName"]
    assert name == "p"
    assert parameters()["maxmemory-policy"]["ParameterValue"] == "allkeys-lru"
    assert list(parameters(Source="user")) == ["maxmemory-policy"]

    cache.reset_cache_parameter_group(CacheParameterGroupName="p", ResetAllParameters=True)
    assert parameters()["maxmemory-policy"]["ParameterValue"] == "volatile-lru"


# The eviction policies of Stackwright's Cache evictionPolicy (crates/api/src/cache.rs), each the
# maxmemory-policy value the controller sets (crates/controller/src/cache/desired.rs).
EVICTION_POLICIES = {
    "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random",
    "volatile-ttl", "noeviction",
}


def test_redis7_parameters_have_the_aws_defaults(client):
    """DescribeCacheParameters on ``default.redis7``, and on a group created with family redis7 as the
    controller creates its groups, lists the parameters Stackwright sets with their AWS defaults.

    ElastiCache User Guide, "Redis OSS-specific parameters" (red-ug/ParameterGroups.Redis.html; in the
    current guide "Engine specific parameters", dg/ParameterGroups.Engine.html), section "Redis OSS 7
    parameter changes": parameter group family redis7, default group ``default.redis7`` for cluster
    mode disabled; the family keeps the parameters of the earlier versions with their defaults.
    maxmemory-policy (table "Redis OSS 2.6.13 parameters"): default volatile-lru, type string,
    modifiable, changes take effect immediately; the LFU policies joined its values with Redis OSS 4.0
    ("Redis OSS 4.0.10 parameter changes"). notify-keyspace-events ("Redis OSS 2.8.6 added
    parameters"): default an empty string (no notifications), type string, modifiable, immediately.
    API_DescribeCacheParameters.html (Source user | system | engine-default), API_Parameter.html,
    API_DescribeEngineDefaultParameters.html, API_ModifyCacheParameterGroup.html,
    API_ResetCacheParameterGroup.html (ParameterNameValues: the named parameters only).

    What the product relies on: the controller sets maxmemory-policy from evictionPolicy, reads back
    only ``Source=user`` (so a default must not read as set), and resets by name a parameter the
    object no longer sets (notify-keyspace-events in its plan tests).
    """
    cache = client("elasticache")
    group = cache.describe_cache_parameter_groups(CacheParameterGroupName="default.redis7")["CacheParameterGroups"][0]
    assert group["CacheParameterGroupFamily"] == "redis7"
    cache.create_cache_parameter_group(
        CacheParameterGroupName="cache-params-redis7", CacheParameterGroupFamily="redis7", Description="owned"
    )

    def parameters(name, **kw):
        items = cache.describe_cache_parameters(CacheParameterGroupName=name, **kw)["Parameters"]
        return {p["ParameterName"]: p for p in items}

    engine_defaults = cache.describe_engine_default_parameters(CacheParameterGroupFamily="redis7")["EngineDefaults"]
    assert engine_defaults["CacheParameterGroupFamily"] == "redis7"
    listings = {
        "default.redis7": parameters("default.redis7"),
        "cache-params-redis7": parameters("cache-params-redis7"),
        "engine defaults": {p["ParameterName"]: p for p in engine_defaults["Parameters"]},
    }

    def kind(parameter):
        return parameter["DataType"], parameter["IsModifiable"], parameter["ChangeType"]

    for where, listed in listings.items():
        policy = listed["maxmemory-policy"]
        assert policy["ParameterValue"] == "volatile-lru", where
        assert kind(policy) == ("string", True, "immediate"), where
        assert set(policy["AllowedValues"].split(",")) == EVICTION_POLICIES, where
        events = listed["notify-keyspace-events"]
        assert events.get("ParameterValue", "") == "", where  # the empty string: no notifications
        assert kind(events) == ("string", True, "immediate"), where
    for name in ("default.redis7", "cache-params-redis7"):
        assert parameters(name)["maxmemory-policy"]["Source"] == "system"
        assert parameters(name, Source="user") == {}, name
        assert "maxmemory-policy" in parameters(name, Source="engine-default")

    cache.modify_cache_parameter_group(
        CacheParameterGroupName="cache-params-redis7",
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "notify-keyspace-events", "ParameterValue": "Ex"},
        ],
    )
    user = parameters("cache-params-redis7", Source="user")
    assert {n: p["ParameterValue"] for n, p in user.items()} == {
        "maxmemory-policy": "allkeys-lru", "notify-keyspace-events": "Ex",
    }
    cache.reset_cache_parameter_group(
        CacheParameterGroupName="cache-params-redis7", ParameterNameValues=[{"ParameterName": "notify-keyspace-events"}]
    )
    assert list(parameters("cache-params-redis7", Source="user")) == ["maxmemory-policy"]
    assert parameters("cache-params-redis7")["notify-keyspace-events"].get("ParameterValue", "") == ""
    cache.reset_cache_parameter_group(
        CacheParameterGroupName="cache-params-redis7", ParameterNameValues=[{"ParameterName": "maxmemory-policy"}]
    )
    assert parameters("cache-params-redis7")["maxmemory-policy"]["ParameterValue"] == "volatile-lru"
    assert parameters("cache-params-redis7", Source="user") == {}
    assert parameters("default.redis7")["maxmemory-policy"]["ParameterValue"] == "volatile-lru"


def test_parameter_group_errors(client):
    # API_CreateCacheParameterGroup.html (CacheParameterGroupAlreadyExists),
    # API_DescribeCacheParameterGroups.html (CacheParameterGroupNotFound),
    # API_ModifyCacheParameterGroup.html (InvalidParameterValue)
    cache = client("elasticache")
    cache.create_cache_parameter_group(CacheParameterGroupName="p", CacheParameterGroupFamily="redis7", Description="d")
    with pytest.raises(ClientError) as error:
        cache.create_cache_parameter_group(
            CacheParameterGroupName="p", CacheParameterGroupFamily="redis7", Description="d"
        )
    assert _code(error) == "CacheParameterGroupAlreadyExists"
    with pytest.raises(ClientError) as error:
        cache.describe_cache_parameter_groups(CacheParameterGroupName="missing")
    assert _code(error) == "CacheParameterGroupNotFound"
    with pytest.raises(ClientError) as error:
        cache.describe_cache_parameters(CacheParameterGroupName="missing")
    assert _code(error) == "CacheParameterGroupNotFound"
    with pytest.raises(ClientError) as error:
        cache.modify_cache_parameter_group(
            CacheParameterGroupName="p",
            ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "most-lru"}],
        )
    assert _code(error) == "InvalidParameterValue"
    with pytest.raises(ClientError) as error:
        cache.delete_cache_parameter_group(CacheParameterGroupName="missing")
    assert _code(error) == "CacheParameterGroupNotFound"


def test_parameter_group_in_use_cannot_be_deleted(client):
    # API_DeleteCacheParameterGroup.html: InvalidCacheParameterGroupState while a cluster uses it.
    cache, _, _ = _group(client)
    with pytest.raises(ClientError) as error:
        cache.delete_cache_parameter_group(CacheParameterGroupName="cache-params")
    assert _code(error) == "InvalidCacheParameterGroupState"
    cache.delete_replication_group(ReplicationGroupId="cache")
    cache.delete_cache_parameter_group(CacheParameterGroupName="cache-params")
    with pytest.raises(ClientError) as error:
        cache.describe_cache_parameter_groups(CacheParameterGroupName="cache-params")
    assert _code(error) == "CacheParameterGroupNotFound"


# -- replication groups ------------------------------------------------------------------------


def test_replication_group_members_endpoints_and_settings(client):
    # API_CreateReplicationGroup.html (NumCacheClusters), API_ReplicationGroup.html,
    # API_NodeGroup.html (PrimaryEndpoint, ReaderEndpoint, NodeGroupMembers/CurrentRole)
    cache, group, sg = _group(client, replicas=2)
    assert group["MemberClusters"] == ["cache-001", "cache-002", "cache-003"]
    node_group = group["NodeGroups"][0]
    assert [(m["CacheClusterId"], m["CurrentRole"]) for m in node_group["NodeGroupMembers"]] == [
        ("cache-001", "primary"), ("cache-002", "replica"), ("cache-003", "replica"),
    ]
    assert node_group["PrimaryEndpoint"]["Address"].startswith("master.cache.")
    assert node_group["ReaderEndpoint"]["Address"].startswith("replica.cache.")
    assert node_group["ReaderEndpoint"]["Port"] == 6379
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert group["AtRestEncryptionEnabled"] and group["TransitEncryptionEnabled"] and group["AuthTokenEnabled"]
    assert group["SnapshotRetentionLimit"] == 1
    assert group["Engine"] == "redis"
    tags = cache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert tags == [{"Key": "stackwright.io/owner", "Value": "ns/cache"}]

    # API_CacheCluster.html: what the replication group does not carry, its member clusters do.
    member = cache.describe_cache_clusters(CacheClusterId="cache-002")["CacheClusters"][0]
    assert member["ReplicationGroupId"] == "cache"
    assert member["EngineVersion"] == "7.1.0"
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "cache-params"
    assert member["SecurityGroups"] == [{"SecurityGroupId": sg, "Status": "active"}]
    assert member["CacheSubnetGroupName"] == "cache-subnets"


def test_valkey_single_node(client):
    # API_CreateReplicationGroup.html (Engine valkey, NumCacheClusters 1: the primary alone, so
    # AutomaticFailover disabled), API_CacheCluster.html (Engine, CacheParameterGroup of the member);
    # default.valkey8: ElastiCache User Guide, "Engine specific parameters" (ParameterGroups.Engine.html),
    # "Valkey 8.0 parameter changes" (parameter group family valkey8).
    cache, group, _ = _group(client, replicas=0, Engine="valkey", EngineVersion="8.0", AuthToken=None,
                             CacheParameterGroupName="default.valkey8")
    assert group["Engine"] == "valkey"
    assert group["MemberClusters"] == ["cache-001"]
    assert group["AutomaticFailover"] == "disabled"
    member = cache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert member["Engine"] == "valkey"
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "default.valkey8"


def test_create_refuses_what_aws_refuses(client):
    # API_CreateReplicationGroup.html: AuthToken requires TransitEncryptionEnabled; automatic
    # failover needs a replica; a named parameter group must exist.
    cache = client("elasticache")
    _network(client)
    base = dict(ReplicationGroupId="c", ReplicationGroupDescription="d", Engine="redis",
                CacheNodeType="cache.t3.micro", CacheSubnetGroupName="cache-subnets")
    for extra, code in (
        (dict(AuthToken="a-long-enough-auth-token-0123456789"), "InvalidParameterValue"),
        (dict(NumCacheClusters=1, AutomaticFailoverEnabled=True), "InvalidParameterCombination"),
        (dict(CacheParameterGroupName="missing"), "CacheParameterGroupNotFound"),
    ):
        with pytest.raises(ClientError) as error:
            cache.create_replication_group(**base, **extra)
        assert _code(error) == code


def test_create_and_delete_lifecycle_with_final_snapshot(client, delay):
    # API_ReplicationGroup.html Status: creating, available, modifying, deleting;
    # API_DeleteReplicationGroup.html: FinalSnapshotIdentifier; afterwards ReplicationGroupNotFoundFault.
    delay(0.3)
    cache, group, _ = _group(client)
    assert group["Status"] == "creating"
    assert cache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]["CacheClusterStatus"] == "creating"
    assert statuses_until(lambda: _describe(cache)["Status"], "available") == ["creating", "available"]
    assert _describe(cache)["NodeGroups"][0]["Status"] == "available"

    deleted = cache.delete_replication_group(ReplicationGroupId="cache", FinalSnapshotIdentifier="cache-final")
    assert deleted["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(ClientError) as error:
        cache.delete_replication_group(ReplicationGroupId="cache")
    assert _code(error) == "InvalidReplicationGroupState"

    def status():
        try:
            return _describe(cache)["Status"]
        except ClientError as error:
            return error.response["Error"]["Code"]

    assert statuses_until(status, "ReplicationGroupNotFoundFault") == ["deleting", "ReplicationGroupNotFoundFault"]
    with pytest.raises(ClientError) as error:
        cache.describe_cache_clusters(CacheClusterId="cache-001")
    assert _code(error) == "CacheClusterNotFound"
    snapshot = cache.describe_snapshots(SnapshotName="cache-final")["Snapshots"][0]
    assert (snapshot["SnapshotStatus"], snapshot["ReplicationGroupId"]) == ("available", "cache")


def test_modify_is_modifying_then_available_and_refused_meanwhile(client, delay):
    # API_ModifyReplicationGroup.html; InvalidReplicationGroupState while not available.
    cache, _, sg = _group(client)
    cache.create_cache_parameter_group(CacheParameterGroupName="other", CacheParameterGroupFamily="redis7",
                                       Description="d")
    delay(100)
    group = cache.modify_replication_group(
        ReplicationGroupId="cache", CacheParameterGroupName="other", SnapshotRetentionLimit=7,
        CacheNodeType="cache.t3.small", ApplyImmediately=True,
    )["ReplicationGroup"]
    assert group["Status"] == "modifying"
    assert group["CacheNodeType"] == "cache.t3.micro"
    with pytest.raises(ClientError) as error:
        cache.modify_replication_group(ReplicationGroupId="cache", SnapshotRetentionLimit=3, ApplyImmediately=True)
    assert _code(error) == "InvalidReplicationGroupState"
    with pytest.raises(ClientError) as error:
        cache.add_tags_to_resource(ResourceName=group["ARN"], Tags=[{"Key": "a", "Value": "b"}])
    assert _code(error) == "InvalidReplicationGroupState"
    delay(0)
    group = _describe(cache)
    assert (group["Status"], group["CacheNodeType"], group["SnapshotRetentionLimit"]) == (
        "available", "cache.t3.small", 7,
    )
    member = cache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "other"
    assert member["CacheNodeType"] == "cache.t3.small"


def test_node_type_waits_for_the_maintenance_window_without_apply_immediately(client, endpoint):
    # API_ModifyReplicationGroup.html, ApplyImmediately (default false): node changes are applied
    # on the next maintenance reboot; API_PendingModifiedValues.html on the member clusters.
    cache, _, _ = _group(client)
    group = cache.modify_replication_group(ReplicationGroupId="cache", CacheNodeType="cache.t3.small")[
        "ReplicationGroup"
    ]
    assert (group["Status"], group["CacheNodeType"]) == ("available", "cache.t3.micro")
    member = cache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert member["PendingModifiedValues"] == {"CacheNodeType": "cache.t3.small"}
    request = urllib.request.Request(f"{endpoint}/stackwright-emulator/elasticache/maintenance-window", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert [s["id"] for s in json.load(response)["started"]] == ["cache"]
    assert _describe(cache)["CacheNodeType"] == "cache.t3.small"
    member = cache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert member.get("PendingModifiedValues", {}) == {}


def test_replica_count_changes(client):
    # API_IncreaseReplicaCount.html, API_DecreaseReplicaCount.html
    cache, _, _ = _group(client, replicas=1)
    group = cache.increase_replica_count(ReplicationGroupId="cache", NewReplicaCount=2, ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert group["MemberClusters"] == ["cache-001", "cache-002", "cache-003"]
    group = cache.decrease_replica_count(ReplicationGroupId="cache", NewReplicaCount=1, ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert _describe(cache)["MemberClusters"] == ["cache-001", "cache-002"]
    with pytest.raises(ClientError) as error:
        cache.describe_cache_clusters(CacheClusterId="cache-003")
    assert _code(error) == "CacheClusterNotFound"


def test_delete_cache_subnet_group(client):
    # API_DeleteCacheSubnetGroup.html: CacheSubnetGroupInUse, CacheSubnetGroupNotFoundFault
    cache, _, _ = _group(client, replicas=0, AutomaticFailoverEnabled=False, MultiAZEnabled=False)
    with pytest.raises(ClientError) as error:
        cache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    assert _code(error) == "CacheSubnetGroupInUse"
    cache.delete_replication_group(ReplicationGroupId="cache")
    cache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    with pytest.raises(ClientError) as error:
        cache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    assert _code(error) == "CacheSubnetGroupNotFoundFault"


def test_modify_cache_subnet_group(client):
    # API_ModifyCacheSubnetGroup.html: "Modifies an existing cache subnet group." SubnetIds and
    # CacheSubnetGroupDescription replace the group's; the group keeps its ARN and tags.
    # CacheSubnetGroupNotFoundFault, InvalidSubnet ("An invalid subnet identifier was specified.").
    ec2 = client("ec2")
    cache = client("elasticache")
    _, subnets = _network(client)
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    third = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.3.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    arn = cache.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets")["CacheSubnetGroups"][0]["ARN"]
    cache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "owner", "Value": "ns/cache"}])

    group = cache.modify_cache_subnet_group(CacheSubnetGroupName="cache-subnets", SubnetIds=[subnets[1], third])[
        "CacheSubnetGroup"
    ]
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == [subnets[1], third]
    group = cache.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets")["CacheSubnetGroups"][0]
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == [subnets[1], third]
    assert (group["ARN"], group["VpcId"], group["CacheSubnetGroupDescription"]) == (arn, vpc, "d")
    assert cache.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "owner", "Value": "ns/cache"}]

    cache.modify_cache_subnet_group(CacheSubnetGroupName="cache-subnets", CacheSubnetGroupDescription="new")
    group = cache.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets")["CacheSubnetGroups"][0]
    assert group["CacheSubnetGroupDescription"] == "new"
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == [subnets[1], third]

    with pytest.raises(ClientError) as error:
        cache.modify_cache_subnet_group(CacheSubnetGroupName="cache-subnets", SubnetIds=["subnet-12345678"])
    assert _code(error) == "InvalidSubnet"
    with pytest.raises(ClientError) as error:
        cache.modify_cache_subnet_group(CacheSubnetGroupName="missing", SubnetIds=subnets)
    assert _code(error) == "CacheSubnetGroupNotFoundFault"
    group = cache.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets")["CacheSubnetGroups"][0]
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == [subnets[1], third]
