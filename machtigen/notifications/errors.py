"""Errors of the notifications package."""

from machtigen.errors import NotFound


class LetterNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such letter.")


class DeliveryFailed(Exception):
    """One notification could not be handed to the SMTP server.

    ``permanent`` is a refusal of the address by the receiving server (a 5xx answer to RCPT
    TO: a bounce, counted towards the paper letter); anything else (our server down, a 4xx
    answer, a refusal of the message itself, a time-out) is not held against the address.
    Both are retried with backoff until the maximum number of attempts.
    """

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
