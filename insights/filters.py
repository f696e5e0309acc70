"""The period and stores every figure is computed for, and the GET form that chooses them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from retail.models import Store

DEFAULT_DAYS = 28
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    """Dates `start`..`end` inclusive, in the project's time zone, and the stores (None: all)."""

    start: date
    end: date
    store_ids: tuple[int, ...] | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """Exclusive upper bound: midnight after `end`."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def grain(self) -> str:
        """Day points up to two months, weeks up to a year, months beyond."""
        if self.days <= 62:
            return "day"
        return "week" if self.days <= 366 else "month"

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})

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
        help_text="None chosen: every store.",
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
            raise forms.ValidationError("The start date must be on or before the end date.", code="range_reversed")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS - 1} days.", code="range_too_long")
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
