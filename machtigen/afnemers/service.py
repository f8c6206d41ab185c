"""Configuring afnemers and their services (operators only)."""

import re
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.afnemers.errors import (
    AfnemerAlreadyRegistered,
    AfnemerNotFound,
    InvalidOin,
    ServiceNotFound,
)
from machtigen.afnemers.models import Afnemer, Service, ServiceCategory
from machtigen.authz.actors import AfnemerRegistry
from machtigen.context import Ctx

_OIN = re.compile(r"[0-9]{20}")


def register_afnemer(
    ctx: Ctx,
    *,
    oin: str,
    name: str,
    legally_required_digital: bool = False,
    read_state_legal_basis: bool = False,
) -> Afnemer:
    ctx.authorize("configure", AfnemerRegistry())
    if not _OIN.fullmatch(oin):
        raise InvalidOin()
    if ctx.session.scalars(select(Afnemer).where(col(Afnemer.oin) == oin)).first() is not None:
        raise AfnemerAlreadyRegistered()
    afnemer = Afnemer(
        oin=oin,
        name=name,
        legally_required_digital=legally_required_digital,
        read_state_legal_basis=read_state_legal_basis,
        joined_at=ctx.now,
    )
    ctx.session.add(afnemer)
    ctx.session.flush()
    return afnemer


def add_service(
    ctx: Ctx, *, afnemer_id: UUID, code: str, name: str, category: ServiceCategory
) -> Service:
    ctx.authorize("configure", AfnemerRegistry())
    if ctx.session.get(Afnemer, afnemer_id) is None:
        raise AfnemerNotFound()
    service = Service(afnemer_id=afnemer_id, code=code, name=name, category=category)
    ctx.session.add(service)
    ctx.session.flush()
    return service


def get_afnemer(ctx: Ctx, afnemer_id: UUID) -> Afnemer:
    afnemer = ctx.session.get(Afnemer, afnemer_id)
    if afnemer is None:
        raise AfnemerNotFound()
    return afnemer


def service_by_code(ctx: Ctx, afnemer_id: UUID, code: str) -> Service:
    statement = select(Service).where(
        col(Service.afnemer_id) == afnemer_id, col(Service.code) == code
    )
    service = ctx.session.scalars(statement).one_or_none()
    if service is None:
        raise ServiceNotFound()
    return service


def catalogue(ctx: Ctx) -> list[tuple[Afnemer, list[Service]]]:
    """Every afnemer with its services, by name: what a mandate's scope is chosen from."""
    services: dict[UUID, list[Service]] = {}
    for service in ctx.session.scalars(select(Service).order_by(col(Service.name))):
        services.setdefault(service.afnemer_id, []).append(service)
    afnemers = ctx.session.scalars(select(Afnemer).order_by(col(Afnemer.name))).all()
    return [(afnemer, services.get(afnemer.id, [])) for afnemer in afnemers]
