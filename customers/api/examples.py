"""Values the customers API's schema shows as examples, valid ones (the fuzz run's world, tests/fuzz/world.py,
holds the rows they name), so that a fuzzer's first valid case reaches past lookups and rules."""

# A gift card's number is a secret drawn at random (only its keyed hash is kept): the fuzz world gives
# one of its cards this number's hash, as it renames an order to EXAMPLE_ORDER.
EXAMPLE_GIFT_CARD = "6012 3456 7890 1234"
# A number of the UK's range kept for drama (never anyone's), written as people do.
EXAMPLE_PHONE = "+44 7700 900123"
