"""Operations moto does not implement answer with an AWS-shaped error, not an HTML 500 page.

moto's ``BaseResponse.call_action`` raises ``NotImplementedError("The X action has not been
implemented")`` when a service's response class has no method for the requested operation; the
server turns that into werkzeug's HTML "500 Internal Server Error" page, which no AWS SDK can parse
(the AWS SDK for Rust reports it as an unhandled error without a code). A request for an operation
that is not in the service model at all fails even earlier, in ``BaseResponse.parse_parameters``
(botocore's ``OperationNotFoundError``), for services whose parameters moto parses from the model.
And a REST operation moto has no URL route for gets Flask's HTML 404 page from moto's server.

This extension answers both cases as AWS answers a request for an operation it does not know, in the
service's own protocol:

* awsJson1_0 / awsJson1_1 (ECS, Application Auto Scaling, ...): HTTP 400, body
  ``{"__type": "UnknownOperationException", ...}`` and header ``x-amzn-ErrorType``. The JSON
  endpoints answer an unknown ``X-Amz-Target`` this way (e.g. CloudWatch Logs and Kinesis: HTTP 400,
  ``{"__type":"UnknownOperationException"}``); the Common Errors page of these APIs
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html) lists the general
  ``InvalidAction`` ("The action or operation requested is invalid."), which the JSON protocol
  reports under that type.
* awsQuery (ELBv2, RDS, ElastiCache, Auto Scaling, ...): HTTP 400,
  ``<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find
  operation X for version V</Message></Error><RequestId>..</RequestId></ErrorResponse>``. Common
  Errors, e.g. https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html:
  "InvalidAction: The action or operation requested is invalid. ... HTTP Status Code: 400".
* ec2Query: HTTP 400, ``<Response><Errors><Error><Code>InvalidAction</Code><Message>The action X
  is not valid for this web service.</Message></Error></Errors><RequestID>..</RequestID></Response>``
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html, "InvalidAction").
* restJson1 (EFS, ...): HTTP 404 with ``x-amzn-ErrorType: UnknownOperationException`` and a JSON
  body: the request names no resource path the service routes. (No AWS page documents this case;
  the type is the one the JSON protocols use.)
* restXml: S3 answers HTTP 501 ``NotImplemented`` ("A header you provided implies functionality
  that is not implemented.", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html);
  other restXml services (Route 53, CloudFront) HTTP 400 ``InvalidAction`` in an ``ErrorResponse``.

Every such answer is also logged on the server's stderr, so a test that meets one can tell that the
emulator, not AWS, lacks the operation. A ``NotImplementedError`` raised inside an operation moto
does implement (an unsupported filter, say) is left alone.
"""

import json
import sys
import uuid
from xml.sax.saxutils import escape

from botocore.model import OperationNotFoundError

from moto.core.request import determine_request_protocol
from moto.core.responses import BaseResponse
from moto.core.routing import get_service_router
from moto.core.utils import (
    camelcase_to_underscores,
    get_service_model,
    method_names_from_class,
    service_name_from_moto_package_name,
)
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

# The namespace of Coral's own faults, which query services answer an unknown action with.
AWS_FAULT_NS = "http://webservices.amazon.com/AWSFault/2005-15-09"

_original_call_action = BaseResponse.call_action
_original_parse_parameters = BaseResponse.parse_parameters


def _service_model(service):
    try:
        return get_service_model(service)
    except Exception:  # a moto-only endpoint without a botocore model
        return None


