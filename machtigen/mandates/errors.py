from machtigen.errors import Conflict, InvalidInput, NotFound


class MandateNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such mandate.")


class InvalidMandate(InvalidInput):
    pass


class InvalidMeasure(InvalidInput):
    pass


class MeasureConflict(Conflict):
    pass


class NothingToGrantAgain(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This mandate can only be granted again once the court measure that replaced it"
            " has ended, and while its period has not passed."
        )
