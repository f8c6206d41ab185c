"""Request and response bodies: camelCase on the wire, snake_case in Python."""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from machtigen.inputs import Bsn, Code, Day, KvkNumber, Moment, SafeText
from machtigen.mandates.check import DenialReason

MAX_BATCH = 100
MAX_PAGE_SIZE = 100


class ApiModel(BaseModel):
    """An answer: built from Python names, written in camelCase."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ApiRequest(BaseModel):
    """A request body: camelCase only, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class Problem(ApiModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


# --- delivery ---------------------------------------------------------------------------


Channel = Literal["digital", "paper", "both"]
DeliveryReason = Literal[
    "opted_in",
    "not_opted_in",
    "paper_switch",
    "deactivated",
    "never_activated",
    "exempted_group",
    "legally_required",
    "no_account",
]


class DeliveryRequest(ApiRequest):
    bsn: Bsn
    service_code: Code
    subject: Annotated[SafeText, Field(min_length=1, max_length=300)]
    body: Annotated[SafeText, Field(min_length=1, max_length=100_000)]
    action_text: Annotated[SafeText, Field(max_length=500)] | None = None
    deadline: Day | None = None


class DeliveryAnswer(ApiModel):
    message_id: UUID
    channel: Channel
    reason: DeliveryReason
    delivered_at: AwareDatetime
    replayed: bool = Field(description="True when this answers a retry with the same key")


class NotificationStatus(ApiModel):
    """The e-mail that tells the person about this message (the latest one: the notification
    of its arrival, or the reminder after three weeks unread), and the paper fallback.

    Read together: `status` and `lastAttemptAt` say what happened to that e-mail;
    `personNotReached` says whether the person was sent a paper letter about this message.
    `bounced` with `personNotReached: true` is a refused address that led to the letter;
    `sent` with `personNotReached: true` is an e-mail that arrived but a message that stayed
    unread without a visit; `none` with `personNotReached: true` is a person without an
    e-mail address who did not visit. `pending` with `personNotReached: true` only happens
    when other e-mails to the same address were refused and this one is still to be tried.
    """

    status: Literal["none", "pending", "sent", "bounced", "failed"] = Field(
        description="The outcome of the last attempt to e-mail the person about this message."
        " `none`: no e-mail (no address, or the message went on paper); `pending`: not tried"
        " yet, or the last attempt failed for a reason that may pass (a 4xx answer, the mail"
        " service unreachable) and it will be tried again; `sent`: the person's mail server"
        " accepted it; `bounced`: the person's mail server refused the address (5xx), and"
        " it is tried again until the maximum number of attempts unless one gets through"
        " (then `sent`); `failed`: given up after the maximum number of attempts without"
        " a refusal of the address"
    )
    last_attempt_at: AwareDatetime | None = Field(
        default=None,
        description="When the last attempt was made (whatever its outcome); null before the"
        " first attempt. Never the delivery time of the message",
    )
    person_not_reached: bool | None = Field(
        default=None,
        description="True once a paper letter about this message went to the person because"
        " they were not reached digitally (the e-mail address was refused repeatedly, or the"
        " message stayed unread without a visit); false until then. Null unless the person"
        " consented to share the read state with this afnemer or it has a configured legal"
        " basis: it would reveal that the message is unread",
    )


class MessageStatusAnswer(ApiModel):
    message_id: UUID
    channel: Channel
    channel_reason: DeliveryReason
    delivered_at: AwareDatetime
    notification: NotificationStatus
    read: bool | None = Field(
        description="Whether the person read it; null unless the person consented or the"
        " afnemer has a configured legal basis"
    )


# --- mandate checks ---------------------------------------------------------------------

Action = Literal["read", "manage_folders", "manage_consents", "receive_notifications"]
MeasureKind = Literal["curatele", "beschermingsbewind", "mentorschap", "faillissement", "wsnp"]


class RepresentativeIn(ApiRequest):
    """A person by BSN, or an office (bewindvoerderskantoor) by KvK number: exactly one."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["bsn"]}, {"required": ["kvkNumber"]}]}
    )

    bsn: Bsn | SkipJsonSchema[None] = None
    kvk_number: KvkNumber | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "RepresentativeIn":
        if (self.bsn is None) == (self.kvk_number is None):
            raise ValueError("give either bsn or kvkNumber")
        return self


class MandateCheckRequest(ApiRequest):
    representative: RepresentativeIn
    person_bsn: Bsn
    service_code: Code
    action: Action = "read"
    at: Moment | None = Field(default=None, description="The moment asked about; now when left out")


class MandateCheckAnswer(ApiModel):
    allowed: bool
    at: AwareDatetime
    basis: Literal["voluntary_mandate", "legal_measure"] | None = None
    mandate_id: UUID | None = None
    measure_kind: MeasureKind | None = None
    measure_register_id: str | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = Field(
        default=None, description="End of the basis; null for an open-ended measure"
    )
    reason: DenialReason | None = Field(default=None, description="Why not, when denied")


class MandateCheckBatch(ApiRequest):
    checks: list[MandateCheckRequest] = Field(min_length=1, max_length=MAX_BATCH)


class MandateCheckBatchAnswer(ApiModel):
    results: list[MandateCheckAnswer]


class RepresentativesSearch(ApiRequest):
    person_bsn: Bsn
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


class RepresentativeOut(ApiModel):
    basis: Literal["voluntary_mandate", "legal_measure"]
    representative_kind: Literal["person", "office"]
    representative_bsn: str | None = None
    representative_kvk_number: str | None = None
    representative_name: str
    service_codes: list[str]
    actions: list[str]
    mandate_id: UUID | None = None
    measure_kind: MeasureKind | None = None
    measure_register_id: str | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class RepresentativesPage(ApiModel):
    items: list[RepresentativeOut]
    page: int
    page_size: int
    has_next: bool


# --- court register ---------------------------------------------------------------------


class MeasureFeedItem(ApiRequest):
    register_id: Code
    operation: Literal["start", "change", "end"]
    subject_bsn: Bsn | None = None
    kind: MeasureKind | None = None
    representative: RepresentativeIn | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = Field(
        default=None, description="For an end: when it ends (now when left out)"
    )


class MeasureFeed(ApiRequest):
    measures: list[MeasureFeedItem] = Field(min_length=1, max_length=MAX_BATCH)


class MeasureFeedResult(ApiModel):
    register_id: str
    outcome: Literal["recorded", "unchanged", "ended", "rejected"]
    detail: str | None = None


class MeasureFeedAnswer(ApiModel):
    results: list[MeasureFeedResult]


# --- token endpoint (RFC 6749 / RFC 7523 names, which are snake_case by standard) -------


class TokenForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    grant_type: Annotated[SafeText, Field(max_length=64)]
    client_assertion_type: Annotated[SafeText, Field(max_length=128)]
    client_assertion: Annotated[SafeText, Field(max_length=16_384)]
    scope: Annotated[SafeText, Field(max_length=256)] | None = None


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - RFC 6749 token type
    expires_in: int


# --- events -----------------------------------------------------------------------------


class CloudEvent(ApiModel):
    """A CloudEvents 1.0 event (NL GOV profile); attribute names as the specification has them."""

    specversion: Literal["1.0"]
    type: str
    source: str
    subject: str | None = None
    id: str
    time: str
    datacontenttype: str
    sequence: str
    sequencetype: Literal["Integer"]
    data: dict[str, object]


class EventPage(ApiModel):
    events: list[CloudEvent]
    last_sequence: int = Field(description="Pass as `after` to fetch the events that follow")
