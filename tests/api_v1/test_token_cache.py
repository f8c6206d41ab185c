"""The verified-token cache: bounded, least recently used out first, never past a token's
window; and the per-client "still active" memory that outlives no more than its recheck."""

from api.v1.token_cache import ActiveClients, VerifiedTokens
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ClientIdentity, VerifiedAccessToken


def verified(name: str, not_before: float = 100.0, expires_at: float = 400.0):
    client = ClientIdentity(name, ClientKind.REGISTER, None, name)
    return VerifiedAccessToken(client, not_before, expires_at)


def test_the_least_recently_used_token_goes_first():
    tokens = VerifiedTokens(max_entries=2)
    tokens.remember("a", verified("a"))
    tokens.remember("b", verified("b"))
    assert tokens.get("a", 200.0) is not None  # "a" is now the more recent
    tokens.remember("c", verified("c"))
    assert len(tokens) == 2
    assert tokens.get("b", 200.0) is None
    assert tokens.get("a", 200.0).client_id == "a"
    assert tokens.get("c", 200.0).client_id == "c"


def test_a_token_is_only_trusted_inside_its_window():
    tokens = VerifiedTokens()
    tokens.remember("a", verified("a", not_before=100.0, expires_at=400.0))
    assert tokens.get("a", 99.0) is None
    tokens.remember("a", verified("a", not_before=100.0, expires_at=400.0))
    assert tokens.get("a", 399.0) is not None
    assert tokens.get("a", 400.0) is None
    assert len(tokens) == 0, "an expired token is dropped, not kept"


def test_a_clients_state_is_read_again_after_the_recheck_time():
    clients = ActiveClients(recheck_seconds=10)
    assert clients.known("x", 1000.0) is None
    clients.remember("x", True, 1000.0)
    assert clients.known("x", 1009.9) is True
    assert clients.known("x", 1010.0) is None
    clients.remember("x", False, 1010.0)
    assert clients.known("x", 1011.0) is False
    clients.forget("x")
    assert clients.known("x", 1011.0) is None
