"""Test control routes on the emulator's HTTP server, beside moto's own ``/moto-api/``.

Some AWS behaviour is driven by time or by AWS itself rather than by an API call: a maintenance
window arrives, a creation finishes. Tests (the emulator's own, and the Rust tiers that run the
emulator as a process) trigger these moments through the routes below. Every route answers JSON.

=======  =============================================  ==============================================
Method   Path                                           Effect
=======  =============================================  ==============================================
GET      /stackwright-emulator/                         lists the routes and the lifecycle delay
POST     /stackwright-emulator/lifecycles/finish        every status walk in progress (creating,
                                                        modifying, deleting, ...) ends now
POST     /stackwright-emulator/rds/maintenance-window   every RDS DB instance with pending
                                                        modifications that is ``available`` starts
                                                        applying them (``modifying``, then
                                                        ``available`` with the new values)
POST     /stackwright-emulator/elasticache/             the same for ElastiCache replication groups
         maintenance-window                             (pending node type and engine version)
=======  =============================================  ==============================================

The maintenance-window routes take optional query parameters ``account`` (12 digits) and
``region``; without them they act on every account and region. Their answer lists what they
started, e.g. ``{"started": [{"account": "123456789012", "region": "us-east-1", "id": "db1"}]}``.

The patch is the narrowest that serves an extra path: moto's ``DomainDispatcherApplication.__call__``
(the WSGI entry of ``moto_server`` and ``ThreadedMotoServer``) answers paths under
``/stackwright-emulator/`` itself and hands every other request to moto unchanged.
"""

import json

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.wrappers import Request, Response

from . import lifecycle
from .settings import delay

PREFIX = "/stackwright-emulator/"

# (method, path below PREFIX) -> (handler(query: dict[str, str]) -> JSON-able, one-line doc)
_routes: dict[tuple[str, str], tuple] = {}


def register(method: str, path: str, handler, doc: str) -> None:
    """Serve ``method PREFIX+path`` with ``handler(query)``; its return value is sent as JSON."""
    _routes[(method.upper(), path.strip("/"))] = (handler, doc)


def selected(backend_dict, query):
    """The (account, region, backend) triples of a moto BackendDict that exist and match the
    ``account`` and ``region`` query parameters (each optional)."""
    account, region = query.get("account"), query.get("region")
    for account_id, region_name, backend in list(backend_dict.iter_backends()):
        if account and account_id != account:
            continue
        if region and region_name != region:
            continue
        yield account_id, region_name, backend


def _index(_query):
    return {
        "delay": delay(),
        "in_progress": lifecycle.in_progress(),
        "routes": [
            {"method": method, "path": PREFIX + path, "doc": doc}
            for (method, path), (_handler, doc) in sorted(_routes.items(), key=lambda r: r[0][1])
        ],
    }


def _finish(_query):
    return {"finished": lifecycle.finish_all()}


register("GET", "", _index, "this list")
register("POST", "lifecycles/finish", _finish, "end every status walk in progress now")


def _serve(environ, start_response):
    request = Request(environ)
    path = request.path[len(PREFIX) :].strip("/")
    entry = _routes.get((request.method, path))
    if entry is None:
        known = sorted({p for (_m, p) in _routes})
        status, body = (405 if path in known else 404), {"error": f"no route {request.method} {request.path}"}
    else:
        handler, _doc = entry
        try:
            status, body = 200, handler(dict(request.args))
        except Exception as error:  # a test-control bug should be visible, not a hung request
            status, body = 500, {"error": f"{type(error).__name__}: {error}"}
    response = Response(json.dumps(body, default=str), status=status, mimetype="application/json")
    return response(environ, start_response)


_original_call = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == PREFIX.rstrip("/") or path.startswith(PREFIX):
        return _serve(environ, start_response)
    return _original_call(self, environ, start_response)


def install():
    DomainDispatcherApplication.__call__ = _call
