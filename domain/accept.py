"""Native twins of the inbound models (domain/canvas.py), for the append's first, cheap validation.

The inbound models check ids, numbers and texts with Python validators (domain/values.py): exact, with
messages a person can act on, but ~20 Python calls per event. Each twin here is generated from its model
with those types replaced by pydantic-native constraints that accept a SUBSET of what the Python
validator accepts, giving the same value on it (an id as a string of 1–30 ASCII digits, a number as a
finite non-bool int or float within ±MAX_NUMBER, a text as a string or null within its cap). Times,
booleans, nested models and lists keep the model's own annotation. So:

- a twin accepts an event → the model accepts it too, with equal values for every field (tested);
- a twin refuses it → the model decides, with its own acceptance and message (`events._validate`).

Only the envelope and the result body (99% of a stream) have twins; other kinds use their model alone.
"""

from __future__ import annotations

from typing import Annotated, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, create_model

from domain import canvas
from domain import values as v

_Id = Annotated[str, Strict(), StringConstraints(pattern=rf"^[0-9]{{1,{v.MAX_DIGITS}}}$")]
_Number = Annotated[float, Strict(), Field(ge=-v.MAX_NUMBER, le=v.MAX_NUMBER, allow_inf_nan=False)]
_Code = Annotated[str | None, Strict(), StringConstraints(max_length=v.MAX_CODE)]
_Text = Annotated[str | None, Strict(), StringConstraints(max_length=v.MAX_TEXT)]
_Required = Annotated[str, Strict(), StringConstraints(max_length=v.MAX_CODE)]

# The model's annotation → its native twin (a subset, same values); any other annotation is kept.
_TWIN: list[tuple[Any, Any]] = [
    (v.CanvasId, _Id),
    (v.CanvasId | None, _Id | None),
    (v.Number, _Number),
    (v.OptNumber, _Number | None),
    (v.Code, _Code),
    (v.Text, _Text),
    (v.Guid, _Code),  # the model also takes a number (as text): refused here, decided by the model
    (v.SisId, _Code),  # likewise an integer SIS id
    (v.RequiredCode, _Required),
]


def _twin_of(hint: Any) -> Any:
    for theirs, ours in _TWIN:
        if hint == theirs:
            return ours
    return hint


def twin(model: type[BaseModel]) -> type[BaseModel]:
    """The model with its Python-validated types replaced by native ones; extra fields are ignored (the
    model keeps them unchecked, so acceptance is the same)."""
    hints = get_type_hints(model, include_extras=True)
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        default = ... if info.is_required() else info.default
        fields[name] = (_twin_of(hints[name]), default)
    return create_model(f"{model.__name__}Twin", __config__=ConfigDict(extra="ignore"), **fields)


METADATA = twin(canvas.Metadata)
BODIES: dict[str, type[BaseModel]] = {"result": twin(canvas.ResultBody)}
