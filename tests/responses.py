"""Comparing whole responses for the existence-oracle tests.

Each response carries its own request id (``X-Request-ID``, and ``requestId`` in a problem
document), which names the request, never the resource; everything else must be the same
byte for byte.
"""

import re

PER_REQUEST_HEADERS = {"date", "x-request-id"}
_REQUEST_ID_MEMBER = re.compile(rb',"requestId":"[0-9a-f]{32}"')


def without_request_id(body: bytes) -> bytes:
    return _REQUEST_ID_MEMBER.sub(b"", body)


def comparable(response):
    """Status, headers and body, without what differs per request."""
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, without_request_id(response.content)
