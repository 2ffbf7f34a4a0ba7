"""Deterministic generator of realistic sample CRM and marketing-automation exports.

``generate(out_dir)`` writes ``landing/*.csv`` (the canonical ingest layout) and
``truth/leads_truth.csv`` (hidden intent/fit and outcomes, for calibration only).
The value sets below are the exact vocabularies the landing files use.
"""

from orchestration.canonical import ACTIVITY_TYPES
from orchestration.sample_data.generator import (
    BOUNCE_DETAILS,
    COMPETITOR_DOMAINS,
    FORM_NAMES,
    HAND_RAISE_FORMS,
    HAND_RAISE_TYPES,
    HEADERS,
    LEAD_SOURCES,
    LEAD_STATUSES,
    OPPORTUNITY_STAGES,
    PERSONAL_DOMAINS,
    TARGET_INDUSTRIES,
    TASK_STATUSES,
    TASK_TYPES,
    UNSUBSCRIBE_DETAILS,
    generate,
)

__all__ = [
    "ACTIVITY_TYPES",
    "BOUNCE_DETAILS",
    "COMPETITOR_DOMAINS",
    "FORM_NAMES",
    "HAND_RAISE_FORMS",
    "HAND_RAISE_TYPES",
    "HEADERS",
    "LEAD_SOURCES",
    "LEAD_STATUSES",
    "OPPORTUNITY_STAGES",
    "PERSONAL_DOMAINS",
    "TARGET_INDUSTRIES",
    "TASK_STATUSES",
    "TASK_TYPES",
    "UNSUBSCRIBE_DETAILS",
    "generate",
]
