"""Writes of the returns app (keyword-only, atomic, ReturnError with a code).

requests:  start_return (LineRequest), start_receiptless_return, cancel_return, reject_return
approval:  approve_return (ManagerApproval), verify_manager
receiving: receive_return (Inspection), release_inspection
refunds:   refund_return (ExchangeRequest)
desk:      complete_return (the counter's one step), record_pos_return (PosReturn)

The desk and the till chain the steps behind these (open_return, receive, refund) in one
transaction, handing each other a ReturnContext (context.py) instead of keeping state on the return.
A ReturnRequest is `return_request` here; `request` is only ever an HTTP request.
"""

from orders.returns.services.approval import ManagerApproval, approve_return, verify_manager
from orders.returns.services.desk import PosReturn, complete_return, record_pos_return
from orders.returns.services.receiving import Inspection, receive_return, release_inspection
from orders.returns.services.refunds import ExchangeRequest, refund_return
from orders.returns.services.requests import (
    LineRequest,
    cancel_return,
    reject_return,
    start_receiptless_return,
    start_return,
)

__all__ = [
    "ExchangeRequest",
    "Inspection",
    "LineRequest",
    "ManagerApproval",
    "PosReturn",
    "approve_return",
    "cancel_return",
    "complete_return",
    "receive_return",
    "record_pos_return",
    "refund_return",
    "reject_return",
    "release_inspection",
    "start_receiptless_return",
    "start_return",
    "verify_manager",
]
