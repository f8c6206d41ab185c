from machtigen.errors import Conflict, InvalidInput, NotFound


class AccountNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No mailbox account.")


class ActivationNotConfirmed(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "Activation needs the explicit confirmation that the explanation"
            " of what it means was read."
        )


class AccountStateConflict(Conflict):
    pass


class InvalidEmail(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"That e-mail address cannot be used: {reason}")


class FolderNameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("A folder with this name already exists.")


class InvalidFolderName(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A folder name has 1 to 100 characters.")
