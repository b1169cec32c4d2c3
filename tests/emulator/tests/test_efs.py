"""EFS behaviour the efs extension reproduces (see stackwright_emulator/efs.py).

References (Amazon EFS API Reference, https://docs.aws.amazon.com/efs/latest/ug/):
API_CreateFileSystem.html ("the file system ... LifeCycleState creating", and FileSystemAlreadyExists
"Returned if the file system you are trying to create already exists, with the creation token you
provided", carrying FileSystemId), API_FileSystemDescription.html, API_CreateMountTarget.html
(IncorrectFileSystemLifeCycleState), API_MountTargetDescription.html, API_DeleteFileSystem.html
(FileSystemInUse), API_DeleteMountTarget.html; access points: API_CreateAccessPoint.html
(AccessPointAlreadyExists with AccessPointId, FileSystemNotFound, IncorrectFileSystemLifeCycleState),
API_AccessPointDescription.html (LifeCycleState), API_DeleteAccessPoint.html (AccessPointNotFound),
API_DescribeAccessPoints.html (FileSystemNotFound), API_DeleteFileSystem.html,
API_ListTagsForResource.html (AccessPointNotFound, FileSystemNotFound).
"""


import pytest
from botocore.exceptions import ClientError
from polling import statuses_until  # noqa: E402


def _subnet(client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]


def test_file_system_and_mount_target_lifecycles(client, delay):
    # API_CreateFileSystem.html and API_FileSystemDescription.html (LifeCycleState creating ->
    # available; deleting, then FileSystemNotFound), API_CreateMountTarget.html
    # (IncorrectFileSystemLifeCycleState unless the file system is available),
    # API_MountTargetDescription.html (LifeCycleState), API_DeleteMountTarget.html (MountTargetNotFound
    # afterwards), API_DeleteFileSystem.html (FileSystemInUse while it has mount targets).
    efs = client("efs")
    subnet = _subnet(client)
    delay(0.3)
    fs = efs.create_file_system(CreationToken="token", Encrypted=True)
    assert fs["LifeCycleState"] == "creating"
    fs_id = fs["FileSystemId"]
    with pytest.raises(ClientError) as error:
        efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    assert error.value.response["Error"]["Code"] == "IncorrectFileSystemLifeCycleState"

    def fs_state():
        return efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["LifeCycleState"]

    assert statuses_until(fs_state, "available") == ["creating", "available"]

    target = efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    assert target["LifeCycleState"] == "creating"

    def mt_state():
        try:
            return efs.describe_mount_targets(MountTargetId=target["MountTargetId"])["MountTargets"][0][
                "LifeCycleState"
            ]
        except ClientError as error:
            return error.response["Error"]["Code"]

    assert statuses_until(mt_state, "available") == ["creating", "available"]

    efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    with pytest.raises(ClientError) as error:  # the deleting mount target still holds the file system
        efs.delete_file_system(FileSystemId=fs_id)
    assert error.value.response["Error"]["Code"] == "FileSystemInUse"
    assert statuses_until(mt_state, "MountTargetNotFound") == ["deleting", "MountTargetNotFound"]

    efs.delete_file_system(FileSystemId=fs_id)

    def fs_state_or_gone():
        try:
            return fs_state()
        except ClientError as error:
            return error.response["Error"]["Code"]

    assert statuses_until(fs_state_or_gone, "FileSystemNotFound") == ["deleting", "FileSystemNotFound"]


def test_creation_token_reuse_names_the_file_system(client):
    # API_CreateFileSystem.html: FileSystemAlreadyExists, HTTP 409, "Returned if the file system you
    # are trying to create already exists, with the creation token you provided", with its FileSystemId.
    efs = client("efs")
    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]
    with pytest.raises(ClientError) as error:
        efs.create_file_system(CreationToken="token")
    assert error.value.response["Error"]["Code"] == "FileSystemAlreadyExists"
    assert error.value.response["FileSystemId"] == fs_id
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


# --- access points --------------------------------------------------------------------------------


def _error(call, **kwargs):
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return error.value.response


def test_access_point_lifecycle(client, delay):
    # API_CreateAccessPoint.html (the response is an AccessPointDescription) and
    # API_AccessPointDescription.html: LifeCycleState "creating", then "available".
    efs = client("efs")
    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]
    delay(0.3)
    created = efs.create_access_point(
        ClientToken="ap-token",
        FileSystemId=fs_id,
        PosixUser={"Uid": 1000, "Gid": 1000},
        RootDirectory={"Path": "/data", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"}},
        Tags=[{"Key": "Name", "Value": "data"}],
    )
    assert created["LifeCycleState"] == "creating"
    assert created["FileSystemId"] == fs_id
    assert created["Name"] == "data"
    assert created["RootDirectory"]["Path"] == "/data"
    ap_id = created["AccessPointId"]

    def state():
        return efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0]["LifeCycleState"]

    assert statuses_until(state, "available") == ["creating", "available"]
    [listed] = efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
    assert listed["AccessPointId"] == ap_id and listed["LifeCycleState"] == "available"


