from fastapi.testclient import TestClient

from api.main import create_app
from machtigen.config import Settings


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
