from machtigen.errors import InvalidInput


class OptInNotApplicable(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "This organisation is legally required to deliver digitally;"
            " its post does not depend on an opt-in."
        )
