"""The whole login over HTTP with a relying party registered at the development broker the way
an operator registers at a real one (client_id, redirect URI, certificate), and the refusals
that only the full flow can show: state, PKCE, a code used twice, broker errors, TLS trust."""

import json
import os
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from urllib.parse import parse_qs, urlsplit

import anyio
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.main import create_app
from machtigen.audit.models import AuditEvent
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.db import make_engine, session_factory, transaction
from machtigen.demo import load_demo_data
from machtigen.identity.brokers import BrokerConfig
from machtigen.identity.client_keys import ClientCredentials, self_signed_certificate
from machtigen.identity.dev_provider import register_client
from machtigen.identity.models import PortalSession
from machtigen.identity.oidc import BrokerUnavailable, RelyingParty
from machtigen.migrate import upgrade
from tests.api_auth.test_login_flow import hidden_fields, login, through_broker
from tests.conftest import fresh_database
from tests.factories import T0

BASE = "http://testserver"
CLIENT_ID = "rp-registered-by-an-operator"


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    with fresh_database(
        os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path_factory.mktemp("broker")
    ) as url:
        engine = make_engine(url)
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            load_demo_data(session, get_authorizer(), T0)
        yield engine, url
        engine.dispose()


@pytest.fixture(scope="module")
def registration(tmp_path_factory):
    """What an operator does at a broker: a key pair, a certificate, a registration."""
    folder = tmp_path_factory.mktemp("rp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = self_signed_certificate(key, CLIENT_ID)
    (folder / "rp-key.pem").write_bytes(ClientCredentials(key, certificate).private_pem)
    (folder / "rp-cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture
def settings(demo_database, registration, tmp_path):
    base = Settings(
        database_url=demo_database[1],
        dev_broker=True,
        dev_broker_key_file=str(registration / "broker-key.pem"),
        dev_broker_clients_file=str(tmp_path / "clients.json"),
        dev_client_key_file=str(registration / "dev-client-key.pem"),
        dev_client_cert_file=str(registration / "dev-client-cert.pem"),
        secret_key="test-secret",
        cookie_secure=False,
        public_url=BASE,
        login_failure_window_seconds=0,  # every failure its own event here (see test_auth_flood)
    )
    register_client(
        base,
        CLIENT_ID,
        [f"{BASE}/auth/digid/callback", f"{BASE}/auth/eherkenning/callback"],
        (registration / "rp-cert.pem").read_bytes(),
        [f"{BASE}/auth/logged-out"],
    )
    brokers = [
        {
            "means": means,
            "discovery_url": f"{BASE}/dev-broker/.well-known/openid-configuration",
            "client_id": CLIENT_ID,
            "client_key_file": str(registration / "rp-key.pem"),
            "client_certificate_file": str(registration / "rp-cert.pem"),
            "login_hint": means,
        }
        for means in ("digid", "eherkenning")
    ]
    (tmp_path / "brokers.json").write_text(json.dumps(brokers))
    return base.model_copy(update={"brokers_file": str(tmp_path / "brokers.json")})


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def client(settings, clock):
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(demo_database):
    with Session(demo_database[0], expire_on_commit=False) as session:
        yield session


def failures(db):
    db.expire_all()
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    found = [dict(e.detail) for e in rows]
    db.rollback()
    return found


def test_koen_logs_in_through_mock_digid_at_substantial_and_lands_on_the_portal(client, db):
    start = client.get("/auth/digid/start")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{BASE}/auth/digid/callback"]
    done = login(client, "digid", bsn="999993653", acr="substantieel")
    assert (done.status_code, done.headers["location"]) == (303, "/portal")
    portal = client.get("/portal")
    assert portal.status_code == 200 and "Koen" in portal.text
    db.expire_all()
    session = db.scalars(select(PortalSession).order_by(PortalSession.created_at.desc())).first()
    assert (session.means, session.loa) == ("digid", "substantieel")
    db.rollback()


def test_piets_office_logs_in_with_eherkenning(client):
    done = login(client, "eherkenning", kvk="12345678", employee_id="eh-piet-0001", acr="EH3")
    assert (done.status_code, done.headers["location"]) == (303, "/portal")
    portal = client.get("/portal")
    assert portal.status_code == 200 and "Piet van Dijk" in portal.text


def test_the_same_broker_gives_a_means_only_what_its_mapping_reads(client):
    """A DigiD-configured login that comes back with only a KvK number is refused."""
    start = client.get("/auth/digid/start")
    page = client.get(
        start.headers["location"].replace("login_hint=digid", "login_hint=eherkenning")
    )
    back = client.post(
        "/dev-broker/authorize",
        data={**hidden_fields(page.text), "action": "login", "kvk": "12345678"},
    )
    assert client.get(back.headers["location"]).status_code == 401


def test_a_replayed_callback_is_refused_and_audited(client, db):
    callback = through_broker(client, "digid", bsn="999993653", acr="substantieel")
    state_cookie = client.cookies.get("machtigen_login")
    assert client.get(callback).status_code == 303
    assert client.cookies.get("machtigen_login") is None
    before = len(failures(db))
    replay = client.get(callback)
    assert replay.status_code == 401 and "text/html" in replay.headers["content-type"]
    # With the state cookie kept, the flow in the database is still used up.
    kept = client.get(callback, headers={"cookie": f"machtigen_login={state_cookie}"})
    assert kept.status_code == 401
    assert failures(db)[before:] == [
        {"reason": "state_mismatch"},
        {"reason": "state_used_or_expired"},
    ]


def test_a_mismatched_state_is_refused(client, db):
    callback = through_broker(client, "digid", bsn="999993653", acr="substantieel")
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).status_code == 401
    before = len(failures(db))
    client.cookies.clear()  # another browser: no login-state cookie at all
    assert client.get(callback).status_code == 401
    assert failures(db)[before:] == [{"reason": "state_mismatch"}]


def test_a_code_injected_into_another_login_fails_pkce(client, db):
    """A code from one login, delivered with another login's state: the broker checks that
    login's PKCE verifier against the code's challenge and refuses."""
    stolen = through_broker(client, "digid", bsn="999993653", acr="substantieel")
    code = parse_qs(urlsplit(stolen).query)["code"][0]
    mine = through_broker(client, "digid", bsn="999990019", acr="substantieel")
    state = parse_qs(urlsplit(mine).query)["state"][0]
    before = len(failures(db))
    refused = client.get(f"/auth/digid/callback?code={code}&state={state}")
    assert refused.status_code == 401
    assert failures(db)[before:] == [{"reason": "invalid_token"}]
    assert client.get("/portal").status_code == 303


def test_the_broker_refuses_a_code_used_twice(client, settings, clock, registration):
    callback = through_broker(client, "digid", bsn="999993653", acr="substantieel")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    flow_verifier = _verifier_of(client, settings, callback)
    form = _token_form(code, flow_verifier, registration, clock)
    first = client.post("/dev-broker/token", data=form)
    assert first.status_code == 200 and first.json()["token_type"] == "Bearer"
    second = client.post(
        "/dev-broker/token", data=_token_form(code, flow_verifier, registration, clock)
    )
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


def test_the_broker_refuses_a_wrong_verifier_and_a_foreign_assertion(
    client, settings, clock, registration
):
    callback = through_broker(client, "digid", bsn="999993653", acr="substantieel")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    wrong = client.post("/dev-broker/token", data=_token_form(code, "w" * 64, registration, clock))
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _token_form(code, "w" * 64, registration, clock, key=other_key)
    refused = client.post("/dev-broker/token", data=forged)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    ("error", "reason", "text"),
    [
        ("access_denied", "broker_access_denied", "U heeft het inloggen afgebroken"),
        ("login_required", "broker_login_required", "U heeft het inloggen afgebroken"),
        ("server_error", "broker_error", "Het inloggen is niet gelukt"),
    ],
)
def test_a_broker_error_is_a_readable_page_and_audited(client, db, error, reason, text):
    start = client.get("/auth/digid/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    before = len(failures(db))
    page = client.get(
        f"/auth/digid/callback?error={error}&error_description=Authentication+cancelled&state={state}"
    )
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]
    expected = text if error != "access_denied" else "Het inloggen is geweigerd"
    assert expected in page.text
    assert failures(db)[before:] == [{"reason": reason}]


