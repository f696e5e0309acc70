"""The tax of a sale's lines, from the tax provider (retail.tax_providers), as the orders app's errors:
checkout, assisted orders and the till ask here, so every channel refuses the same way."""

from django.utils.translation import gettext as _

from orders.errors import OrderCode, OrderError
from retail.tax_providers import TaxNotSetUp, TaxQuote, TaxRequest, TaxServiceUnavailable, quote_tax


def quote_tax_for(request: TaxRequest) -> TaxQuote:
    """The provider's quote. `tax_unavailable` (409) when the market has no rate for an item's class;
    `tax_service_unavailable` (503) when the provider does not answer. Callers ask before writing."""
    try:
        return quote_tax(request)
    except TaxNotSetUp as exc:
        raise OrderError(
            _("%(name)s cannot sell this yet: %(message)s. Head office sets up the market's tax.")
            % {"name": request.store.name, "message": exc.message},
            code=OrderCode.TAX_UNAVAILABLE,
            extra={"store": request.store.code, "tax_classes": exc.tax_classes},
        ) from None
    except TaxServiceUnavailable:
        raise OrderError(
            _("The tax could not be worked out just now, so nothing was sold. Try again in a minute."),
            code=OrderCode.TAX_SERVICE_UNAVAILABLE,
            extra={"store": request.store.code},
        ) from None
