"""Configuring afnemers and their services (operators only)."""

import re
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import exists, or_, select
from sqlmodel import col

from machtigen.afnemers.errors import (
    AfnemerAlreadyRegistered,
    AfnemerNotFound,
    InvalidMunicipality,
    InvalidOin,
    ServiceNotFound,
)
from machtigen.afnemers.models import Afnemer, AfnemerArea, Service, ServiceCategory
from machtigen.authz.actors import AfnemerRegistry
from machtigen.context import Ctx

_OIN = re.compile(r"[0-9]{20}")
_MUNICIPALITY = re.compile(r"[0-9]{4}")


def register_afnemer(
    ctx: Ctx,
    *,
    oin: str,
    name: str,
    legally_required_digital: bool = False,
    read_state_legal_basis: bool = False,
    municipalities: Iterable[str] = (),
) -> Afnemer:
    """An organisation that delivers post; ``municipalities`` only for a local task (a
    municipality, a water board): the CBS codes of the municipalities it serves."""
    ctx.authorize("configure", AfnemerRegistry())
    if not _OIN.fullmatch(oin):
        raise InvalidOin()
    area = sorted(set(municipalities))
    if not all(_MUNICIPALITY.fullmatch(code) for code in area):
        raise InvalidMunicipality()
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
    for code in area:
        ctx.session.add(AfnemerArea(afnemer_id=afnemer.id, municipality_code=code))
    ctx.session.flush()
    return afnemer


def can_concern(municipality_code: str | None) -> Any:
    """SQL: the afnemer can send post to someone living in this municipality (None: abroad).

    An afnemer without an area serves everyone; one with an area only the people who live in
    it, so a municipality never asks someone who lives elsewhere or abroad.
    """
    local = exists().where(col(AfnemerArea.afnemer_id) == col(Afnemer.id))
    if municipality_code is None:
        return ~local
    lives_there = exists().where(
        col(AfnemerArea.afnemer_id) == col(Afnemer.id),
        col(AfnemerArea.municipality_code) == municipality_code,
    )
    return or_(~local, lives_there)


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
