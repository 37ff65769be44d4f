"""Why a try-on or a look was refused: a reason code for programs and a sentence for people (HTTP 4xx, never 500)."""

from __future__ import annotations

from daogou.errors import BadQuery


class PhotoRefused(BadQuery):
    """A shopper's photo that cannot be used: no_person, two_people, back_view, no_shoulders, too_small."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotTryable(BadQuery):
    """The product cannot be tried on; the message carries its verdict's reason."""

    code = "not_tryable"
