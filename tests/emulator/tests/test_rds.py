"""RDS DB instance behaviour the rds extension reproduces (see stackwright_emulator/rds.py).

References (RDS API Reference, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/):
API_CreateDBInstance.html, API_ModifyDBInstance.html, API_DeleteDBInstance.html,
API_DBInstance.html, API_PendingModifiedValues.html, API_CreateDBSnapshot.html.
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
    delay(100)
    rds, _, _ = _db(client)
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="db1-final")
    assert _code(error) == "InvalidDBInstanceState"
    assert rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)["DBInstance"][
        "DBInstanceStatus"
    ] == "deleting"
