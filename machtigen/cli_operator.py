"""Operator commands: onboard an afnemer, its services and its API clients.

Each command runs as an ``OperatorActor`` named by ``--operator`` (who did it is in the audit
trail), asks the same policy as every other act, and prints a domain error as one readable
line with exit code 1, never a traceback.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click
from sqlalchemy import select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, ServiceCategory
from machtigen.authz.actors import AfnemerRegistry, OperatorActor
from machtigen.authz.engine import get_authorizer
from machtigen.clients.models import MAX_SHARE_WEIGHT, ApiClient, ClientKind
from machtigen.clock import SystemClock
from machtigen.config import get_settings
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, session_factory, transaction
from machtigen.errors import MachtigenError

T = TypeVar("T")

operator_option = click.option(
    "--operator", required=True, help="Your operator id; it is written in the audit trail."
)


@contextmanager
def _operator_ctx(operator: str) -> Iterator[Ctx]:
    engine = make_engine(get_settings().database_url)
    clock = SystemClock()
    try:
        with transaction(session_factory(engine)) as session:
            yield Ctx(
                session=session,
                actor=OperatorActor(operator, clock.now(), means="cli", name=operator),
                clock=clock,
                authz=get_authorizer(),
                origin=Origin(ip=None, user_agent="machtigen-cli"),
            )
    finally:
        engine.dispose()


def _run(operator: str, act: Callable[[Ctx], T]) -> T:
    try:
        with _operator_ctx(operator) as ctx:
            return act(ctx)
    except MachtigenError as error:
        raise click.ClickException(str(error)) from error


@click.group()
def afnemers() -> None:
    """Afnemers (organisations that send post) and their services."""


@afnemers.command("add")
@operator_option
@click.option("--oin", required=True, help="The afnemer's OIN (20 digits).")
@click.option("--name", required=True)
@click.option("--legally-required-digital", is_flag=True, help="A law lets it send digitally.")
@click.option("--read-state-legal-basis", is_flag=True, help="A law lets it see read state.")
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    help="Only for a local task: a municipality it serves (CBS code, e.g. 0344); repeatable.",
)
def add_afnemer(
    operator: str,
    oin: str,
    name: str,
    legally_required_digital: bool,
    read_state_legal_basis: bool,
    municipalities: tuple[str, ...],
) -> None:
    """Register an afnemer."""
    from machtigen.afnemers.service import register_afnemer

    afnemer_id = _run(
        operator,
        lambda ctx: (
            register_afnemer(
                ctx,
                oin=oin,
                name=name,
                legally_required_digital=legally_required_digital,
                read_state_legal_basis=read_state_legal_basis,
                municipalities=municipalities,
            ).id
        ),
    )
    click.echo(f"afnemer {oin} registered ({afnemer_id})")


@afnemers.command("add-service")
@operator_option
@click.option("--oin", required=True, help="The afnemer's OIN.")
@click.option("--code", required=True, help="The service code afnemers use in the API.")
@click.option("--name", required=True)
@click.option(
    "--category", required=True, type=click.Choice([category.value for category in ServiceCategory])
)
def add_afnemer_service(operator: str, oin: str, code: str, name: str, category: str) -> None:
    """Add a service to an afnemer; its category decides which measures cover it."""
    from machtigen.afnemers.service import add_service

    def act(ctx: Ctx) -> None:
        add_service(
            ctx,
            afnemer_id=_afnemer_id(ctx, oin),
            code=code,
            name=name,
            category=ServiceCategory(category),
        )

    _run(operator, act)
    click.echo(f"service {code} added to {oin}")


@click.group()
def clients() -> None:
    """Machine clients of the API (afnemers by OIN, the court register) and their keys."""


@clients.command("register")
@operator_option
@click.option("--client-id", required=True, help="An afnemer's OIN, or the register's id.")
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in ClientKind]))
@click.option(
    "--jwks",
    "jwks_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file with the client's public keys (JWKS), each with a kid.",
)
def register(operator: str, client_id: str, kind: str, jwks_file: Path) -> None:
    """Register a client with its public keys; it then signs its own client assertions."""
    from machtigen.clients.service import register_client

    jwks = _read_jwks(jwks_file)

    def act(ctx: Ctx) -> UUID:
        afnemer_id = _afnemer_id(ctx, client_id) if kind == ClientKind.AFNEMER else None
        return register_client(
            ctx, client_id=client_id, kind=ClientKind(kind), jwks=jwks, afnemer_id=afnemer_id
        ).id

    registered = _run(operator, act)
    click.echo(f"client {client_id} registered ({registered})")


@clients.command("set-weight")
@operator_option
@click.option("--client-id", required=True, help="An afnemer's OIN, or the register's id.")
@click.option(
    "--weight",
    required=True,
    type=int,
    help=f"1 to {MAX_SHARE_WEIGHT}: its share of a full worker against a client of weight 1.",
)
def set_weight(operator: str, client_id: str, weight: int) -> None:
    """Give a client its weight in the fair share (with its next access token)."""
    from machtigen.clients.service import set_share_weight

    _run(operator, lambda ctx: set_share_weight(ctx, client_id=client_id, weight=weight))
    click.echo(f"client {client_id} has weight {weight} from its next access token on")


@clients.command("list")
@operator_option
def list_clients(operator: str) -> None:
    """The registered clients, their kind, state, weight and key ids."""

    def act(ctx: Ctx) -> list[ApiClient]:
        ctx.authorize("configure", AfnemerRegistry())
        statement = select(ApiClient).order_by(col(ApiClient.client_id))
        return list(ctx.session.scalars(statement))

    for client in _run(operator, act):
        kids = ",".join(str(key.get("kid")) for key in client.jwks.get("keys", []))
        state = "active" if client.active else "inactive"
        click.echo(
            f"{client.client_id}\t{client.kind}\t{state}\tweight {client.share_weight}\tkeys {kids}"
        )


def _afnemer_id(ctx: Ctx, oin: str) -> UUID:
    from machtigen.afnemers.errors import AfnemerNotFound

    afnemer = ctx.session.scalars(select(Afnemer).where(col(Afnemer.oin) == oin)).first()
    if afnemer is None:
        raise AfnemerNotFound()
    return afnemer.id


def _read_jwks(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{path} is not a JSON file: {error}") from error
    if not isinstance(document, dict):
        raise click.ClickException(f"{path} holds no JWKS object.")
    return document
