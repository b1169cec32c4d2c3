"""Secrets Manager behaviour the secretsmanager extension reproduces (see
stackwright_emulator/secretsmanager.py).

References (Secrets Manager API Reference, https://docs.aws.amazon.com/secretsmanager/latest/apireference/):
API_CreateSecret.html, API_DeleteSecret.html, API_RestoreSecret.html.
"""

import pytest
from botocore.exceptions import ClientError


def _error(error):
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


SCHEDULED = "You can't create this secret because a secret with this name is already scheduled for deletion."


def test_create_with_the_name_of_a_secret_scheduled_for_deletion_is_refused(client):
    # API_CreateSecret.html, InvalidRequestException: "The secret is scheduled for deletion."
    # API_DeleteSecret.html: with a recovery window the secret can be restored meanwhile;
    # API_RestoreSecret.html: restoring removes the DeletedDate.
    sm = client("secretsmanager")
    arn = sm.create_secret(Name="s", SecretString="one", ClientRequestToken="a" * 32)["ARN"]
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    assert "DeletedDate" in sm.describe_secret(SecretId="s")
    for token in ("a" * 32, "b" * 32, None):
        kwargs = {"ClientRequestToken": token} if token else {}
        with pytest.raises(ClientError) as error:
            sm.create_secret(Name="s", SecretString="one", **kwargs)
        assert _error(error) == ("InvalidRequestException", SCHEDULED), token

    assert sm.restore_secret(SecretId=arn)["ARN"] == arn
    assert "DeletedDate" not in sm.describe_secret(SecretId="s")
    with pytest.raises(ClientError) as error:
        sm.create_secret(Name="s", SecretString="two", ClientRequestToken="b" * 32)
    assert _error(error)[0] == "ResourceExistsException"

    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert sm.create_secret(Name="s", SecretString="two")["Name"] == "s"
