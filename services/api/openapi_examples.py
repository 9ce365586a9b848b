"""Examples of the OpenAPI document's request and response bodies, built from its schemas."""

import copy
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute, iter_route_contexts

EXAMPLE_ID = "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"
"""The id shown wherever the document needs one (a UUID of no particular record)."""


def add_body_examples(components: dict[str, Any], operations: Iterable[dict[str, Any]]) -> None:
    """Give every JSON request body and success response of `operations` an example.

    A model's own `examples` win; otherwise the example is assembled from the
    examples of its fields. A field without one borrows it from the same field of
    its family (`FundRead.name` from `FundCreate.name`), then, for plain values,
    from a field of the same name elsewhere. Request examples hold the required
    fields and those with an example; response examples hold every field.
    """
    builder = _ExampleBuilder(components)
    for operation in operations:
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            if "schema" in media and "example" not in media:
                media["example"] = builder.build(media["schema"], request=True)
        for status, response in operation.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            media = response.get("content", {}).get("application/json")
            if media is not None and "schema" in media and "example" not in media:
                media["example"] = builder.build(media["schema"], request=False)


def restore_body_examples(schema: dict[str, Any], app: FastAPI) -> None:
    """Publish each request body example a route or webhook declares as declared:
    `get_openapi` leaves out every null value, and `{"max_score": null}` is not `{}`."""
    for section, routes in (("paths", app.routes), ("webhooks", app.webhooks.routes)):
        for context in iter_route_contexts(routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or route.body_field is None:
                continue
            examples = route.body_field.field_info.examples
            if not examples or not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = schema[section][str(context.path)][method.lower()]
                media = operation["requestBody"]["content"]["application/json"]
                media["example"] = jsonable_encoder(examples[0])
                media["schema"].pop("examples", None)  # the same, less its nulls


_FAMILY_SUFFIXES = ("Create", "Update", "Write", "Read")
_FORMAT_EXAMPLES: dict[str, Any] = {
    "uuid": EXAMPLE_ID,
    "date-time": "2026-03-02T09:30:00Z",
    "date": "2026-03-02",
    "email": "contact@territoires-industrie.fr",
    "uri": "https://www.anct.gouv.fr",
}
_NONE = object()
_NOT_EXAMPLE_SOURCES = frozenset({"Problem", "ProblemFieldError"})


class _ExampleBuilder:
    """Assembles example values from schemas and the field examples of the components."""

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components
        self.by_name: dict[str, Any] = {}
        for component in sorted(set(components) - _NOT_EXAMPLE_SOURCES):
            for name, prop in components[component].get("properties", {}).items():
                found = _examples_of(prop)
                if found and _is_plain(prop):
                    self.by_name.setdefault(name, found[0])

    def build(self, schema: dict[str, Any], *, request: bool) -> Any:
        """An example of `schema`, as a request body or as a response body."""
        return self._value(schema, request=request, family=None, seen=frozenset())

    def _value(
        self, schema: dict[str, Any], *, request: bool, family: str | None, seen: frozenset[str]
    ) -> Any:
        given = _given_example(schema)
        if given is not _NONE:
            return copy.deepcopy(given)
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return None
            target = self.components[name]
            return self._value(target, request=request, family=name, seen=seen | {name})
        if "enum" in schema:
            return schema["enum"][0]
        branches = _branches(schema)
        if branches is not None:
            if not branches:
                return None
            return self._value(branches[0], request=request, family=family, seen=seen)
        kind = schema.get("type")
        if kind == "object":
            return self._object(schema, request=request, family=family, seen=seen)
        if kind == "array":
            item = self._value(schema.get("items", {}), request=request, family=family, seen=seen)
            return [] if item is None else [item]
        return _scalar(schema)

    def _object(
        self, schema: dict[str, Any], *, request: bool, family: str | None, seen: frozenset[str]
    ) -> dict[str, Any]:
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            own = _examples_of(prop)
            kin = self._kin(family, name)
            kin_examples = _examples_of(kin) if kin is not None else None
            if request and name not in required and not own and not kin_examples:
                continue
            result[name] = copy.deepcopy(
                self._field(prop, own, kin, kin_examples, name, request=request, seen=seen)
            )
        return result

    def _field(
        self,
        prop: dict[str, Any],
        own: list[Any] | None,
        kin: dict[str, Any] | None,
        kin_examples: list[Any] | None,
        name: str,
        *,
        request: bool,
        seen: frozenset[str],
    ) -> Any:
        if own:
            return own[0]
        if kin_examples:
            return kin_examples[0]
        given = _given_example(prop)
        if given is not _NONE:
            return given
        if kin is not None and "default" in kin:
            return kin["default"]
        if _is_plain(prop):
            if name in self.by_name:
                return self.by_name[name]
            if kin is not None and _is_plain(kin):
                return self._value(kin, request=request, family=None, seen=seen)
        return self._value(prop, request=request, family=None, seen=seen)

    def _kin(self, family: str | None, name: str) -> dict[str, Any] | None:
        """The same field in a sibling model (`FundCreate` for `FundRead`), if any."""
        if family is None:
            return None
        base = family
        for suffix in _FAMILY_SUFFIXES:
            base = base.removesuffix(suffix)
        for candidate in (*(base + s for s in _FAMILY_SUFFIXES), base):
            if candidate == family or candidate not in self.components:
                continue
            prop = self.components[candidate].get("properties", {}).get(name)
            if prop is not None:
                return dict(prop)
        return None


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The non-null alternatives of an `anyOf`/`oneOf`/`allOf` schema (None: not one)."""
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [b for b in schema[key] if b.get("type") != "null"]
    return None


def _examples_of(schema: dict[str, Any]) -> list[Any] | None:
    """The examples given on a field, or on the non-null branch of a nullable field."""
    if schema.get("examples"):
        return list(schema["examples"])
    if "example" in schema:
        return [schema["example"]]
    for branch in _branches(schema) or []:
        found = _examples_of(branch)
        if found:
            return found
    return None


def _is_plain(schema: dict[str, Any]) -> bool:
    """A string, number or boolean field (possibly nullable): no reference, no enum."""
    branches = _branches(schema)
    if branches is not None:
        return len(branches) == 1 and _is_plain(branches[0])
    return "$ref" not in schema and "enum" not in schema and schema.get("type") in _PLAIN


_PLAIN = frozenset({"string", "integer", "number", "boolean"})


def _given_example(schema: dict[str, Any]) -> Any:
    """The schema's own example, constant or default; `_NONE` if it has none."""
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    return _NONE


def _scalar(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "string":
        return _FORMAT_EXAMPLES.get(schema.get("format", ""), "string")
    if kind in {"integer", "number"}:
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return None
