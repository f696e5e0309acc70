"""Wishlists and shopping lists: items are variants, added from any channel."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Customer, CustomerList, Interaction, ListItem
from customers.services.timeline import record_interaction
from inventory.errors import InventoryCode
from retail.errors import RetailCode

Variant = ListItem._meta.get_field("variant").related_model  # inventory's, reached through our FK
DEFAULT_NAMES = {CustomerList.Kind.WISHLIST: "Wishlist", CustomerList.Kind.SHOPPING: "Shopping list"}


def _list_for(customer: Customer, kind: str, name: str | None) -> CustomerList:
    if kind not in CustomerList.Kind.values:
        raise CustomerError(
            _("A list is a wishlist or a shopping list."), code=RetailCode.INVALID, fields={"kind": [_("Unknown.")]}
        )
    name = (name or DEFAULT_NAMES[kind]).strip()[:80]
    now = timezone.now()
    lst, _created = CustomerList.objects.get_or_create(
        customer=customer, kind=kind, name=name, defaults={"created_at": now, "updated_at": now}
    )
    return lst


@transaction.atomic
def add_list_item(
    *,
    customer: Customer,
    sku: str,
    channel: str,
    kind: str = "wishlist",
    list_name: str | None = None,
    quantity: int = 1,
) -> ListItem:
    """Put a variant on the shopper's list (adding again raises the quantity)."""
    if not 1 <= quantity <= 99:
        raise CustomerError(_("Quantity is 1 to 99."), code=RetailCode.INVALID, fields={"quantity": [_("1 to 99.")]})
    variant = Variant.objects.filter(sku=(sku or "").strip(), is_active=True).first()
    if variant is None:
        raise CustomerError(
            _("Unknown SKU: %(sku)s.") % {"sku": sku},
            code=InventoryCode.UNKNOWN_SKU,
            fields={"sku": [_("Unknown SKU.")]},
        )
    lst = _list_for(customer, kind, list_name)
    now = timezone.now()
    CustomerList.objects.select_for_update().filter(pk=lst.pk).first()  # one writer per list at a time
    item = ListItem.objects.filter(customer_list=lst, variant=variant).first()
    if item is None:
        item = ListItem.objects.create(
            customer_list=lst, variant=variant, quantity=quantity, channel=channel, added_at=now
        )
    else:
        item.quantity = min(99, item.quantity + quantity)
        item.save(update_fields=["quantity"])
    CustomerList.objects.filter(pk=lst.pk).update(updated_at=now)
    if kind == CustomerList.Kind.WISHLIST:
        record_interaction(
            customer=customer,
            channel=channel,
            kind=Interaction.Kind.WISHLIST_ADD,
            source="lists",
            external_id=f"item:{item.pk}:{now.timestamp()}",
            subject=variant.sku,
            data={"list": lst.name},
        )
    return item


@transaction.atomic
def remove_list_item(*, customer: Customer, item_id: int) -> None:
    deleted, _per_model = ListItem.objects.filter(pk=item_id, customer_list__customer=customer).delete()
    if not deleted:
        raise CustomerError(_("That item is not on your lists."), code=RetailCode.NOT_FOUND)
