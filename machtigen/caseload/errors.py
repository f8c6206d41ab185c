from machtigen.errors import Forbidden, InvalidInput


class InvalidCaseloadFilter(InvalidInput):
    pass


class NotARepresentative(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only a representative (a person or an office employee) has a caseload.")
