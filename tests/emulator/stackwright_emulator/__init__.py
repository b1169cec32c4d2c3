"""The AWS emulator Stackwright's tests and demo run: moto plus faithful extensions.

Each module in this package patches moto where it lacks AWS behaviour that Stackwright depends on.
Every module exposes ``install()``; :func:`install_all` applies them in a fixed order. Nothing in the
Rust product knows about this package: the controller talks to the emulator as to AWS.
"""

import importlib

# Each entry is a module of this package with an ``install()`` function.
EXTENSIONS = [
    "s3_roots",  # S3 REST-XML response root element names
    "errors",  # AWS-shaped errors for operations moto does not implement
    "settings",  # the lifecycle delay setting (STACKWRIGHT_EMULATOR_DELAY)
    "ecs",  # CreateService fields, clientToken, deployments with a lifecycle, failing tasks, EFS volume rules
    "elbv2",  # duplicate names, provisioning -> active, listeners, rule priorities, DescribeTags errors
    "autoscaling",  # Application Auto Scaling tagging, policies removed with their target, error codes
    "rds",  # instance lifecycle, pending modifications, final snapshots
    "elasticache",  # parameter groups, replication group lifecycle, members, reader endpoint
    "ec2",  # DependencyViolation for what is in use, NAT gateway lifecycle, VPC network rules and tokens
    "efs",  # file system, mount target and access point lifecycles, idempotency and not-found errors
    "secretsmanager",  # CreateSecret for the name of a secret scheduled for deletion
    "servicediscovery",  # Cloud Map HTTP namespaces: idempotency, filters, in-use errors; ECS Service Connect
    "control",  # test control routes: /stackwright-emulator/ (maintenance windows, finishing lifecycles)
]


def install_all():
    for name in EXTENSIONS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.install()
