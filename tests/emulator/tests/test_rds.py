"""RDS DB instance behaviour the rds extension reproduces (see stackwright_emulator/rds.py).

References (RDS API Reference, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/):
API_CreateDBInstance.html, API_ModifyDBInstance.html, API_DeleteDBInstance.html,
API_DBInstance.html, API_PendingModifiedValues.html, API_CreateDBSnapshot.html,
API_CreateDBSubnetGroup.html, API_ModifyDBSubnetGroup.html, API_DeleteDBSubnetGroup.html,
API_DeleteDBParameterGroup.html, API_ModifyDBParameterGroup.html, API_ResetDBParameterGroup.html,
API_DescribeDBParameters.html, API_Parameter.html.
"""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from polling import statuses_until  # noqa: E402


def _db(client, name="db1", **extra):
    ec2 = client("ec2")
    rds = client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName=f"{name}-db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName=f"{name}-subnets", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_parameter_group(
        DBParameterGroupName=f"{name}-params", DBParameterGroupFamily="postgres15", Description="d"
    )
    kwargs = dict(
        DBInstanceIdentifier=name,
        Engine="postgres",
        EngineVersion="15.7",
        DBInstanceClass="db.t3.small",
        AllocatedStorage=20,
        StorageType="gp3",
        MaxAllocatedStorage=100,
        DBName="app",
        MasterUsername="app_admin",
        ManageMasterUserPassword=True,
        BackupRetentionPeriod=7,
        PreferredBackupWindow="03:00-04:00",
        PreferredMaintenanceWindow="sun:04:30-sun:05:30",
        DBParameterGroupName=f"{name}-params",
        EnablePerformanceInsights=False,
        EnableCloudwatchLogsExports=["postgresql"],
        DBSubnetGroupName=f"{name}-subnets",
        VpcSecurityGroupIds=[sg],
        StorageEncrypted=True,
        PubliclyAccessible=False,
        Tags=[{"Key": "stackwright.io/owner", "Value": "ns/app"}],
    )
    kwargs.update(extra)
    created = rds.create_db_instance(**kwargs)["DBInstance"]
    return rds, created, sg


def _describe(rds, name="db1"):
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


def _post(endpoint, path):
    request = urllib.request.Request(f"{endpoint}{path}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _code(error):
    return error.value.response["Error"]["Code"]


def test_create_walks_creating_backing_up_available(client, delay):
    # API_DBInstance.html (DBInstanceStatus; Endpoint "might not be shown ... creating") and the
    # RDS User Guide, "Viewing Amazon RDS DB instance status": creating, backing-up, available.
    delay(0.3)
    rds, created, _ = _db(client)
    assert created["DBInstanceStatus"] == "creating"
    assert "Endpoint" not in created
    seen = statuses_until(lambda: _describe(rds)["DBInstanceStatus"], "available")
    assert seen == ["creating", "backing-up", "available"]
    assert _describe(rds)["Endpoint"]["Port"] == 5432


def test_create_keeps_the_requested_settings(client):
    # API_CreateDBInstance.html: each request member reappears in API_DBInstance.html.
    rds, _, sg = _db(client, EnablePerformanceInsights=True)
    other = client("rds").create_db_instance(
        DBInstanceIdentifier="db2", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="u", MasterUserPassword="password123",
    )["DBInstance"]
    db = _describe(rds)
    assert db["DBInstanceStatus"] == "available"
    assert db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    assert db["MaxAllocatedStorage"] == 100
    assert db["PerformanceInsightsEnabled"] is True
    assert db["EnabledCloudwatchLogsExports"] == ["postgresql"]
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == "db1-params"
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [sg]
    assert {"Key": "stackwright.io/owner", "Value": "ns/app"} in db["TagList"]
    assert db["DbiResourceId"] != other["DbiResourceId"]
    # ManageMasterUserPassword: RDS keeps the credentials in a Secrets Manager secret it owns.
    secret = client("secretsmanager").get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])
    assert json.loads(secret["SecretString"])["username"] == "app_admin"


