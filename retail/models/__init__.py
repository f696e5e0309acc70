from retail.models.audit import AuditEvent
from retail.models.exchange import ExchangeRate
from retail.models.idempotency import IdempotencyKey
from retail.models.markets import Market
from retail.models.outbox import OutboxMessage
from retail.models.stores import PosDevice, Store, StoreMembership
from retail.models.tax import TaxClass, TaxRate
from retail.models.users import User

__all__ = [
    "AuditEvent",
    "ExchangeRate",
    "IdempotencyKey",
    "Market",
    "OutboxMessage",
    "PosDevice",
    "Store",
    "StoreMembership",
    "TaxClass",
    "TaxRate",
    "User",
]
