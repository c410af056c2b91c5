"""ARM's error answer, as every provider raises it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ArmError"]


class ArmError(Exception):
    """An error answered in ARM's shape: ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        innererror: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = dict(headers or {})
        self.innererror = innererror

    def error_body(self) -> dict[str, Any]:
        """The inner ``error`` object (also used as a failed operation's ``error``)."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        if self.details is not None:
            err["details"] = self.details
        if self.innererror is not None:
            err["innererror"] = self.innererror
        return err

    def body(self) -> dict[str, Any]:
        return {"error": self.error_body()}

    # ARM's common errors -------------------------------------------------------
    @classmethod
    def resource_not_found(cls, resource_type: str, name: str, resource_group: str) -> ArmError:
        """ARM's 404 for a missing resource, in the text Azure sends."""
        return cls(
            404,
            "ResourceNotFound",
            f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
            "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    @classmethod
    def resource_group_not_found(cls, resource_group: str) -> ArmError:
        return cls(404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found.")

    @classmethod
    def resource_group_being_deleted(cls, resource_group: str) -> ArmError:
        """ARM's 409 for a write into a group that is being deleted."""
        return cls(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{resource_group}' is in deprovisioning state and cannot perform this "
            "operation.",
        )

    @classmethod
    def location_required(cls) -> ArmError:
        return cls(400, "LocationRequired", "The location property is required for this definition.")

    @classmethod
    def invalid_parameter(cls, message: str, target: str | None = None) -> ArmError:
        return cls(400, "InvalidParameter", message, target=target)

    @classmethod
    def operation_not_allowed(cls, message: str, status: int = 409) -> ArmError:
        return cls(status, "OperationNotAllowed", message)

    @classmethod
    def bad_request(cls, message: str, code: str = "BadRequest") -> ArmError:
        return cls(400, code, message)
