"""Public finances of an employment: Finnish tax and benefit rules over dated parameters.

A cost-benefit analysis needs what one more person in work is worth to the state, the
municipalities, Kela and the funds, under the rules of the year the work happened; the
rules live in `rules/`, the numbers in `parameters/` (see `legislation`).
"""
