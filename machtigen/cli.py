"""The ``machtigen`` command: migrate, demo-data, serve."""

import click

from machtigen.authz.engine import get_authorizer
from machtigen.clock import SystemClock
from machtigen.config import get_settings
from machtigen.db import make_engine, session_factory, transaction
from machtigen.migrate import upgrade


@click.group()
def main() -> None:
    """machtigen: delegation and authorization for the government mailbox."""


@main.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    settings = get_settings()
    _ensure_sqlite_folder(settings.database_url)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    click.echo("database migrated")


@main.command("demo-data")
def demo_data() -> None:
    """Load the demo stories (Koen, Corry, Piet, Monique, Christina, Lisa) once."""
    from machtigen.demo import load_demo_data

    engine = make_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        loaded = load_demo_data(session, get_authorizer(), SystemClock().now())
    engine.dispose()
    click.echo("demo data loaded" if loaded else "demo data already present")


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (default MACHTIGEN_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default MACHTIGEN_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and portal with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
    )


def _ensure_sqlite_folder(url: str) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
