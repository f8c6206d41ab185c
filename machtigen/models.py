"""Every table, imported in one place so that migrations and metadata see them all."""

from sqlmodel import SQLModel

from machtigen.accounts.models import Account, Folder
from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.models import AuditEvent
from machtigen.consents.models import Consent
from machtigen.identity.models import EidasIdentity, Office, OfficeStaff, Person, PortalSession
from machtigen.mandates.models import LegalMeasure, Mandate, MandateScope
from machtigen.messages.models import Message, MessageRead

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "Afnemer",
    "AuditEvent",
    "Consent",
    "EidasIdentity",
    "Folder",
    "LegalMeasure",
    "Mandate",
    "MandateScope",
    "Message",
    "MessageRead",
    "Office",
    "OfficeStaff",
    "Person",
    "PortalSession",
    "Service",
    "metadata",
]