def test_access_point_needs_an_available_file_system(client, delay):
    # API_CreateAccessPoint.html: FileSystemNotFound (HTTP 404) for a file system that does not
    # exist; IncorrectFileSystemLifeCycleState (HTTP 409) "if the file system's lifecycle state is
    # not available" (creating, deleting).
    efs = client("efs")
    response = _error(efs.create_access_point, FileSystemId="fs-0123456789abcdef0")
    assert response["Error"]["Code"] == "FileSystemNotFound"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404

    delay(3600)
    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]  # creating
    response = _error(efs.create_access_point, FileSystemId=fs_id)
    assert response["Error"]["Code"] == "IncorrectFileSystemLifeCycleState"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409

    delay(0)
    ready = efs.create_file_system(CreationToken="ready")["FileSystemId"]
    delay(3600)
    efs.delete_file_system(FileSystemId=ready)  # deleting
    response = _error(efs.create_access_point, FileSystemId=ready)
    assert response["Error"]["Code"] == "IncorrectFileSystemLifeCycleState"
    assert efs.describe_access_points(FileSystemId=ready)["AccessPoints"] == []


def test_client_token_reuse_names_the_access_point(client):
    # API_CreateAccessPoint.html: AccessPointAlreadyExists, HTTP 409, "Returned if the access point
    # that you are trying to create already exists, with the creation token you provided in the
    # request", with its AccessPointId (required member of the error shape).
    efs = client("efs")
    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]
    ap_id = efs.create_access_point(ClientToken="ap-token", FileSystemId=fs_id)["AccessPointId"]
    response = _error(efs.create_access_point, ClientToken="ap-token", FileSystemId=fs_id)
    assert response["Error"]["Code"] == "AccessPointAlreadyExists"
    assert response["AccessPointId"] == ap_id
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert len(efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]) == 1
    # another token creates another access point
    efs.create_access_point(ClientToken="other-token", FileSystemId=fs_id)
    assert len(efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]) == 2


def test_delete_unknown_access_point_is_not_found(client):
    # API_DeleteAccessPoint.html: AccessPointNotFound (HTTP 404) "if the specified AccessPointId value
    # doesn't exist in the requester's Amazon Web Services account"; a second delete is one, and
    # the deleted access point is AccessPointNotFound for DescribeAccessPoints and ListTagsForResource
    # (API_DescribeAccessPoints.html, API_ListTagsForResource.html).
    efs = client("efs")
    response = _error(efs.delete_access_point, AccessPointId="fsap-0123456789abcdef0")
    assert response["Error"]["Code"] == "AccessPointNotFound"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404

    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]
    ap_id = efs.create_access_point(FileSystemId=fs_id)["AccessPointId"]
    efs.delete_access_point(AccessPointId=ap_id)
    assert _error(efs.delete_access_point, AccessPointId=ap_id)["Error"]["Code"] == "AccessPointNotFound"
    assert _error(efs.describe_access_points, AccessPointId=ap_id)["Error"]["Code"] == "AccessPointNotFound"
    assert _error(efs.list_tags_for_resource, ResourceId=ap_id)["Error"]["Code"] == "AccessPointNotFound"


def test_describe_access_points_of_unknown_file_system_is_not_found(client):
    # API_DescribeAccessPoints.html: FileSystemNotFound (HTTP 404) for a FileSystemId that does not
    # exist in the account.
    efs = client("efs")
    response = _error(efs.describe_access_points, FileSystemId="fs-0123456789abcdef0")
    assert response["Error"]["Code"] == "FileSystemNotFound"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_deleted_file_system_takes_its_access_points_and_their_tags(client, delay, finish):
    # API_DeleteFileSystem.html, API_DescribeAccessPoints.html, API_ListTagsForResource.html
    # (AccessPointNotFound, FileSystemNotFound): while the file system is deleting its access points
    # are still there; once it is gone (FileSystemNotFound) so are they and their tags
    # (AccessPointNotFound). Another file system's access point stays.
    efs = client("efs")
    fs_id = efs.create_file_system(CreationToken="token")["FileSystemId"]
    other = efs.create_file_system(CreationToken="other")["FileSystemId"]
    ap_id = efs.create_access_point(FileSystemId=fs_id, Tags=[{"Key": "team", "Value": "data"}])["AccessPointId"]
    kept = efs.create_access_point(FileSystemId=other, Tags=[{"Key": "team", "Value": "web"}])["AccessPointId"]

    delay(3600)
    efs.delete_file_system(FileSystemId=fs_id)
    assert efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0]["FileSystemId"] == fs_id
    assert efs.list_tags_for_resource(ResourceId=ap_id)["Tags"] == [{"Key": "team", "Value": "data"}]

    finish()
    assert _error(efs.describe_file_systems, FileSystemId=fs_id)["Error"]["Code"] == "FileSystemNotFound"
    assert _error(efs.describe_access_points, AccessPointId=ap_id)["Error"]["Code"] == "AccessPointNotFound"
    assert [ap["AccessPointId"] for ap in efs.describe_access_points()["AccessPoints"]] == [kept]
    response = _error(efs.list_tags_for_resource, ResourceId=ap_id)
    assert response["Error"]["Code"] == "AccessPointNotFound"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert _error(efs.list_tags_for_resource, ResourceId=fs_id)["Error"]["Code"] == "FileSystemNotFound"
    assert efs.list_tags_for_resource(ResourceId=kept)["Tags"] == [{"Key": "team", "Value": "web"}]
