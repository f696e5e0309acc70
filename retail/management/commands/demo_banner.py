from django.conf import settings
from django.core.management.base import BaseCommand

from retail.models import PosDevice, StoreMembership, User
from retail.models.stores import hash_device_token
from retail.seed import DEMO_PASSWORD, demo_pos_token

GROUP_ROLES = {
    "merchandiser": "merchandiser: catalog, prices, stock, offers, return policy (admin)",
    "customer-service": "customer service: customers, orders, returns (admin)",
    "store-manager": "store manager with admin read access",
}


class Command(BaseCommand):
    help = "Print the demo URLs and every demo login with its role."

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
        w(f"Logins (password for every account: {DEMO_PASSWORD}; MFA: a TOTP code, see below)")
        for title, rows in self.sections():
            if not rows:
                continue
            w(f"  {title}")
            width = max(len(login) for login, _ in rows)
            for login, role in rows:
                w(f"    {login.ljust(width)}  {role}")
        w("")
        w("Managers and head office sign in with a TOTP code; the seeded ones are enrolled. Current code:")
        w("  .venv/bin/python manage.py demo_totp manager.lon01@omnistore.local")
        w("")
        w("Mail is printed in this terminal (the demo has no mailbox): a new shopper's sign-up code, order messages.")
        w("")

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        users = list(
            User.objects.filter(email__endswith="@omnistore.local").prefetch_related("groups").order_by("email")
        )
        memberships: dict[int, list[StoreMembership]] = {}
        languages = dict(settings.LANGUAGES)
        for m in StoreMembership.objects.select_related("store__market").order_by("store__code"):
            memberships.setdefault(m.user_id, []).append(m)
        store_staff, head_office, shoppers = [], [], []
        for user in users:
            mine = memberships.get(user.pk, [])
            groups = [g.name for g in user.groups.all()]
            if user.is_superuser:
                head_office.append((user.email, "admin: everything, the portal in every store"))
            elif user.is_staff:
                role = (
                    "; ".join(GROUP_ROLES.get(g, g) for g in groups)
                    or "head office: the portal and insights of every store"
                )
                head_office.append((user.email, role))
            elif mine:
                roles = {m.role for m in mine}
                where = " and ".join(f"{m.store.name} ({m.store.code})" for m in mine)
                # the portal's language: theirs, else their first store's market's
                language = languages.get(user.language or mine[0].store.market.default_language, user.language)
                if roles == {StoreMembership.Role.MANAGER}:
                    store_staff.append((user.email, f"store manager, {where} (MFA) · {language}"))
                else:
                    store_staff.append((user.email, f"store associate, {where} · {language}"))
            else:
                shoppers.append(
                    (user.email, "shopper: POST /_allauth/app/v1/auth/login, then the X-Session-Token header")
                )
        store_staff.sort(key=lambda row: (row[1].split(",")[0], row[0]))  # managers, then associates, by login
        tills = []
        for d in PosDevice.objects.select_related("store").filter(is_active=True).order_by("store__code", "name"):
            token = demo_pos_token(d.store.code, d.name)
            if hash_device_token(token) == d.token_hash:  # only the seeded till's token can be printed
                tills.append((f"{d.name} @ {d.store.code}", f"store till: Authorization: Device {token}"))
        return [
            ("Staff portal, in the stores", store_staff),
            ("Head office, admin site and portal (MFA)", head_office),
            ("Shopper, app and web API", shoppers),
            ("POS API", tills),
        ]
