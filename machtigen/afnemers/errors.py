from machtigen.errors import Conflict, InvalidInput, NotFound


class InvalidOin(InvalidInput):
    def __init__(self) -> None:
        super().__init__("An OIN is twenty digits.")


class AfnemerAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("An afnemer with this OIN is already registered.")


class AfnemerNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such afnemer.")


class ServiceNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such service for this afnemer.")


class InvalidMunicipality(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A municipality code (CBS) is four digits.")