def unknown_operation(service, protocol, operation, headers=None):
    """The (status, headers, body) AWS answers a request for ``operation`` (None when the request
    names none) with; ``service`` is botocore's service name, ``protocol`` one of moto's protocol
    names (json, rest-json, query, query-json, ec2, rest-xml)."""
    model = _service_model(service)
    version = model.api_version if model is not None else ""
    request_id = str(uuid.uuid4())
    headers = dict(headers or {})
    headers["x-amzn-RequestId"] = request_id
    what = operation or "(unknown)"
    print(
        f"stackwright-emulator: {service} operation {what} is not implemented by moto; "
        f"answering as AWS does for an unknown operation",
        file=sys.stderr,
        flush=True,
    )

    if protocol == "json":
        json_version = model.metadata.get("jsonVersion", "1.1") if model is not None else "1.1"
        headers["Content-Type"] = f"application/x-amz-json-{json_version}"
        headers["x-amzn-ErrorType"] = "UnknownOperationException"
        body = {"__type": "UnknownOperationException", "message": f"Unknown operation {what}"}
        return 400, headers, json.dumps(body)
    if protocol == "rest-json":
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = "UnknownOperationException"
        return 404, headers, json.dumps({"message": f"Unknown operation {what}"})
    if protocol == "ec2":
        message = f"The action {what} is not valid for this web service."
        headers["Content-Type"] = "text/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>InvalidAction</Code><Message>{escape(message)}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return 400, headers, body
    if protocol == "query-json":
        message = f"Could not find operation {what} for version {version}"
        headers["Content-Type"] = "application/json"
        body = {
            "Error": {"Type": "Sender", "Code": "InvalidAction", "Message": message},
            "RequestId": request_id,
        }
        return 400, headers, json.dumps(body)
    if protocol == "rest-xml" and service == "s3":
        message = "A header you provided implies functionality that is not implemented."
        headers["Content-Type"] = "application/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>NotImplemented</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return 501, headers, body
    # awsQuery and the other restXml services
    if protocol == "query":
        message = f"Could not find operation {what} for version {version}"
    else:
        message = f"The action {what} is not valid for this web service."
    headers["Content-Type"] = "text/xml"
    body = (
        f'<ErrorResponse xmlns="{AWS_FAULT_NS}"><Error><Type>Sender</Type>'
        f"<Code>InvalidAction</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return 400, headers, body


def _response_protocol(response):
    model = _service_model(response.boto3_service_name)
    if model is None:
        return "json"
    try:
        return response.determine_response_protocol(model)
    except NotImplementedError:
        return str(model.protocol)


def _is_unknown(response, operation):
    if not operation:
        return False
    return camelcase_to_underscores(operation) not in method_names_from_class(response.__class__)


def call_action(self):
    try:
        return _original_call_action(self)
    except NotImplementedError:
        operation = self._get_action()
        if _is_unknown(self, operation):
            return unknown_operation(
                self.boto3_service_name,
                _response_protocol(self),
                operation,
                self.response_headers,
            )
        raise


def parse_parameters(self, request):
    """An operation outside the service model has no parameters to parse; ``call_action`` then
    answers it as unknown."""
    try:
        return _original_parse_parameters(self, request)
    except OperationNotFoundError:
        self.params = {}


# Backends of moto's server that are not AWS APIs keep Flask's own answers.
NOT_AWS = {"moto_api", "instance_metadata"}


def _operation_of(service, model, request):
    """The operation a request that no moto route matched names, if any."""
    action = request.values.get("Action")
    if action:
        return action
    target = request.headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    try:
        operation, _ = get_service_router(service).match(request)
        return operation.name
    except Exception:
        return None


def _route_error_handler(backend):
    service = service_name_from_moto_package_name(backend)

    def handle(error):
        from flask import request
        from flask import Response

        model = _service_model(service)
        if model is None:
            return error
        try:
            protocol = determine_request_protocol(model, request.content_type)
        except NotImplementedError:
            protocol = str(model.protocol)
        if protocol == "query" and request.values.get("ContentType") == "JSON":
            protocol = "query-json"
        operation = _operation_of(service, model, request)
        status, headers, body = unknown_operation(service, protocol, operation)
        return Response(body, status=status, headers=headers)

    return handle


def _with_route_errors(create_app):
    """Wraps moto's ``create_backend_app``: a request whose path matches none of a backend's
    routes (a REST operation moto has no route for) answers in the service's protocol too."""

    def create(backend):
        app = create_app(backend)
        if backend not in NOT_AWS:
            handler = _route_error_handler(backend)
            app.register_error_handler(404, handler)
            app.register_error_handler(405, handler)
        return app

    return create


_original_dispatcher_init = DomainDispatcherApplication.__init__


def _dispatcher_init(self, create_app):
    _original_dispatcher_init(self, _with_route_errors(create_app))


def install():
    BaseResponse.call_action = call_action
    BaseResponse.parse_parameters = parse_parameters
    DomainDispatcherApplication.__init__ = _dispatcher_init
