"""The service's keys: one key set per purpose, each key with a key id, rotatable.

| purpose | kind | signs | a retired key verifies |
|---|---|---|---|
| ``access_token`` | EC P-256 (ES256) | the API's access tokens | until its last token expired |
| ``audit_checkpoint`` | EC P-256 (ES256) | the audit log's checkpoints | forever (published) |
| ``audit_mac`` | HMAC-SHA-256 | every audit event (``machtigen.audit.mac``) | forever |
| ``login_state`` | HMAC | the login-state cookie | until the last cookie it signed expired |

A key set is a JSON file (``MACHTIGEN_<PURPOSE>_KEYS_FILE``), the same file on every host
of a deployment (a mounted secret). Rotation (``machtigen keys rotate``) adds a key that
starts signing at ``active_from`` — later than now when the new file must first reach every
host — and gives the key it replaces a ``verify_until``. Until ``active_from`` the new key
only verifies (and is already published), so a host that has the new file never refuses
what another host signs.

In development a missing key set is made on first use (``create_once``: several workers
starting together agree on one file). In production a missing one stops the service with
the setting's name: two hosts must never sign with keys of their own.
"""

import base64
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from machtigen.config import Settings
from machtigen.keyfiles import create_once, load_or_create_ec_key

FORMAT = "machtigen-keys/1"
ACCESS_TOKEN = "access_token"  # noqa: S105 - a purpose's name, not a secret
AUDIT_CHECKPOINT = "audit_checkpoint"
AUDIT_MAC = "audit_mac"
LOGIN_STATE = "login_state"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""A set's first key signs from the start (also for clocks set in the past, as in tests)."""
LOGIN_STATE_SECONDS = 600
"""How long a login-state cookie is valid (the round trip through the identity broker)."""


@dataclass(frozen=True)
class Purpose:
    name: str
    kind: Literal["ec", "hmac"]
    setting: str

    def path(self, settings: Settings) -> Path:
        return Path(getattr(settings, self.setting))

    def variable(self) -> str:
        return f"MACHTIGEN_{self.setting.upper()}"

    def grace(self, settings: Settings) -> timedelta | None:
        """How long a replaced key keeps verifying; None: forever."""
        if self.name == ACCESS_TOKEN:
            return timedelta(seconds=settings.access_token_seconds + 60)
        if self.name == LOGIN_STATE:
            return timedelta(seconds=LOGIN_STATE_SECONDS + 60)
        return None


PURPOSES: dict[str, Purpose] = {
    purpose.name: purpose
    for purpose in (
        Purpose(ACCESS_TOKEN, "ec", "access_token_keys_file"),
        Purpose(AUDIT_CHECKPOINT, "ec", "audit_checkpoint_keys_file"),
        Purpose(AUDIT_MAC, "hmac", "audit_mac_keys_file"),
        Purpose(LOGIN_STATE, "hmac", "login_state_keys_file"),
    )
}


class MissingKeys(RuntimeError):
    """Outside development the service does not start without its configured keys."""

    def __init__(self, missing: list[Purpose], settings: Settings) -> None:
        self.missing = missing
        names = "; ".join(
            f"{purpose.variable()} ({purpose.path(settings)}) does not exist" for purpose in missing
        )
        super().__init__(
            f"missing keys: {names}. Make them once with `machtigen keys generate` and give"
            " every host the same files."
        )


@dataclass(frozen=True)
class Key:
    kid: str
    created_at: datetime
    active_from: datetime
    verify_until: datetime | None = None
    private_key: ec.EllipticCurvePrivateKey | None = None
    secret: bytes | None = None

    def verifies_at(self, now: datetime) -> bool:
        return self.verify_until is None or now < self.verify_until

    def public_jwk(self) -> dict[str, Any]:
        if self.private_key is None:
            raise ValueError(f"key {self.kid} is not an EC key")
        public: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "ES256"}

    def state(self, now: datetime, signer: "Key | None") -> str:
        if signer is not None and signer.kid == self.kid:
            return "signing"
        if self.active_from > now:
            return "next (verifies, signs from active_from)"
        if not self.verifies_at(now):
            return "expired"
        return "retired (verifies only)"


@dataclass(frozen=True)
class KeySet:
    purpose: Purpose
    keys: tuple[Key, ...] = field(default_factory=tuple)

    def signer(self, now: datetime) -> Key:
        """The key that signs now: the newest one whose ``active_from`` has come."""
        started = [key for key in self.keys if key.active_from <= now]
        if not started:
            raise ValueError(f"no {self.purpose.name} key signs yet at {now.isoformat()}")
        return max(started, key=lambda key: (key.active_from, key.created_at))

    def verifiers(self, now: datetime) -> list[Key]:
        return [key for key in self.keys if key.verifies_at(now)]

    def get(self, kid: str) -> Key | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def jwks(self, now: datetime, *, include_expired: bool = False) -> dict[str, Any]:
        """The public keys (EC sets only): the signing one, the next ones and those that
        still verify; ``include_expired`` adds the rest (checkpoints verify forever)."""
        keys = self.keys if include_expired else self.verifiers(now)
        return {"keys": [key.public_jwk() for key in keys if key.private_key is not None]}

    def to_json(self) -> str:
        return json.dumps(
            {"format": FORMAT, "purpose": self.purpose.name, "keys": [_dump(k) for k in self.keys]},
            indent=2,
        )

    @classmethod
    def from_json(cls, purpose: Purpose, text: str, origin: str) -> "KeySet":
        document = json.loads(text)
        if document.get("format") != FORMAT or document.get("purpose") != purpose.name:
            raise ValueError(f"{origin} is not a {FORMAT} key set for {purpose.name}")
        keys = tuple(_load(entry) for entry in document.get("keys", []))
        if not keys:
            raise ValueError(f"{origin} holds no key")
        return cls(purpose, keys)


