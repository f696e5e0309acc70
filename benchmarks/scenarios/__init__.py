"""Scenarios, one module per app: `@scenario(name="<app>.<what>", ...)` from benchmarks.registry."""
