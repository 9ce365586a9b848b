"""Base schemas of the API contract: outputs, inputs, cursor pages and problems."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class Schema(BaseModel):
    """Base of every response model; reads ORM objects by attribute."""

    model_config = ConfigDict(from_attributes=True)


class InputSchema(BaseModel):
    """Base of every request body: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def refuse_null(*fields: str) -> Any:
    """Validator of an update schema: these fields may be left out, but not set to null."""

    def check(value: object, info: ValidationInfo) -> object:
        if value is None:
            raise ValueError(f"{info.field_name} cannot be null; leave it out to keep it")
        return value

    return field_validator(*fields)(check)


ItemT = TypeVar("ItemT")


class Page(Schema, Generic[ItemT]):
    """One page of a collection; pass `next_cursor` back as `cursor` for the next one."""

    items: list[ItemT] = Field(description="The items of this page, in the requested order.")
    next_cursor: str | None = Field(
        description="Opaque cursor of the next page; null on the last page.",
        examples=["eyJrIjpbIkFsYmkiXX0"],
    )

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """`Page[TerritoryRead]` is named `TerritoryPage` (also in the OpenAPI document)."""
        item = params[0]
        name = getattr(item, "__name__", None) or str(item)
        return f"{name.removesuffix('Read')}Page"


class ProblemFieldError(Schema):
    """One invalid input, located by a JSON pointer into the request."""

    pointer: str = Field(
        description="JSON pointer (RFC 6901) to the field: /body/siren, /query/limit…",
        examples=["/body/epci_sirens/0"],
    )
    detail: str = Field(description="What is wrong with it.", examples=["invalid SIREN"])
    type: str = Field(description="Machine-readable error kind.", examples=["value_error"])


class Problem(Schema):
    """RFC 9457 problem details, served as `application/problem+json`."""

    type: str = Field(
        description="URI identifying the problem type.",
        examples=["https://tidi.anct.gouv.fr/problems/not-found"],
    )
    title: str = Field(description="Short summary of the problem type.", examples=["Not found"])
    status: int = Field(description="The HTTP status code.", examples=[404])
    detail: str = Field(
        description="Explanation specific to this occurrence.",
        examples=["No territory with id 5b0c…"],
    )
    instance: str | None = Field(
        default=None, description="The request path.", examples=["/v1/territories/5b0c"]
    )
    request_id: str | None = Field(
        default=None,
        description="Correlates with the service logs.",
        examples=["3f2a9c1d"],
    )
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Invalid inputs, for validation problems."
    )
