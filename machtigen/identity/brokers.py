"""Which identity broker serves each means of login, and how to read what it says.

Each means (DigiD, eIDAS, eHerkenning) is an OpenID Connect provider speaking the NL GOV
profile: authorization code with PKCE, ``private_key_jwt``, a signed id_token and the userinfo
as a signed and encrypted JWT. ``MACHTIGEN_BROKERS_FILE`` names them (a JSON list of
``BrokerConfig``). With ``MACHTIGEN_DEV_BROKER=true`` every means the file does not name goes
to the development broker this service serves itself, with a client key and certificate made
on first start.
"""

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from machtigen.config import Settings
from machtigen.identity.client_keys import ClientCredentials, load_or_create_credentials
from machtigen.identity.tokens import ASYMMETRIC_ALGORITHMS

MEANS = ("digid", "eidas", "eherkenning")
Means = Literal["digid", "eidas", "eherkenning"]
DEV_CLIENT_ID = "machtigen-dev"

LOA_LOW = "http://eidas.europa.eu/LoA/low"
LOA_SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
LOA_HIGH = "http://eidas.europa.eu/LoA/high"
NOT_NOTIFIED = "http://eidas.europa.eu/LoA/NotNotified/"
EH2_PLUS = "urn:etoegang:core:assurance-class:loa2plus"

DEFAULT_CLAIMS: dict[str, dict[str, str]] = {
    "digid": {"bsn": "bsn", "loa": "loa_authn"},
    "eidas": {
        "person_identifier": "person_identifier",
        "given_name": "given_name",
        "family_name": "family_name",
        "birthdate": "birthdate",
        "loa": "loa_authn",
    },
    "eherkenning": {
        "kvk_number": "kvk_number",
        "employee_id": "employee_id",
        "name": "name",
        "loa": "loa_authn",
    },
}
"""Our field → the broker's claim name. Never ``sub``: at some brokers it is the same for
everyone, so people are identified by BSN, KvK number (+ employee) or PersonIdentifier."""

DEFAULT_LOA: dict[str, dict[str, str]] = {
    "digid": {
        f"{NOT_NOTIFIED}low": "basis",
        LOA_LOW: "midden",
        LOA_SUBSTANTIAL: "substantieel",
        LOA_HIGH: "hoog",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport": "basis",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract": "midden",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard": "substantieel",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI": "hoog",
    },
    "eidas": {LOA_LOW: LOA_LOW, LOA_SUBSTANTIAL: LOA_SUBSTANTIAL, LOA_HIGH: LOA_HIGH},
    "eherkenning": {
        EH2_PLUS: "EH2+",
        LOA_SUBSTANTIAL: "EH3",
        f"{NOT_NOTIFIED}substantial": "EH3",
        LOA_HIGH: "EH4",
        f"{NOT_NOTIFIED}high": "EH4",
    },
}
"""The broker's ``loa_authn`` → the level names of policies/05_assurance.polar. A value that
is not in the map is refused: an unknown level never counts as some level."""


class BrokerConfig(BaseModel):
    """One broker, as the operator registered this service there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    means: Means
    issuer: str | None = None
    """The broker's issuer; discovery is read from ``<issuer>/.well-known/openid-configuration``."""
    discovery_url: str | None = None
    """Or the discovery document's URL itself (its ``issuer`` must then prefix it)."""
    client_id: str = Field(min_length=1, max_length=256)
    client_key_file: str
    """PEM: the RSA private key that signs client assertions and decrypts the userinfo."""
    client_certificate_file: str
    """PEM: the certificate registered at the broker (the key's public half)."""
    ca_bundle: str | None = None
    """PEM bundle of the CAs trusted for TLS to this broker; unset: the system's."""
    login_hint: str | None = None
    """Sent to the broker to pick the login method, e.g. ``digid`` or ``eherkenning``."""
    scope: str = "openid"
    claims: dict[str, str] = Field(default_factory=dict)
    """Overrides of DEFAULT_CLAIMS for this means (our field → claim name)."""
    loa: dict[str, str] | None = None
    """Replaces DEFAULT_LOA for this means (loa_authn value → policy level)."""
    userinfo_encrypted: bool = True
    """Refuse a userinfo that is not a JWE encrypted to our certificate."""
    userinfo_issuer: str | None = None
    """The ``iss`` of the userinfo JWT when it differs from the broker's issuer."""
    userinfo_lifetime_seconds: int = Field(default=60, ge=1, le=3600)
    require_at_hash: bool = True
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    userinfo_algorithms: tuple[str, ...] = ("RS256",)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _check(self) -> "BrokerConfig":
        if not self.issuer and not self.discovery_url:
            raise ValueError(f"broker for {self.means}: give issuer or discovery_url")
        unsafe = set(self.id_token_algorithms + self.userinfo_algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe:
            raise ValueError(f"broker for {self.means}: algorithms not allowed: {sorted(unsafe)}")
        unknown = set(self.claims) - set(DEFAULT_CLAIMS[self.means])
        if unknown:
            raise ValueError(f"broker for {self.means}: unknown claim fields {sorted(unknown)}")
        if "sub" in self.claims.values():
            raise ValueError(f"broker for {self.means}: people are never identified by sub")
        return self

    @property
    def discovery(self) -> str:
        if self.discovery_url:
            return self.discovery_url
        assert self.issuer is not None
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    def claim(self, field: str) -> str:
        return self.claims.get(field) or DEFAULT_CLAIMS[self.means][field]

    def level(self, loa_authn: str) -> str | None:
        mapping = self.loa if self.loa is not None else DEFAULT_LOA[self.means]
        return mapping.get(loa_authn)


def dev_issuer(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/dev-broker"


def redirect_uri(settings: Settings, means: str) -> str:
    """Absolute, as brokers require: the address the operator registers at the broker."""
    return f"{settings.public_url.rstrip('/')}/auth/{means}/callback"


def post_logout_redirect_uri(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/logged-out"


def broker_configs(settings: Settings) -> dict[str, BrokerConfig]:
    """The configured broker per means; the development broker for the rest when it is on."""
    configs: dict[str, BrokerConfig] = {}
    if settings.brokers_file:
        for entry in json.loads(Path(settings.brokers_file).read_text()):
            config = BrokerConfig.model_validate(entry)
            if config.means in configs:
                raise ValueError(f"two brokers for {config.means} in {settings.brokers_file}")
            configs[config.means] = config
    if settings.dev_broker:
        for means in MEANS:
            configs.setdefault(means, dev_broker_config(settings, means))
    return configs


def dev_broker_config(settings: Settings, means: str) -> BrokerConfig:
    return BrokerConfig(
        means=means,
        issuer=dev_issuer(settings),
        client_id=DEV_CLIENT_ID,
        client_key_file=settings.dev_client_key_file,
        client_certificate_file=settings.dev_client_cert_file,
        login_hint=means,
    )


def dev_client_credentials(settings: Settings) -> ClientCredentials:
    """This service's own key and certificate at the development broker (development only)."""
    return load_or_create_credentials(
        settings.dev_client_key_file, settings.dev_client_cert_file, DEV_CLIENT_ID
    )
