"""Base schemas of the API contract: outputs, inputs, cursor pages and problems."""

from types import NoneType, UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    TypeAdapter,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Schema(BaseModel):
    """Base of every response model; reads ORM objects by attribute."""

    model_config = ConfigDict(from_attributes=True)


def _holds_integer(annotation: object) -> bool:
    """Whether a field is an integer, possibly annotated or nullable (`int | None`)."""
    if get_origin(annotation) is Annotated:
        return _holds_integer(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        members = [member for member in get_args(annotation) if member is not NoneType]
        return all(_holds_integer(member) for member in members)
    return annotation is int


class InputSchema(BaseModel):
    """Base of every request body: unknown fields are rejected, and nothing is coerced.

    Strict: a number is never read from a string or a boolean, a boolean never from a
    number or a word. UUIDs and enums are read from their JSON strings (`FromText`),
    dates and instants only from ISO 8601 strings (`IsoDate`, `UtcDatetime`). An integer
    field takes a JSON number with a zero fraction (`12.0`), an integer in JSON Schema.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: object) -> object:
        """`12.0` is read as 12 by an integer field; its bounds then apply (1e300 is refused)."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        whole = {
            name: int(value)
            for name, value in data.items()
            if isinstance(value, float)
            and value.is_integer()
            and name in fields
            and _holds_integer(fields[name].annotation)
        }
        return {**data, **whole} if whole else data


def documented_as(shapes: Any) -> Any:
    """A model's `__get_pydantic_json_schema__`: the model is documented as `shapes` (a union
    of models, one per case), which says what its own validators refuse across fields.
    """
    adapter: TypeAdapter[Any] = TypeAdapter(shapes)

    def json_schema(
        _cls: type[BaseModel], _core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(adapter.core_schema)

    return classmethod(json_schema)


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep the current value")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    """The JSON schema of an `Omittable` field: its type alone, no null, no default."""
    schema.pop("default", None)
    branches = schema.pop("anyOf", None)
    if branches is not None:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


T = TypeVar("T")

Omittable = Annotated[
    T | None,
    AfterValidator(_not_null),
    Field(json_schema_extra=_without_null),
]
"""A field of an update that may be left out (None: unchanged) but never set to null."""


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
