"""Secrets Manager: the name of a secret scheduled for deletion.

moto 5.2.5 answers CreateSecret for the name of a secret that is scheduled for deletion (deleted
with a recovery window) like any existing name, ``ResourceExistsException``, and with the token of
one of its versions even returns it as created. Secrets Manager refuses such a request with
``InvalidRequestException`` (CreateSecret, Errors: "The secret is scheduled for deletion."), "You
can't create this secret because a secret with this name is already scheduled for deletion.",
until the secret is restored (RestoreSecret, which moto has) or the recovery window ends.
(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)
"""

from moto.secretsmanager.exceptions import InvalidRequestException
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

SCHEDULED = "You can't create this secret because a secret with this name is already scheduled for deletion."

_create_secret = SecretsManagerBackend.create_secret


def create_secret(self, name, *args, **kwargs):
    existing = self.secrets.get(name) if name else None
    if isinstance(existing, FakeSecret) and existing.name == name and existing.is_deleted():
        raise InvalidRequestException(SCHEDULED)
    return _create_secret(self, name, *args, **kwargs)


def install():
    SecretsManagerBackend.create_secret = create_secret
