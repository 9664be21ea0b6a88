"""Contacts and job-application reports of the synthetic area follow the Nordic job-search
model as assumptions.yaml says (`contacts.*`, `applications.*`), within sampling error.

Expected values by hand: an initial interview on time (1-5 working days) for 85 % of the
97 % that have one, i.e. 0.85 x 0.97 = 0.82; 6 discussions due in the first 3 months
(days 14 ... 84), 88 % held, i.e. 5.3 a spell that lasted 3 months; applications 4 + 0.8 =
4.8 a month for 80 % of clients and 1.5 for 20 %, i.e. 0.8 x 4.8 + 0.2 x 1.5 = 4.14.
"""

from __future__ import annotations

from pathlib import Path

from conftest import views


def test_initial_interviews_are_mostly_within_five_working_days(clean_dir: Path) -> None:
    con = views(clean_dir, "registration_spell", "contact")
    (share,) = con.execute(
        """
        SELECT avg((SELECT count(*) FROM contact c WHERE c.hetu = r.hetu AND c.kind = 'initial_interview'
                    AND c.contact_date BETWEEN r.start_date AND r.start_date + 7)::INT)
        FROM registration_spell r
        WHERE r.start_date >= DATE '2022-05-02' AND coalesce(r.end_date, DATE '2026-03-31') >= r.start_date + 21
          AND dayofweek(r.start_date) BETWEEN 1 AND 5
        """
    ).fetchone()
    assert abs(share - 0.82) < 0.04  # Mon-Fri start: 5 working days are 7 calendar days


def test_discussions_every_two_weeks_in_the_first_three_months(clean_dir: Path) -> None:
    con = views(clean_dir, "registration_spell", "contact")
    (mean,) = con.execute(
        """
        SELECT avg((SELECT count(*) FROM contact c WHERE c.hetu = r.hetu AND c.kind = 'job_search_discussion'
                    AND c.contact_date > r.start_date AND c.contact_date <= r.start_date + 90))
        FROM registration_spell r
        WHERE r.start_date >= DATE '2022-05-02' AND coalesce(r.end_date, DATE '2026-03-31') >= r.start_date + 100
        """
    ).fetchone()
    assert abs(mean - 5.3) < 0.3


def test_applications_reported_a_month(clean_dir: Path) -> None:
    con = views(clean_dir, "job_application", "contact", "case_worker")
    mean, first_days, late = con.execute(
        "SELECT avg(applications), bool_and(day(month) = 1), bool_and(reported_on > month + INTERVAL 1 MONTH - INTERVAL 1 DAY) "
        "FROM job_application"
    ).fetchone()
    assert abs(mean - 4.14) < 0.15
    assert first_days and late
    (unknown,) = con.execute(
        "SELECT count(*) FROM contact WHERE case_worker_id NOT IN (SELECT case_worker_id FROM case_worker)"
    ).fetchone()
    assert unknown == 0
