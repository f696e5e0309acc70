"""The shared kernel every app may import: the vocabulary of the retailer that no one app owns.

`money`: how an amount is shown to a person (one formatter, by locale). `codes`: what an associate
typed or scanned, read once the same way by every input of the portal.
"""
