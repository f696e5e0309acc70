"""Writes of the customers app. Orders and returns call these (keyword-only arguments):

resolve_customer, record_interaction, record_purchase, earn_points, reverse_points,
redeem_points, redeem_offer, issue_store_credit, spend_store_credit, raise_task_for_event
"""

from customers.services._common import update_rows
from customers.services.clienteling import (
    add_note,
    complete_task,
    create_task,
    pin_note,
    raise_back_in_stock_tasks,
    raise_birthday_tasks,
    raise_important_date_tasks,
    raise_task_for_event,
)
from customers.services.linking import (
    confirm_phone_code,
    create_guest_profile,
    link_user_to_customer,
    link_verified_identity,
    send_phone_code,
)
from customers.services.lists import add_list_item, remove_list_item
from customers.services.loyalty import (
    InsufficientPoints,
    InsufficientStoreCredit,
    adjust_points,
    assign_offer,
    assign_offer_to_segment,
    earn_points,
    expire_inactive_points,
    issue_store_credit,
    recalculate_all_tiers,
    recalculate_tier,
    redeem_offer,
    redeem_points,
    reverse_points,
    set_offers_active,
    spend_store_credit,
)
from customers.services.merge import merge_customers, undo_merge
from customers.services.privacy import erase_customer, export_customer_data
from customers.services.profiles import (
    assign_associate,
    create_customer,
    reassign_client_book,
    resolve_customer,
    set_consent,
    set_customer_tags,
    update_customer_profile,
    update_profile_from_client,
)
from customers.services.timeline import (
    ClientEvent,
    EventBatchResult,
    ingest_events,
    record_interaction,
    record_purchase,
)

__all__ = [
    "ClientEvent",
    "EventBatchResult",
    "InsufficientPoints",
    "InsufficientStoreCredit",
    "add_list_item",
    "add_note",
    "adjust_points",
    "assign_associate",
    "assign_offer",
    "assign_offer_to_segment",
    "complete_task",
    "confirm_phone_code",
    "create_customer",
    "create_guest_profile",
    "create_task",
    "earn_points",
    "erase_customer",
    "expire_inactive_points",
    "export_customer_data",
    "ingest_events",
    "issue_store_credit",
    "link_user_to_customer",
    "link_verified_identity",
    "merge_customers",
    "pin_note",
    "raise_back_in_stock_tasks",
    "raise_birthday_tasks",
    "raise_important_date_tasks",
    "raise_task_for_event",
    "reassign_client_book",
    "recalculate_all_tiers",
    "recalculate_tier",
    "record_interaction",
    "record_purchase",
    "redeem_offer",
    "redeem_points",
    "remove_list_item",
    "resolve_customer",
    "reverse_points",
    "send_phone_code",
    "set_consent",
    "set_customer_tags",
    "set_offers_active",
    "spend_store_credit",
    "undo_merge",
    "update_customer_profile",
    "update_profile_from_client",
    "update_rows",
]
