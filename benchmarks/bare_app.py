"""The baseline: a bare FastAPI endpoint taking the same JSON body, with no database or policy."""

from fastapi import FastAPI
from pydantic import BaseModel


class Body(BaseModel):
    representative: dict[str, str]
    personBsn: str
    serviceCode: str
    action: str = "read"


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/mandate-checks")
    def check(body: Body) -> dict[str, object]:
        return {"allowed": False, "reason": "no_representation", "at": None}

    return app
