"""The service-path data model: one definition of every table, its fields and their rules.

Everything downstream reads this module: the importer validates against it, the store
creates tables from it, the synthetic area writes files in its shape and
`docs/data-model.md` describes it. A field's `why` says what it is for in impact work.

Field kinds:
- `identity`: a Finnish personal identity code in the source; validated and replaced by a
  keyed pseudonym at import, stored as `person_id` with `key_version`. Never stored raw.
- `code`: a value from the named code list (`polku/schema/codelists/*.yaml`).
- `text`, `integer`, `number` (real), `money` (euros, two decimals), `date`, `boolean`.
"""

from __future__ import annotations

from dataclasses import dataclass

from polku.schema.business_id import check_digit_holds_sql

KINDS = ("identity", "code", "text", "integer", "number", "money", "date", "boolean")

SQL_TYPES = {
    "identity": "UUID",
    "code": "VARCHAR",
    "text": "VARCHAR",
    "integer": "INTEGER",
    "number": "DOUBLE",
    "money": "DECIMAL(14,2)",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    why: str
    required: bool = True
    codelist: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Check:
    """A rule across fields of one row, written as a DuckDB SQL condition that must hold.

    `columns` lists the fields the rule reads (the first is reported as the offending
    column); the condition is only tested when all of them are present.
    """

    name: str
    columns: tuple[str, ...]
    condition: str
    message: str


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    why: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    checks: tuple[Check, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name} has no field {name}")

    @property
    def identity_field(self) -> Field | None:
        return next((f for f in self.fields if f.kind == "identity"), None)


def _person(why: str = "Links the row to the client's service path.") -> Field:
    return Field("person_id", "identity", why)


def _dates_ordered(first: str, second: str) -> Check:
    return Check(
        f"{second}_not_before_{first}",
        (second, first),
        f"{second} >= {first}",
        f"{second} is before {first}",
    )


PERSON = Table(
    "person",
    "Person",
    "Who the client is at entry: the background the employment probability without the service is learned from.",
    (
        _person("Keyed pseudonym of the personal identity code; joins all tables without revealing the person."),
        Field("birth_year", "integer", "Age drives employment chances and wage levels.", minimum=1900, maximum=2100),
        Field("birth_month", "integer", "With the year, age at service start to the month.", minimum=1, maximum=12),
        Field("sex", "code", "Wage tables and equal-treatment checks are by sex.", codelist="sex"),
        Field("mother_tongue_group", "code", "Language barriers change employment chances.", codelist="mother_tongue_group"),
        Field(
            "municipality_code", "code", "Local labour markets differ; scopes reports to municipalities.", codelist="municipality"
        ),
        Field(
            "education_level",
            "code",
            "Basic / upper secondary / tertiary: a main predictor (seed 000) and wage basis.",
            codelist="education_level",
        ),
        Field(
            "isced_level", "integer", "Finer education level (ISCED 2011, 0-8) where known.", required=False, minimum=0, maximum=8
        ),
        Field(
            "partial_work_ability", "boolean", "Persons with partial work ability are a target group (IPS) with lower chances."
        ),
        Field(
            "partial_work_ability_basis",
            "code",
            "How the partial work ability is established.",
            required=False,
            codelist="partial_work_ability_basis",
        ),
    ),
    key=("person_id",),
    checks=(
        Check(
            "isced_matches_education_level",
            ("isced_level", "education_level"),
            "(education_level = 'basic' AND isced_level BETWEEN 0 AND 2) OR "
            "(education_level = 'upper_secondary' AND isced_level BETWEEN 3 AND 4) OR "
            "(education_level = 'tertiary' AND isced_level BETWEEN 5 AND 8)",
            "isced_level does not belong to education_level (basic 0-2, upper secondary 3-4, tertiary 5-8)",
        ),
        Check(
            "basis_only_with_partial_work_ability",
            ("partial_work_ability_basis", "partial_work_ability"),
            "partial_work_ability",
            "partial_work_ability_basis is given although partial_work_ability is false",
        ),
    ),
)

REGISTRATION_SPELL = Table(
    "registration_spell",
    "Job-seeker registration spell",
    "The time at risk: who was unemployed when, how the spell ended, and the history at its start.",
    (
        Field("spell_id", "text", "Identifies the spell in the source system."),
        _person(),
        Field("start_date", "date", "Start of registration as an unemployed job seeker."),
        Field("end_date", "date", "End of registration; empty while the spell is open (right-censored).", required=False),
        Field(
            "end_reason",
            "code",
            "Exit to work, education, pension or out of the labour force.",
            required=False,
            codelist="registration_end_reason",
        ),
        Field("activity_before", "code", "Activity before registration (seed 000 predictor).", codelist="activity_before"),
        Field(
            "months_unemployed_prev36", "integer", "Months unemployed in the 36 months before the start.", minimum=0, maximum=36
        ),
        Field(
            "current_spell_months",
            "integer",
            "Length of the ongoing unemployment spell at the start, in months.",
            minimum=0,
            maximum=600,
        ),
    ),
    key=("spell_id",),
    checks=(
        _dates_ordered("start_date", "end_date"),
        Check(
            "end_reason_needs_end_date",
            ("end_reason", "end_date"),
            "end_date IS NOT NULL",
            "end_reason is given but end_date is empty",
        ),
    ),
)

BENEFIT_SPELL = Table(
    "benefit_spell",
    "Benefit spell",
    "Benefits drawn: the cost of unemployment and the savings when a client finds work.",
    (
        Field("benefit_id", "text", "Identifies the benefit spell in the source."),
        _person(),
        Field(
            "benefit_type",
            "code",
            "Which benefit; unemployment benefits, housing allowance, social assistance and others.",
            codelist="benefit_type",
        ),
        Field("payer", "code", "Kela, unemployment fund, municipality or pension provider: who saves.", codelist="benefit_payer"),
        Field("amount", "money", "Amount per day or per month in euros.", minimum=0, maximum=100000),
        Field("amount_unit", "code", "Whether the amount is per day or per month.", codelist="amount_unit"),
        Field("start_date", "date", "First day of the spell."),
        Field("end_date", "date", "Last day; empty while ongoing.", required=False),
        Field("adjusted", "boolean", "Adjusted (soviteltu) benefit paid beside part-time work."),
    ),
    key=("benefit_id",),
    checks=(_dates_ordered("start_date", "end_date"),),
)

SERVICE = Table(
    "service",
    "Service catalogue",
    "What the area offers, in three languages, with unit costs for cost-benefit analysis.",
    (
        Field("service_code", "text", "Code of the service in the area's catalogue."),
        Field("name_fi", "text", "Finnish name."),
        Field("name_sv", "text", "Swedish name."),
        Field("name_en", "text", "English name."),
        Field("category", "code", "Kind of service; impact is estimated per service and category.", codelist="service_category"),
        Field("unit_cost", "money", "Price of one unit of the service.", minimum=0, maximum=1000000),
        Field("cost_unit", "code", "What the unit cost is charged per.", codelist="cost_unit"),
        Field("price_year", "integer", "Year of the price level, for deflating costs.", minimum=1990, maximum=2100),
    ),
    key=("service_code",),
)

SERVICE_EPISODE = Table(
    "service_episode",
    "Service episode",
    "Who received which service from whom, when and at what cost: the treatment.",
    (
        Field("episode_id", "text", "Identifies the episode; the unit of impact estimates."),
        _person(),
        Field("service_code", "text", "Service from the catalogue."),
        Field("provider_id", "text", "Who delivered it; providers are compared risk-adjusted.", required=False),
        Field("referral_date", "date", "When the case worker referred the client.", required=False),
        Field("start_date", "date", "Start of the service: time zero of follow-up."),
        Field("planned_end_date", "date", "Planned end.", required=False),
        Field("end_date", "date", "Actual end; empty while ongoing.", required=False),
        Field("completion_status", "code", "Completed, interrupted, ongoing or did not start.", codelist="completion_status"),
        Field("cost", "money", "Actual cost of the episode in euros.", required=False, minimum=0, maximum=1000000),
        Field("case_worker_id", "text", "Responsible case worker; scopes access and team reports.", required=False),
        Field("team_id", "text", "Team of the case worker.", required=False),
        Field(
            "referral_decision",
            "code",
            "Whether the provider accepted or refused the referral (a refused one did not start); who is "
            "refused against who is referred shows creaming.",
            required=False,
            codelist="referral_decision",
        ),
    ),
    key=("episode_id",),
    checks=(
        _dates_ordered("start_date", "end_date"),
        _dates_ordered("start_date", "planned_end_date"),
        _dates_ordered("referral_date", "start_date"),
        Check(
            "ongoing_has_no_end",
            ("end_date", "completion_status"),
            "completion_status <> 'ongoing'",
            "the episode is 'ongoing' but has an end_date",
        ),
    ),
)

PROVIDER = Table(
    "provider",
    "Service provider",
    "Providers whose results are compared and paid by outcome.",
    (
        Field("provider_id", "text", "Identifier used in service episodes."),
        Field("name", "text", "Name of the provider."),
        Field(
            "business_id",
            "text",
            "Finnish business ID (Y-tunnus, e.g. 1234567-1) with its mod-11 check digit.",
            required=False,
            pattern=r"^[0-9]{7}-[0-9]$",
        ),
        Field("provider_type", "code", "Public, private or third sector.", codelist="provider_type"),
        Field("municipality_code", "code", "Where the provider operates.", required=False, codelist="municipality"),
    ),
    key=("provider_id",),
    checks=(
        Check(
            "business_id_check_digit",
            ("business_id",),
            check_digit_holds_sql("business_id"),
            "business_id has the wrong check digit (Y-tunnus mod-11 rule), so it is not a real business ID",
        ),
    ),
)

TEAM = Table(
    "team",
    "Team",
    "The organisation: area and teams, so that access and reports can be scoped.",
    (
        Field("team_id", "text", "Identifier of the team."),
        Field("area_id", "text", "Employment area (työllisyysalue) the team belongs to."),
        Field("name", "text", "Name of the team."),
    ),
    key=("team_id",),
)

CASE_WORKER = Table(
    "case_worker",
    "Case worker",
    "Case workers (asiakasvastaava) and their teams; no names are needed, only identifiers.",
    (
        Field("case_worker_id", "text", "Identifier of the case worker."),
        Field("team_id", "text", "Team of the case worker."),
        Field("title", "text", "Job title, e.g. asiakasvastaava or työhönvalmentaja.", required=False),
    ),
    key=("case_worker_id",),
)

MEASUREMENT = Table(
    "measurement",
    "Measurement",
    "Progress that is not yet employment: work ability, skills, job search, life management.",
    (
        Field("measurement_id", "text", "Identifies the measurement."),
        _person(),
        Field("instrument", "code", "Instrument, e.g. Kykyviisari or the client change meter.", codelist="instrument"),
        Field("item", "code", "Item of the instrument; its scale comes from the code list.", codelist="measurement_item"),
        Field("value", "number", "Value on the item's scale; higher is better."),
        Field("scale_min", "number", "Lowest value of the scale as recorded."),
        Field("scale_max", "number", "Highest value of the scale as recorded."),
        Field("measured_on", "date", "Date of the measurement."),
        Field("recorded_by", "code", "Client, case worker or provider's coach.", codelist="recorder_role"),
    ),
    key=("measurement_id",),
    checks=(
        Check(
            "value_within_scale",
            ("value", "scale_min", "scale_max"),
            "value BETWEEN scale_min AND scale_max",
            "value lies outside the scale scale_min..scale_max",
        ),
        Check("scale_ordered", ("scale_max", "scale_min"), "scale_max > scale_min", "scale_max is not above scale_min"),
    ),
)

GOAL = Table(
    "goal",
    "Change goal",
    "Goals set with the client and whether they were reached: goal attainment.",
    (
        Field("goal_id", "text", "Identifies the goal."),
        _person(),
        Field("domain", "code", "What the goal is about.", codelist="goal_domain"),
        Field("baseline", "number", "Starting level on the domain's scale.", required=False),
        Field("target", "number", "Target level.", required=False),
        Field("set_on", "date", "When the goal was agreed."),
        Field("due", "date", "When it should be reached.", required=False),
        Field("status", "code", "Open, achieved, partly achieved, not achieved or cancelled.", codelist="goal_status"),
        Field(
            "gas_level",
            "integer",
            "Goal Attainment Scaling level reached: -2 much less than expected, -1 less, 0 the expected "
            "outcome, +1 more, +2 much more (Kiresuk and Sherman 1968); gives the client's GAS T-score.",
            required=False,
            minimum=-2,
            maximum=2,
        ),
        Field(
            "gas_weight",
            "number",
            "Weight of the goal in the GAS T-score, above 0; Turner-Stokes (2009) uses importance x "
            "difficulty (each 0-3). Empty: weight 1.",
            required=False,
            minimum=0,
            maximum=100,
        ),
    ),
    key=("goal_id",),
    checks=(
        _dates_ordered("set_on", "due"),
        Check("gas_weight_positive", ("gas_weight",), "gas_weight > 0", "gas_weight is 0; a goal's GAS weight must be above 0"),
    ),
)

EMPLOYMENT_SPELL = Table(
    "employment_spell",
    "Employment spell",
    "The outcome: whether, how much and for what pay the client works.",
    (
        Field("employment_id", "text", "Identifies the spell (one employment contract)."),
        _person(),
        Field("start_date", "date", "First day of work."),
        Field("end_date", "date", "Last day; empty while ongoing.", required=False),
        Field("weekly_hours", "number", "Agreed weekly hours; part-time work changes the fiscal gain.", minimum=0.5, maximum=80),
        Field("monthly_wage", "money", "Gross monthly wage in euros.", required=False, minimum=0, maximum=100000),
        Field("employer_sector", "code", "Private, public or third sector.", codelist="employer_sector"),
        Field("subsidised", "boolean", "Pay subsidy job (palkkatuki): not open-market employment."),
        Field("source", "code", "Income register, case record or self-report.", codelist="employment_source"),
    ),
    key=("employment_id",),
    checks=(_dates_ordered("start_date", "end_date"),),
)

# --- contacts and job applications (issue 16: the Nordic job-search model) ---
CONTACT = Table(
    "contact",
    "Contact",
    "Meetings between the case worker and the client: the Nordic job-search model (from 2 May 2022) sets when they are due.",
    (
        Field("contact_id", "text", "Identifies the contact."),
        _person(),
        Field("contact_date", "date", "Day of the meeting or call."),
        Field(
            "kind",
            "code",
            "Initial interview, job-search discussion or other: the obligations count the first two.",
            codelist="contact_kind",
        ),
        Field("channel", "code", "In person, by phone or online.", codelist="contact_channel"),
        Field("case_worker_id", "text", "Case worker who met the client.", required=False),
    ),
    key=("contact_id",),
)

JOB_APPLICATION = Table(
    "job_application",
    "Job applications reported",
    "The client's monthly report of job applications: compared with the number the job-search plan requires.",
    (
        Field("report_id", "text", "Identifies the report (one row per client and month reported)."),
        _person(),
        Field("month", "date", "First day of the calendar month the applications were made in."),
        Field("reported_on", "date", "When the client reported them."),
        Field("applications", "integer", "Applications made that month.", minimum=0, maximum=200),
    ),
    key=("report_id",),
    checks=(
        Check("month_is_first_day", ("month",), "day(month) = 1", "month is not the first day of a month"),
        _dates_ordered("month", "reported_on"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        PERSON,
        REGISTRATION_SPELL,
        BENEFIT_SPELL,
        SERVICE,
        SERVICE_EPISODE,
        PROVIDER,
        TEAM,
        CASE_WORKER,
        MEASUREMENT,
        GOAL,
        EMPLOYMENT_SPELL,
        CONTACT,
        JOB_APPLICATION,
    )
}

# Import order that lets references resolve: catalogue and organisation first.
IMPORT_ORDER = (
    "service",
    "provider",
    "team",
    "case_worker",
    "person",
    "registration_spell",
    "benefit_spell",
    "service_episode",
    "measurement",
    "goal",
    "employment_spell",
    "contact",
    "job_application",
)


def table(name: str) -> Table:
    """The table definition, or a KeyError listing the known names."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None
