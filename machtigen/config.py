"""Operator settings, read from environment variables prefixed ``MACHTIGEN_``."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MACHTIGEN_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "production"
    """``development`` (``make run``) allows what must never happen in production, such as a
    paper letter with a placeholder for the sender's address."""
    database_url: str = "sqlite:///./var/machtigen.db"
    host: str = "127.0.0.1"
    port: int = 8000

    # The database pool of each worker process (README, "Sizing"). Every pool the service
    # opens for requests (SQLAlchemy's, and any async pool) takes these same values.
    db_pool_size: int = Field(default=5, ge=1, le=200)
    """Connections each worker keeps open; ``max_in_flight`` is one less by default."""
    db_max_overflow: int = Field(default=5, ge=0, le=200)
    """Extra connections a worker may open for a moment above ``db_pool_size``."""
    db_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=1.0)
    """The longest a request waits for a pooled connection; then it gets 503 + Retry-After."""
    db_statement_timeout_ms: int = Field(default=5_000, ge=0)
    """PostgreSQL ``statement_timeout`` for the web workers' connections (0: none)."""

    # Admission control before any database work (issue 11; README, "Under a flood").
    max_in_flight: int | None = Field(default=None, ge=1)
    """Requests one worker serves at once; over it: 503 at once. Unset: ``db_pool_size`` − 1,
    so that every admitted request has its pooled connection and one is left for a request
    that needs a second (a denial's audit event is written on its own connection)."""
    admission_reserve: int = Field(default=1, ge=0)
    """Places one client can never take alone, so that another client always gets in."""
    admission_activity_seconds: float = Field(default=1.0, gt=0)
    """A client counts as asking for this long after its last request (the fair share)."""
    portal_weight: int = Field(default=1, ge=1, le=1000)
    """The portal's and login's weight in the fair share, beside each machine client's."""
    worker_healthcheck_timeout_seconds: int = Field(default=60, ge=1)
    """How long uvicorn's supervisor waits for a worker's answer before it kills it."""
    access_log: bool = False
    """uvicorn's access log, a line per request. Off by default: under a flood it more than
    doubles what each refused request costs a worker (``benchmarks/overload.py``)."""
    untick_transition_days: int = 21
    """Days between unticking an afnemer and delivery going to paper (DOMAIN.md rule 3)."""

    # Identity brokers and portal sessions (login).
    brokers_file: str | None = None
    """JSON list of OIDC brokers, one per means (machtigen.identity.brokers.BrokerConfig)."""
    dev_broker: bool = False
    """Serve the development broker (an OIDC provider with pages to pick an identity) and log
    in through it for every means no brokers file names. Never on in production."""
    dev_broker_key_file: str = "var/dev-broker-rsa-key.pem"
    """The development broker's RSA signing key, made on first start."""
    dev_broker_clients_file: str = "var/dev-broker-clients.json"
    """Relying parties registered at the development broker besides this service itself."""
    dev_client_key_file: str = "var/dev-client-key.pem"
    dev_client_cert_file: str = "var/dev-client-cert.pem"
    """This service's own client key and certificate at the development broker (made on first
    start in development only; a real broker's are named in the brokers file)."""
    login_flow_seconds: int = 600
    """How long a login may take between leaving for the broker and coming back."""
    auth_rate_limit_per_ip: str = "60/minute"
    """Login starts and callbacks per source address (the `limits` notation); over it: 429."""
    login_failure_window_seconds: int = 600
    """Identical failed logins from one address within this window are one audit event."""
    public_url: str = "http://127.0.0.1:8000"
    """The service's own address: the audience of broker tokens and the issuer of its own."""
    secret_key: str | None = None
    """Signs the short-lived login-state cookie; required unless the dev broker is on."""
    secret_key_file: str = "var/secret-key"  # noqa: S105 - a file path, not a secret
    cookie_secure: bool = True
    session_idle_minutes: int = 15
    session_absolute_hours: int = 8

    # Notifications, reminders, paper letters and jobs (DOMAIN.md rules 6-8, 12).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "MijnOverheid <noreply@mijnoverheid.example>"
    mail_domain: str = "mijnoverheid.example"
    """The right-hand side of every notification's Message-ID."""
    portal_name: str = "MijnOverheid"
    notify_batch_size: int = 100
    notify_lease_seconds: int = 300
    """A claimed notification is given up after this long and claimed again (crash safety)."""
    notify_max_attempts: int = 12
    notify_backoff_base_seconds: float = 30.0
    notify_backoff_cap_seconds: float = 6 * 3600.0
    notify_bounce_retry_seconds: float = 3600.0
    """First wait after a refused address (doubling, capped): the refusals that lead to a
    letter lie hours apart."""
    reminder_days: int = 21
    """A repeat notification after this many days unread (rule 6)."""
    email_recheck_months: int = 6
    escalate_after_bounces: int = 3
    """Consecutive refused notifications before a paper letter goes out (rule 7)."""
    escalate_unvisited_days: int = 60
    """Unread, and no visit since it arrived, for this many days: a paper letter (rule 7)."""
    letters_dir: str = "var/letters"
    letter_sender_address: str | None = None
    """The service's postal address on every letter, lines separated by commas
    (e.g. "Postbus 20011, 2500 EA Den Haag"). Letters are not written while it, the phone
    number or the web address is unset, except in development."""
    letter_sender_phone: str | None = None
    """The number a letter tells people to call (e.g. "0800-0123")."""
    letter_sender_web: str | None = None
    """Where a letter tells people to log in (e.g. "mijn.overheid.nl")."""
    event_source: str = "urn:nld:oin:00000001234567890000:systeem:machtigen"
    """CloudEvents ``source`` (NL GOV profile: a URN with the service's OIN)."""
    job_lease_seconds: int = 900

    # Afnemer API v1 (machine clients with private_key_jwt, limits).
    signing_key_file: str = "var/api-signing-key.pem"
    """PEM private key (EC P-256) signing the API's access tokens; made on first start when
    missing. Every worker and host of one deployment must read the same file."""
    access_token_seconds: int = 300
    redis_url: str | None = None
    """Shared rate-limit counters across workers; unset: counters in memory, per process."""
    redis_timeout_seconds: float = Field(default=0.05, gt=0, le=0.05)
    """Connect and socket timeout of the limiter's Redis calls: a slow Redis adds at most this."""
    redis_breaker_failures: int = Field(default=3, ge=1)
    """Consecutive Redis failures that open the circuit breaker (in-process limits meanwhile)."""
    redis_breaker_reset_seconds: float = Field(default=5.0, gt=0)
    """How long the breaker stays open before one call tries Redis again."""
    rate_limit_per_client: str = "100/second"
    """Each machine client's fair share (the `limits` notation); a flood gets 429 + Retry-After."""
    token_rate_limit_per_ip: str = "30/second"  # noqa: S105 - a rate, not a secret
    max_body_bytes: int = 262_144
    max_batch: int = 100
    max_page_size: int = 100

    # The audit trail's seals and checkpoints (issue 5).
    audit_checkpoint_dir: str | None = "var/audit-checkpoints"
    """Where each signed checkpoint is appended (``checkpoints.jsonl``), outside the database.
    Point it at storage the database's administrators cannot rewrite. Empty: no export."""
    audit_seal_batch_size: int = 10_000
    """Events per sealing transaction; each batch ends with one signed checkpoint."""
    audit_horizon_wait_seconds: float = 10.0
    """How long the sealer waits for transactions still writing events (PostgreSQL)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
