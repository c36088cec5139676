"""A client's mistake as one exception type → one HTTP status and an OpenAI-style JSON body
(`{"error": {"message", "type", "code"}}`, as vLLM's server answers), never a 500."""

from __future__ import annotations

TYPES = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError",
         404: "NotFoundError", 408: "RequestTimeout", 411: "LengthRequired",
         413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "UnprocessableEntityError",
         503: "ServiceUnavailable", 504: "GatewayTimeout"}


class ClientError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = int(status), str(message)
        super().__init__(status, message)

    def body(self) -> dict:
        return error_body(self.status, self.message)


def error_body(status: int, message: str) -> dict:
    return {"error": {"message": message, "type": TYPES.get(status, "Error"), "code": status}}
