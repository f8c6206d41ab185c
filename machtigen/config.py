"""Operator settings, read from environment variables prefixed ``MACHTIGEN_``."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MACHTIGEN_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/machtigen.db"
    host: str = "127.0.0.1"
    port: int = 8000
    untick_transition_days: int = 21
    """Days between unticking an afnemer and delivery going to paper (DOMAIN.md rule 3)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
