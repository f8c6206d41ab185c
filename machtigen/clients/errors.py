from machtigen.errors import Conflict, InvalidInput, NotFound


class InvalidClient(InvalidInput):
    pass


class ClientAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("A client with this client id is registered already.")


class ClientNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No client with this client id is registered.")
