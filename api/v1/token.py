"""The token endpoint: client credentials with a private_key_jwt client assertion (RFC 7523)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from api.deps import SessionDep
from api.v1.deps import origin_of
from api.v1.schemas import TokenAnswer, TokenForm
from machtigen.clients.service import ASSERTION_TYPE, issue_access_token
from machtigen.errors import InvalidInput

router = APIRouter(tags=["authentication"])


class InvalidTokenRequest(InvalidInput):
    status_code = 400
    title = "Invalid token request"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.extra = {"error": error}


@router.post(
    "/oauth2/token",
    operation_id="requestAccessToken",
    summary="Exchange a signed client assertion for a short-lived access token",
    response_model=TokenAnswer,
)
def token(request: Request, session: SessionDep, form: Annotated[TokenForm, Form()]) -> TokenAnswer:
    state = request.app.state
    origin = origin_of(request)
    state.rate_limiter.check_ip(origin.ip or "unknown")
    if form.grant_type != "client_credentials":
        raise InvalidTokenRequest("unsupported_grant_type", "Use grant_type client_credentials.")
    if form.client_assertion_type != ASSERTION_TYPE:
        raise InvalidTokenRequest(
            "invalid_request", f"Use client_assertion_type {ASSERTION_TYPE} (private_key_jwt)."
        )
    issued = issue_access_token(
        session,
        assertion=form.client_assertion,
        config=state.token_config,
        clock=state.clock,
        authz=state.authorizer,
        origin=origin,
    )
    return TokenAnswer(access_token=issued.access_token, expires_in=issued.expires_in)
