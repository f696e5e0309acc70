"""The period and stores every figure is computed for, and the GET form that chooses them."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Case, CharField, DateField, DateTimeField, F, Func, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from retail.models import Store
from retail.selectors import store_zones

DEFAULT_DAYS = 28
MAX_DAYS = 731


GRAINS = ("day", "week", "month")


def chain_zone() -> ZoneInfo:
    """The chain's clock (settings.TIME_ZONE), read at call time."""
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Dates `start`..`end` inclusive and the stores (None: all).

    A day is a day on the clock of the store concerned (`Store.time_zone`): `within` and `bucket`
    take the row's store, so an order placed at 01:00 UTC in New York counts on the day before,
    in London on the day itself. `since`/`until` are the bounds on the chain's clock
    (settings.TIME_ZONE), which every store keeps unless it says otherwise (`store_zones`).
    """

    start: date
    end: date
    store_ids: tuple[int, ...] | None = None
    zones: dict | None = field(default=None, compare=False, repr=False)  # {zone: store ids}, read once

    @property
    def since(self) -> datetime:
        """Midnight starting `start` on the chain's clock."""
        return datetime.combine(self.start, time.min, tzinfo=chain_zone())

    @property
    def until(self) -> datetime:
        """Exclusive upper bound: midnight after `end` on the chain's clock."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=chain_zone())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def grain(self) -> str:
        """Day points up to two months, weeks up to a year, months beyond."""
        if self.days <= 62:
            return "day"
        return "week" if self.days <= 366 else "month"

    def other_zones(self) -> dict[str, tuple[int, ...]]:
        """{time zone: store ids} of the period's stores that do not keep the chain's clock."""
        if self.zones is None:
            zones = store_zones()
            if self.store_ids is not None:
                chosen = set(self.store_ids)
                zones = {z: tuple(i for i in ids if i in chosen) for z, ids in zones.items()}
                zones = {z: ids for z, ids in zones.items() if ids}
            object.__setattr__(self, "zones", zones)
        return self.zones

    def within(self, field: str, store: str | None = None) -> Q:
        """`field` falls on a day of the period; on the clock of the row's `store` (a Store foreign
        key path) when given. Stores on the chain's clock share one range (the usual index scan)."""
        return self._on_clocks(field, store, from_start=True)

    def before_end(self, field: str, store: str | None = None) -> Q:
        """`field` is before the end of the period's last day (on the clock of the row's `store`)."""
        return self._on_clocks(field, store, from_start=False)

    def _on_clocks(self, field: str, store: str | None, *, from_start: bool) -> Q:
        def bounded(since, until) -> Q:
            return Q(**({f"{field}__gte": since} if from_start else {}), **{f"{field}__lt": until})

        chain = bounded(self.since, self.until)
        zones = self.other_zones() if store else {}
        if not zones:
            return chain
        elsewhere = [pk for ids in zones.values() for pk in ids]
        condition = chain & ~Q(**{f"{store}__in": elsewhere})
        for name, ids in zones.items():
            zone = ZoneInfo(name)
            since = datetime.combine(self.start, time.min, tzinfo=zone)
            until = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
            condition |= Q(**{f"{store}__in": ids}) & bounded(since, until)
        return condition

    def bucket(self, grain: str, field: str, store: str):
        """The day, week (Monday) or month a `field` falls in, on the clock of the row's `store`."""
        if grain not in GRAINS:
            raise ValueError(f"grain {grain!r}: one of {', '.join(GRAINS)}")
        zones = self.other_zones()
        zone = Value(settings.TIME_ZONE, output_field=CharField())
        if zones:
            zone = Case(
                *[When(**{f"{store}__in": ids}, then=Value(name)) for name, ids in zones.items()],
                default=zone,
                output_field=CharField(),
            )
        local = Func(
            F(field), zone, arg_joiner=" AT TIME ZONE ", template="(%(expressions)s)", output_field=DateTimeField()
        )
        truncated = Func(Value(grain), local, function="DATE_TRUNC", output_field=DateTimeField())
        return Cast(truncated, DateField())

    def today_everywhere(self, *, now: datetime | None = None) -> date:
        """The earliest "today" among the period's stores: days before it are over in every one."""
        now = now or timezone.now()
        zones = [chain_zone(), *(ZoneInfo(z) for z in self.other_zones())]
        return min(now.astimezone(zone).date() for zone in zones)

    def at(self, field: str) -> Q:
        """The store filter on `field` (a Store foreign key); empty when all stores."""
        return Q() if self.store_ids is None else Q(**{f"{field}__in": self.store_ids})


def default_period(*, today: date | None = None, store_ids=None) -> Period:
    today = today or timezone.localdate()
    return Period(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today, store_ids=store_ids)


class PeriodForm(forms.Form):
    """Date range and, for head office, stores. Bad input is a form error, never a 500."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    store = forms.ModelMultipleChoiceField(
        queryset=Store.objects.none(),
        required=False,
        help_text=gettext_lazy("None chosen: every store."),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args, stores: QuerySet[Store] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            fallback = default_period()
            self.initial.setdefault("start", fallback.start)
            self.initial.setdefault("end", fallback.end)
        if stores is None:
            del self.fields["store"]
        else:
            self.fields["store"].queryset = stores

    def clean(self):
        data = super().clean()
        fallback = default_period()
        start, end = data.get("start") or None, data.get("end") or None
        if self.errors:
            return data
        end = end or (fallback.end if start is None else min(start + timedelta(days=DEFAULT_DAYS - 1), fallback.end))
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."), code="range_reversed")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(value)s days.") % {"value": MAX_DAYS - 1}, code="range_too_long"
            )
        data["start"], data["end"] = start, end
        return data

    def period(self, *, forced_store_ids: tuple[int, ...] | None = None) -> Period:
        """The chosen period; an invalid form falls back to the default (its errors are shown)."""
        if forced_store_ids is not None:
            store_ids = forced_store_ids
        elif self.is_valid() and self.cleaned_data.get("store"):
            store_ids = tuple(sorted(s.pk for s in self.cleaned_data["store"]))
        else:
            store_ids = None
        if self.is_valid():
            return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"], store_ids=store_ids)
        return default_period(store_ids=store_ids)
