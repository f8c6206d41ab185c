"""Signed checkpoints (tree heads) and where they are exported outside the database.

A checkpoint is a compact JWS (ES256, the service's signing key, ``kid`` = the key's
RFC 7638-style thumbprint) over: the log's name, tree size, Merkle root, the highest event
``seq`` in the tree and the moment. Anyone with the published public key (``machtigen
audit jwks``) can check it offline. Each checkpoint is also appended to a JSON-lines file
outside the database, so that a database rolled back or truncated by someone with full
rights no longer matches what was published.
"""

import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import jwt
from jwt.algorithms import ECAlgorithm

from machtigen.keys import SigningKey

CHECKPOINT_TYP = "machtigen-audit-checkpoint+jwt"
FILE_NAME = "checkpoints.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    last_seq: int
    created_at: datetime
    key_id: str = ""
    signed: str = ""

    @classmethod
    def from_row(cls, row: Any, origin: str) -> "Checkpoint":
        """A stored checkpoint (an ``audit_checkpoint`` row, or its model) for ``origin``."""
        return cls(
            origin=origin,
            tree_size=int(row.tree_size),
            root_hash=bytes(row.root_hash),
            last_seq=int(row.last_seq),
            created_at=row.created_at,
            key_id=row.key_id,
            signed=row.signed,
        )

    def payload(self) -> dict[str, Any]:
        return {
            "iss": self.origin,
            "iat": int(self.created_at.timestamp()),
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "last_seq": self.last_seq,
        }

    def record(self, jwk: dict[str, Any] | None = None) -> dict[str, Any]:
        """The checkpoint as one JSON object: for the export file and for personal exports."""
        line = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "last_seq": self.last_seq,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "kid": self.key_id,
            "jws": self.signed,
        }
        if jwk is not None:
            line["jwk"] = jwk
        return line


def sign(checkpoint: Checkpoint, key: SigningKey) -> Checkpoint:
    token = jwt.encode(
        checkpoint.payload(),
        key.private_key,
        algorithm="ES256",
        headers={"kid": key.kid, "typ": CHECKPOINT_TYP},
    )
    return replace(checkpoint, key_id=key.kid, signed=token)


class CheckpointInvalid(ValueError):
    pass


class TrustedKeys:
    """The public keys checkpoints may be signed with, by ``kid``."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys: dict[str, Any] = {}
        self.jwks: dict[str, dict[str, Any]] = {}
        for jwk in jwks.get("keys", []):
            if not isinstance(jwk, dict) or "d" in jwk or jwk.get("kty") != "EC":
                continue
            self.keys[str(jwk.get("kid", ""))] = ECAlgorithm.from_jwk(json.dumps(jwk))
            self.jwks[str(jwk.get("kid", ""))] = jwk

    @classmethod
    def of(cls, *keys: SigningKey) -> "TrustedKeys":
        return cls({"keys": [key.public_jwk for key in keys]})

    @classmethod
    def from_file(cls, path: str | Path) -> "TrustedKeys":
        return cls(json.loads(Path(path).read_text()))

    def merged(self, other: "TrustedKeys") -> "TrustedKeys":
        return TrustedKeys({"keys": [*self.jwks.values(), *other.jwks.values()]})

    def verify(self, token: str) -> dict[str, Any]:
        """The signed fields, or CheckpointInvalid saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise CheckpointInvalid(f"not a JWS: {error}") from error
        if header.get("typ") != CHECKPOINT_TYP or header.get("alg") != "ES256":
            raise CheckpointInvalid("not a checkpoint (typ or alg)")
        key = self.keys.get(str(header.get("kid", "")))
        if key is None:
            raise CheckpointInvalid(
                f"signed by a key that is not trusted (kid {header.get('kid')})"
            )
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["ES256"],
                options={"verify_aud": False, "verify_iat": False, "require": ["iss"]},
            )
        except jwt.PyJWTError as error:
            raise CheckpointInvalid(f"the signature does not verify: {error}") from error


def matches(payload: dict[str, Any], checkpoint: Checkpoint) -> bool:
    return (
        payload.get("tree_size") == checkpoint.tree_size
        and payload.get("root_hash") == checkpoint.root_hash.hex()
        and payload.get("last_seq") == checkpoint.last_seq
    )


class CheckpointSink(Protocol):
    """Somewhere outside the database that keeps every checkpoint."""

    def append(self, records: list[dict[str, Any]]) -> None: ...

    def last_tree_size(self) -> int: ...

    def read_all(self) -> list[dict[str, Any]]: ...


class FileSink:
    """An append-only JSON-lines file (``checkpoints.jsonl``) in a directory.

    Point the directory at storage the database's administrators cannot rewrite (a WORM
    volume, a mount replicated to another organisation, a log shipper's input).
    """

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILE_NAME

    def append(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, data.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read_all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        records = []
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise CheckpointInvalid(f"{self.path} line {number} is not JSON") from error
        return records

    def last_tree_size(self) -> int:
        """The tree size on the file's last line (read from the end: the file only grows)."""
        if not self.path.exists():
            return 0
        with self.path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 65536))
            lines = [line for line in handle.read().splitlines() if line.strip()]
        if not lines:
            return 0
        try:
            return int(json.loads(lines[-1])["tree_size"])
        except (ValueError, KeyError) as error:
            raise CheckpointInvalid(f"the last line of {self.path} is not a checkpoint") from error


def public_jwks(key: SigningKey) -> dict[str, Any]:
    return key.jwks()
