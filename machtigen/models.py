"""Every table, imported in one place so that migrations and metadata see them all."""

from sqlmodel import SQLModel

from machtigen.accounts.models import Account, Folder
from machtigen.afnemers.models import Afnemer, AfnemerArea, Service
from machtigen.audit.models import AuditCheckpoint, AuditEvent, AuditSeal, AuditTreeNode
from machtigen.clients.models import ApiClient, UsedAssertion
from machtigen.consents.models import Consent
from machtigen.identity.models import (
    EidasIdentity,
    LoginFailureTally,
    LoginFlow,
    Office,
    OfficeStaff,
    Person,
    PortalSession,
    StaffAssignment,
)
from machtigen.leases import JobLease
from machtigen.mandates.models import LegalMeasure, Mandate, MandateScope
from machtigen.messages.models import Message, MessageRead
from machtigen.notifications.models import (
    AfnemerEvent,
    BounceCount,
    Letter,
    MessageFollowUp,
    Notification,
)

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "Afnemer",
    "AfnemerArea",
    "AfnemerEvent",
    "ApiClient",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditSeal",
    "AuditTreeNode",
    "BounceCount",
    "Consent",
    "EidasIdentity",
    "Folder",
    "JobLease",
    "LegalMeasure",
    "Letter",
    "LoginFailureTally",
    "LoginFlow",
    "Mandate",
    "MandateScope",
    "Message",
    "MessageFollowUp",
    "MessageRead",
    "Notification",
    "Office",
    "OfficeStaff",
    "Person",
    "PortalSession",
    "Service",
    "StaffAssignment",
    "UsedAssertion",
    "metadata",
]
