"""The login-state cookie's signature: the ``login_state`` key set, with key ids.

The cookie is ``<kid>.<itsdangerous signed value>``: the key that signed it is looked up by
its id, so a rotated key keeps verifying cookies issued just before the rotation.
"""

from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from machtigen.keys import LOGIN_STATE

SALT = "login-state"


def sign_login_state(request: Request, value: Any) -> str:
    keyset = request.app.state.keysets[LOGIN_STATE]
    key = keyset.signer(request.app.state.clock.now())
    return f"{key.kid}.{URLSafeTimedSerializer(key.secret, salt=SALT).dumps(value)}"


def load_login_state(request: Request, raw: str, max_age: int) -> Any:
    """The signed value, or ``BadSignature`` (unknown key, changed, or older than max_age)."""
    kid, _, signed = raw.partition(".")
    key = request.app.state.keysets[LOGIN_STATE].get(kid)
    if key is None or key.secret is None or not key.verifies_at(request.app.state.clock.now()):
        raise BadSignature("unknown login-state key")
    return URLSafeTimedSerializer(key.secret, salt=SALT).loads(signed, max_age=max_age)
