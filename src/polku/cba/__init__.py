"""Cost-benefit analysis of a service cohort: what its additional employments return to the
public purse against what the service cost, with the uncertainty of both.

    benefit = additional employments x annual fiscal gain of one employment
              x sum_t persistence^t / (1 + discount)^t  x (1 - optimism bias)
    net = benefit - programme cost;  ratio = benefit / cost

The additional employments come from the impact engine (only employment above what would
have happened anyway counts, with its interval); the annual gain from the fiscal rules
(`polku.fiscal.simulate`) at the participants' own hours and wages. Every result is given
without and with pension contributions, as seed 000 reports them. The Monte Carlo draws
the effect, the wage level and the persistence and gives the probability that benefits
exceed costs (as the Washington State Institute for Public Policy reports); the tornado
shows which input moves the net benefit most.
"""

from polku.cba.analysis import Assumptions, CostBenefit, Effect, FiscalGain, analyse, monte_carlo, tornado

__all__ = ["Assumptions", "CostBenefit", "Effect", "FiscalGain", "analyse", "monte_carlo", "tornado"]
