from machtigen.errors import Conflict, InvalidInput, NotFound


class InvalidBsn(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A BSN is nine digits that pass the elfproef.")


class InvalidEidasIdentifier(InvalidInput):
    def __init__(self) -> None:
        super().__init__("An eIDAS PersonIdentifier has the form CC/NL/identifier.")


class InvalidKvkNumber(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A KvK number is eight digits.")


class PersonAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("A person with this BSN is already registered.")


class PersonNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such person.")


class OfficeNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such office.")


class StaffNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such employee.")


class ClientNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This person is not a client of the office.")


class StaffInactive(Conflict):
    def __init__(self) -> None:
        super().__init__("This employee no longer acts for the office; assign someone else.")
