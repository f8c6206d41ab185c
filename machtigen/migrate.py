"""Run the Alembic migrations: the only way a schema is created, in tests too."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = Path(__file__).resolve().parent / "_bundled" / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """The source tree's alembic.ini and migrations/; in an installed wheel, the copy of the
    migrations it carries (alembic.ini only adds logging settings for the alembic command)."""
    if (ROOT / "migrations").is_dir():
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
    else:
        config = Config()
        config.set_main_option("script_location", str(BUNDLED))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
