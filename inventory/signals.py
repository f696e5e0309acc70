"""Signals higher layers receive (inventory never imports them).

stock_back_in_stock(sender=StockLevel, pairs=[(variant_id, location_id), ...]) is sent after the
commit that made those variants sellable again at those locations (clienteling raises tasks for
shoppers who wish-listed them).
"""

from django.dispatch import Signal

stock_back_in_stock = Signal()
