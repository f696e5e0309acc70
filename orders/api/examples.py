"""Values the orders API's schema shows as examples: rows of the demo chain, and of the fuzz run's
(tests/fuzz/world.py), so that the docs' examples work and a fuzzer's first valid case reaches past lookups."""

EXAMPLE_ORDER = "OM-7K2M-9XD4"
EXAMPLE_CART = "demo-cart-7K2M9XD4"
EXAMPLE_RECEIPT = "R-0001"
EXAMPLE_RMA = "RMA-4F7Q-2KX8"
