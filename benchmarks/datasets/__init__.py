"""Dataset builders, one module per app: `@dataset(order=N)` from benchmarks.registry.

Orders follow the seed steps: retail 10, inventory 20, customers 30, orders 40, returns 50.
"""
