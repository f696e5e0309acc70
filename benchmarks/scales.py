"""How many rows of each kind a dataset has at each scale.

Builders read their counts with `ctx.count("customers")`; a new kind of row gets a key here
for every scale. `large` is the size issue 9 asks for, `xlarge` issue 21's; `tiny` is for the harness's own tests.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scale:
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        try:
            return self.counts[kind]
        except KeyError:
            raise KeyError(
                f"Scale {self.name!r} has no count for {kind!r}; add it to every scale in benchmarks/scales.py."
            ) from None


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale(
            "tiny",
            {
                "stores": 6,
                "warehouses": 1,
                "products": 20,
                "variants": 60,
                "customers": 50,
                "interactions": 200,
                "orders": 50,
                "open_pickups_per_store": 2,
            },
        ),
        Scale(
            "small",  # CI smoke: the whole `make bench` well under a minute
            {
                "stores": 20,
                "warehouses": 2,
                "products": 300,
                "variants": 1_500,
                "customers": 2_000,
                "interactions": 20_000,
                "orders": 4_000,
                "open_pickups_per_store": 10,
            },
        ),
        Scale(
            "medium",
            {
                "stores": 200,
                "warehouses": 5,
                "products": 3_000,
                "variants": 15_000,
                "customers": 100_000,
                "interactions": 1_000_000,
                "orders": 200_000,
                "open_pickups_per_store": 100,
            },
        ),
        Scale(
            "large",  # issue 9: 200 stores, 100k variants, 1M customers, 10M interactions, 2M orders
            {
                "stores": 200,
                "warehouses": 5,
                "products": 20_000,
                "variants": 100_000,
                "customers": 1_000_000,
                "interactions": 10_000_000,
                "orders": 2_000_000,
                "open_pickups_per_store": 250,
            },
        ),
        Scale(
            # issue 21: 500 stores, 5M customers, 50M interactions, 10M orders. The catalog stays at
            # large's (a chain's range does not grow with its shoppers), and so does a store's open
            # pick-up queue; stock levels grow with the stores (~30% of them range each SKU).
            "xlarge",
            {
                "stores": 500,
                "warehouses": 10,
                "products": 20_000,
                "variants": 100_000,
                "customers": 5_000_000,
                "interactions": 50_000_000,
                "orders": 10_000_000,
                "open_pickups_per_store": 250,
            },
        ),
    )
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"Unknown scale {name!r}; choose one of {', '.join(SCALES)}.") from None
