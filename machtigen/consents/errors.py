from machtigen.errors import Conflict, InvalidInput


class OptInNotApplicable(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "This organisation is legally required to deliver digitally;"
            " its post does not depend on an opt-in."
        )


class ReadStateNotApplicable(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This organisation sends you no post in the Berichtenbox: there is no read state"
            " to share with it."
        )


class ConsentFormMismatch(InvalidInput):
    """A consent form naming afnemers its page could not have shown (crafted, or outdated)."""

    def __init__(self) -> None:
        super().__init__("This form does not match the afnemers on the page; nothing changed.")
