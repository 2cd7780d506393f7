"""The error tree. Each error carries its HTTP status; the CLI turns any of them into one sentence."""

from __future__ import annotations


class PinganError(Exception):
    """A user-facing error: its message is one clear sentence saying what was wrong and how to fix it."""

    status: int = 400
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(PinganError):
    status = 422
    code = "bad_input"


class BadFile(BadInput):
    """A file that is not what it claims to be (wrong columns, truncated, undecodable, empty)."""

    code = "bad_file"


class NotFound(PinganError):
    status = 404
    code = "not_found"


class Forbidden(PinganError):
    status = 403
    code = "forbidden"


class PurposeRequired(Forbidden):
    code = "purpose_required"


class Unauthenticated(PinganError):
    status = 401
    code = "unauthenticated"


class Conflict(PinganError):
    status = 409
    code = "conflict"
