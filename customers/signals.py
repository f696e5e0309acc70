"""Signals other apps receive (customers never imports them).

customer_merged(sender=Customer, merge=CustomerMerge, source=Customer, target=Customer)
    Sent inside the merge transaction. Re-point your rows from `source` to `target` and record
    what you moved in `merge.moved["<app_label>.<Model>"] = [pk, ...]` so the undo can move it back.
customer_merge_undone(sender=Customer, merge=CustomerMerge, source=Customer, target=Customer)
    Sent inside the undo transaction: move the pks you recorded back to `source`.
customer_erased(sender=Customer, customer=Customer)
    Sent inside the erase transaction: drop personal data (addresses, names) from your rows,
    keep the rows themselves for accounting.
identity_verified(sender=Customer, customer=Customer, kind="email"|"phone", value=str)
    Sent inside the linking transaction once a signed-in shopper proved they own `value` (allauth
    verified the email, or they typed the code texted to the phone). Attach what was placed with
    that contact by a guest (orders: guest orders); never grant anything else.
"""

from django.dispatch import Signal

customer_merged = Signal()
customer_merge_undone = Signal()
customer_erased = Signal()
identity_verified = Signal()
