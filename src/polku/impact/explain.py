"""Plain-language sentences that travel with every observational estimate.

A manager reads the sentence, not the standard error, so the sentence must carry the
uncertainty and the warning. The warning is the one the UK Employment Data Lab attaches:
register-based comparison can overstate effects, because people who join a service may
differ in ways no register records (motivation, health, a job offer in sight).
"""

from __future__ import annotations

from polku.impact.results import EffectEstimate

WARNING = (
    "This is an observational estimate: participants were compared with similar people who did not take part, "
    "using only what the registers record. Differences the registers do not capture (motivation, health, a job "
    "offer in sight) can make a service look more effective than it is; treat the result as an indication, not proof."
)


def _percent(value: float) -> str:
    return f"{100 * value:.0f}"


def per_hundred(result: EffectEstimate) -> str | None:
    """'Of 100 similar clients, X found work with the service and Y without' (binary outcomes)."""
    if result.estimate is None or result.outcome_mean_treated is None:
        return None
    with_service = result.outcome_mean_treated
    without = with_service - result.estimate
    if not (0 <= with_service <= 1 and 0 <= without <= 1):
        return None
    low, high = result.ci_low, result.ci_high
    if low is None or high is None:
        return None
    return (
        f"Of 100 similar clients, {_percent(with_service)} reached the outcome with the service and about "
        f"{_percent(without)} would have without it (difference {100 * result.estimate:+.1f} per 100; 95 % interval "
        f"{100 * low:+.1f} to {100 * high:+.1f})."
    )


def describe(result: EffectEstimate, outcome: str = "the outcome", binary: bool = True) -> list[str]:
    """The sentences to print or show beside an estimate, warning last."""
    if result.estimate is None:
        return [f"No estimate: {result.note}."]
    sentences = []
    sentence = per_hundred(result) if binary and result.estimand == "att" else None
    if sentence is None:
        who = "Participants'" if result.estimand == "att" else "Across everybody, the"
        sentence = (
            f"{who} {outcome} was {result.estimate:,.2f} higher on average than it would have been without the "
            f"service (95 % interval {result.ci_low:,.2f} to {result.ci_high:,.2f})."
        )
    sentences.append(sentence)
    if result.ci_low is not None and result.ci_low <= 0 <= (result.ci_high or 0):
        sentences.append("The interval includes zero: the data cannot tell this effect apart from no effect.")
    evalue = result.extra.get("e_value", {}).get("estimate")
    if evalue is not None and evalue == evalue:  # not NaN
        sentences.append(
            f"A difference the registers do not record would have to raise both the chance of taking part and the outcome "
            f"about {evalue:.1f}-fold to explain this estimate away (E-value)."
        )
    if result.overlap is not None and result.overlap.warning:
        sentences.append(result.overlap.warning)
    sentences.append(WARNING)
    return sentences