@dataclass(frozen=True)
class SigningKey:
    """One EC key as JOSE sees it: the private key, its kid and its public JWK."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict[str, Any]

    @classmethod
    def from_private_key(cls, private_key: ec.EllipticCurvePrivateKey) -> "SigningKey":
        kid = ec_kid(private_key)
        public: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
        return cls(private_key, kid, {**public, "kid": kid, "use": "sig", "alg": "ES256"})

    @classmethod
    def from_key(cls, key: Key) -> "SigningKey":
        if key.private_key is None:
            raise ValueError(f"key {key.kid} is not an EC key")
        return cls(key.private_key, key.kid, key.public_jwk())

    @classmethod
    def from_file(cls, path: str) -> "SigningKey":
        """A single PEM key (tests and benchmarks), made there on first use."""
        return cls.from_private_key(load_or_create_ec_key(path))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}


def new_key(purpose: Purpose, now: datetime, active_from: datetime | None = None) -> Key:
    if purpose.kind == "ec":
        private_key = ec.generate_private_key(ec.SECP256R1())
        return Key(ec_kid(private_key), now, active_from or now, private_key=private_key)
    return Key(
        f"mac-{secrets.token_hex(8)}", now, active_from or now, secret=secrets.token_bytes(32)
    )


def ec_kid(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The RFC 7638 thumbprint of the public key (hex, 128 bits): stable, derived, public."""
    public = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    thumbprint_input = json.dumps(
        {name: public[name] for name in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(thumbprint_input.encode()).hexdigest()[:32]


def rotate(
    keyset: KeySet, settings: Settings, now: datetime, activate_after: timedelta = timedelta(0)
) -> tuple[KeySet, Key]:
    """A new signing key from ``now + activate_after``; the keys it replaces verify on for the
    purpose's grace period after that (forever for checkpoints and MACs); expired keys go."""
    new = new_key(keyset.purpose, now, now + activate_after)
    grace = keyset.purpose.grace(settings)
    kept = []
    for key in keyset.keys:
        if not key.verifies_at(now):
            continue
        if key.verify_until is None and grace is not None:
            key = replace(key, verify_until=new.active_from + grace)
        kept.append(key)
    return KeySet(keyset.purpose, (*kept, new)), new


# --- files ------------------------------------------------------------------------------


def read_keyset(purpose: Purpose, path: Path) -> KeySet:
    return KeySet.from_json(purpose, path.read_text(), str(path))


def write_keyset(keyset: KeySet, path: Path) -> None:
    """Replace the file atomically (readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, draft = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(keyset.to_json())
    os.chmod(draft, 0o600)
    os.replace(draft, path)


def generate(purpose: Purpose, path: Path, now: datetime) -> bool:
    """Write a first key set where none is; False when one was there (never overwritten)."""
    if path.exists():
        return False
    first = new_key(purpose, now, active_from=EPOCH)
    create_once(path, KeySet(purpose, (first,)).to_json().encode())
    return True


def load_keyset(settings: Settings, name: str) -> KeySet:
    """The key set of a purpose; in development made on first use, elsewhere required."""
    purpose = PURPOSES[name]
    path = purpose.path(settings)
    if not path.exists():
        if settings.environment != "development":
            raise MissingKeys([purpose], settings)
        generate(purpose, path, datetime.now(UTC))
    return read_keyset(purpose, path)


def require(settings: Settings, names: Iterable[str]) -> dict[str, KeySet]:
    """Every named key set, or one ``MissingKeys`` naming all that are missing."""
    if settings.environment != "development":
        missing = [PURPOSES[name] for name in names if not PURPOSES[name].path(settings).exists()]
        if missing:
            raise MissingKeys(missing, settings)
    return {name: load_keyset(settings, name) for name in names}


def _dump(key: Key) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kid": key.kid,
        "created_at": key.created_at.isoformat(),
        "active_from": key.active_from.isoformat(),
        "verify_until": None if key.verify_until is None else key.verify_until.isoformat(),
    }
    if key.private_key is not None:
        entry["alg"] = "ES256"
        entry["private_key_pem"] = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    if key.secret is not None:
        entry["alg"] = "HS256"
        entry["secret"] = base64.urlsafe_b64encode(key.secret).decode().rstrip("=")
    return entry


def _load(entry: dict[str, Any]) -> Key:
    private_key = None
    secret = None
    if "private_key_pem" in entry:
        loaded = serialization.load_pem_private_key(entry["private_key_pem"].encode(), None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
            raise ValueError(f"key {entry.get('kid')} is not an EC P-256 key")
        private_key = loaded
    elif "secret" in entry:
        raw = str(entry["secret"])
        secret = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        if len(secret) < 32:
            raise ValueError(f"key {entry.get('kid')} is shorter than 256 bits")
    else:
        raise ValueError(f"key {entry.get('kid')} has no key material")
    verify_until = entry.get("verify_until")
    return Key(
        kid=str(entry["kid"]),
        created_at=datetime.fromisoformat(entry["created_at"]),
        active_from=datetime.fromisoformat(entry["active_from"]),
        verify_until=None if verify_until is None else datetime.fromisoformat(verify_until),
        private_key=private_key,
        secret=secret,
    )
