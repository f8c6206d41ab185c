from machtigen.errors import Conflict, InvalidInput, NotFound


class UnknownRecipient(InvalidInput):
    def __init__(self) -> None:
        super().__init__("No person with this BSN is known to the mailbox.")


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used before with a different request.")


class MessageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such message.")


class FolderMismatch(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A message can only be filed in a folder of the same mailbox.")


class InvalidMessage(InvalidInput):
    pass
