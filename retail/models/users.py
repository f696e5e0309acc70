from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserQuerySet(models.QuerySet):
    def staff_of(self, store):
        return self.filter(memberships__store=store, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        from retail.services import record_verified_email  # services import the models

        extra.update(is_staff=True, is_superuser=True)
        user = self._create_user(email, password, **extra)
        # `createsuperuser` is run by whoever runs the server: the account signs in without a code.
        record_verified_email(user=user)
        return user

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: store staff, head office, and shoppers with an app or web account."""

    email = models.EmailField(unique=True, verbose_name=_("email"))
    full_name = models.CharField(max_length=150, blank=True, verbose_name=_("full name"))
    is_staff = models.BooleanField(
        default=False, help_text=_("Can sign in to the admin."), verbose_name=_("staff status")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the portal for this user; empty: their store's market's default."),
        verbose_name=_("language"),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split(" ")[0]

    @cached_property
    def is_head_office(self) -> bool:
        """Head-office staff see every store; store staff see the stores they belong to."""
        return self.is_superuser or (self.is_staff and not self.memberships.exists())
