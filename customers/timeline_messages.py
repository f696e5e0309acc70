"""What the timeline says in words, in the reader's language: sentences stored as a key and its params.

The mechanism is the kernel's (retail/messages.py: say, word, Sentence, register_sentences); this module
keeps where the timeline and the tasks keep their message and customers' own sentences.

A service that tells the timeline something in a sentence (an order ready, a return, a cart sent)
records a message, not words:

    record_interaction(..., message=say("order.ready", order="W-1001", store="Covent Garden"))

keeps {"key": ..., "params": ...} in `Interaction.data["msg"]`, and the sentence in the project's
language in `subject`. Whoever shows the row words it again in the active language with
`spoken_subject`; a row written before, a key no longer registered or params that no longer fit fall
back to the stored subject. (The titles of tasks raised by events are stored the same way, in
`Task.message`: `spoken_title`.) Orders registers its sentences when ready: orders/timeline_messages.py,
orders/returns/timeline_messages.py.
"""

from django.utils.translation import gettext_lazy as _

from retail.domain.texts import worded_param
from retail.messages import Sentence, day_month, register_sentences, spoken

MESSAGE_KEY = "msg"  # where the message lives in Interaction.data


def spoken_subject(interaction) -> str:
    """What the row says in the active language: its message worded, else the subject it stored."""
    data = interaction.data if isinstance(interaction.data, dict) else {}
    return spoken(data.get(MESSAGE_KEY), interaction.subject)


def spoken_title(task) -> str:
    """A task's title in the active language: the message of the event that raised it, else its title."""
    return spoken(task.message, task.title)


# --- customers' own sentences: the titles of tasks raised by events -------------------------------

register_sentences(
    {
        # Translators: a task's title; %(day)s is a day and month ("11 December"), %(name)s the shopper's first name
        "customers.birthday_task": Sentence(_("Birthday on %(day)s: call %(name)s"), {"day": day_month}),
        "customers.birthday_task_unnamed": Sentence(_("Birthday on %(day)s: call the client"), {"day": day_month}),
        # Translators: a task's title; %(label)s is what the shopper called the date ("Anniversary")
        "customers.important_date_task": Sentence(_("%(label)s on %(day)s: call %(name)s"), {"day": day_month}),
        "customers.important_date_task_unnamed": Sentence(
            _("Important date on %(day)s: call %(name)s"), {"day": day_month}
        ),
        "customers.back_in_stock_task": Sentence(_("Back in stock: %(product)s (%(sku)s)")),
        # Translators: the timeline's subject of a purchase imported from head office's history without its number
        "customers.historical_purchase": Sentence(_("Historical purchase")),
        # Translators: the timeline's line of an offer redeemed; %(offer)s is its name, %(code)s its code
        "customers.offer_redeemed": Sentence(_("%(offer)s, code %(code)s"), {"offer": worded_param}),
    }
)
