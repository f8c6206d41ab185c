"""Operator settings, read from environment variables prefixed ``MACHTIGEN_``.

``docs/operations.md`` lists every setting; its table is generated from this class
(``machtigen settings``), and a test fails when the two drift apart.
"""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MACHTIGEN_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    environment: Literal["development", "production"] = "production"
    """``production``: the service refuses to start without its configured keys (naming the
    missing one) or with the development broker on, and writes no paper letter while the
    sender's details are unset. ``development`` (``make run``, the tests) makes missing keys
    and lets letters be written as marked specimens."""
    database_url: str = "sqlite:///./var/machtigen.db"
    """SQLAlchemy URL: ``postgresql+psycopg://user@host/db`` in production."""
    host: str = "127.0.0.1"
    """Address ``machtigen serve`` listens on."""
    port: int = 8000
    """Port ``machtigen serve`` listens on."""

    # The database pool of each worker process (docs/operations.md, "Sizing workers × pool").
    # Every pool the service opens for requests (SQLAlchemy's, and any async pool) takes these
    # same values.
    db_pool_size: int = Field(default=5, ge=1, le=200)
    """Connections each worker keeps open; ``max_in_flight`` is one less by default."""
    db_max_overflow: int = Field(default=5, ge=0, le=200)
    """Extra connections a worker may open for a moment above ``db_pool_size``."""
    db_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=1.0)
    """The longest a request waits for a pooled connection; then it gets 503 + Retry-After."""
    db_statement_timeout_ms: int = Field(default=5_000, ge=0)
    """PostgreSQL ``statement_timeout`` for the web workers' connections (0: none)."""
    async_checks: bool = True
    """On PostgreSQL, mandate checks (single and batch) and deliveries take the async path
    (``machtigen.mandates.check_pg``, ``machtigen.messages.deliver_pg``) on an async pool of
    each worker sized by the ``db_*`` settings above. Off (and on SQLite): through the ORM
    session like every other endpoint."""
    client_recheck_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long a worker trusts that a verified access token's client is still active; a
    client deactivated in the database is refused within this long (its token may live on)."""

    # Admission control before any database work (issue 11; docs/operations.md, "Under a flood").
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
    """JSON list of OIDC brokers, one per means (machtigen.identity.brokers.BrokerConfig)."""
    dev_broker: bool = False
    """Serve the development broker (an OIDC provider with pages to pick an identity) and log
    in through it for every means no brokers file names. Never on in production."""
    dev_broker_key_file: str = "var/dev-broker-rsa-key.pem"
    """The development broker's RSA signing key, made on first start."""
    dev_broker_clients_file: str = "var/dev-broker-clients.json"
    """Relying parties registered at the development broker besides this service itself."""
    dev_client_key_file: str = "var/dev-client-key.pem"
    """This service's own client key at the development broker (made on first start in
    development only; a real broker's is named in the brokers file)."""
    dev_client_cert_file: str = "var/dev-client-cert.pem"
    """The certificate of ``dev_client_key_file``, registered at the development broker."""
    login_flow_seconds: int = 600
    """How long a login may take between leaving for the broker and coming back."""
    auth_rate_limit_per_ip: str = "60/minute"
    """Login starts and callbacks per source address (the `limits` notation); over it: 429."""
    login_failure_window_seconds: int = 600
    """Identical failed logins from one address within this window are one audit event."""
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
    notify_bounce_retry_seconds: float = 3600.0
    """First wait after a refused address (doubling, capped): the refusals that lead to a
    letter lie hours apart."""
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
    redis_timeout_seconds: float = Field(default=0.05, gt=0, le=0.05)
    """Connect and socket timeout of the limiter's Redis calls: a slow Redis adds at most this."""
    redis_breaker_failures: int = Field(default=3, ge=1)
    """Consecutive Redis failures that open the circuit breaker (in-process limits meanwhile)."""
    redis_breaker_reset_seconds: float = Field(default=5.0, gt=0)
    """How long the breaker stays open before one call tries Redis again."""
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
