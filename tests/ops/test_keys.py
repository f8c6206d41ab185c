"""Keys per purpose with key ids, rotation, the published JWKS, and refusing to start."""

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.main import RefusedToStart, create_app
from machtigen.audit.mac import MacKeys
from machtigen.cli import main
from machtigen.config import Settings
from machtigen.keys import (
    ACCESS_TOKEN,
    AUDIT_CHECKPOINT,
    AUDIT_MAC,
    LOGIN_STATE,
    PURPOSES,
    MissingKeys,
    generate,
    read_keyset,
    rotate,
    write_keyset,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def key_settings(folder, **values) -> Settings:
    return Settings(
        access_token_keys_file=str(folder / "access-token.json"),
        audit_checkpoint_keys_file=str(folder / "audit-checkpoint.json"),
        audit_mac_keys_file=str(folder / "audit-mac.json"),
        login_state_keys_file=str(folder / "login-state.json"),
        **values,
    )


def test_production_refuses_to_start_without_keys_and_names_each_missing_one(tmp_path):
    settings = key_settings(tmp_path, environment="production")
    with pytest.raises(MissingKeys) as refused:
        create_app(settings)
    message = str(refused.value)
    for variable in (
        "MACHTIGEN_ACCESS_TOKEN_KEYS_FILE",
        "MACHTIGEN_AUDIT_CHECKPOINT_KEYS_FILE",
        "MACHTIGEN_AUDIT_MAC_KEYS_FILE",
        "MACHTIGEN_LOGIN_STATE_KEYS_FILE",
    ):
        assert variable in message
    assert not list(tmp_path.iterdir()), "production never makes keys of its own"
    generate(PURPOSES[AUDIT_MAC], tmp_path / "audit-mac.json", NOW)
    with pytest.raises(MissingKeys) as still:
        create_app(settings)
    assert "MACHTIGEN_AUDIT_MAC_KEYS_FILE" not in str(still.value)
    assert "MACHTIGEN_LOGIN_STATE_KEYS_FILE" in str(still.value)


def test_production_with_all_keys_starts_but_never_with_the_development_broker(
    tmp_path, database_url
):
    for name, purpose in PURPOSES.items():
        generate(purpose, tmp_path / f"{name.replace('_', '-')}.json", NOW)
    settings = key_settings(tmp_path, environment="production", database_url=database_url)
    assert create_app(settings) is not None
    dev = key_settings(
        tmp_path, environment="production", database_url=database_url, dev_broker=True
    )
    with pytest.raises(RefusedToStart, match="MACHTIGEN_DEV_BROKER"):
        create_app(dev)


def test_development_makes_missing_keys_once(tmp_path, database_url):
    settings = key_settings(tmp_path, database_url=database_url)
    create_app(settings)
    made = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert set(made) == {
        "access-token.json",
        "audit-checkpoint.json",
        "audit-mac.json",
        "login-state.json",
    }
    create_app(settings)
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == made
    assert oct((tmp_path / "audit-mac.json").stat().st_mode)[-3:] == "600"


def test_separate_keys_each_with_its_own_id(tmp_path):
    kids = set()
    for name, purpose in PURPOSES.items():
        path = tmp_path / f"{name}.json"
        generate(purpose, path, NOW)
        keyset = read_keyset(purpose, path)
        kids.add(keyset.signer(NOW).kid)
    assert len(kids) == 4


def test_rotation_new_key_signs_from_its_moment_and_the_old_verifies_until_its_grace(tmp_path):
    settings = key_settings(tmp_path, access_token_seconds=300)
    purpose = PURPOSES[ACCESS_TOKEN]
    generate(purpose, tmp_path / "at.json", NOW)
    old = read_keyset(purpose, tmp_path / "at.json")
    rotated, new = rotate(old, settings, NOW, timedelta(hours=1))
    first = old.signer(NOW)
    assert rotated.signer(NOW).kid == first.kid, "until activation the old key signs"
    assert {k["kid"] for k in rotated.jwks(NOW)["keys"]} == {first.kid, new.kid}
    later = NOW + timedelta(hours=1)
    assert rotated.signer(later).kid == new.kid
    assert rotated.get(first.kid).verifies_at(later + timedelta(seconds=359))
    assert not rotated.get(first.kid).verifies_at(later + timedelta(seconds=361))
    assert [k["kid"] for k in rotated.jwks(later + timedelta(hours=1))["keys"]] == [new.kid]


def test_checkpoint_and_mac_keys_verify_forever_after_rotation(tmp_path):
    settings = key_settings(tmp_path)
    for name in (AUDIT_CHECKPOINT, AUDIT_MAC):
        purpose = PURPOSES[name]
        generate(purpose, tmp_path / f"{name}.json", NOW)
        keyset, _new = rotate(read_keyset(purpose, tmp_path / f"{name}.json"), settings, NOW)
        assert all(key.verify_until is None for key in keyset.keys)


def test_an_event_signed_before_a_mac_key_rotation_still_verifies(tmp_path):
    purpose = PURPOSES[AUDIT_MAC]
    generate(purpose, tmp_path / "mac.json", NOW)
    before = MacKeys(read_keyset(purpose, tmp_path / "mac.json"))
    values = {
        "occurred_at": NOW,
        "action": "account.activated",
        "actor_kind": "person",
        "actor_id": "p-1",
        "actor_name": "Corry",
        "subject_person_id": None,
        "object_type": None,
        "object_id": None,
        "detail": {"a": 1},
        "ip": "192.0.2.1",
        "user_agent": "x",
        "means": "digid",
        "loa": "midden",
    }
    signed = before.sign(dict(values))
    rotated, new = rotate(before.keyset, key_settings(tmp_path), NOW)
    after = MacKeys(rotated)
    assert after.check(signed) is None
    resigned = after.sign(dict(values))
    assert resigned["mac_key_id"] == new.kid and after.check(resigned) is None
    assert "does not verify" in after.check({**signed, "actor_id": "p-2"})


def test_access_tokens_of_a_rotated_key_keep_working_and_the_jwks_is_published(
    tmp_path, database_url, clock
):
    from machtigen.clients.models import ClientKind
    from machtigen.clients.service import ClientIdentity, _sign_access_token, authenticate

    settings = key_settings(tmp_path, database_url=database_url)
    app = create_app(settings, clock=clock)
    identity = ClientIdentity("00000001001234567000", ClientKind.REGISTER, None, "x")
    old_token = _sign_access_token(identity, app.state.token_config, clock.now())
    path = tmp_path / "access-token.json"
    keyset, new = rotate(read_keyset(PURPOSES[ACCESS_TOKEN], path), settings, clock.now())
    write_keyset(keyset, path)
    rotated = create_app(settings, clock=clock)
    new_token = _sign_access_token(identity, rotated.state.token_config, clock.now())
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid
    for token in (old_token, new_token):
        assert authenticate(token, rotated.state.access_token_issuer, clock.now()).client_id
    with TestClient(rotated) as client:
        published = client.get("/.well-known/jwks.json")
    kids = {key["kid"] for key in published.json()["keys"]}
    assert {new.kid, jwt.get_unverified_header(old_token)["kid"]} <= kids
    checkpoint_kid = read_keyset(
        PURPOSES[AUDIT_CHECKPOINT], tmp_path / "audit-checkpoint.json"
    ).signer(clock.now())
    assert checkpoint_kid.kid in kids
    assert all("d" not in key for key in published.json()["keys"])


def test_the_login_state_cookie_names_its_key_and_survives_a_rotation(tmp_path, database_url):
    from itsdangerous import BadSignature
    from starlette.requests import Request

    from api.login_state import load_login_state, sign_login_state

    settings = key_settings(tmp_path, database_url=database_url)
    app = create_app(settings)
    request = Request({"type": "http", "app": app, "headers": []})
    cookie = sign_login_state(request, {"state": "s"})
    kid = read_keyset(PURPOSES[LOGIN_STATE], tmp_path / "login-state.json").signer(NOW).kid
    assert cookie.startswith(f"{kid}.")
    path = tmp_path / "login-state.json"
    keyset, _new = rotate(read_keyset(PURPOSES[LOGIN_STATE], path), settings, datetime.now(UTC))
    write_keyset(keyset, path)
    rotated = create_app(settings)
    request = Request({"type": "http", "app": rotated, "headers": []})
    assert load_login_state(request, cookie, 600) == {"state": "s"}
    with pytest.raises(BadSignature):
        load_login_state(request, "unknown." + cookie.partition(".")[2], 600)


def test_the_keys_commands(tmp_path, monkeypatch):
    from machtigen.config import get_settings

    for name, purpose in PURPOSES.items():
        monkeypatch.setenv(purpose.variable(), str(tmp_path / f"{name}.json"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(main, ["keys", "generate"])
        assert made.exit_code == 0 and made.output.count("made") == 4
        again = runner.invoke(main, ["keys", "generate"])
        assert again.output.count("exists") == 4
        rotated = runner.invoke(
            main, ["keys", "rotate", "--purpose", "access_token", "--activate-after", "1h"]
        )
        assert rotated.exit_code == 0, rotated.output
        listed = runner.invoke(main, ["keys", "list"])
        assert "next (verifies, signs from active_from)" in listed.output
        assert listed.output.count("signing") == 4
        bad = runner.invoke(
            main, ["keys", "rotate", "--purpose", "audit_mac", "--activate-after", "soon"]
        )
        assert bad.exit_code != 0 and "not a duration" in bad.output
        jwks = json.loads(runner.invoke(main, ["audit", "jwks"]).output)
        assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]
    finally:
        get_settings.cache_clear()


def test_the_serve_command_refuses_without_keys_in_production(tmp_path, monkeypatch):
    from machtigen.config import get_settings

    monkeypatch.setenv("MACHTIGEN_ENVIRONMENT", "production")
    for name, purpose in PURPOSES.items():
        monkeypatch.setenv(purpose.variable(), str(tmp_path / f"{name}.json"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "MACHTIGEN_AUDIT_MAC_KEYS_FILE" in result.output