def test_modify_without_apply_immediately_waits_for_the_maintenance_window(client, endpoint):
    # API_ModifyDBInstance.html: ApplyImmediately defaults to false; DBInstanceClass "is applied
    # during the next maintenance window"; API_PendingModifiedValues.html shows it meanwhile.
    rds, _, _ = _db(client)
    changed = rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.medium", AllocatedStorage=30)
    db = changed["DBInstance"]
    assert db["DBInstanceStatus"] == "available"
    assert db["DBInstanceClass"] == "db.t3.small"
    assert db["PendingModifiedValues"] == {"DBInstanceClass": "db.t3.medium", "AllocatedStorage": 30}
    assert _describe(rds)["PendingModifiedValues"]["DBInstanceClass"] == "db.t3.medium"

    started = _post(endpoint, "/stackwright-emulator/rds/maintenance-window")["started"]
    assert [s["id"] for s in started] == ["db1"]
    db = _describe(rds)
    assert db["DBInstanceClass"] == "db.t3.medium"
    assert db["AllocatedStorage"] == 30
    assert db.get("PendingModifiedValues", {}) == {}


def test_modify_with_apply_immediately_is_modifying_then_available(client, delay):
    # API_ModifyDBInstance.html (ApplyImmediately: "changes as well as any pending modifications
    # are applied as soon as possible"); the instance is "modifying" while it changes.
    rds, _, _ = _db(client)
    rds.modify_db_instance(DBInstanceIdentifier="db1", MultiAZ=True)  # pending
    delay(100)
    db = rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.large", ApplyImmediately=True)[
        "DBInstance"
    ]
    assert db["DBInstanceStatus"] == "modifying"
    assert db["PendingModifiedValues"] == {"MultiAZ": True, "DBInstanceClass": "db.t3.large"}
    assert db["DBInstanceClass"] == "db.t3.small"
    delay(0)
    db = _describe(rds)
    assert db["DBInstanceStatus"] == "available"
    assert (db["DBInstanceClass"], db["MultiAZ"]) == ("db.t3.large", True)
    assert db.get("PendingModifiedValues", {}) == {}


def test_backup_retention_between_non_zero_values_applies_at_once(client):
    # API_ModifyDBInstance.html, BackupRetentionPeriod: to or from 0 waits for the maintenance
    # window; "from one non-zero value to another non-zero value ... applied as soon as possible".
    rds, _, _ = _db(client)
    db = rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=14)["DBInstance"]
    assert db["BackupRetentionPeriod"] == 14
    db = rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=0)["DBInstance"]
    assert db["BackupRetentionPeriod"] == 14
    assert db["PendingModifiedValues"] == {"BackupRetentionPeriod": 0}


def test_modify_while_not_available_is_refused(client, delay):
    # API_ModifyDBInstance.html, InvalidDBInstanceStateFault: "The DB instance isn't in a valid state."
    delay(100)
    rds, _, _ = _db(client)
    with pytest.raises(ClientError) as error:
        rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.medium", ApplyImmediately=True)
    assert _code(error) == "InvalidDBInstanceState"


def test_delete_needs_a_final_snapshot_decision(client):
    # API_DeleteDBInstance.html: SkipFinalSnapshot defaults to false, and then "you must specify
    # the FinalDBSnapshotIdentifier parameter"; specifying both "results in an error".
    rds, _, _ = _db(client)
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier="db1")
    assert _code(error) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True, FinalDBSnapshotIdentifier="last")
    assert _code(error) == "InvalidParameterCombination"
    assert _describe(rds)["DBInstanceStatus"] == "available"


def test_delete_with_final_snapshot(client, delay):
    # API_DeleteDBInstance.html: "the status of the DB instance is deleting until the DB snapshot
    # is created"; manual snapshots outlive the instance; afterwards DBInstanceNotFound.
    rds, _, _ = _db(client)
    delay(100)
    db = rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="db1-final")["DBInstance"]
    assert db["DBInstanceStatus"] == "deleting"
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier="db1-final")["DBSnapshots"][0]
    assert (snapshot["Status"], snapshot["SnapshotType"]) == ("creating", "manual")
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
    assert _code(error) == "InvalidDBInstanceState"
    delay(0)
    with pytest.raises(ClientError) as error:
        _describe(rds)
    assert _code(error) == "DBInstanceNotFound"
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier="db1-final")["DBSnapshots"][0]
    assert (snapshot["Status"], snapshot["DBInstanceIdentifier"]) == ("available", "db1")


def test_delete_walks_deleting_then_gone(client, delay):
    # API_DeleteDBInstance.html and API_DBInstance.html (DBInstanceStatus deleting), then
    # API_DescribeDBInstances.html: DBInstanceNotFound.
    rds, _, _ = _db(client)
    delay(0.3)
    rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)

    def status():
        try:
            return _describe(rds)["DBInstanceStatus"]
        except ClientError as error:
            return error.response["Error"]["Code"]

    assert statuses_until(status, "DBInstanceNotFound") == ["deleting", "DBInstanceNotFound"]


