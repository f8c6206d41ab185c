"""Onboarding an afnemer from the command line: afnemer, service, client keys, listing."""

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select

from machtigen.audit.models import AuditEvent
from machtigen.cli import main
from machtigen.config import get_settings
from machtigen.db import make_engine

OIN = "00000001234567890000"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MACHTIGEN_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0

    def invoke(*args: str):
        return runner.invoke(main, list(args))

    yield invoke, url
    get_settings.cache_clear()


def _jwks_file(tmp_path, *, private: bool = False):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key if private else key.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1"}]}))
    return str(path)


def test_an_operator_onboards_an_afnemer_with_a_client(cli, tmp_path):
    invoke, url = cli
    added = invoke("afnemers", "add", "--operator", "op-anna", "--oin", OIN, "--name", "RDW")
    assert added.exit_code == 0, added.output
    service = invoke(
        "afnemers",
        "add-service",
        "--operator",
        "op-anna",
        "--oin",
        OIN,
        "--code",
        "kenteken",
        "--name",
        "Kentekenregister",
        "--category",
        "other",
    )
    assert service.exit_code == 0, service.output
    registered = invoke(
        "clients",
        "register",
        "--operator",
        "op-anna",
        "--client-id",
        OIN,
        "--kind",
        "afnemer",
        "--jwks",
        _jwks_file(tmp_path),
    )
    assert registered.exit_code == 0, registered.output
    listed = invoke("clients", "list", "--operator", "op-anna")
    assert listed.exit_code == 0
    assert f"{OIN}\tafnemer\tactive\tweight 1\tkeys k1" in listed.output
    engine = make_engine(url)
    with engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent.actor_id, AuditEvent.actor_kind).where(
                AuditEvent.action == "client.registered"
            )
        ).one()
    engine.dispose()
    assert tuple(event) == ("op-anna", "operator")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("afnemers", "add", "--oin", "123", "--name", "X"), "An OIN is twenty digits."),
        (
            (
                "afnemers",
                "add-service",
                "--oin",
                OIN,
                "--code",
                "c",
                "--name",
                "n",
                "--category",
                "financial",
            ),
            "No such afnemer.",
        ),
    ],
)
def test_bad_input_is_one_readable_line(cli, args, message):
    invoke, _ = cli
    result = invoke(*args[:2], "--operator", "op-anna", *args[2:])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_private_key_is_never_registered(cli, tmp_path):
    invoke, _ = cli
    invoke("afnemers", "add", "--operator", "op-anna", "--oin", OIN, "--name", "RDW")
    result = invoke(
        "clients",
        "register",
        "--operator",
        "op-anna",
        "--client-id",
        OIN,
        "--kind",
        "afnemer",
        "--jwks",
        _jwks_file(tmp_path, private=True),
    )
    assert result.exit_code == 1
    assert "private key" in result.output
    listed = invoke("clients", "list", "--operator", "op-anna")
    assert OIN not in listed.output


def _registered(invoke, tmp_path) -> None:
    invoke("afnemers", "add", "--operator", "op-anna", "--oin", OIN, "--name", "Belastingdienst")
    registered = invoke(
        "clients",
        "register",
        "--operator",
        "op-anna",
        "--client-id",
        OIN,
        "--kind",
        "afnemer",
        "--jwks",
        _jwks_file(tmp_path),
    )
    assert registered.exit_code == 0, registered.output


def test_an_operator_gives_a_client_a_weight_in_the_fair_share(cli, tmp_path):
    invoke, url = cli
    _registered(invoke, tmp_path)
    result = invoke(
        "clients", "set-weight", "--operator", "op-bert", "--client-id", OIN, "--weight", "4"
    )
    assert result.exit_code == 0, result.output
    assert "weight 4" in result.output
    listed = invoke("clients", "list", "--operator", "op-anna")
    assert f"{OIN}\tafnemer\tactive\tweight 4\tkeys k1" in listed.output
    engine = make_engine(url)
    with engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent.actor_id, AuditEvent.detail).where(
                AuditEvent.action == "client.share_weight_set"
            )
        ).one()
    engine.dispose()
    assert event.actor_id == "op-bert"
    assert event.detail["client_id"] == OIN
    assert (event.detail["previous"], event.detail["weight"]) == (1, 4)


@pytest.mark.parametrize(
    ("client_id", "weight", "message"),
    [
        (OIN, "0", "weight: from 1 to 100."),
        (OIN, "101", "weight: from 1 to 100."),
        ("00000009999999999999", "2", "No client with this client id is registered."),
    ],
)
def test_a_bad_weight_changes_nothing(cli, tmp_path, client_id, weight, message):
    invoke, url = cli
    _registered(invoke, tmp_path)
    result = invoke(
        "clients",
        "set-weight",
        "--operator",
        "op-bert",
        "--client-id",
        client_id,
        "--weight",
        weight,
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "weight 1\t" in invoke("clients", "list", "--operator", "op-anna").output
    engine = make_engine(url)
    with engine.connect() as connection:
        events = connection.execute(
            select(AuditEvent.seq).where(AuditEvent.action == "client.share_weight_set")
        ).all()
    engine.dispose()
    assert events == []
