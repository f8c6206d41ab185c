"""Operator settings, read from environment variables prefixed ``MACHTIGEN_``.

``docs/operations.md`` lists every setting; its table is generated from this class
(``machtigen settings``), and a test fails when the two drift apart.
"""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MACHTIGEN_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    environment: Literal["development", "production"] = "development"
    """``production``: the service refuses to start without its configured keys (naming the
    missing one) or with the development broker on. ``development`` makes missing keys."""
    database_url: str = "sqlite:///./var/machtigen.db"
    """SQLAlchemy URL: ``postgresql+psycopg://user@host/db`` in production."""
    host: str = "127.0.0.1"
    """Address ``machtigen serve`` listens on."""
    port: int = 8000
    """Port ``machtigen serve`` listens on."""
    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Addresses or networks (comma-separated, e.g. ``10.0.0.0/8,192.0.2.7``) of the load
    balancers in front of the service. Only their ``X-Forwarded-For``/``-Proto`` is believed:
    the client address (also in the audit trail) is the nearest one outside this list."""
    shutdown_grace_seconds: float = 20.0
    """On SIGTERM: how long ``serve`` lets requests in flight finish before it closes them."""

    # Logs, metrics and traces.
    log_level: str = "INFO"
    """Lowest level written (DEBUG, INFO, WARNING, ERROR)."""
    log_format: Literal["json", "console"] = "json"
    """``json``: one JSON object per line on stderr; ``console``: coloured, for a terminal."""
    metrics_host: str = "127.0.0.1"
    """Address of the Prometheus endpoint (``/metrics``), apart from the public app."""
    metrics_port: int | None = None
    """Port of the Prometheus endpoint served by ``machtigen serve`` (all workers together);
    unset: no endpoint. ``send-notifications`` and ``jobs`` take ``--metrics-port``."""
    metrics_dir: str = "var/metrics"
    """Scratch directory for prometheus-client's multiprocess mode (emptied at start)."""

    # Keys: one set per purpose, each key with a key id; rotated by ``machtigen keys rotate``.
    access_token_keys_file: str = "var/keys/access-token.json"  # noqa: S105 - a path
    """EC P-256 keys signing the API's access tokens (the public ones at
    ``/.well-known/jwks.json``). Every host of a deployment reads the same file."""
    audit_checkpoint_keys_file: str = "var/keys/audit-checkpoint.json"
    """EC P-256 keys signing the audit log's checkpoints (public ones published forever)."""
    audit_mac_keys_file: str = "var/keys/audit-mac.json"
    """HMAC-SHA-256 keys over every audit event (outside the database: the database's
    credentials alone cannot write an event the sealer accepts)."""
    login_state_keys_file: str = "var/keys/login-state.json"
    """HMAC keys signing the short-lived login-state cookie."""
    untick_transition_days: int = 21
    """Days between unticking an afnemer and delivery going to paper (DOMAIN.md rule 3)."""

    # Identity brokers and portal sessions (login).
    brokers_file: str | None = None
    """JSON list of trusted brokers: means, issuer, audience, jwks or jwks_file, authorize_url."""
    dev_broker: bool = False
    """Serve the development broker (login pages that mint tokens). Never on in production."""
    dev_broker_key_file: str = "var/dev-broker-key.pem"
    """The development broker's signing key (development only)."""
    public_url: str = "http://127.0.0.1:8000"
    """The service's own address: the audience of broker tokens and the issuer of its own."""
    cookie_secure: bool = True
    """Send the session cookie only over HTTPS (``false`` only for ``make run``)."""
    session_idle_minutes: int = 15
    """A portal session ends after this long without a request."""
    session_absolute_hours: int = 8
    """A portal session ends this long after the login, whatever happens."""

    # Notifications, reminders, paper letters and jobs (DOMAIN.md rules 6-8, 12).
    smtp_host: str = "127.0.0.1"
    """SMTP server that notifications are sent through."""
    smtp_port: int = 25
    """Its port."""
    smtp_username: str | None = None
    """SMTP login, when the server asks for one."""
    smtp_password: str | None = None
    """SMTP password (a secret: give it through the environment)."""
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS."""
    smtp_timeout_seconds: float = 30.0
    """An SMTP step that takes longer fails (and is retried later)."""
    mail_from: str = "MijnOverheid <noreply@mijnoverheid.example>"
    """The From of every notification."""
    mail_domain: str = "mijnoverheid.example"
    """The right-hand side of every notification's Message-ID."""
    portal_name: str = "MijnOverheid"
    """The portal's name in e-mails and letters."""
    notify_batch_size: int = 100
    """Notifications one sender claims at a time."""
    notify_lease_seconds: int = 300
    """A claimed notification is given up after this long and claimed again (crash safety)."""
    notify_max_attempts: int = 12
    """Attempts before a notification is given up (bounced or failed)."""
    notify_backoff_base_seconds: float = 30.0
    """First retry delay; doubled per attempt, with jitter."""
    notify_backoff_cap_seconds: float = 6 * 3600.0
    """The longest retry delay."""
    reminder_days: int = 21
    """A repeat notification after this many days unread (rule 6)."""
    email_recheck_months: int = 6
    """Ask whether the e-mail address is still current after this many months."""
    escalate_after_bounces: int = 3
    """Consecutive refused notifications before a paper letter goes out (rule 7)."""
    escalate_unvisited_days: int = 60
    """Unread, and no visit since it arrived, for this many days: a paper letter (rule 7)."""
    letters_dir: str = "var/letters"
    """Where paper letters are written as PDF for the printing house."""
    event_source: str = "urn:nld:oin:00000001234567890000:systeem:machtigen"
    """CloudEvents ``source`` (NL GOV profile: a URN with the service's OIN)."""
    job_lease_seconds: int = 900
    """A job's lease: another host takes over a job whose holder died after this long."""

    job_batch_size: int = 500
    """Rows per transaction in ``machtigen jobs`` (a SIGTERM waits for at most one batch)."""

    # Retention (personal data kept no longer than needed; the audit trail is never deleted).
    notification_retention_days: int = 90
    """Sent, bounced and failed notifications (an e-mail address, a subject) are deleted
    this many days after they were written."""
    session_retention_days: int = 7
    """Ended or expired portal sessions (an IP address, a user agent) are deleted after this."""
    audit_partition_months_ahead: int = 3
    """PostgreSQL: ``machtigen jobs`` keeps this many monthly audit partitions ready."""

    # Afnemer API v1 (machine clients with private_key_jwt, limits).
    access_token_seconds: int = 300
    """Lifetime of an access token (a rotated key verifies this long after it stops signing)."""
    redis_url: str | None = None
    """Shared rate-limit counters across workers; unset: counters in memory, per process."""
    rate_limit_per_client: str = "100/second"
    """Each machine client's fair share (the `limits` notation); a flood gets 429 + Retry-After."""
    token_rate_limit_per_ip: str = "30/second"  # noqa: S105 - a rate, not a secret
    """Token requests per client address (the `limits` notation)."""
    max_body_bytes: int = 262_144
    """The largest request body the API accepts (413 above it)."""
    max_batch: int = 100
    """The most items in one batch request."""
    max_page_size: int = 100
    """The largest page a list endpoint returns."""

    # The audit trail's seals and checkpoints (issue 5).
    audit_checkpoint_dir: str | None = "var/audit-checkpoints"
    """Where each signed checkpoint is appended (``checkpoints.jsonl``), outside the database.
    Point it at storage the database's administrators cannot rewrite. Empty: no export."""
    audit_seal_batch_size: int = 10_000
    """Events per sealing transaction; each batch ends with one signed checkpoint."""
    audit_horizon_wait_seconds: float = 10.0
    """How long the sealer waits for transactions still writing events (PostgreSQL)."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
