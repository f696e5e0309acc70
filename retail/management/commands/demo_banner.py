from django.core.management.base import BaseCommand

from retail.models import StoreMembership, User
from retail.seed import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo URLs and logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url, **options):
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Omnistore demo is ready"))
        w(f"  Staff portal   {url}/portal/")
        w(f"  Admin          {url}/admin/")
        w(f"  API docs       {url}/api/docs/   (schema: {url}/api/schema/)")
        w(f"  Health         {url}/readyz")
        w("")
        w(f"Logins (password for all: {DEMO_PASSWORD})")
        rows = []
        for user in User.objects.filter(email__endswith="@omnistore.local").order_by("email"):
            roles = [
                f"{m.get_role_display()} {m.store.code}"
                for m in StoreMembership.objects.filter(user=user).select_related("store")
            ]
            kind = "admin" if user.is_superuser else ("head office" if user.is_staff else ", ".join(roles))
            rows.append((user.email, kind))
        width = max((len(e) for e, _ in rows), default=20)
        for email, kind in rows:
            w(f"  {email.ljust(width)}  {kind}")
        w("")
        w("Managers and head office must use two-factor codes. At first sign-in they enrol TOTP;")
        w("seeded managers are enrolled already: get a current code with")
        w("  .venv/bin/python manage.py demo_totp manager.lon01@omnistore.local")
        w("")
