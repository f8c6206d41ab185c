"""Errors of the notifications package."""

from machtigen.errors import NotFound


class LetterNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such letter.")


class DeliveryFailed(Exception):
    """One notification could not be handed to the SMTP server.

    ``permanent`` is a refusal of the address (a bounce, 5xx); anything else
    (server down, 4xx, timeout) is retried with backoff.
    """

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
