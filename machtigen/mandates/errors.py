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
