"""What the stock ledger's notes say, in the reader's language (retail/messages.py; issue 19.1).

The services that move stock write a message (`say("inventory.transfer_out", location="WAW-01")`) as
a movement's note: `StockMovement.message` keeps it, `note` its words in the project's language, and
the admin shows `StockMovement.said`. Registered when the app is ready (InventoryConfig.ready).
"""

from django.utils.translation import gettext_lazy as _

from retail.messages import Sentence, register_sentences

register_sentences(
    {
        # Translators: a stock movement's note: a till sold more than the ledger had
        "inventory.found_at_till": Sentence(
            _("Sold at the till beyond the ledger's count: stock found; count this SKU.")
        ),
        # Translators: a stock movement's note: the reservation (its number) the sale or hand-over used
        "inventory.reservation": Sentence(_("reservation #%(number)s")),
        # Translators: a stock movement's note: a transfer sent to the location (its code)
        "inventory.transfer_to": Sentence(_("transfer to %(location)s")),
        # Translators: a stock movement's note: a transfer received from the location (its code)
        "inventory.transfer_from": Sentence(_("transfer from %(location)s")),
        # Translators: a stock movement's note: a cycle count's result against what the ledger expected
        "inventory.counted": Sentence(_("counted %(counted)s, expected %(expected)s")),
        # Translators: the reason of price changes written by the system
        "inventory.bulk_price_change": Sentence(_("bulk price change")),
        "inventory.product_form": Sentence(_("edited in the product form")),
        "inventory.catalog_import": Sentence(_("Catalog import")),
        "inventory.price_list_import": Sentence(_("Price list import")),
        # Translators: a transfer's note: an associate asked for it from the stock lookup's nearby stores
        "inventory.requested_from_lookup": Sentence(_("requested from the stock lookup")),
    }
)