def test_delete_while_creating_cannot_take_a_final_snapshot(client, delay):
    # API_DeleteDBInstance.html: InvalidDBInstanceState ("The DB instance isn't in a valid state.") for
    # a final snapshot of an instance still creating, which API_CreateDBSnapshot.html refuses the same
    # way; SkipFinalSnapshot deletes it.
    delay(100)
    rds, _, _ = _db(client)
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="db1-final")
    assert _code(error) == "InvalidDBInstanceState"
    assert rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)["DBInstance"][
        "DBInstanceStatus"
    ] == "deleting"


# --------------------------------------------------------------------------------------------
# DB subnet groups and DB parameter groups.


def _subnets(client, zones=("a", "b", "c"), cidr="10.9"):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate(zones)
    ]


def _subnet_ids(group):
    return sorted(s["SubnetIdentifier"] for s in group["Subnets"])


def test_create_subnet_group_of_an_existing_name_is_refused(client):
    # API_CreateDBSubnetGroup.html, DBSubnetGroupAlreadyExists: "DBSubnetGroupName is already used
    # by an existing DB subnet group."
    rds = client("rds")
    a, b, c = _subnets(client)
    rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="first", SubnetIds=[a, b])
    with pytest.raises(ClientError) as error:
        rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="second", SubnetIds=[b, c])
    assert _code(error) == "DBSubnetGroupAlreadyExists"
    assert error.value.response["Error"]["Message"] == "The DB subnet group 'g' already exists."
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="g")["DBSubnetGroups"][0]
    assert (group["DBSubnetGroupDescription"], _subnet_ids(group)) == ("first", sorted([a, b]))


def test_modify_subnet_group_keeps_the_group_with_its_new_subnets(client):
    # API_ModifyDBSubnetGroup.html: "Modifies an existing DB subnet group."; the group keeps its
    # name, ARN and tags, and takes the subnets and description of the request.
    rds = client("rds")
    a, b, c = _subnets(client)
    created = rds.create_db_subnet_group(
        DBSubnetGroupName="g", DBSubnetGroupDescription="first", SubnetIds=[a, b],
        Tags=[{"Key": "owner", "Value": "ns/db"}],
    )["DBSubnetGroup"]
    modified = rds.modify_db_subnet_group(DBSubnetGroupName="g", SubnetIds=[b, c])["DBSubnetGroup"]
    assert _subnet_ids(modified) == sorted([b, c])
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="g")["DBSubnetGroups"][0]
    assert _subnet_ids(group) == sorted([b, c])
    assert group["DBSubnetGroupDescription"] == "first"
    assert group["DBSubnetGroupArn"] == created["DBSubnetGroupArn"]
    assert rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"] == [
        {"Key": "owner", "Value": "ns/db"}
    ]
    rds.modify_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="second", SubnetIds=[a, c])
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="g")["DBSubnetGroups"][0]
    assert (group["DBSubnetGroupDescription"], _subnet_ids(group)) == ("second", sorted([a, c]))
    with pytest.raises(ClientError) as error:
        rds.modify_db_subnet_group(DBSubnetGroupName="missing", SubnetIds=[a, c])
    assert _code(error) == "DBSubnetGroupNotFoundFault"


def test_subnet_groups_check_their_subnets(client):
    # API_CreateDBSubnetGroup.html and API_ModifyDBSubnetGroup.html: DBSubnetGroupDoesNotCoverEnoughAZs
    # ("Subnets in the DB subnet group should cover at least two Availability Zones"), InvalidSubnet
    # ("multiple subnets were requested that are not all in a common VPC"); a subnet that does not
    # exist is InvalidParameterValue; a modified group stays in its VPC.
    rds = client("rds")
    a, b, c = _subnets(client, zones=("a", "a", "b"))
    other = _subnets(client, zones=("a", "b"), cidr="10.8")
    for subnets, code in (
        ([a, b], "DBSubnetGroupDoesNotCoverEnoughAZs"),
        ([a, other[1]], "InvalidSubnet"),
        ([a, "subnet-12345678"], "InvalidParameterValue"),
    ):
        with pytest.raises(ClientError) as error:
            rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=subnets)
        assert _code(error) == code, subnets
    message = error.value.response["Error"]["Message"]
    assert message == "Some input subnets in :[subnet-12345678] are invalid."
    assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []

    rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=[a, c])
    for subnets, code in (
        ([a, b], "DBSubnetGroupDoesNotCoverEnoughAZs"),
        (other, "InvalidParameterValue"),
        ([a, "subnet-12345678"], "InvalidParameterValue"),
    ):
        with pytest.raises(ClientError) as error:
            rds.modify_db_subnet_group(DBSubnetGroupName="g", SubnetIds=subnets)
        assert _code(error) == code, subnets
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="g")["DBSubnetGroups"][0]
    assert _subnet_ids(group) == sorted([a, c])


