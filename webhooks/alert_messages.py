"""Why the circuit breaker paused a subscription, in the reader's language (retail/messages.py; issue 19.1).

`trip_breaker` stores the reason as a message (`Subscription.paused_message`, and in the alert's
payload) beside its English words (`paused_reason`): the admin and the email to head office word it
in their reader's language. Registered when the app is ready (WebhooksConfig.ready).
"""

from django.utils.translation import ngettext_lazy

from retail.messages import Sentence, register_sentences

register_sentences(
    {
        # Translators: why a webhook subscription was paused; %(last)s is the last answer ("HTTP 500 (Bad gateway)")
        "webhooks.paused": Sentence(
            ngettext_lazy(
                "Paused automatically after %(count)s consecutive failed delivery; the last one: %(last)s. "
                "Events keep queueing; resume when the receiver is fixed.",
                "Paused automatically after %(count)s consecutive failed deliveries; the last one: %(last)s. "
                "Events keep queueing; resume when the receiver is fixed.",
                "count",
            )
        ),
        "webhooks.paused_no_answer": Sentence(
            ngettext_lazy(
                "Paused automatically after %(count)s consecutive failed delivery; the last one had no answer. "
                "Events keep queueing; resume when the receiver is fixed.",
                "Paused automatically after %(count)s consecutive failed deliveries; the last one had no answer. "
                "Events keep queueing; resume when the receiver is fixed.",
                "count",
            )
        ),
    }
)
