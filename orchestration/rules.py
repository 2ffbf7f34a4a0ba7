"""Load, validate and tabulate the rules in `rules/`.

Rules are data: marketing and sales ops tune them in YAML, this module checks every field
(unknown keys are errors, not silently ignored) and turns them into plain tables that the dbt
models join. No rule value is ever spliced into SQL text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestration.canonical import ACTIVITY_TYPES

RULE_FILES = ("scoring.yml", "disqualifiers.yml", "lifecycle.yml", "sla.yml")
# Optional: a rules folder without it is calibrated with the defaults of CalibrationRules.
CALIBRATION_FILE = "calibration.yml"

ActivityType = Literal[ACTIVITY_TYPES]  # type: ignore[valid-type]

TEXT_FIT_FIELDS = ("title", "industry", "country", "lead_source", "email_domain")
NUMERIC_FIT_FIELDS = ("employees", "annual_revenue")
FIT_GRADES = ("A", "B", "C", "D")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Business-hours arithmetic (dbt) looks up calendar days in this range.
CALENDAR_START = dt.date(2015, 1, 1)
CALENDAR_END = dt.date(2035, 12, 31)
# The SLA models search at most 60 calendar days ahead for a due time; 160 business hours is
# four working weeks, which fits with room for holidays.
MAX_SLA_BUSINESS_HOURS = 160

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Patterns = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class RulesError(ValueError):
    """A rules file is missing, unreadable or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- scoring.yml ---------------------------------------------------------------------------


class HalfLife(_Strict):
    half_life_days: Annotated[float, Field(gt=0)]


class LinearDecay(_Strict):
    percent: Annotated[float, Field(gt=0, le=100)]
    every_days: Annotated[int, Field(gt=0)]


class Linear(_Strict):
    linear: LinearDecay


class RollingWindow(_Strict):
    window_days: Annotated[int, Field(gt=0)]


# `decay: none`, `{half_life_days: 30}`, `{linear: {percent: 25, every_days: 30}}` or
# `{window_days: 30}`
Decay = Literal["none"] | HalfLife | Linear | RollingWindow


class EngagementGroup(_Strict):
    decay: Decay
    max_points: Annotated[int, Field(gt=0)] | None = None


class NthTime(_Strict):
    nth_time: Annotated[int, Field(ge=1)]


class MinEvents(_Strict):
    min_events: Annotated[int, Field(ge=2)]
    within_days: Annotated[int, Field(ge=1)]


# `every_time` (default), `first_time`, `returning` (on a later day than the lead's first such
# event), `{nth_time: 3}`, or `{min_events: 3, within_days: 7}` (the event and at least two more
# of the same rule within the 7 days up to it)
Frequency = Literal["every_time", "first_time", "returning"] | NthTime | MinEvents


class EngagementRule(_Strict):
    name: Name
    group: Name
    activity_type: ActivityType
    points: int
    url: Patterns | None = None
    page_category: Patterns | None = None
    form_name: Patterns | None = None
    campaign: Patterns | None = None
    asset: Patterns | None = None
    detail: str | None = None
    frequency: Frequency = "every_time"
    max_points: Annotated[int, Field(gt=0)] | None = None
    max_points_per_day: Annotated[int, Field(gt=0)] | None = None


class EngagementTier(_Strict):
    tier: Annotated[int, Field(ge=1, le=9)]
    min_score: float | None


