"""`polku estimate --data`: the data-lab command on the NSW/CPS benchmark and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from impact_data import NSW_COVARIATES

from polku.cli import main

EXPERIMENTAL_ATT = 1794.0


@pytest.fixture(scope="module")
def nsw_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw.treat == 1], cps_mixtape.load_pandas().data]).reset_index(drop=True)
    frame["u74"] = (frame.re74 == 0).astype(int)
    frame["u75"] = (frame.re75 == 0).astype(int)
    frame["employed78"] = (frame.re78 > 0).astype(int)
    path = tmp_path_factory.mktemp("nsw") / "nsw_cps.csv"
    frame.to_csv(path, index=False)
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["estimate", *args])


def _json(path: Path, method: str, outcome: str = "re78", *extra: str) -> dict:
    result = run(
        "--data",
        str(path),
        "--treatment",
        "treat",
        "--outcome",
        outcome,
        "--covariates",
        ",".join(NSW_COVARIATES),
        "--method",
        method,
        "--json",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_aipw_json_on_the_nsw_benchmark(nsw_csv: Path) -> None:
    payload = _json(nsw_csv, "aipw")
    assert {
        "method",
        "estimand",
        "estimate",
        "ci_low",
        "ci_high",
        "n_treated",
        "n_control",
        "max_smd_before",
        "max_smd_after",
        "n_trimmed",
    } <= set(payload)
    assert (payload["method"], payload["estimand"], payload["n_treated"]) == ("aipw", "att", 185)
    assert abs(payload["estimate"] - EXPERIMENTAL_ATT) < 600
    assert payload["ci_low"] < EXPERIMENTAL_ATT < payload["ci_high"]
    assert payload["naive_difference"] == pytest.approx(-8498, abs=1)
    assert payload["max_smd_before"] > 1.5 > 0.2 > payload["max_smd_after"]
    assert any("observational" in s for s in payload["sentences"])
    assert payload["extra"]["e_value"]["estimate"] > 1 and any("E-value" in s for s in payload["sentences"])


def test_expected_observed_json_has_observed_and_expected(nsw_csv: Path) -> None:
    payload = _json(nsw_csv, "expected_observed", "employed78", "--bootstrap", "20")
    assert payload["method"] == "expected_observed"
    assert payload["observed"] == 140  # NSW participants with any 1978 earnings
    assert 0 < payload["expected"] < 185
    assert payload["estimate"] == pytest.approx((payload["observed"] - payload["expected"]) / 185)
    assert payload["extra"]["auc"] > 0.7
    assert any(s.startswith("Of 100 similar clients, 76 reached the outcome") for s in payload["sentences"])


def test_the_method_choices_are_the_registrys_and_an_old_name_is_refused(nsw_csv: Path) -> None:
    from polku.impact import ESTIMATORS

    help_text = run("--help").output
    assert "[" + "|".join(ESTIMATORS) + "]" in help_text and "[default: aipw]" in help_text
    result = run("--data", str(nsw_csv), "--treatment", "treat", "--outcome", "re78", "--method", "baseline")
    assert result.exit_code == 2 and "'baseline' is not one of 'expected_observed'" in result.output


@pytest.mark.parametrize("method", ["ipw", "match"])
def test_weighting_and_matching_report_balance_and_trimming(nsw_csv: Path, method: str) -> None:
    payload = _json(nsw_csv, method, "re78", "--estimand", "att")
    assert payload["max_smd_after"] < payload["max_smd_before"]
    assert payload["n_trimmed"] >= 0 and payload["ci_low"] < payload["estimate"] < payload["ci_high"]


def test_human_output_names_the_numbers_and_the_warning(nsw_csv: Path) -> None:
    result = run(
        "--data",
        str(nsw_csv),
        "--treatment",
        "treat",
        "--outcome",
        "re78",
        "--covariates",
        "age,educ,re74,re75",
        "--method",
        "ipw",
    )
    assert result.exit_code == 0
    assert "estimate" in result.output and "95% CI" in result.output and "observational estimate" in result.output


def test_bad_input_names_the_column_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,y,x\n1,1,0.5\n0,0,\n2,1,0.1\n", encoding="utf-8")
    missing_column = run("--data", str(path), "--treatment", "t", "--outcome", "y", "--covariates", "x,z")
    assert missing_column.exit_code == 1 and "column 'x' has 1 missing value(s)" in missing_column.output
    no_column = run("--data", str(path), "--treatment", "t", "--outcome", "y", "--covariates", "z")
    assert no_column.exit_code == 2 and "no column 'z'" in no_column.output
    bad_treatment = run("--data", str(path), "--treatment", "t", "--outcome", "y", "--covariates", "")
    assert bad_treatment.exit_code == 1 and "must hold only 0 and 1" in bad_treatment.output
    no_file = run("--data", str(tmp_path / "none.csv"), "--treatment", "t", "--outcome", "y")
    assert no_file.exit_code == 2 and "does not exist" in no_file.output
    over_store_ate = run("--estimand", "ate", "--store", str(tmp_path / "none.duckdb"))
    assert over_store_ate.exit_code == 2 and "participants (att)" in over_store_ate.output


def test_small_cohort_prints_no_estimate(tmp_path: Path) -> None:
    rows = ["t,y,x"] + [f"{int(i < 20)},{i % 2},{i / 10}" for i in range(300)]
    path = tmp_path / "small.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run("--data", str(path), "--treatment", "t", "--outcome", "y", "--covariates", "x", "--json")
    payload = json.loads(result.output)
    assert result.exit_code == 0 and payload["estimate"] is None and payload["suppressed"]
    assert "too few participants" in payload["note"]