def test_groups_in_use_by_an_instance_cannot_be_deleted(client, delay):
    # API_DeleteDBSubnetGroup.html, InvalidDBSubnetGroupStateFault: "The DB subnet group cannot be
    # deleted because it's in use."; API_DeleteDBParameterGroup.html, InvalidDBParameterGroupState:
    # "you can't delete it when the parameter group is associated with DB instances". Once the
    # instance is gone both can be deleted.
    rds, _, _ = _db(client)
    with pytest.raises(ClientError) as error:
        rds.delete_db_subnet_group(DBSubnetGroupName="db1-subnets")
    assert _code(error) == "InvalidDBSubnetGroupStateFault"
    assert error.value.response["Error"]["Message"] == (
        "Cannot delete the subnet group 'db1-subnets' because at least one database instance: db1 is still using it."
    )
    with pytest.raises(ClientError) as error:
        rds.delete_db_parameter_group(DBParameterGroupName="db1-params")
    assert _code(error) == "InvalidDBParameterGroupState"
    delay(100)
    rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
    with pytest.raises(ClientError) as error:
        rds.delete_db_subnet_group(DBSubnetGroupName="db1-subnets")
    assert _code(error) == "InvalidDBSubnetGroupStateFault", "a deleting instance still uses it"
    delay(0)
    rds.delete_db_subnet_group(DBSubnetGroupName="db1-subnets")
    rds.delete_db_parameter_group(DBParameterGroupName="db1-params")
    with pytest.raises(ClientError) as error:
        rds.delete_db_subnet_group(DBSubnetGroupName="db1-subnets")
    assert _code(error) == "DBSubnetGroupNotFoundFault"


def _parameters(rds, name="p", **extra):
    return {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName=name, **extra)["Parameters"]}


def _postgres_group(client, family="postgres15"):
    rds = client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="p", DBParameterGroupFamily=family, Description="d")
    return rds