class Engagement(_Strict):
    window_days: Annotated[int, Field(gt=0, le=3650)]
    floor: float | None = 0
    ceiling: float | None = None
    tiers: list[EngagementTier]
    page_categories: dict[Name, Patterns] = {}
    groups: Annotated[dict[Name, EngagementGroup], Field(min_length=1)]
    rules: Annotated[list[EngagementRule], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Engagement:
        _unique([r.name for r in self.rules], "engagement rule name")
        _bands_end_open([t.min_score for t in self.tiers], "engagement.tiers")
        if self.floor is not None and self.ceiling is not None and self.floor > self.ceiling:
            raise ValueError("engagement.floor must not be above engagement.ceiling")
        for rule in self.rules:
            if rule.group not in self.groups:
                raise ValueError(
                    f"rule '{rule.name}': unknown group '{rule.group}' "
                    f"(groups: {', '.join(self.groups)})"
                )
            if rule.page_category and rule.activity_type != "web_visit":
                raise ValueError(
                    f"rule '{rule.name}': page_category applies to web_visit rules only"
                )
            unknown = set(rule.page_category or ()) - set(self.page_categories)
            if unknown:
                raise ValueError(
                    f"rule '{rule.name}': unknown page_category {sorted(unknown)} "
                    f"(page_categories: {', '.join(self.page_categories)})"
                )
        return self


class FitCase(_Strict):
    name: Name
    points: int
    in_: Patterns | None = Field(default=None, alias="in")
    matches: Patterns | None = None
    between: tuple[float | None, float | None] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> FitCase:
        tests = [t for t in (self.in_, self.matches, self.between) if t is not None]
        if len(tests) != 1:
            raise ValueError(f"fit case '{self.name}' needs exactly one of: in, matches, between")
        if self.between is not None:
            low, high = self.between
            if low is None and high is None:
                raise ValueError(f"fit case '{self.name}': between needs a lower or upper bound")
            if low is not None and high is not None and low > high:
                raise ValueError(f"fit case '{self.name}': between [{low}, {high}] is empty")
        return self


class FitField(_Strict):
    field: Literal[TEXT_FIT_FIELDS + NUMERIC_FIT_FIELDS]  # type: ignore[valid-type]
    missing: int
    otherwise: int
    cases: Annotated[list[FitCase], Field(min_length=1)]

    @model_validator(mode="after")
    def _cases_fit_field(self) -> FitField:
        numeric = self.field in NUMERIC_FIT_FIELDS
        for case in self.cases:
            if numeric and case.between is None:
                raise ValueError(f"fit field '{self.field}' is a number: use between: [min, max]")
            if not numeric and case.between is not None:
                raise ValueError(f"fit field '{self.field}' is text: use in: or matches:")
        return self


class FitGrade(_Strict):
    grade: Literal[FIT_GRADES]  # type: ignore[valid-type]
    min_score: float | None


class Fit(_Strict):
    grades: list[FitGrade]
    fields: Annotated[list[FitField], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Fit:
        _unique([f.field for f in self.fields], "fit field")
        _unique([c.name for f in self.fields for c in f.cases], "fit case name")
        if [g.grade for g in self.grades] != list(FIT_GRADES):
            raise ValueError("fit.grades must list A, B, C, D in that order")
        _bands_end_open([g.min_score for g in self.grades], "fit.grades")
        return self


class AccountRollup(_Strict):
    top_n: Annotated[int, Field(ge=1)] = 3
    engaged_min_score: float = 10
    personas: list[Name] = []


class ScoringRules(_Strict):
    engagement: Engagement
    fit: Fit
    accounts: AccountRollup = AccountRollup()

    @model_validator(mode="after")
    def _check(self) -> ScoringRules:
        # engagement rules and fit cases share one pattern table, keyed by name
        fit_names = [c.name for f in self.fit.fields for c in f.cases]
        _unique([r.name for r in self.engagement.rules] + fit_names, "rule or fit case name")
        title_cases = {c.name for f in self.fit.fields if f.field == "title" for c in f.cases}
        for persona in self.accounts.personas:
            if persona not in title_cases:
                raise ValueError(
                    f"accounts.personas: '{persona}' is not a case of the title fit field "
                    f"(title cases: {', '.join(sorted(title_cases))})"
                )
        return self


# --- disqualifiers.yml -------------------------------------------------------------------


class Disqualifier(_Strict):
    reason: Name
    email_domain_in: Patterns | None = None
    email_domain_in_file: str | None = None
    email_domain_ends_with: Patterns | None = None
    country_not_in: Patterns | None = None
    flag: Literal["do_not_contact"] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Disqualifier:
        tests = [
            t
            for t in (
                self.email_domain_in,
                self.email_domain_in_file,
                self.email_domain_ends_with,
                self.country_not_in,
                self.flag,
            )
            if t is not None
        ]
        if len(tests) != 1:
            raise ValueError(
                f"disqualifier '{self.reason}' needs exactly one of: email_domain_in, "
                "email_domain_in_file, email_domain_ends_with, country_not_in, flag"
            )
        return self


class DisqualifierRules(_Strict):
    disqualifiers: list[Disqualifier]

    @model_validator(mode="after")
    def _check(self) -> DisqualifierRules:
        _unique([d.reason for d in self.disqualifiers], "disqualifier reason")
        return self


# --- lifecycle.yml ----------------------------------------------------------------------


class MqlRules(_Strict):
    min_total_score: float
    min_engagement_score: float = 0
    min_fit_grade: Literal[FIT_GRADES]  # type: ignore[valid-type]
    required_activity_types: list[ActivityType] = []


CrmStatus = Annotated[str, Field(min_length=1)]


class SqlRules(_Strict):
    min_total_score: float
    hand_raise_activity_types: list[ActivityType]
    hand_raise_min_fit_grade: Literal[FIT_GRADES]  # type: ignore[valid-type]
    accepted_crm_statuses: list[CrmStatus] = []


class RecycleRules(_Strict):
    crm_statuses: list[CrmStatus] = []
    inactive_sql_days: Annotated[int, Field(ge=1)] | None = None


class LifecycleRules(_Strict):
    mql: MqlRules
    sql: SqlRules
    recycle: RecycleRules = RecycleRules()

    @model_validator(mode="after")
    def _check(self) -> LifecycleRules:
        if self.sql.min_total_score < self.mql.min_total_score:
            raise ValueError("sql.min_total_score must not be below mql.min_total_score")
        both = {s.lower() for s in self.sql.accepted_crm_statuses} & {
            s.lower() for s in self.recycle.crm_statuses
        }
        if both:
            raise ValueError(f"CRM status(es) {sorted(both)} cannot both accept and recycle a lead")
        return self


# --- sla.yml ----------------------------------------------------------------------------


class BusinessHours(_Strict):
    time_zone: str
    use_owner_time_zone: bool = True
    days: Annotated[list[Literal[WEEKDAYS]], Field(min_length=1)]  # type: ignore[valid-type]
    opens: dt.time
    closes: dt.time
    holidays: list[dt.date] = []

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        check_time_zone(value)
        return value

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _parse_clock(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 09:00 as 540 (minutes)
            raise ValueError('write the time in quotes, e.g. "09:00"')
        return value

    @model_validator(mode="after")
    def _check(self) -> BusinessHours:
        if self.opens >= self.closes:
            raise ValueError("business_hours.opens must be before business_hours.closes")
        return self


class SlaWindow(_Strict):
    transition: Literal["mql", "sql"]
    segment: Literal["hand_raise", "score", "accepted", "any"] = "any"
    business_hours: Annotated[float, Field(gt=0, le=MAX_SLA_BUSINESS_HOURS)]


class SlaRules(_Strict):
    business_hours: BusinessHours
    first_touch_task_types: Annotated[
        list[Literal["call", "email", "meeting"]], Field(min_length=1)
    ]
    windows: list[SlaWindow]
    at_risk_fraction: Annotated[float, Field(gt=0, lt=1)]
    escalate_multiple: Annotated[float, Field(gt=1)]

    @model_validator(mode="after")
    def _check(self) -> SlaRules:
        _unique(
            [f"{w.transition}/{w.segment}" for w in self.windows], "SLA window transition/segment"
        )
        for transition in {w.transition for w in self.windows}:
            if not any(w.transition == transition and w.segment == "any" for w in self.windows):
                raise ValueError(
                    f"windows: add a window with segment: any for transition {transition} "
                    "(the one used when no segment-specific window applies)"
                )
        return self


# --- calibration.yml -----------------------------------------------------------------------

CALIBRATION_OUTCOMES = ("sql", "opportunity", "customer")
CALIBRATION_OBJECTIVES = ("best_f1", "target_precision", "sales_capacity")


class ScoreBand(_Strict):
    band: Name
    min_score: float | None


class ShadowModelSettings(_Strict):
    min_outcomes: Annotated[int, Field(ge=10)] = 50
    test_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.3
    l2: Annotated[float, Field(gt=0)] = 1.0


class CalibrationRules(_Strict):
    outcome: Literal[CALIBRATION_OUTCOMES] = "opportunity"  # type: ignore[valid-type]
    decision_age_days: Annotated[int, Field(ge=0, le=365)] = 0
    horizon_days: Annotated[int, Field(ge=1, le=730)] = 30
    bands: Annotated[list[ScoreBand], Field(min_length=1)] = [
        ScoreBand(band="hot", min_score=100),
        ScoreBand(band="warm", min_score=60),
        ScoreBand(band="lukewarm", min_score=30),
        ScoreBand(band="cold", min_score=None),
    ]
    objective: Literal[CALIBRATION_OBJECTIVES] = "best_f1"  # type: ignore[valid-type]
    target_precision: Annotated[float, Field(gt=0, le=1)] = 0.5
    sales_capacity_per_week: Annotated[float, Field(gt=0)] = 25
    min_outcomes: Annotated[int, Field(ge=1)] = 20
    shadow_model: ShadowModelSettings = ShadowModelSettings()

    @model_validator(mode="after")
    def _check(self) -> CalibrationRules:
        _unique([b.band for b in self.bands], "band")
        _bands_end_open([b.min_score for b in self.bands], "bands")
        return self


# --- loading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Every validated rule, plus the version (content hash) stamped on every score row."""

    scoring: ScoringRules
    disqualifiers: DisqualifierRules
    lifecycle: LifecycleRules
    sla: SlaRules
    personal_domains: dict[str, tuple[str, ...]]  # reason -> domains read from a list file
    version: str
    calibration: CalibrationRules = dataclasses.field(default_factory=lambda: CalibrationRules())


def load_rules(rules_dir: Path) -> Rules:
    """Read and validate every rules file in `rules_dir`.

    Raises:
        RulesError: naming the file, line, rule and field at fault and what was expected.
    """
    rules_dir = Path(rules_dir)
    parsed = {name: _parse_file(rules_dir / name) for name in RULE_FILES}
    scoring = _validate(ScoringRules, parsed["scoring.yml"], rules_dir / "scoring.yml")
    disq = _validate(
        DisqualifierRules, parsed["disqualifiers.yml"], rules_dir / "disqualifiers.yml"
    )
    lifecycle = _validate(LifecycleRules, parsed["lifecycle.yml"], rules_dir / "lifecycle.yml")
    sla = _validate(SlaRules, parsed["sla.yml"], rules_dir / "sla.yml")

    list_files = {}
    hashed_files = [rules_dir / name for name in RULE_FILES]
    for d in disq.disqualifiers:
        if d.email_domain_in_file:
            path = rules_dir / d.email_domain_in_file
            list_files[d.reason] = _read_domain_list(path)
            hashed_files.append(path)
    return Rules(
        scoring=scoring,
        disqualifiers=disq,
        lifecycle=lifecycle,
        sla=sla,
        personal_domains=list_files,
        # calibration.yml is left out of the version on purpose: it changes how scores are
        # judged, never a score, so editing it must not restamp the score history
        version=_content_hash(hashed_files),
        calibration=load_calibration_rules(rules_dir),
    )


def load_calibration_rules(rules_dir: Path) -> CalibrationRules:
    """rules/calibration.yml, validated; the defaults when a rules folder has none (yet)."""
    path = Path(rules_dir) / CALIBRATION_FILE
    if not path.is_file():
        return CalibrationRules()
    return _validate(CalibrationRules, _parse_file(path), path)


def _parse_file(path: Path) -> tuple[Any, yaml.Node | None]:
    if not path.is_file():
        raise RulesError(f"{path}: rules file not found (expected one of {', '.join(RULE_FILES)})")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RulesError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a mapping of settings at the top level")
    return data, node


def _validate(model: type[BaseModel], parsed: tuple[Any, yaml.Node | None], path: Path):
    data, node = parsed
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [p for p in error["loc"] if not str(p).startswith(("function-", "literal["))]
            line = _line_of(node, loc)
            where = f"{path}:{line}" if line else str(path)
            problems.append(f"{where}: {_describe(data, loc)}: {_expected(error)}")
        raise RulesError("invalid rules\n  " + "\n  ".join(problems)) from None


def _describe(data: Any, loc: list) -> str:
    """`engagement.rules[3] (pricing_page) field 'points'`: a path a person can follow."""
    parts, rule_name, current = [], None, data
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(f".{key}" if parts else str(key))
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list) and isinstance(key, int) and key < len(current):
            current = current[key]
        else:
            current = None
        if isinstance(current, dict):
            named = current.get("name") or current.get("reason") or current.get("field")
            rule_name = named if isinstance(named, str) else rule_name
    text = "".join(parts) or "(top level)"
    return f"{text} (rule '{rule_name}')" if rule_name else text


def _expected(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see rules/README.md for the allowed keys)"
    if error["type"] == "missing":
        return "required key is missing"
    if "input" in error and error["type"] not in ("model_type",):
        return f"{message} (got {error['input']!r})"
    return message


def _line_of(node: yaml.Node | None, loc: list) -> int | None:
    """Line number (1-based) of the YAML node at `loc`, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            children = {k.value: v for k, v in node.value}
            key_nodes = {k.value: k for k, _ in node.value}
            if key not in children:
                return line
            line = key_nodes[key].start_mark.line + 1
            node = children[key]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _read_domain_list(path: Path) -> tuple[str, ...]:
    if not path.is_file():
        raise RulesError(f"{path}: domain list file not found")
    domains = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", line):
            raise RulesError(f"{path}:{number}: expected one e-mail domain a line, got {raw!r}")
        domains.append(line)
    return tuple(sorted(set(domains)))


def _content_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _unique(values: list[str], what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} '{value}'")
        seen.add(value)


def _bands_end_open(minimums: list[float | None], what: str) -> None:
    if not minimums or minimums[-1] is not None:
        raise ValueError(f"{what}: the last band must have min_score: null (everything else)")
    bounded = minimums[:-1]
    if any(m is None for m in bounded) or bounded != sorted(bounded, reverse=True):
        raise ValueError(f"{what}: min_score must fall from the top band to the bottom one")


def check_time_zone(name: str) -> None:
    """Raise ValueError unless `name` is a time zone of the IANA database."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/London)"
        ) from None


# --- tables -----------------------------------------------------------------------------


def glob_to_like(pattern: str) -> str:
    """A case-insensitive glob (`*/pricing*`) as a SQL LIKE pattern with `\\` as escape."""
    return _escape(pattern).replace("*", "%").replace("?", "_")


def _escape(value: str) -> str:
    """An exact, case-insensitive value as a LIKE pattern (no wildcards)."""
    return value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def rule_tables(
    rules: Rules, extra_time_zones: list[str] | tuple[str, ...] = ()
) -> dict[str, pd.DataFrame]:
    """Every rule as rows: the tables the dbt models join (schema `rules`)."""
    scoring, version = rules.scoring, rules.version
    engagement = scoring.engagement

    engagement_rules, patterns = [], []
    for order, rule in enumerate(engagement.rules, start=1):
        constrained = {
            attr: getattr(rule, attr)
            for attr in ("url", "page_category", "form_name", "campaign", "asset")
            if getattr(rule, attr)
        }
        mode, n, days = _frequency(rule.frequency)
        engagement_rules.append(
            {
                "rule_id": rule.name,
                "rule_order": order,
                "group_id": rule.group,
                "activity_type": rule.activity_type,
                "detail": rule.detail.lower() if rule.detail else None,
                "points": rule.points,
                "max_points": rule.max_points,
                "max_points_per_day": rule.max_points_per_day,
                "frequency_mode": mode,
                "frequency_n": n,
                "frequency_days": days,
                "constrained_attributes": len(constrained),
            }
        )
        for attr, globs in constrained.items():
            # a page category is a name, compared exactly; everything else is a glob
            to_like = _escape if attr == "page_category" else glob_to_like
            patterns += [_pattern(rule.name, attr, to_like(g), g) for g in globs]

    engagement_groups = [
        {
            "group_id": name,
            "group_order": order,
            "max_points": group.max_points,
            **_decay(group.decay),
        }
        for order, (name, group) in enumerate(engagement.groups.items(), start=1)
    ]
    page_categories = [
        {"category": name, "category_order": order, "like_pattern": glob_to_like(g), "pattern": g}
        for order, (name, globs) in enumerate(engagement.page_categories.items(), start=1)
        for g in globs
    ]

    fit_rules = []
    for field in scoring.fit.fields:
        fit_rules.append(
            _fit_row(field.field, f"{field.field}_missing", 0, "missing", field.missing)
        )
        for order, case in enumerate(field.cases, start=1):
            operator = "between" if case.between else ("in" if case.in_ else "matches")
            low, high = case.between or (None, None)
            fit_rules.append(
                _fit_row(field.field, case.name, order, operator, case.points, low, high)
            )
            if case.in_:
                patterns += [_pattern(case.name, field.field, _escape(v), v) for v in case.in_]
            if case.matches:
                patterns += [
                    _pattern(case.name, field.field, glob_to_like(g), g) for g in case.matches
                ]
        fit_rules.append(
            _fit_row(field.field, f"{field.field}_other", 999, "otherwise", field.otherwise)
        )

    disqualifiers, disqualifier_values = [], []
    for order, d in enumerate(rules.disqualifiers.disqualifiers, start=1):
        if d.flag:
            test, values = "flag", [d.flag]
        elif d.email_domain_ends_with:
            test, values = "email_domain_ends_with", [v.lower() for v in d.email_domain_ends_with]
        elif d.country_not_in:
            test, values = "country_not_in", [v.lower() for v in d.country_not_in]
        else:
            test = "email_domain_in"
            values = list(rules.personal_domains.get(d.reason, ()))
            values += [v.lower() for v in d.email_domain_in or ()]
        disqualifiers.append({"reason_code": d.reason, "rule_order": order, "test": test})
        disqualifier_values += [{"reason_code": d.reason, "value": v} for v in values]

    lifecycle = rules.lifecycle
    grade_rank = {g: i for i, g in enumerate(FIT_GRADES, start=1)}
    thresholds = [
        {
            "mql_min_total_score": lifecycle.mql.min_total_score,
            "mql_min_engagement_score": lifecycle.mql.min_engagement_score,
            "mql_max_fit_grade_rank": grade_rank[lifecycle.mql.min_fit_grade],
            "mql_required_activity_count": len(set(lifecycle.mql.required_activity_types)),
            "sql_min_total_score": lifecycle.sql.min_total_score,
            "hand_raise_max_fit_grade_rank": grade_rank[lifecycle.sql.hand_raise_min_fit_grade],
            "recycle_inactive_sql_days": lifecycle.recycle.inactive_sql_days,
        }
    ]
    activity_roles = [
        {"role": "mql_required", "activity_type": t}
        for t in sorted(set(lifecycle.mql.required_activity_types))
    ] + [
        {"role": "hand_raise", "activity_type": t}
        for t in sorted(set(lifecycle.sql.hand_raise_activity_types))
    ]

    sla = rules.sla
    sla_windows = [
        {
            "transition": w.transition,
            "segment": w.segment,
            "window_seconds": round(w.business_hours * 3600),
            "at_risk_fraction": sla.at_risk_fraction,
            "escalate_multiple": sla.escalate_multiple,
        }
        for w in sla.windows
    ]

    tables = {
        "engagement_rules": pd.DataFrame(engagement_rules),
        "engagement_groups": pd.DataFrame(engagement_groups),
        "page_categories": pd.DataFrame(
            page_categories, columns=["category", "category_order", "like_pattern", "pattern"]
        ),
        "rule_patterns": pd.DataFrame(
            patterns, columns=["rule_id", "attribute", "like_pattern", "pattern"]
        ),
        "engagement_settings": pd.DataFrame(
            [
                {
                    "window_days": engagement.window_days,
                    "score_floor": engagement.floor,
                    "score_ceiling": engagement.ceiling,
                }
            ]
        ),
        "engagement_tiers": pd.DataFrame([t.model_dump() for t in engagement.tiers]),
        "fit_rules": pd.DataFrame(fit_rules),
        "account_settings": pd.DataFrame(
            [
                {
                    "top_n": scoring.accounts.top_n,
                    "engaged_min_score": scoring.accounts.engaged_min_score,
                }
            ]
        ),
        "personas": pd.DataFrame({"persona": list(scoring.accounts.personas)}, dtype="object"),
        "fit_grades": pd.DataFrame(
            [{**g.model_dump(), "grade_rank": grade_rank[g.grade]} for g in scoring.fit.grades]
        ),
        "disqualifiers": pd.DataFrame(disqualifiers, columns=["reason_code", "rule_order", "test"]),
        "disqualifier_values": pd.DataFrame(disqualifier_values, columns=["reason_code", "value"]),
        "lifecycle_thresholds": pd.DataFrame(thresholds),
        "lifecycle_activity_types": pd.DataFrame(activity_roles, columns=["role", "activity_type"]),
        "lifecycle_crm_statuses": pd.DataFrame(
            [
                {"role": role, "crm_status": status}
                for role, statuses in (
                    ("accepted", lifecycle.sql.accepted_crm_statuses),
                    ("recycle", lifecycle.recycle.crm_statuses),
                )
                for status in sorted({s.lower() for s in statuses})
            ],
            columns=["role", "crm_status"],
        ),
        "sla_windows": pd.DataFrame(sla_windows),
        "sla_settings": pd.DataFrame(
            [
                {
                    "default_time_zone": sla.business_hours.time_zone,
                    "use_owner_time_zone": sla.business_hours.use_owner_time_zone,
                }
            ]
        ),
        "sla_touch_types": pd.DataFrame({"task_type": list(sla.first_touch_task_types)}),
        "business_calendar": business_calendar(sla.business_hours, extra_time_zones),
        "rules_version": pd.DataFrame(
            [{"rules_version": version, "loaded_at": pd.Timestamp.now(tz="UTC").tz_localize(None)}]
        ),
        **calibration_tables(rules.calibration),
    }
    return tables


def calibration_tables(calibration: CalibrationRules) -> dict[str, pd.DataFrame]:
    """The calibration settings the dbt calibration models join (objectives stay in Python)."""
    return {
        "calibration_settings": pd.DataFrame(
            [
                {
                    "outcome": calibration.outcome,
                    "decision_age_days": calibration.decision_age_days,
                    "horizon_days": calibration.horizon_days,
                    "min_outcomes": calibration.min_outcomes,
                }
            ]
        ),
        "calibration_bands": pd.DataFrame(
            [
                {"band": b.band, "band_order": order, "min_score": b.min_score}
                for order, b in enumerate(calibration.bands, start=1)
            ]
        ),
    }


def _frequency(frequency) -> tuple[str, int | None, int | None]:
    if isinstance(frequency, NthTime):
        return "nth_time", frequency.nth_time, None
    if isinstance(frequency, MinEvents):
        return "min_events", frequency.min_events, frequency.within_days
    return frequency, None, None


def _decay(decay) -> dict:
    row = {
        "decay_kind": "none",
        "half_life_days": None,
        "decay_percent": None,
        "decay_every_days": None,
        "decay_window_days": None,
    }
    if isinstance(decay, HalfLife):
        row.update(decay_kind="half_life", half_life_days=decay.half_life_days)
    elif isinstance(decay, Linear):
        row.update(
            decay_kind="linear",
            decay_percent=decay.linear.percent,
            decay_every_days=decay.linear.every_days,
        )
    elif isinstance(decay, RollingWindow):
        row.update(decay_kind="window", decay_window_days=decay.window_days)
    return row


def _pattern(rule_id: str, attribute: str, like: str, original: str) -> dict:
    return {"rule_id": rule_id, "attribute": attribute, "like_pattern": like, "pattern": original}


def _fit_row(field, rule_id, order, operator, points, low=None, high=None) -> dict:
    return {
        "rule_id": rule_id,
        "field": field,
        "case_order": order,
        "operator": operator,
        "points": points,
        "min_value": low,
        "max_value": high,
    }


def business_calendar(hours: BusinessHours, extra_time_zones=()) -> pd.DataFrame:
    """One row per local calendar day and time zone, covering time without gaps.

    Each day carries its UTC bounds, its business interval in UTC (none on weekends and
    holidays) and `business_seconds_before`: the business seconds from the start of the
    calendar to the start of that day. Business time between two instants is then a
    difference of two look-ups, and a due time one range look-up: set-based in SQL and
    correct across DST changes, because zoneinfo does the local-to-UTC conversion here.
    """
    zones = sorted({hours.time_zone, *(z for z in extra_time_zones if _is_zone(z))})
    open_days = {WEEKDAYS.index(d) for d in hours.days}
    holidays = set(hours.holidays)
    rows = []
    utc = dt.UTC
    for zone_name in zones:
        zone = zoneinfo.ZoneInfo(zone_name)
        before = 0
        day = CALENDAR_START
        while day <= CALENDAR_END:
            start = dt.datetime.combine(day, dt.time(), zone).astimezone(utc)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(utc)
            opens = closes = None
            seconds = 0
            if day.weekday() in open_days and day not in holidays:
                opens = dt.datetime.combine(day, hours.opens, zone).astimezone(utc)
                closes = dt.datetime.combine(day, hours.closes, zone).astimezone(utc)
                seconds = int((closes - opens).total_seconds())
            rows.append((zone_name, day, start, end, opens, closes, seconds, before))
            before += seconds
            day += dt.timedelta(days=1)
    frame = pd.DataFrame(
        rows,
        columns=[
            "time_zone",
            "local_date",
            "day_starts_at",
            "day_ends_at",
            "opens_at",
            "closes_at",
            "business_seconds",
            "business_seconds_before",
        ],
    )
    for column in ("day_starts_at", "day_ends_at", "opens_at", "closes_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    return frame


def _is_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        check_time_zone(name)
    except ValueError:
        return False
    return True


# Column types of every rule table: the contract between this module and the dbt models.
RULE_TABLE_TYPES: dict[str, dict[str, str]] = {
    "engagement_rules": {
        "rule_id": "varchar",
        "rule_order": "integer",
        "group_id": "varchar",
        "activity_type": "varchar",
        "detail": "varchar",
        "points": "integer",
        "max_points": "integer",
        "max_points_per_day": "integer",
        "frequency_mode": "varchar",
        "frequency_n": "integer",
        "frequency_days": "integer",
        "constrained_attributes": "integer",
    },
    "engagement_groups": {
        "group_id": "varchar",
        "group_order": "integer",
        "max_points": "integer",
        "decay_kind": "varchar",
        "half_life_days": "double",
        "decay_percent": "double",
        "decay_every_days": "integer",
        "decay_window_days": "integer",
    },
    "page_categories": {
        "category": "varchar",
        "category_order": "integer",
        "like_pattern": "varchar",
        "pattern": "varchar",
    },
    "rule_patterns": {
        "rule_id": "varchar",
        "attribute": "varchar",
        "like_pattern": "varchar",
        "pattern": "varchar",
    },
    "engagement_settings": {
        "window_days": "integer",
        "score_floor": "double",
        "score_ceiling": "double",
    },
    "engagement_tiers": {"tier": "integer", "min_score": "double"},
    "fit_rules": {
        "rule_id": "varchar",
        "field": "varchar",
        "case_order": "integer",
        "operator": "varchar",
        "points": "integer",
        "min_value": "double",
        "max_value": "double",
    },
    "account_settings": {"top_n": "integer", "engaged_min_score": "double"},
    "personas": {"persona": "varchar"},
    "fit_grades": {"grade": "varchar", "min_score": "double", "grade_rank": "integer"},
    "disqualifiers": {"reason_code": "varchar", "rule_order": "integer", "test": "varchar"},
    "disqualifier_values": {"reason_code": "varchar", "value": "varchar"},
    "lifecycle_thresholds": {
        "mql_min_total_score": "double",
        "mql_min_engagement_score": "double",
        "mql_max_fit_grade_rank": "integer",
        "mql_required_activity_count": "integer",
        "sql_min_total_score": "double",
        "hand_raise_max_fit_grade_rank": "integer",
        "recycle_inactive_sql_days": "integer",
    },
    "lifecycle_activity_types": {"role": "varchar", "activity_type": "varchar"},
    "lifecycle_crm_statuses": {"role": "varchar", "crm_status": "varchar"},
    "sla_windows": {
        "transition": "varchar",
        "segment": "varchar",
        "window_seconds": "bigint",
        "at_risk_fraction": "double",
        "escalate_multiple": "double",
    },
    "sla_settings": {"default_time_zone": "varchar", "use_owner_time_zone": "boolean"},
    "sla_touch_types": {"task_type": "varchar"},
    "business_calendar": {
        "time_zone": "varchar",
        "local_date": "date",
        "day_starts_at": "timestamp",
        "day_ends_at": "timestamp",
        "opens_at": "timestamp",
        "closes_at": "timestamp",
        "business_seconds": "bigint",
        "business_seconds_before": "bigint",
    },
    "rules_version": {"rules_version": "varchar", "loaded_at": "timestamp"},
    "calibration_settings": {
        "outcome": "varchar",
        "decision_age_days": "integer",
        "horizon_days": "integer",
        "min_outcomes": "integer",
    },
    "calibration_bands": {"band": "varchar", "band_order": "integer", "min_score": "double"},
}
