from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    """A label head office or associates put on shoppers (vip, stylist-client, wholesale...)."""

    name = models.SlugField(max_length=40, unique=True, verbose_name=_("name"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerQuerySet(models.QuerySet):
    def live(self):
        """Profiles an associate can find: not anonymous devices, not merged away, not erased."""
        return self.filter(is_anonymous=False, merged_into__isnull=True, erased_at__isnull=True)


class Customer(models.Model):
    """One shopper across app, web and stores. Store-only shoppers have no linked `user`.

    An anonymous profile (`is_anonymous`) holds the events of a device nobody has linked yet;
    it is merged into the real profile once the device is linked.
    """

    first_name = models.CharField(max_length=80, blank=True, verbose_name=_("first name"))
    last_name = models.CharField(max_length=80, blank=True, verbose_name=_("last name"))
    email = models.EmailField(
        blank=True, db_index=True, help_text=_("Stored lower-case and stripped."), verbose_name=_("email")
    )
    phone = models.CharField(
        max_length=20, blank=True, db_index=True, help_text=_("E.164, e.g. +447700900123."), verbose_name=_("phone")
    )
    card_number = models.CharField(
        max_length=20, blank=True, db_index=True, help_text=_("Loyalty card number."), verbose_name=_("card number")
    )
    birthday = models.DateField(null=True, blank=True, verbose_name=_("birthday"))
    important_dates = models.JSONField(
        default=list,
        blank=True,
        help_text=_('[{"label": "Anniversary", "date": "2020-06-14"}]'),
        verbose_name=_("important dates"),
    )
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the shopper's messages; empty: the language of the store's market."),
        verbose_name=_("language"),
    )
    home_store = models.ForeignKey(
        "retail.Store",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_customers",
        verbose_name=_("home store"),
    )
    preferred_sizes = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Per category: {"shoes": "42", "tops": "M"}'),
        verbose_name=_("preferred sizes"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    assigned_associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_book",
        help_text=_("The associate whose client book holds this shopper."),
        verbose_name=_("assigned associate"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
        verbose_name=_("user"),
    )
    is_anonymous = models.BooleanField(
        default=False, help_text=_("A device's events before anyone linked it."), verbose_name=_("anonymous")
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name=_("erased at"))
    # Denormalised for the search box and the header (kept by the services that write them).
    search_name = models.CharField(
        max_length=170, blank=True, editable=False, help_text=_("lower-case full name"), verbose_name=_("search name")
    )
    channels = models.JSONField(
        default=list, blank=True, editable=False, help_text=_("Channels this shopper used."), verbose_name=_("channels")
    )
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last seen at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="customer_not_merged_into_self"),
        ]
        indexes = [
            models.Index(fields=["assigned_associate", "last_name"], name="customer_client_book_idx"),
            models.Index(fields=["home_store", "last_name"], name="customer_home_store_idx"),
            # The search box's fuzzy steps: the first live shoppers of one exact name, by id.
            models.Index(
                fields=["search_name", "id"],
                name="customer_live_name_idx",
                condition=Q(is_anonymous=False, merged_into__isnull=True, erased_at__isnull=True),
            ),
        ]

    def __str__(self):
        if self.erased_at:
            return _("Erased customer #%(pk)s") % {"pk": self.pk}
        return self.full_name or self.email or self.phone or _("Customer #%(pk)s") % {"pk": self.pk}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_multichannel(self) -> bool:
        return len(self.channels or []) > 1


class CustomerIdentity(models.Model):
    """A key that points at a profile: email, phone, card, app install, web cookie, POS customer id."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        CARD = "card", _("Loyalty card")
        APP_INSTALL = "app_install", _("App install")
        WEB_COOKIE = "web_cookie", _("Web cookie")
        POS_CUSTOMER_ID = "pos_customer_id", _("POS customer id")

    DEVICE_KINDS = frozenset({Kind.APP_INSTALL, Kind.WEB_COOKIE})

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    value = models.CharField(max_length=255, verbose_name=_("value"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    last_seen_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last seen at"))

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer_idx")]

    def __str__(self):
        return f"{self.kind}:{self.value}"


class Consent(models.Model):
    """The shopper's current yes/no to marketing on one channel, with when and where it was given."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PUSH = "push", _("Push")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", verbose_name=_("customer")
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, verbose_name=_("channel"))
    granted = models.BooleanField(verbose_name=_("granted"))
    changed_at = models.DateTimeField(verbose_name=_("changed at"))
    source = models.CharField(
        max_length=40, help_text=_("Where it was given: app, web, store:LON-01, import..."), verbose_name=_("source")
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["channel"]
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="consent_customer_channel_unique")]

    def __str__(self):
        return f"{self.get_channel_display()}: {_('yes') if self.granted else _('no')}"


class CustomerMerge(models.Model):
    """One merge of `source` into `target`, with what moved, so that it can be undone.

    `moved` maps a label to the primary keys that were re-pointed ("customers.Interaction": [...]);
    receivers of `customer_merged` add their own labels (e.g. "orders.Order") to the same dict.
    """

    source = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges_as_source", verbose_name=_("source")
    )
    target = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges_as_target", verbose_name=_("target")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("reason"))
    moved = models.JSONField(default=dict, verbose_name=_("moved"))
    merged_at = models.DateTimeField(verbose_name=_("merged at"))
    undone_at = models.DateTimeField(null=True, blank=True, verbose_name=_("undone at"))
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("undone by"),
    )

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return f"#{self.source_id} → #{self.target_id}"


class SearchName(models.Model):
    """Every distinct `Customer.search_name` in use, for the search box's typo-tolerant steps.

    Trigram similarity is ranked over these few distinct names instead of over every shopper
    (a million profiles share a few hundred thousand names; "lucia pael" would otherwise rank
    every Lucia). Triggers on the customers table keep it exact whoever writes (services, admin,
    bulk COPY): a name is added when a profile gets it and removed when the last profile loses it
    (renamed, erased, deleted).
    """

    name = models.CharField(max_length=170, primary_key=True, verbose_name=_("name"))

    class Meta:
        verbose_name = _("search name")
        verbose_name_plural = _("search names")

    def __str__(self):
        return self.name
