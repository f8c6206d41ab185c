from fastapi.testclient import TestClient

from api.main import create_app
from machtigen.config import Settings
from machtigen.db import make_engine
from machtigen.migrate import upgrade
from tests.peers import closed_port, redis_server, silent_peer


def test_health_answers_200_with_the_database_reachable(engine, database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_health_answers_503_problem_when_the_database_is_down(tmp_path):
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    with TestClient(create_app(Settings(database_url=unreachable))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Service unavailable"


def test_unknown_paths_get_a_problem_document(engine, database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_liveness_does_no_io_and_answers_with_the_database_down():
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none"
    with TestClient(create_app(Settings(database_url=unreachable))) as client:
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_ready_with_the_database_at_head_and_no_redis(engine, database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "reachable",
        "migrations": "at head",
        "redis": "not configured",
    }


def test_ready_with_redis_up(engine, database_url):
    with redis_server() as redis_url:
        settings = Settings(database_url=database_url, redis_url=redis_url)
        with TestClient(create_app(settings)) as client:
            client.app.state.rate_limiter.check_client("probe")
            response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["redis"] == "up"


def test_ready_but_degraded_when_redis_is_down(engine, database_url):
    settings = Settings(
        database_url=database_url,
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
        redis_breaker_failures=2,
    )
    with TestClient(create_app(settings)) as client:
        limiter = client.app.state.rate_limiter
        for _ in range(2):
            limiter.check_client("probe")
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["redis"].startswith("degraded")


def test_not_ready_when_the_database_is_down():
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none"
    with TestClient(create_app(Settings(database_url=unreachable))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"] == {
        "database": "unreachable",
        "migrations": "unknown",
        "redis": "not configured",
    }


def test_not_ready_when_the_database_does_not_answer_in_time():
    """A database host that accepts and never answers: the probe gives up at its deadline,
    long before the connection attempt itself would."""
    with silent_peer() as frozen:
        url = f"postgresql+psycopg://nobody@127.0.0.1:{frozen.port}/none"
        with TestClient(create_app(Settings(database_url=url))) as client:
            response = client.get("/health/ready")
            assert response.status_code == 503
            assert response.json()["checks"]["database"] == "slow"
            assert client.get("/health/live").status_code == 200


def test_not_ready_when_the_migrations_are_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    behind = make_engine(url)
    upgrade(behind, "0006")
    behind.dispose()
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "not at head"
    assert response.json()["checks"]["database"] == "reachable"


def test_ready_and_health_answer_while_every_pooled_connection_is_taken(engine, database_url):
    settings = Settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=1.0
    )
    with TestClient(create_app(settings)) as client:
        held = client.app.state.engine.connect()
        try:
            assert client.get("/health/ready").status_code == 200
            assert client.get("/health").status_code == 200
        finally:
            held.close()