def test_cancelling_at_the_broker_comes_back_as_a_page_in_english(client):
    callback = through_broker(client, "digid", action="cancel")
    assert "error=access_denied" in callback
    page = client.get(callback + "&lang=en")
    assert page.status_code == 401
    assert "The login was refused" in page.text and 'lang="en"' in page.text


def test_logout_ends_the_session_at_the_broker_too(client):
    login(client, "digid", bsn="999993653", acr="substantieel")
    home = client.get("/portal")
    csrf = hidden_fields(home.text).get("csrf_token")
    out = client.post("/auth/logout", data={"csrf_token": csrf})
    target = urlsplit(out.headers["location"])
    assert target.path == "/dev-broker/logout"
    assert parse_qs(target.query)["client_id"] == [CLIENT_ID]
    assert client.get(out.headers["location"]).headers["location"] == f"{BASE}/auth/logged-out"
    assert client.get("/portal").status_code == 303


def _verifier_of(client, settings, callback):
    from machtigen.identity.flows import state_hash
    from machtigen.identity.models import LoginFlow

    state = parse_qs(urlsplit(callback).query)["state"][0]
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        flow = session.scalars(
            select(LoginFlow).where(LoginFlow.state_hash == state_hash(state))
        ).one()
        verifier = flow.code_verifier
    engine.dispose()
    return verifier