@pytest.mark.parametrize("family", ["postgres15", "postgres16"])
def test_describe_db_parameters_lists_the_engine_parameters_by_source(client, family):
    # API_DescribeDBParameters.html (Source: "user | system | engine-default", default all) and
    # API_Parameter.html (ApplyType, DataType, AllowedValues, IsModifiable); RDS for PostgreSQL
    # parameters (User Guide, Appendix.PostgreSQL.CommonDBATasks.Parameters.html).
    rds = _postgres_group(client, family)
    everything = _parameters(rds)
    for name, apply_type in (
        ("max_connections", "static"),
        ("shared_preload_libraries", "static"),
        ("rds.force_ssl", "dynamic"),
        ("log_min_duration_statement", "dynamic"),
        ("work_mem", "dynamic"),
        ("statement_timeout", "dynamic"),
    ):
        assert everything[name]["ApplyType"] == apply_type, name
        assert everything[name]["IsModifiable"] is True, name
    assert everything["rds.force_ssl"]["ParameterValue"] == "1"  # the default from PostgreSQL 15 on
    assert _parameters(rds, Source="user") == {}
    system, defaults = _parameters(rds, Source="system"), _parameters(rds, Source="engine-default")
    assert {"max_connections", "rds.force_ssl", "shared_preload_libraries"} <= set(system)
    assert {"work_mem", "statement_timeout", "log_min_duration_statement"} <= set(defaults)
    assert set(system) | set(defaults) == set(everything)
    assert not set(system) & set(defaults)

    rds.modify_db_parameter_group(
        DBParameterGroupName="p",
        Parameters=[
            {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"},
            {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"},
        ],
    )
    user = _parameters(rds, Source="user")
    assert {n: p["ParameterValue"] for n, p in user.items()} == {"max_connections": "200", "work_mem": "8192"}
    assert (user["max_connections"]["ApplyType"], user["max_connections"]["ApplyMethod"]) == (
        "static", "pending-reboot"
    )
    assert "work_mem" not in _parameters(rds, Source="engine-default")
    assert _parameters(rds)["work_mem"]["Source"] == "user"


def test_describe_db_parameters_pages_and_checks_its_group(client):
    # API_DescribeDBParameters.html: MaxRecords (20 to 100) and Marker; DBParameterGroupNotFound.
    # Parameters the emulator's table lacks read back as set, with Source user.
    rds = _postgres_group(client)
    more = ["autovacuum_naptime", "checkpoint_timeout", "default_statistics_target", "jit", "log_lock_waits",
            "log_temp_files", "random_page_cost", "seq_page_cost", "track_io_timing", "temp_file_limit"]
    rds.modify_db_parameter_group(
        DBParameterGroupName="p",
        Parameters=[{"ParameterName": n, "ParameterValue": "1", "ApplyMethod": "pending-reboot"} for n in more],
    )
    everything = list(_parameters(rds))
    assert len(everything) > 20 and set(more) <= set(everything)
    assert set(_parameters(rds, Source="user")) == set(more)
    first = rds.describe_db_parameters(DBParameterGroupName="p", MaxRecords=20)
    names = [p["ParameterName"] for p in first["Parameters"]]
    marker = first.get("Marker")
    while marker:
        page = rds.describe_db_parameters(DBParameterGroupName="p", MaxRecords=20, Marker=marker)
        names += [p["ParameterName"] for p in page["Parameters"]]
        marker = page.get("Marker")
    assert names == everything == sorted(everything)
    assert len(first["Parameters"]) == 20 and first["Marker"]
    with pytest.raises(ClientError) as error:
        rds.describe_db_parameters(DBParameterGroupName="missing")
    assert _code(error) == "DBParameterGroupNotFound"


def test_static_parameters_cannot_apply_immediately(client):
    # API_ModifyDBParameterGroup.html and API_ResetDBParameterGroup.html (Parameters): "You can use
    # the immediate value with dynamic parameters only." RDS answers InvalidParameterCombination
    # "cannot use immediate apply method for static parameter", and changes nothing.
    rds = _postgres_group(client)
    with pytest.raises(ClientError) as error:
        rds.modify_db_parameter_group(
            DBParameterGroupName="p",
            Parameters=[
                {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"},
                {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "immediate"},
            ],
        )
    assert _code(error) == "InvalidParameterCombination"
    assert error.value.response["Error"]["Message"] == "cannot use immediate apply method for static parameter"
    assert _parameters(rds, Source="user") == {}
    rds.modify_db_parameter_group(
        DBParameterGroupName="p",
        Parameters=[{"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"}],
    )
    with pytest.raises(ClientError) as error:
        rds.reset_db_parameter_group(
            DBParameterGroupName="p", Parameters=[{"ParameterName": "max_connections", "ApplyMethod": "immediate"}]
        )
    assert _code(error) == "InvalidParameterCombination"
    assert set(_parameters(rds, Source="user")) == {"max_connections"}


def test_reset_db_parameter_group_returns_parameters_to_their_defaults(client):
    # API_ResetDBParameterGroup.html: named parameters, or the entire group with
    # ResetAllParameters ("By default, all parameters in the DB parameter group are reset").
    rds = _postgres_group(client)

    def set_values():
        rds.modify_db_parameter_group(
            DBParameterGroupName="p",
            Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"},
                {"ParameterName": "log_min_duration_statement", "ParameterValue": "500", "ApplyMethod": "immediate"},
                {"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"},
            ],
        )

    set_values()
    answer = rds.reset_db_parameter_group(
        DBParameterGroupName="p",
        ResetAllParameters=False,
        Parameters=[
            {"ParameterName": "max_connections", "ApplyMethod": "pending-reboot"},
            {"ParameterName": "rds.force_ssl", "ApplyMethod": "immediate"},
        ],
    )
    assert answer["DBParameterGroupName"] == "p"
    assert set(_parameters(rds, Source="user")) == {"log_min_duration_statement"}
    everything = _parameters(rds)
    assert (everything["rds.force_ssl"]["Source"], everything["rds.force_ssl"]["ParameterValue"]) == ("system", "1")
    assert everything["max_connections"]["Source"] == "system"

    rds.reset_db_parameter_group(DBParameterGroupName="p", ResetAllParameters=True)
    assert _parameters(rds, Source="user") == {}
    set_values()
    rds.reset_db_parameter_group(DBParameterGroupName="p")
    assert _parameters(rds, Source="user") == {}
    with pytest.raises(ClientError) as error:
        rds.reset_db_parameter_group(DBParameterGroupName="missing", ResetAllParameters=True)
    assert _code(error) == "DBParameterGroupNotFound"
