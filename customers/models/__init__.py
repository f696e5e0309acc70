from customers.models.clienteling import Note, Task
from customers.models.giftcards import GiftCard, GiftCardEntry
from customers.models.lists import CustomerList, ListItem
from customers.models.loyalty import (
    LoyaltyAccount,
    LoyaltyTier,
    Offer,
    OfferAssignment,
    PointsEntry,
    StoreCreditAccount,
    StoreCreditEntry,
)
from customers.models.profiles import Consent, Customer, CustomerIdentity, CustomerMerge, SearchName, Tag
from customers.models.timeline import Channel, Interaction, InteractionKey, PurchasedItem
from customers.models.wallet import PayCode

__all__ = [
    "Channel",
    "Consent",
    "Customer",
    "CustomerIdentity",
    "CustomerList",
    "CustomerMerge",
    "GiftCard",
    "GiftCardEntry",
    "Interaction",
    "InteractionKey",
    "ListItem",
    "LoyaltyAccount",
    "LoyaltyTier",
    "Note",
    "Offer",
    "OfferAssignment",
    "PayCode",
    "PointsEntry",
    "PurchasedItem",
    "SearchName",
    "StoreCreditAccount",
    "StoreCreditEntry",
    "Tag",
    "Task",
]
