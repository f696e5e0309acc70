"""The API's input base (StrictSerializer) and its shared output shapes."""

import math
from collections.abc import Mapping

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from retail.api.errors import validation_error_body
from retail.api.fields import AwareDateTimeField, DateField, MoneyField, PatternField
from retail.errors import DomainError, RetailCode
from retail.models import Store
from retail.promise import promise_for

UNKNOWN_FIELD = "unknown_field"  # the ErrorDetail code of a refused field; answered as RetailCode.UNKNOWN_FIELD


class StrictSerializer(serializers.Serializer):
    """Every API input goes through one of these (nested ones too): nothing is silently ignored or coerced.

    - A field the serializer does not declare is refused (`unknown_field`, naming it), so a client never
      believes an ignored field took effect.
    - A value of the wrong JSON type is refused as the schema says (`"5"` is not an integer, `1` not a
      string, `"yes"` not a boolean), before DRF's lenient parsing could coerce it.
    - Strings are taken as sent (no trimming), so a pattern means the same here and in the schema.
    - A partial update (PATCH) leaves out fields of the body only: an object nested in it is whole, its
      required fields required, as the schema says (DRF would skip them: `[{}]` reached the view).
    """

    # The operation refuses an absent or empty body by a rule across fields (checkout: fulfillment or
    # groups): the schema then says the body is required, which no single required field would make it.
    body_required = False

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _untrimmed(field)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            valid = _fast_path(self, data)
            if valid is not None:
                return valid
            errors: dict = {}
            for key in data:
                field = self.fields.get(key)
                if field is None or field.read_only:
                    errors[key] = [ErrorDetail(gettext("This operation does not take this field."), code=UNKNOWN_FIELD)]
                else:
                    problem = json_type_error(field, data[key])
                    if problem:
                        errors[key] = problem
            if self.root is not self and getattr(self.root, "partial", False):
                for name, field in self.fields.items():
                    if field.required and not field.read_only and name not in data and name not in errors:
                        errors[name] = [ErrorDetail(field.error_messages["required"], code="required")]
            if errors:
                # the rest of the body too, so one answer names every mistake (an unknown field nested
                # in another field included), not one per round trip
                rest = {key: value for key, value in data.items() if key not in errors}
                try:
                    super().to_internal_value(rest)
                except serializers.ValidationError as exc:
                    if isinstance(exc.detail, Mapping):
                        for key, detail in exc.detail.items():
                            errors.setdefault(key, detail)  # a field refused above keeps that refusal
                except DomainError:
                    pass  # a rule's refusal (an unknown store) waits until the shape is right
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- the fast path ----------------------------------------------------------------------------------
# DRF spends ~0.3 ms per item of a batch in its generic machinery (500 events: 150 ms, the whole budget
# of the ingestion benchmark). Valid input of the field kinds below is checked here in one tight pass,
# with the same rules DRF applies; anything else, or anything that does not pass, goes the full way,
# so DRF still words every error. tests/retail/test_strict_serializers.py holds the two paths equal.

_MISSING = object()


def _plan(serializer) -> list | None:
    """Per serializer instance (a batch reuses its child): (name, field, kind, validate_<name> hook) per
    field, or None when a field or a validate() hook needs the full path."""
    if "_fast_plan" not in serializer.__dict__:
        plan = [] if type(serializer).validate is serializers.Serializer.validate else None
        for name, field in serializer.fields.items():
            kind = _kind(field)
            if plan is None or kind is None or field.read_only or field.source != name:
                plan = None
                break
            if getattr(field.default, "requires_context", False):
                plan = None
                break
            plan.append((name, field, kind, getattr(serializer, f"validate_{name}", None)))
        serializer.__dict__["_fast_plan"] = plan
    return serializer.__dict__["_fast_plan"]


# The validators each kind checks itself (by the field's attributes); a field with any other takes the full path.
_UNDERSTOOD = {
    "char": {
        "MaxLengthValidator",
        "MinLengthValidator",
        "RegexValidator",
        "ProhibitNullCharactersValidator",
        "ProhibitSurrogateCharactersValidator",
    },
    "int": {"MaxValueValidator", "MinValueValidator"},
}


