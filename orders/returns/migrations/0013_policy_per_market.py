# Issue 19: a return policy per market. The policies there were become the home market's (the one
# the single active policy stood for: its amounts were in the deployment's currency), so every
# return is judged as before until head office gives another market a policy of its own.

import django.db.models.deletion
import retail.models.markets
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from retail.models.markets import home_market_defaults


def policies_into_home_market(apps, schema_editor):
    Market = apps.get_model("retail", "Market")
    ReturnPolicy = apps.get_model("returns", "ReturnPolicy")
    if not ReturnPolicy.objects.filter(market__isnull=True).exists():
        return
    home = Market.objects.filter(is_home=True).first()
    if home is None:  # policies but no store yet: the home market as the first store would make it
        defaults = home_market_defaults()
        home, _ = Market.objects.get_or_create(code=defaults.pop("code"), defaults={**defaults, "is_home": True})
    ReturnPolicy.objects.filter(market__isnull=True).update(market=home)


def returns_in_their_currency(apps, schema_editor):
    """A return's amounts are in its order's currency; without a receipt, in the currency of the
    market of the store it was brought to (as its store credit was issued)."""
    ReturnRequest = apps.get_model("returns", "ReturnRequest")
    Order = apps.get_model("orders", "Order")
    Store = apps.get_model("retail", "Store")
    ReturnRequest.objects.filter(order__isnull=False).update(
        currency=Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("currency")[:1])
    )
    ReturnRequest.objects.filter(order__isnull=True, started_store__isnull=False).update(
        currency=Subquery(Store.objects.filter(pk=OuterRef("started_store_id")).values("market__currency")[:1])
    )
    ReturnRequest.objects.filter(currency="").update(currency=(settings.CURRENCY or "EUR").upper())


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0012_shipping"),
        ("retail", "0010_store_picking_minutes"),
        ("returns", "0012_shipping_refund"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="returnpolicy",
            name="returnpolicy_one_active",
        ),
        migrations.AddField(
            model_name="returnpolicy",
            name="market",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="return_policies",
                to="retail.market",
            ),
        ),
        migrations.RunPython(policies_into_home_market, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="returnpolicy",
            name="market",
            field=models.ForeignKey(
                default=retail.models.markets.home_market_id,
                help_text="Returns of what this market sold are judged by this policy; its amounts are in the "
                "market's currency. A market without an active policy of its own uses the home market's.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="return_policies",
                to="retail.market",
            ),
        ),
        migrations.AlterField(
            model_name="returnpolicy",
            name="is_active",
            field=models.BooleanField(default=True, help_text="Only one policy is active per market at a time."),
        ),
        migrations.AddField(
            model_name="returnrequest",
            name="currency",
            field=models.CharField(
                default="",
                help_text="Of every amount of the return: its order's; without a receipt, the returning store's "
                "market's.",
                max_length=3,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(returns_in_their_currency, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="returnpolicy",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)), fields=("market",), name="returnpolicy_one_active_per_market"
            ),
        ),
    ]
