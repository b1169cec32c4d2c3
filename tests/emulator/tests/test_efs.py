"""EFS behaviour the efs extension reproduces (see stackwright_emulator/efs.py).

References (Amazon EFS API Reference, https://docs.aws.amazon.com/efs/latest/ug/):
API_CreateFileSystem.html ("the file system ... LifeCycleState creating", and FileSystemAlreadyExists
"Returned if the file system you are trying to create already exists, with the creation token you
provided", carrying FileSystemId), API_FileSystemDescription.html, API_CreateMountTarget.html
(IncorrectFileSystemLifeCycleState), API_MountTargetDescription.html, API_DeleteFileSystem.html
(FileSystemInUse), API_DeleteMountTarget.html.
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