def _kind(field) -> str | None:

    if type(field) in (AwareDateTimeField, DateField, MoneyField):
        return "parse"  # strict by themselves: their own run_validation
    kind = None
    if isinstance(field, StrictSerializer):
        kind = "nested"
    elif type(field) is serializers.ListSerializer and isinstance(field.child, StrictSerializer):
        kind = "list"
    elif type(field) is serializers.ChoiceField:
        kind = "choice"
    elif type(field) in (serializers.CharField, serializers.RegexField) or isinstance(field, PatternField):
        kind = "char" if not field.trim_whitespace else None
    elif type(field) is serializers.IntegerField:
        kind = "int"
    elif type(field) is serializers.BooleanField:
        kind = "bool"
    elif type(field) is serializers.DictField and type(field.child).__name__ == "_UnvalidatedField":
        kind = "dict"
    if kind is None or any(type(v).__name__ not in _UNDERSTOOD.get(kind, ()) for v in field.validators):
        return None
    return kind


def _fast_path(serializer, data: Mapping):
    """The validated data when every field passes the quick checks; None to take DRF's full path."""
    plan = _plan(serializer)
    partial = getattr(serializer.root, "partial", False)
    if plan is None or partial or any(key not in serializer.fields for key in data):
        return None
    out = {}
    for name, field, kind, validate_hook in plan:
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if field.required:
                return None
            if field.default is serializers.empty:
                continue
            value = field.default() if callable(field.default) else field.default
            out[name] = value
            continue
        if value is None:
            if not field.allow_null:
                return None
            out[name] = None
            continue
        checked = _check(field, kind, value)
        if checked is _MISSING:
            return None
        if validate_hook is not None:
            try:
                checked = validate_hook(checked)
            except serializers.ValidationError:
                return None
        out[name] = checked
    return out


def _check(field, kind: str, value):
    if kind == "char":
        if type(value) is not str or "\x00" in value or (value == "" and not field.allow_blank):
            return _MISSING
        if not value.isascii():
            try:
                value.encode("utf-8")  # no lone surrogates (the JSON parser refuses them already)
            except UnicodeEncodeError:
                return _MISSING
        if (field.max_length is not None and len(value) > field.max_length) or (
            field.min_length is not None and len(value) < field.min_length
        ):
            return _MISSING
        for validator in field.validators:
            if type(validator).__name__ == "RegexValidator" and not validator.regex.search(value):
                return _MISSING
        return value
    if kind == "choice":
        if type(value) is not str:
            return _MISSING
        if value == "" and field.allow_blank:
            return ""
        return field.choice_strings_to_values.get(value, _MISSING)
    if kind == "int":
        if type(value) is not int or (field.max_value is not None and value > field.max_value):
            return _MISSING
        return value if field.min_value is None or value >= field.min_value else _MISSING
    if kind == "bool":
        return value if type(value) is bool else _MISSING
    if kind == "dict":
        return value if type(value) is dict else _MISSING
    if kind == "nested":
        if type(value) is not dict:
            return _MISSING
        inner = _fast_path(field, value)
        return _MISSING if inner is None else inner
    if kind == "list":
        if type(value) is not list or (not value and not field.allow_empty):
            return _MISSING
        if (field.max_length is not None and len(value) > field.max_length) or (
            field.min_length is not None and len(value) < field.min_length
        ):
            return _MISSING
        items = [_fast_path(field.child, item) if type(item) is dict else None for item in value]
        return _MISSING if any(item is None for item in items) else items
    try:  # "parse": our own fields, strict by themselves
        return field.run_validation(value)
    except serializers.ValidationError:
        return _MISSING


class EmptyInput(StrictSerializer):
    """The body of an operation that takes none: an empty object (or no body); any field is unknown."""


