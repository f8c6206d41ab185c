from machtigen.errors import Conflict, InvalidInput


class InvalidClient(InvalidInput):
    pass


class ClientAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("A client with this client id is registered already.")
