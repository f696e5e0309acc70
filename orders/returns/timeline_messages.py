"""What returns tell the shopper's timeline (and the task a return raises), as sentences worded in the
reader's language (customers.timeline_messages). Registered when the app is ready (orders/returns/apps.py).

Each way a return comes is a whole sentence (no "returned" + "by mail" fragments put together):
without a receipt, bought in a store, or bought on another channel; returned in a store or by mail.
"""

from django.utils.translation import gettext_lazy as _

from retail.messages import Sentence, register_sentences, where_bought

register_sentences(
    {
        "returns.receiptless_in_store": Sentence(_("Returned without a receipt in %(store)s (%(rma)s)")),
        "returns.receiptless_by_mail": Sentence(_("Returned without a receipt by mail (%(rma)s)")),
        # Translators: %(bought_at)s is the store it was bought in, %(store)s the one it came back to
        "returns.store_in_store": Sentence(_("Bought in %(bought_at)s, returned in %(store)s (%(rma)s)")),
        "returns.store_by_mail": Sentence(_("Bought in %(bought_at)s, returned by mail (%(rma)s)")),
        # Translators: %(bought)s is where it was bought: "in the app", "on the web", "by phone"
        "returns.channel_in_store": Sentence(
            _("Bought %(bought)s, returned in %(store)s (%(rma)s)"), {"bought": where_bought}
        ),
        "returns.channel_by_mail": Sentence(
            _("Bought %(bought)s, returned by mail (%(rma)s)"), {"bought": where_bought}
        ),
        # Translators: a task's title; %(customer)s is the shopper's name
        "returns.returned_in_store_task": Sentence(
            _("%(customer)s returned online order %(order)s in %(store)s: check the fit and follow up")
        ),
        # Translators: a stock movement's note: returned items written off as damaged; %(rma)s is the return's number
        "returns.damaged_stock": Sentence(_("Returned damaged (%(rma)s)")),
    }
)
