"""The shared kernel every app may import: the vocabulary of the retailer that no one app owns.

`channel`: where a shopper buys, with its traits and words. `money`: an amount in a currency, the
one rounding rule (half up to the minor unit), allocation to the cent, and how an amount is shown
to a person. `tax`: a line's net and tax to the cent (allocated per rate so line taxes sum to the
order's) and what a refund of part of a line gives back. `codes`: what an associate typed or
scanned, read once the same way by every input of the portal.
"""
