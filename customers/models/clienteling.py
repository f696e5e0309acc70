from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Note(models.Model):
    """What an associate wants the next colleague to know about a shopper, written in one store."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    store = models.ForeignKey("retail.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    body = models.TextField(max_length=2000, verbose_name=_("body"))
    pinned = models.BooleanField(default=False, verbose_name=_("pinned"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-pinned", "-created_at"], name="note_customer_idx")]

    def __str__(self):
        return self.body[:60]


class Task(models.Model):
    """Clienteling work: call, message or appointment, raised by hand or by an event."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        APPOINTMENT = "appointment", _("Appointment")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        MANUAL = "manual", _("Raised by hand")
        BACK_IN_STOCK = "back_in_stock", _("Wishlisted item back in stock")
        BIRTHDAY = "birthday", _("Birthday")
        IMPORTANT_DATE = "important_date", _("Important date")
        PICKUP_NOT_COLLECTED = "pickup_not_collected", _("Pick-up not collected")
        RETURNED_IN_STORE = "returned_in_store", _("Online order returned in store")

    OUTREACH_KINDS = frozenset({Kind.CALL, Kind.MESSAGE})

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tasks", verbose_name=_("customer")
    )
    store = models.ForeignKey("retail.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name=_("kind"))
    channel = models.CharField(
        max_length=8,
        blank=True,
        help_text=_("For messages: email, sms or push (needs the shopper's consent)."),
        verbose_name=_("channel"),
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    message = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("A title raised by an event, as its sentence's key and values: worded in the reader's language."),
        verbose_name=_("message"),
    )
    due_on = models.DateField(verbose_name=_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clienteling_tasks",
        verbose_name=_("assignee"),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    reason = models.CharField(max_length=24, choices=Reason.choices, default=Reason.MANUAL, verbose_name=_("reason"))
    trigger_key = models.CharField(
        max_length=120,
        blank=True,
        help_text=_("Raised-by-event tasks: one per key (e.g. back_in_stock:<list item>)."),
        verbose_name=_("trigger key"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["status", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger_key"], condition=~Q(trigger_key=""), name="task_trigger_key_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="message") | Q(channel__in=["email", "sms", "push"]), name="task_message_has_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status", "due_on"], name="task_customer_idx"),
            models.Index(fields=["store", "status", "due_on"], name="task_store_due_idx"),
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_idx"),
        ]

    def __str__(self):
        return self.title
