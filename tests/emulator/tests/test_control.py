"""The emulator's test control routes (see stackwright_emulator/control.py).

Not AWS behaviour: these routes stand in for what AWS does on its own schedule (a maintenance
window, the end of a creation), so that tests need not wait for it. Requests to every other path
still reach moto unchanged.
"""

import json
import urllib.error
import urllib.request


def _call(endpoint, method, path):
    request = urllib.request.Request(f"{endpoint}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _db(client, region="us-east-1"):
    import boto3

    rds = boto3.client(
        "rds", endpoint_url=client("rds").meta.endpoint_url, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="u", MasterUserPassword="password123",
    )
    return rds


def test_index_lists_the_routes(endpoint, delay):
    delay(1.5)
    status, body = _call(endpoint, "GET", "/stackwright-emulator/")
    assert status == 200
    assert body["delay"] == 1.5
    paths = {(r["method"], r["path"]) for r in body["routes"]}
    assert {
        ("POST", "/stackwright-emulator/lifecycles/finish"),
        ("POST", "/stackwright-emulator/rds/maintenance-window"),
        ("POST", "/stackwright-emulator/elasticache/maintenance-window"),
    } <= paths


def test_unknown_route_and_wrong_method(endpoint):
    assert _call(endpoint, "GET", "/stackwright-emulator/nothing")[0] == 404
    assert _call(endpoint, "GET", "/stackwright-emulator/lifecycles/finish")[0] == 405


def test_finish_ends_every_lifecycle_now(client, endpoint, delay):
    delay(100)
    rds = _db(client)
    assert rds.describe_db_instances()["DBInstances"][0]["DBInstanceStatus"] == "creating"
    status, body = _call(endpoint, "POST", "/stackwright-emulator/lifecycles/finish")
    assert status == 200 and body["finished"] >= 1
    assert rds.describe_db_instances()["DBInstances"][0]["DBInstanceStatus"] == "available"


def test_maintenance_window_selects_account_and_region(client, endpoint):
    rds = _db(client, region="eu-west-1")
    rds.modify_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.small")
    _, body = _call(endpoint, "POST", "/stackwright-emulator/rds/maintenance-window?region=us-east-1")
    assert body["started"] == []
    _, body = _call(endpoint, "POST", "/stackwright-emulator/rds/maintenance-window?account=000000000000")
    assert body["started"] == []
    _, body = _call(endpoint, "POST", "/stackwright-emulator/rds/maintenance-window?region=eu-west-1")
    assert body["started"] == [{"account": "123456789012", "region": "eu-west-1", "id": "db"}]
    assert rds.describe_db_instances()["DBInstances"][0]["DBInstanceClass"] == "db.t3.small"


def test_other_paths_still_reach_moto(endpoint):
    status, body = _call(endpoint, "GET", "/moto-api/data.json")
    assert status == 200 and isinstance(body, dict)
