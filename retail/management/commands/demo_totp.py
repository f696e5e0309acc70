import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from retail.models import User


class Command(BaseCommand):
    help = "Demo only: print the current TOTP code of a seeded account (never available in production)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_totp is disabled in production.")
        user = User.objects.filter(email__iexact=email).first()
        auth = user and Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if not auth:
            raise CommandError(f"{email} has no TOTP authenticator; sign in once to enrol.")
        secret = decrypt(auth.data["secret"])
        counter = int(time.time()) // 30
        self.stdout.write(f"{hotp_value(secret, counter):06d}")