class BatchSerializer(serializers.ListSerializer):
    """A batch whose items are validated one by one (`validate_items`), so one bad item refuses only itself.

    The envelope checks that it is a list of 1 to `max_length` items (more: `batch_too_large`); the
    schema documents the items' shape (the child serializer).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_length", 1)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(
                [_("A list of %(least)s to %(most)s items.") % {"least": self.min_length, "most": self.max_length}]
            )
        if len(data) < (self.min_length or 0):
            raise serializers.ValidationError(
                [
                    ngettext("At least %(least)s item.", "At least %(least)s items.", self.min_length)
                    % {"least": self.min_length}
                ]
            )
        if self.max_length is not None and len(data) > self.max_length:
            raise DomainError(
                _("At most %(max_length)s items per batch; send the rest in another.")
                % {"max_length": self.max_length},
                code=RetailCode.BATCH_TOO_LARGE,
                fields={
                    self.field_name: [
                        _("%(data)s sent, at most %(max_length)s.") % {"data": len(data), "max_length": self.max_length}
                    ]
                },
            )
        return list(data)


def validate_items(batch: BatchSerializer, items: list):
    """(index, clean item, None) or (index, None, error body) for each item, through the batch's one child."""

    for index, raw in enumerate(items):
        try:
            yield index, batch.child.run_validation(raw), None
        except serializers.ValidationError as exc:
            yield index, None, validation_error_body(exc.detail)


def _untrimmed(field) -> None:
    if isinstance(field, serializers.CharField):
        field.trim_whitespace = False
    for child in (getattr(field, "child", None),):
        if child is not None:
            _untrimmed(child)


_STRING_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DecimalField,
    serializers.UUIDField,
)


def json_type_error(field, value):
    """Why `value` is not the JSON type `field` takes (DRF-shaped errors), or None."""
    if value is None or isinstance(field, (serializers.JSONField, serializers.BaseSerializer)):
        return None  # null: the field's allow_null decides; nested serializers check their own input
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else [_("Must be true or false.")]
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else [_("Must be a whole number.")]
    if isinstance(field, serializers.FloatField):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else [_("Must be a number.")]
    if isinstance(field, _STRING_FIELDS):
        return None if isinstance(value, str) else [_("Must be a string.")]
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return [_("Must be a list.")]
        errors = {index: json_type_error(field.child, item) for index, item in enumerate(value)}
        return {index: error for index, error in errors.items() if error} or None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return [_("Must be an object.")]
        errors = {key: json_type_error(field.child, item) for key, item in value.items()}
        return {key: error for key, error in errors.items() if error} or None
    return None


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (retail.api.errors.exception_handler)."""

    code = serializers.CharField(help_text="Stable machine code, e.g. `invalid`, `not_found`, `insufficient_stock`.")
    message = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Problems per input field."
    )


class PickupPromiseSerializer(serializers.Serializer):
    ready_at = serializers.SerializerMethodField(help_text="On the store's clock (its time zone's offset).")
    label = serializers.CharField(help_text='In the shopper\'s language, e.g. "Ready tomorrow from 10:30".')

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ready_at(self, promise) -> str:
        return promise.ready_at.isoformat()  # with the store's offset, not converted to the server's zone


class StoreSerializer(serializers.ModelSerializer):
    distance_km = serializers.SerializerMethodField()
    pickup_promise = serializers.SerializerMethodField(
        help_text="Click-and-collect: when an order placed now is ready (opening hours and picking time); "
        "null without pick-up or when the store opens on no day soon."
    )

    class Meta:
        model = Store
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "address_line",
            "city",
            "postcode",
            "country",
            "phone",
            "latitude",
            "longitude",
            "time_zone",
            "opening_hours",
            "pickup_enabled",
            "accepts_returns",
            "ships_orders",
            "picking_minutes",
            "pickup_promise",
            "distance_km",
        ]

    @extend_schema_field(PickupPromiseSerializer(allow_null=True))
    def get_pickup_promise(self, store) -> dict | None:
        promise = promise_for(store, now=self.context.get("now"))
        return PickupPromiseSerializer(promise).data if promise else None

    def get_distance_km(self, store) -> float | None:
        value = getattr(store, "distance_km", None)
        return None if value is None else round(value, 2)