def _token_form(code, verifier, registration, clock, key=None):
    from machtigen.identity.client_keys import load_rsa_key

    signer = key or load_rsa_key((registration / "rp-key.pem").read_bytes())
    now = int(clock.now().timestamp())
    assertion = jwt.encode(
        {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": f"{BASE}/dev-broker/token",
            "iat": now,
            "exp": now + 60,
            "jti": os.urandom(12).hex(),
        },
        signer,
        algorithm="RS256",
    )
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{BASE}/auth/digid/callback",
        "code_verifier": verifier,
        "client_id": CLIENT_ID,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }


# -- TLS trust through a configured CA bundle ---------------------------------------------


def _tls_server(tmp_path):
    """A discovery document served over HTTPS with a certificate from a test CA."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test broker CA")])
    now = datetime.now(UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    class Discovery(BaseHTTPRequestHandler):
        def do_GET(self):
            issuer = f"https://127.0.0.1:{self.server.server_port}"
            body = json.dumps(
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "userinfo_endpoint": f"{issuer}/userinfo",
                    "jwks_uri": f"{issuer}/jwks",
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf-key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_tls_to_the_broker_is_trusted_through_the_configured_ca_bundle(tmp_path, registration):
    server = _tls_server(tmp_path)
    issuer = f"https://127.0.0.1:{server.server_port}"
    credentials = ClientCredentials.from_files(
        registration / "rp-key.pem", registration / "rp-cert.pem"
    )

    def party(ca_bundle):
        config = BrokerConfig(
            means="digid",
            issuer=issuer,
            client_id=CLIENT_ID,
            client_key_file=str(registration / "rp-key.pem"),
            client_certificate_file=str(registration / "rp-cert.pem"),
            ca_bundle=ca_bundle,
        )
        return RelyingParty(config, credentials)

    try:
        trusted = anyio.run(party(str(tmp_path / "ca.pem")).metadata)
        assert trusted["issuer"] == issuer
        with pytest.raises(BrokerUnavailable):
            anyio.run(party(None).metadata)
    finally:
        server.shutdown()
