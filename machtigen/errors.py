"""Domain errors carry the HTTP status an API layer should answer with."""


class MachtigenError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(MachtigenError):
    status_code = 404
    title = "Not found"


class Forbidden(MachtigenError):
    status_code = 403
    title = "Forbidden"


class Conflict(MachtigenError):
    status_code = 409
    title = "Conflict"


class InvalidInput(MachtigenError):
    status_code = 422
    title = "Invalid input"
