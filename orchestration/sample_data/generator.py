"""Deterministic generator of realistic CRM and marketing-automation sample exports.

Every lead gets two hidden variables:

* **fit** (0..1): title seniority, company size, industry match with the target list and
  sales territory (US / Canada / UK); close to zero for personal, student and competitor
  addresses.
* **intent** (0..1): beta-distributed and mostly low; its parameters depend on the lead source.

Intent drives the volume, depth and recency of the marketing activity (web visits, e-mail
engagement, downloads, webinars, hand-raises); intent and fit together drive sales follow-up
and the outcome (opportunity, won). The landing files use the project's canonical CSV layout;
``truth/leads_truth.csv`` keeps the hidden variables for calibration and is never ingested.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and every output is
sorted, so the same seed and arguments give byte-identical files.
"""

from __future__ import annotations

import csv
import math
import random
import time
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

# --------------------------------------------------------------------------------------
# Canonical layout and value sets
# --------------------------------------------------------------------------------------

USERS_FILE = "landing/crm_users.csv"
ACCOUNTS_FILE = "landing/crm_accounts.csv"
LEADS_FILE = "landing/crm_leads.csv"
OPPORTUNITIES_FILE = "landing/crm_opportunities.csv"
TASKS_FILE = "landing/crm_tasks.csv"
ACTIVITIES_FILE = "landing/marketing_activities.csv"
TRUTH_FILE = "truth/leads_truth.csv"

HEADERS: dict[str, tuple[str, ...]] = {
    USERS_FILE: ("user_id", "name", "email", "team", "time_zone", "is_active"),
    ACCOUNTS_FILE: (
        "account_id",
        "name",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "country",
        "owner_id",
        "created_at",
        "updated_at",
    ),
    LEADS_FILE: (
        "lead_id",
        "email",
        "first_name",
        "last_name",
        "title",
        "company",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "country",
        "lead_source",
        "owner_id",
        "status",
        "account_id",
        "do_not_contact",
        "created_at",
        "updated_at",
    ),
    OPPORTUNITIES_FILE: (
        "opportunity_id",
        "account_id",
        "lead_id",
        "name",
        "stage",
        "amount",
        "owner_id",
        "is_closed",
        "is_won",
        "created_at",
        "closed_at",
        "updated_at",
    ),
    TASKS_FILE: (
        "task_id",
        "lead_id",
        "owner_id",
        "task_type",
        "subject",
        "status",
        "occurred_at",
        "created_at",
        "updated_at",
    ),
    ACTIVITIES_FILE: (
        "activity_id",
        "lead_id",
        "email",
        "activity_type",
        "occurred_at",
        "url",
        "form_name",
        "campaign",
        "asset",
        "detail",
    ),
    TRUTH_FILE: ("lead_id", "intent", "fit", "converted", "won"),
}

HAND_RAISE_TYPES = (
    "demo_request",
    "contact_request",
    "trial_request",
    "quote_request",
    "inbound_call",
)
LEAD_SOURCES = (
    "Web",
    "Organic Search",
    "Paid Search",
    "Email",
    "Social",
    "Referral",
    "Event",
    "Partner",
    "Purchased List",
)
LEAD_STATUSES = ("new", "working", "nurture", "converted", "unqualified")
OPPORTUNITY_STAGES = (
    "Qualification",
    "Discovery",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
TASK_TYPES = ("call", "email", "meeting")
TASK_STATUSES = ("completed", "open")
FORM_NAMES = (
    "Newsletter Signup",
    "Whitepaper Download",
    "Ebook Download",
    "Webinar Registration",
    "Contact Us",
    "Request a Demo",
    "Start Free Trial",
)
# The form that also produces a hand-raise activity of the given type.
HAND_RAISE_FORMS = {
    "demo_request": ("Request a Demo", "/demo"),
    "contact_request": ("Contact Us", "/contact"),
    "trial_request": ("Start Free Trial", "/trial"),
}
BOUNCE_DETAILS = ("hard", "soft")
UNSUBSCRIBE_DETAILS = ("", "Too many emails", "Content not relevant", "Never signed up")

PERSONAL_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
    "proton.me",
    "gmx.de",
)
COMPETITOR_DOMAINS = ("rivalscore.io", "leadlytics.com", "funnelforge.com")
COMPETITOR_COMPANIES = ("RivalScore", "Leadlytics", "FunnelForge Inc.")
UNIVERSITIES = (  # (name, domain, country); fictional institutions
    ("Northfield University", "northfield.edu", "United States"),
    ("Lakeshore State University", "lakeshorestate.edu", "United States"),
    ("Westbrook College", "westbrook.edu", "United States"),
    ("Pinecrest Institute of Technology", "pinecrest.edu", "United States"),
    ("Eastvale University", "eastvale.edu", "United States"),
    ("Harborview College", "harborview.edu", "United States"),
)
UK_UNIVERSITIES = (
    ("Kingsbridge University", "kingsbridge.ac.uk", "United Kingdom"),
    ("University of Thornbury", "thornbury.ac.uk", "United Kingdom"),
)

TARGET_INDUSTRIES = (
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Logistics",
    "Energy",
    "Telecommunications",
)
INDUSTRIES = (  # (industry, weight, words used in company names)
    ("Software", 16, ("Software", "Labs", "Systems", "Cloud", "Analytics", "Data", "Technologies")),
    ("Manufacturing", 14, ("Manufacturing", "Industries", "Components", "Machining", "Plastics")),
    ("Financial Services", 8, ("Capital", "Financial", "Bank", "Insurance", "Credit Union")),
    ("Healthcare", 8, ("Health", "Medical", "Clinics", "Diagnostics", "Pharma")),
    ("Logistics", 7, ("Logistics", "Freight", "Transport", "Distribution", "Shipping")),
    ("Energy", 5, ("Energy", "Power", "Solar", "Utilities", "Oil & Gas")),
    ("Telecommunications", 4, ("Telecom", "Networks", "Communications", "Wireless", "Fiber")),
    ("Retail", 8, ("Outfitters", "Market", "Stores", "Goods", "Supply")),
    ("Education", 4, ("Academy", "Learning", "School District", "College")),
    ("Government", 3, ("County", "Municipal Authority", "Transit Authority", "Water District")),
    ("Media", 4, ("Media", "Studios", "Publishing", "Broadcasting")),
    ("Non-profit", 3, ("Foundation", "Alliance", "Trust", "Society")),
    ("Construction", 5, ("Builders", "Construction", "Contractors", "Engineering")),
    ("Professional Services", 6, ("Consulting", "Advisors", "Group", "Associates")),
    ("Hospitality", 3, ("Hotels", "Hospitality", "Resorts")),
    ("Automotive", 3, ("Automotive", "Motors", "Auto Parts")),
)
INDUSTRY_MATCH = {name: 1.0 if name in TARGET_INDUSTRIES else 0.45 for name, _, _ in INDUSTRIES}
INDUSTRY_MATCH.update({"Government": 0.3, "Education": 0.3, "Non-profit": 0.25})

HOME_TERRITORY = ("United States", "Canada", "United Kingdom")
# country -> (weight among accounts, country TLD, [(time zone, sales team, weight)])
COUNTRIES: dict[str, tuple[float, str, tuple[tuple[str, str, float], ...]]] = {
    "United States": (
        74,
        ".com",
        (
            ("America/New_York", "east", 0.4),
            ("America/Chicago", "east", 0.2),
            ("America/Denver", "west", 0.1),
            ("America/Los_Angeles", "west", 0.3),
        ),
    ),
    "Canada": (6, ".ca", (("America/Toronto", "east", 0.65), ("America/Vancouver", "west", 0.35))),
    "United Kingdom": (9, ".co.uk", (("Europe/London", "emea", 1.0),)),
    "Germany": (2.0, ".de", (("Europe/Berlin", "emea", 1.0),)),
    "France": (1.5, ".fr", (("Europe/Paris", "emea", 1.0),)),
    "Netherlands": (1.0, ".nl", (("Europe/Amsterdam", "emea", 1.0),)),
    "Spain": (0.5, ".es", (("Europe/Madrid", "emea", 1.0),)),
    "Sweden": (0.5, ".se", (("Europe/Stockholm", "emea", 1.0),)),
    "India": (1.2, ".in", (("Asia/Kolkata", "emea", 1.0),)),
    "Brazil": (1.0, ".com.br", (("America/Sao_Paulo", "east", 1.0),)),
    "Mexico": (0.5, ".com.mx", (("America/Mexico_City", "west", 1.0),)),
    "Australia": (1.0, ".com.au", (("Australia/Sydney", "west", 1.0),)),
    "Japan": (0.4, ".co.jp", (("Asia/Tokyo", "west", 1.0),)),
    "Singapore": (0.4, ".com.sg", (("Asia/Singapore", "west", 1.0),)),
}
PERSONAL_COUNTRIES = (
    ("United States", 60),
    ("United Kingdom", 10),
    ("Canada", 5),
    ("India", 9),
    ("Germany", 7),
    ("Brazil", 4),
    ("Australia", 4),
    ("France", 4),
    ("Spain", 3),
    ("Mexico", 2),
)

USERS = (  # user_id, name, team, time zone, active
    ("U001", "Sarah Chen", "east", "America/New_York", True),
    ("U002", "Marcus Johnson", "east", "America/New_York", True),
    ("U003", "Priya Patel", "east", "America/New_York", True),
    ("U004", "Diego Ramirez", "west", "America/Los_Angeles", True),
    ("U005", "Emily Walker", "west", "America/Los_Angeles", True),
    ("U006", "Kenji Tanaka", "west", "America/Los_Angeles", True),
    ("U007", "Olivia Bennett", "emea", "Europe/London", True),
    ("U008", "Tom Fischer", "emea", "Europe/London", True),
    # Left the company: still owns some older records, touches nobody.
    ("U009", "Brian Kowalski", "east", "America/New_York", False),
)

FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Karen",
    "Christopher", "Sarah", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark",
    "Ashley", "Steven", "Emily", "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa",
    "Brian", "Stephanie", "Ryan", "Rebecca", "Jacob", "Laura", "Nicholas", "Rachel", "Eric",
    "Megan", "Jonathan", "Hannah", "Justin", "Olivia", "Aaron", "Sophia", "Adam", "Grace",
    "Carlos", "Maria", "Luis", "Ana", "Miguel", "Sofia", "Wei", "Mei", "Jun", "Li", "Hiroshi",
    "Yuki", "Raj", "Priya", "Arjun", "Ananya", "Vikram", "Deepa", "Mohammed", "Fatima", "Omar",
    "Aisha", "Chinedu", "Ngozi", "Kwame", "Amara", "Lars", "Ingrid", "Sven", "Freya", "Lukas",
    "Anna", "Felix", "Lena", "Pierre", "Camille", "Luca", "Giulia", "Mateus", "Beatriz",
    "Liam", "Noah", "Emma", "Ava", "Ethan", "Mia", "Chloe", "Oliver", "Isla", "Jack",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Wang", "Zhang", "Liu",
    "Kim", "Park", "Tanaka", "Sato", "Suzuki", "Patel", "Shah", "Singh", "Kumar", "Gupta",
    "Iyer", "Reddy", "Khan", "Ali", "Hassan", "Okafor", "Adeyemi", "Mensah", "Schmidt",
    "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Dubois", "Laurent", "Moreau", "Rossi",
    "Russo", "Silva", "Santos", "Oliveira", "Costa", "Andersson", "Johansson", "Larsen",
    "Jansen", "de Vries", "Murphy", "Kelly", "Sullivan", "Walsh", "Byrne", "Evans", "Hughes",
    "Edwards", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell",
    "Cooper", "Richardson", "Cox", "Howard", "Ward", "Peterson", "Gray", "James", "Watson",
    "Brooks", "Kennedy", "Ford", "Grant", "Hayes", "Price", "Bennett", "Wood", "Barnes",
)  # fmt: skip
ACCENTED_FIRST_NAMES = ("José", "Zoë", "Renée", "Björn", "Søren", "Chloé", "André", "Łukasz")
ACCENTED_LAST_NAMES = (
    "Müller", "García", "Núñez", "Sørensen", "Çelik", "Lefèvre", "O'Brien", "Schröder",
    "Nguyễn", "Gonçalves", "Smith-Jones",
)  # fmt: skip

NAME_PREFIXES = (
    "North", "South", "East", "West", "Blue", "Red", "Green", "Silver", "Gold", "Iron", "Stone",
    "Bright", "Clear", "Deep", "High", "True", "Swift", "Star", "Sun", "Sky", "River", "Lake",
    "Bay", "Pine", "Oak", "Elm", "Cedar", "Maple", "Fox", "Hawk", "Eagle", "Crown", "Key", "Arc",
    "Core", "Prime", "Peak", "Granite", "Copper", "Harbor",
)  # fmt: skip
NAME_SUFFIXES = (
    "bridge", "field", "point", "stone", "gate", "wood", "view", "line", "ridge", "haven",
    "port", "way", "works", "mark", "crest", "vale", "brook", "ford", "light", "shore", "wave",
    "path", "spring", "forge",
)  # fmt: skip
LEGAL_SUFFIXES = {
    "United States": ((" Inc.", 5), (" LLC", 3), (" Corp.", 1), ("", 4)),
    "Canada": ((" Inc.", 4), (" Ltd.", 2), ("", 3)),
    "United Kingdom": ((" Ltd", 5), (" plc", 1), ("", 3)),
    "Germany": ((" GmbH", 6), (" AG", 1), ("", 2)),
    "France": ((" SAS", 4), (" SA", 2), ("", 2)),
    "Netherlands": ((" B.V.", 5), ("", 2)),
    "Spain": ((" S.L.", 4), ("", 2)),
    "Sweden": ((" AB", 5), ("", 2)),
    "India": ((" Pvt. Ltd.", 5), ("", 2)),
    "Brazil": ((" Ltda.", 5), ("", 2)),
    "Mexico": ((" S.A. de C.V.", 4), ("", 2)),
    "Australia": ((" Pty Ltd", 5), ("", 2)),
    "Japan": ((" K.K.", 3), ("", 3)),
    "Singapore": ((" Pte. Ltd.", 5), ("", 2)),
}

# (title, seniority 0..1, weight)
BUSINESS_TITLES = (
    ("CEO", 1.0, 1.5),
    ("Founder & CEO", 1.0, 0.5),
    ("President", 1.0, 0.4),
    ("Owner", 0.9, 0.7),
    ("CTO", 1.0, 1.2),
    ("CIO", 1.0, 0.8),
    ("COO", 0.95, 0.6),
    ("CFO", 0.85, 0.5),
    ("VP Engineering", 0.9, 1.5),
    ("VP of Operations", 0.9, 1.2),
    ("SVP, Technology", 0.9, 0.4),
    ("VP Sales", 0.6, 0.7),
    ("VP Marketing", 0.6, 0.7),
    ("Director of IT", 0.85, 2.0),
    ("Director of Engineering", 0.85, 1.5),
    ("Director, Reliability Engineering", 0.9, 0.8),
    ("Head of Operations", 0.8, 1.5),
    ("Head of Data", 0.75, 0.8),
    ("Plant Manager", 0.8, 0.8),
    ("IT Manager", 0.7, 2.5),
    ("Engineering Manager", 0.7, 2.0),
    ("Operations Manager", 0.65, 2.0),
    ("Procurement Manager", 0.65, 1.5),
    ("Maintenance Manager", 0.7, 1.2),
    ("Product Manager", 0.5, 1.5),
    ("Marketing Manager", 0.35, 1.5),
    ("Reliability Engineer", 0.75, 2.0),
    ("Senior Reliability Engineer", 0.8, 1.0),
    ("Site Reliability Engineer", 0.7, 1.5),
    ("Maintenance Engineer", 0.6, 1.2),
    ("DevOps Engineer", 0.55, 1.5),
    ("Data Engineer", 0.45, 1.2),
    ("Systems Administrator", 0.45, 1.2),
    ("Buyer", 0.5, 0.6),
    ("Senior Software Engineer", 0.45, 2.0),
    ("Software Engineer", 0.35, 3.0),
    ("Business Analyst", 0.35, 1.5),
    ("Data Analyst", 0.3, 1.5),
    ("Consultant", 0.3, 1.0),
    ("Marketing Coordinator", 0.15, 1.5),
    ("Sales Representative", 0.1, 1.2),
    ("Office Manager", 0.2, 0.8),
    ("Executive Assistant", 0.15, 0.6),
    ("Customer Support Specialist", 0.1, 0.8),
    ("HR Generalist", 0.05, 0.6),
    ("Intern", 0.02, 0.8),
    ("Engineering Intern", 0.05, 0.5),
)
PERSONAL_TITLES = (
    ("Freelance Consultant", 4),
    ("Independent Consultant", 3),
    ("Self-employed", 3),
    ("Freelance Developer", 3),
    ("Freelance Designer", 1),
    ("Owner", 2),
    ("Founder", 2),
    ("Contractor", 2),
    ("Consultant", 2),
    ("Retired", 1),
    ("", 2),
)
STUDENT_TITLES = (
    ("Student", 6),
    ("Graduate Student", 3),
    ("PhD Candidate", 2),
    ("MBA Student", 1),
    ("Research Assistant", 1),
    ("Intern", 1),
)
COMPETITOR_TITLES = (
    ("Product Marketing Manager", 3),
    ("Competitive Intelligence Analyst", 2),
    ("Sales Engineer", 2),
    ("Product Manager", 2),
    ("Marketing Operations Manager", 1),
    ("Account Executive", 1),
)

# lead source weights per kind of lead, and the intent Beta(a, b) per source
SOURCE_WEIGHTS = {
    "business": (18, 20, 12, 8, 7, 7, 10, 6, 12),
    "personal": (25, 35, 10, 5, 20, 0, 5, 0, 0),
    "student": (25, 45, 0, 0, 20, 0, 10, 0, 0),
    "competitor": (50, 30, 0, 0, 0, 0, 20, 0, 0),
}
INTENT_BETA = {
    "Web": (1.1, 3.6),
    "Organic Search": (1.0, 3.8),
    "Paid Search": (1.0, 3.5),
    "Email": (0.8, 4.5),
    "Social": (0.8, 4.5),
    "Referral": (1.4, 3.2),
    "Event": (1.2, 3.8),
    "Partner": (1.3, 3.5),
    "Purchased List": (0.5, 6.0),
}
KIND_INTENT_BETA = {"student": (1.4, 2.6), "personal": (1.2, 3.0), "competitor": (2.0, 2.5)}
# students, freelancers and competitors browse a lot without ever buying
ACTIVITY_MULTIPLIER = {"business": 1.0, "personal": 1.3, "student": 1.4, "competitor": 1.2}
WEB_SOURCES = ("Web", "Organic Search", "Paid Search", "Social")

SITE = "https://www.example-saas.com"
BLOG_SLUGS = (
    "what-is-an-mql", "lead-scoring-101", "mql-vs-sql", "reliability-metrics-that-matter",
    "predictive-maintenance-basics", "how-to-reduce-downtime", "mtbf-vs-mttr",
    "building-a-reliability-program", "condition-monitoring-sensors",
    "asset-management-trends-2026", "cmms-vs-eam", "root-cause-analysis-template",
    "vibration-analysis-primer", "digital-twin-hype-or-help", "maintenance-kpis",
    "scaling-sre-teams", "on-call-without-burnout", "incident-postmortems",
    "data-quality-for-operations", "forecasting-spare-parts", "iot-gateway-security",
    "energy-efficiency-in-plants", "reliability-centered-maintenance", "oee-explained",
    "choosing-a-monitoring-platform", "the-case-for-observability", "migrating-from-spreadsheets",
    "alert-fatigue", "remote-monitoring-roi", "workforce-planning-for-maintenance",
    "api-first-integrations", "release-notes-october", "release-notes-november",
    "customer-spotlight-logistics", "career-growth-for-engineers", "how-we-work-remotely",
)  # fmt: skip
DOCS_SLUGS = (
    "getting-started", "installation", "api-reference", "integrations-salesforce",
    "integrations-hubspot", "sso-setup", "data-retention", "alerts", "dashboards", "user-roles",
    "webhooks", "python-sdk", "faq", "billing", "security-overview",
)  # fmt: skip
CASE_STUDY_SLUGS = (
    "northwind-logistics", "granite-manufacturing", "bluepeak-energy", "harborview-health",
    "summit-telecom", "ironwood-capital", "keystone-retail", "evergreen-utilities",
)  # fmt: skip
RESOURCES = (  # (slug, asset, form)
    ("state-of-reliability-2026", "State of Reliability 2026.pdf", "Whitepaper Download"),
    ("downtime-cost-benchmark", "Downtime Cost Benchmark Report.pdf", "Whitepaper Download"),
    ("buyers-guide", "Buyer's Guide to Reliability Platforms.pdf", "Whitepaper Download"),
    (
        "predictive-maintenance-guide",
        "The Practical Guide to Predictive Maintenance.pdf",
        "Ebook Download",
    ),
    ("maintenance-kpis-ebook", "10 KPIs Every Maintenance Team Should Track.pdf", "Ebook Download"),
)
WEBINARS = (  # (slug, title); held 58 and 12 days before the end date
    ("reliability-benchmarks-2026", "Reliability Benchmarks 2026"),
    ("from-alerts-to-uptime", "From Alerts to Uptime: Live Product Tour"),
)
PRODUCT_PAGES = ("/product", "/product/features", "/product/integrations")
NURTURE_LINKS = (
    "/blog/lead-scoring-101",
    "/resources/state-of-reliability-2026",
    "/case-studies/northwind-logistics",
    "/product",
    "/product/integrations",
    "/case-studies/granite-manufacturing",
    "/pricing",
    "/demo",
)
PAGE_CATEGORIES = (
    "home",
    "blog",
    "product",
    "pricing",
    "case_study",
    "docs",
    "careers",
    "about",
    "contact",
    "demo",
    "webinars",
    "resources",
)

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAY = 86_400
HOUR = 3_600
BUSINESS_DAY_MINUTES = 9 * 60  # 09:00-18:00 local

# Local hour-of-day profiles (weights for 00..23).
_HOURS = tuple(range(24))
_PROFILE_WEIGHTS = {
    # office workers: mostly 08-18 on weekdays
    "business": (
        0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 8,
        6, 7, 8, 8, 7, 4, 2, 1.5, 1.5, 1.2, 0.8, 0.4,
    ),
    # students and freelancers: later days, busy evenings
    "evening": (
        0.8, 0.5, 0.3, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4.5, 5, 5, 4, 2,
    ),
    # sales reps at work
    "rep": (
        0, 0, 0, 0, 0, 0, 0, 0.5, 3, 8, 9, 9,
        6, 8, 9, 9, 8, 5, 1.5, 0.5, 0.2, 0, 0, 0,
    ),
}  # fmt: skip
PROFILE_CUM = {name: tuple(accumulate(w)) for name, w in _PROFILE_WEIGHTS.items()}
WEEKEND_KEEP = {"business": 0.2, "evening": 0.6, "rep": 0.03}


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Account:
    """A company in the CRM."""

    name: str
    domain: str
    industry: str
    employees: int
    annual_revenue: int | None
    country: str
    time_zone: str
    team: str
    owner_id: str = ""
    account_id: str = ""
    created_at: int = 0
    updated_at: int = 0
    popularity: float = 1.0
    first_lead_at: int | None = None


@dataclass(slots=True)
class Lead:
    """A lead with its CRM fields, hidden variables and simulated outcome."""

    kind: str  # business | personal | student | competitor
    first_name: str
    last_name: str
    email: str
    title: str
    company: str
    domain: str
    industry: str
    employees: str
    annual_revenue: str
    country: str
    time_zone: str
    lead_source: str
    owner_id: str
    account: Account | None
    created_at: int
    intent: float
    fit: float
    lead_id: str = ""
    status: str = "new"
    do_not_contact: bool = False
    updated_at: int = 0
    converted: bool = False
    won: bool = False
    touched: bool = False  # at least one completed sales task
    previous: dict[str, str] | None = None
    events: list[int] = field(default_factory=list)  # CRM-side change times


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def iso(ts: int) -> str:
    """Format epoch seconds as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII for e-mail local parts and domains (``Müller`` -> ``muller``)."""
    text = text.translate(str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == "-")


class _Weighted:
    """Fast repeated weighted choice (``random.choices`` without re-summing the weights)."""

    def __init__(self, items, weights):
        self.items = tuple(items)
        self.cum = tuple(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect_left(self.cum, rng.random() * self.total)]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation, only reached by extreme parameters
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def shape_time(
    rng: random.Random, ts: int, lo: int, hi: int, time_zone: str, profile: str = "business"
) -> int:
    """Move ``ts`` to a plausible local hour (and mostly off weekends) on or near the same day.

    ``ts`` must lie within ``[lo, hi]``; if the shaped time would fall outside, ``ts`` is
    returned unchanged.
    """
    tz = _zone(time_zone)
    local = datetime.fromtimestamp(ts, tz)
    day = local.date()
    weekday = day.weekday()
    if weekday >= 5 and rng.random() > WEEKEND_KEEP[profile]:
        day = (
            day - timedelta(days=weekday - 4)
            if rng.random() < 0.5
            else day + timedelta(7 - weekday)
        )
    cum = PROFILE_CUM[profile]
    hour = _HOURS[bisect_left(cum, rng.random() * cum[-1])]
    minute, second = rng.randrange(60), rng.randrange(60)
    shaped = int(
        datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz).timestamp()
    )
    return shaped if lo <= shaped <= hi else ts


def after_business_minutes(ts: int, minutes: float, time_zone: str) -> int:
    """Return the instant ``minutes`` of working time (Mon-Fri 09:00-18:00 local) after ``ts``."""
    tz = _zone(time_zone)
    cur = datetime.fromtimestamp(ts, tz)
    remaining = minutes
    for _ in range(400):
        if cur.weekday() >= 5 or cur.hour >= 18:
            cur = (cur + timedelta(days=1)).replace(hour=9, minute=0, second=0)
            continue
        if cur.hour < 9:
            cur = cur.replace(hour=9, minute=0, second=0)
        available = (cur.replace(hour=18, minute=0, second=0) - cur).total_seconds() / 60
        if remaining <= available:
            return int((cur + timedelta(minutes=remaining)).timestamp())
        remaining -= available
        cur = (cur + timedelta(days=1)).replace(hour=9, minute=0, second=0)
    return int(cur.timestamp())


def _write_csv(path: Path, header: tuple[str, ...], rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


class SampleGenerator:
    """Builds the whole sample in memory, then writes it (see :func:`generate`)."""

    def __init__(self, *, leads: int, seed: int, end_date: date, days: int) -> None:
        if leads < 1:
            raise ValueError("leads must be >= 1")
        if days < 7:
            raise ValueError("days must be >= 7")
        self.n_leads = leads
        self.rng = random.Random(seed)
        self.end_date = end_date
        self.days = days
        start_date = end_date - timedelta(days=days - 1)
        self.start_ts = int(datetime(*start_date.timetuple()[:3], tzinfo=UTC).timestamp())
        self.end_ts = int(datetime(*end_date.timetuple()[:3], 23, 59, 59, tzinfo=UTC).timestamp())
        self.window = self.end_ts - self.start_ts
        self.users = {
            uid: {"name": name, "team": team, "time_zone": tz, "active": active}
            for uid, name, team, tz, active in USERS
        }
        self.accounts: list[Account] = []
        self.leads: list[Lead] = []
        self.opportunities: list[list[str]] = []
        self.tasks: list[tuple[int, int, int, list[str]]] = []  # (created, occurred, seq, row)
        self.activities: list[tuple[int, int, list[str]]] = []  # (occurred, seq, row w/o id)
        self.re_versioned: list[Lead] = []  # leads exported twice (see _re_versions)
        self.emails_in_use: set[str] = set()
        self.domains_in_use: set[str] = set(PERSONAL_DOMAINS) | set(COMPETITOR_DOMAINS)
        self._seq = 0
        self._pick_business_title = _Weighted(BUSINESS_TITLES, [w for *_, w in BUSINESS_TITLES])
        self._pick_personal_country = _Weighted(*zip(*PERSONAL_COUNTRIES, strict=True))
        self._pick_personal_domain = _Weighted(PERSONAL_DOMAINS, (45, 15, 10, 10, 8, 4, 4, 4))
        self._pick_source = {
            kind: _Weighted(LEAD_SOURCES, weights) for kind, weights in SOURCE_WEIGHTS.items()
        }
        self._sends = self._global_email_sends()

    # ---------------------------------------------------------------- users & accounts

    def _team_reps(self, team: str, *, active_only: bool = True) -> list[str]:
        return [
            uid
            for uid, u in self.users.items()
            if u["team"] == team and (u["active"] or not active_only)
        ]

    def _place(self, country: str) -> tuple[str, str]:
        """Pick a (time zone, sales team) for someone in ``country``."""
        options = COUNTRIES[country][2]
        r = self.rng.random() * sum(w for *_, w in options)
        for tz, team, weight in options:
            r -= weight
            if r <= 0:
                return tz, team
        return options[-1][0], options[-1][1]

    def _employees(self) -> int:
        """Heavy-tailed company size: many 2-50, some 200-5000, a few 10k+."""
        rng = self.rng
        r = rng.random()
        if r < 0.52:
            lo, hi = 2, 50
        elif r < 0.80:
            lo, hi = 51, 500
        elif r < 0.95:
            lo, hi = 501, 5000
        else:
            lo, hi = 5001, 80000
        return round(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    def _company_name(
        self, industry: str, industry_words: tuple[str, ...], country: str
    ) -> tuple[str, str]:
        rng = self.rng
        tld = COUNTRIES[country][1]
        for attempt in range(50):
            core = rng.choice(NAME_PREFIXES) + rng.choice(NAME_SUFFIXES)
            word = rng.choice(industry_words)
            name, legal = f"{core} {word}", ""
            if industry not in ("Government", "Non-profit", "Education"):
                options = LEGAL_SUFFIXES[country]
                legal = rng.choices([s for s, _ in options], [w for _, w in options])[0]
            style = rng.random()
            if style < 0.45:
                base = _ascii_slug(core)
            elif style < 0.8:
                base = _ascii_slug(core + word)
            else:
                base = _ascii_slug(core) + "-" + _ascii_slug(word)
            if country == "United States":
                suffix = rng.choices([".com", ".co", ".net"], [90, 5, 5])[0]
                if industry == "Software" and rng.random() < 0.3:
                    suffix = ".io"
                elif industry == "Government":
                    suffix = ".gov"
                elif industry == "Non-profit":
                    suffix = ".org"
            else:
                suffix = tld if rng.random() < 0.6 else ".com"
            domain = base + suffix + (str(attempt) if attempt >= 40 else "")
            if domain not in self.domains_in_use:
                self.domains_in_use.add(domain)
                return name + legal, domain
        raise RuntimeError("could not find a free company domain")  # pragma: no cover

    def _quota(self, items, weights, n: int) -> list:
        """``n`` items in exact proportion to ``weights`` (largest remainder), shuffled.

        Keeps the mix of countries and industries stable even for small samples.
        """
        total = sum(weights)
        exact = [w * n / total for w in weights]
        counts = [int(x) for x in exact]
        by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
        for i in by_remainder[: n - sum(counts)]:
            counts[i] += 1
        out = [item for item, count in zip(items, counts, strict=True) for _ in range(count)]
        self.rng.shuffle(out)
        return out

    def _make_accounts(self) -> None:
        rng = self.rng
        n = max(3, round(self.n_leads / 3))
        industries = self._quota(INDUSTRIES, [w for _, w, _ in INDUSTRIES], n)
        countries = self._quota(list(COUNTRIES), [v[0] for v in COUNTRIES.values()], n)
        for (industry, _, words), country in zip(industries, countries, strict=True):
            tz, team = self._place(country)
            employees = self._employees()
            revenue = None
            if rng.random() > 0.15:
                per_head = rng.uniform(150_000, 250_000) * math.exp(rng.gauss(0, 0.25))
                revenue = int(round(employees * per_head, -3))
            name, domain = self._company_name(industry, words, country)
            account = Account(
                name=name,
                domain=domain,
                industry=industry,
                employees=employees,
                annual_revenue=revenue,
                country=country,
                time_zone=tz,
                team=team,
                popularity=(1 + math.log10(employees)) * math.exp(rng.gauss(0, 0.5)),
            )
            reps = self._team_reps(team, active_only=False)
            active = self._team_reps(team)
            account.owner_id = rng.choice(reps if rng.random() < 0.15 else active)
            self.accounts.append(account)

    # --------------------------------------------------------------------------- leads

    def _person_name(self, country: str) -> tuple[str, str]:
        rng = self.rng
        accented = country not in ("United States", "Canada") and rng.random() < 0.3
        accented = accented or rng.random() < 0.04
        first = rng.choice(ACCENTED_FIRST_NAMES if accented and rng.random() < 0.4 else FIRST_NAMES)
        last = rng.choice(ACCENTED_LAST_NAMES if accented else LAST_NAMES)
        return first, last

    def _email(self, first: str, last: str, domain: str, *, personal: bool = False) -> str:
        rng = self.rng
        local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
        if personal and rng.random() < 0.5:
            local = f"{local}{rng.randint(1, 99)}" if rng.random() < 0.6 else local.replace(".", "")
        email = f"{local}@{domain}"
        n = 2
        while email in self.emails_in_use:
            email = f"{local}{n}@{domain}"
            n += 1
        self.emails_in_use.add(email)
        return email

    def _created_at(self, tz: str, profile: str) -> int:
        rng = self.rng
        if rng.random() < 0.25:  # already in the CRM before the export window
            ts = self.start_ts - rng.randint(HOUR, 365 * DAY)
            return shape_time(rng, ts, self.start_ts - 400 * DAY, self.start_ts - 1, tz, profile)
        ts = rng.randint(self.start_ts, self.end_ts)
        return shape_time(rng, ts, self.start_ts, self.end_ts, tz, profile)

    def _intent(self, kind: str, source: str) -> float:
        a, b = KIND_INTENT_BETA.get(kind) or INTENT_BETA[source]
        return self.rng.betavariate(a, b)

    def _business_fit(self, seniority: float, account: Account) -> float:
        size = _clip((math.log10(max(account.employees, 1)) - 0.7) / 2.3)
        industry = INDUSTRY_MATCH.get(account.industry, 0.45)
        territory = 1.0 if account.country in HOME_TERRITORY else 0.4
        fit = territory * (0.15 + 0.85 * seniority) * (0.1 + 0.9 * size) * (0.45 + 0.55 * industry)
        return _clip(fit + self.rng.gauss(0, 0.03))

    def _messy_title(self, title: str) -> str:
        r = self.rng.random()
        if r < 0.03:
            return ""
        if r < 0.07:
            return title.lower()
        return title

    def _make_business_lead(self, account: Account) -> Lead:
        rng = self.rng
        first, last = self._person_name(account.country)
        title, seniority, _ = self._pick_business_title.pick(rng)
        if account.employees < 20 and rng.random() < 0.25:
            title, seniority = rng.choice((("Owner", 0.9), ("Founder & CEO", 1.0)))
        source = self._pick_source["business"].pick(rng)
        fit = self._business_fit(seniority, account)
        tz = account.time_zone if rng.random() < 0.85 else self._place(account.country)[0]
        company = account.name
        if rng.random() < 0.15:  # typed by hand on a form: no legal suffix
            company = company.split(" Inc.")[0].split(" LLC")[0].split(" Ltd")[0]

        def maybe(value: str, p_empty: float) -> str:
            return "" if rng.random() < p_empty else value

        revenue = "" if account.annual_revenue is None else str(account.annual_revenue)
        owner = account.owner_id
        if rng.random() < 0.1:
            owner = rng.choice(self._team_reps(account.team))
        if rng.random() < 0.04:
            owner = ""
        return Lead(
            kind="business",
            first_name=first,
            last_name=last,
            email=self._email(first, last, account.domain),
            title=self._messy_title(title),
            company=company,
            domain=account.domain,
            industry=maybe(account.industry, 0.06),
            employees=maybe(str(account.employees), 0.08),
            annual_revenue=maybe(revenue, 0.1),
            country=maybe(account.country, 0.04),
            time_zone=tz,
            lead_source=source,
            owner_id=owner,
            account=account,
            created_at=self._created_at(tz, "business"),
            intent=self._intent("business", source),
            fit=fit,
        )

    def _make_other_lead(self, kind: str, uk_student: bool = False) -> Lead:
        rng = self.rng
        industry = employees = ""
        if kind == "personal":
            country = self._pick_personal_country.pick(rng)
            first, last = self._person_name(country)
            domain = "gmx.de" if country == "Germany" and rng.random() < 0.5 else None
            domain = domain or self._pick_personal_domain.pick(rng)
            title = rng.choices(*zip(*PERSONAL_TITLES, strict=True))[0]
            company = rng.choice(
                ("Self-employed", "Freelance", "", f"{last} Consulting", "N/A", "Independent")
            )
            if rng.random() < 0.3:
                industry = rng.choice(("Professional Services", "Software", "Media"))
            if rng.random() < 0.3:
                employees = "1"
            fit = rng.uniform(0.01, 0.12)
            email = self._email(first, last, domain, personal=True)
        elif kind == "student":
            name, domain, country = rng.choice(UK_UNIVERSITIES if uk_student else UNIVERSITIES)
            first, last = self._person_name(country)
            title = rng.choices(*zip(*STUDENT_TITLES, strict=True))[0]
            company = name
            industry = "Education" if rng.random() < 0.6 else ""
            fit = rng.uniform(0.0, 0.06)
            email = self._email(first, last, domain)
        else:  # competitor
            idx = rng.randrange(len(COMPETITOR_DOMAINS))
            domain, company = COMPETITOR_DOMAINS[idx], COMPETITOR_COMPANIES[idx]
            country = "United States" if rng.random() < 0.8 else "United Kingdom"
            first, last = self._person_name(country)
            title = rng.choices(*zip(*COMPETITOR_TITLES, strict=True))[0]
            industry = "Software" if rng.random() < 0.7 else ""
            employees = str(rng.randint(40, 400)) if rng.random() < 0.5 else ""
            fit = rng.uniform(0.0, 0.03)
            email = self._email(first, last, domain)
        tz, team = self._place(country)
        source = self._pick_source[kind].pick(rng)
        p_no_owner = {"personal": 0.35, "student": 0.4, "competitor": 0.2}[kind]
        owner = "" if rng.random() < p_no_owner else rng.choice(self._team_reps(team))
        profile = "business" if kind == "competitor" else "evening"
        return Lead(
            kind=kind,
            first_name=first,
            last_name=last,
            email=email,
            title=title,
            company=company,
            domain=domain,
            industry=industry,
            employees=employees,
            annual_revenue="",
            country=country if rng.random() > 0.1 else "",
            time_zone=tz,
            lead_source=source,
            owner_id=owner,
            account=None,
            created_at=self._created_at(tz, profile),
            intent=self._intent(kind, source),
            fit=fit,
        )

    def _make_leads(self) -> None:
        rng = self.rng
        n = self.n_leads
        n_personal, n_student, n_competitor = round(0.08 * n), round(0.03 * n), round(0.02 * n)
        n_uk_student = round(n_student * 0.17) if n_student >= 3 else 0
        kinds = (
            ["personal"] * n_personal
            + ["student_uk"] * n_uk_student
            + ["student"] * (n_student - n_uk_student)
            + ["competitor"] * n_competitor
        )
        kinds += ["business"] * (n - len(kinds))
        rng.shuffle(kinds)
        pick_account = _Weighted(self.accounts, [a.popularity for a in self.accounts])
        for kind in kinds:
            if kind == "business":
                lead = self._make_business_lead(pick_account.pick(rng))
            elif kind == "student_uk":
                lead = self._make_other_lead("student", uk_student=True)
            else:
                lead = self._make_other_lead(kind)
            self.leads.append(lead)
        # CRM ids grow with creation time
        order = sorted(range(n), key=lambda i: (self.leads[i].created_at, i))
        self.leads = [self.leads[i] for i in order]
        for number, lead in enumerate(self.leads, start=1):
            lead.lead_id = f"L{number:05d}"
            if lead.account is not None:
                first = lead.account.first_lead_at
                if first is None or lead.created_at < first:
                    lead.account.first_lead_at = lead.created_at

    def _finish_accounts(self) -> None:
        rng = self.rng
        for account in self.accounts:
            if account.first_lead_at is not None:
                created = account.first_lead_at - rng.randint(HOUR, 400 * DAY)
            else:
                created = rng.randint(self.start_ts - 3 * 365 * DAY, self.end_ts)
            account.created_at = shape_time(
                rng, created, created - 3 * DAY, min(created + 3 * DAY, self.end_ts), "UTC"
            )
            if account.first_lead_at is not None:
                account.created_at = min(account.created_at, account.first_lead_at)
            account.updated_at = rng.randint(account.created_at, self.end_ts)
        order = sorted(range(len(self.accounts)), key=lambda i: (self.accounts[i].created_at, i))
        self.accounts = [self.accounts[i] for i in order]
        for number, account in enumerate(self.accounts, start=1):
            account.account_id = f"A{number:04d}"

    # ------------------------------------------------------------------ e-mail program

    def _global_email_sends(self) -> list[tuple[int, str, str]]:
        """Mass sends in the window: (time, campaign, link path)."""
        sends: list[tuple[int, str, str]] = []
        end, start_date = self.end_date, self.end_date - timedelta(days=self.days - 1)

        def at(day: date, hour: int) -> int:
            return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp())

        month = date(start_date.year, start_date.month, 1)
        while month <= end:
            # monthly newsletter on the first Tuesday, customer stories on the third Thursday
            first_tuesday = month + timedelta(days=(1 - month.weekday()) % 7)
            third_thursday = month + timedelta(days=(3 - month.weekday()) % 7 + 14)
            label = MONTH_ABBR[month.month - 1]
            if start_date <= first_tuesday <= end:
                slug = BLOG_SLUGS[(month.month * 7) % len(BLOG_SLUGS)]
                campaign = f"Monthly Newsletter - {label}"
                sends.append((at(first_tuesday, 15), campaign, f"/blog/{slug}"))
            if start_date <= third_thursday <= end:
                slug = CASE_STUDY_SLUGS[month.month % len(CASE_STUDY_SLUGS)]
                sends.append(
                    (at(third_thursday, 16), f"Customer Stories - {label}", f"/case-studies/{slug}")
                )
            month = (month + timedelta(days=32)).replace(day=1)
        launch = end - timedelta(days=16)
        if launch >= start_date:
            sends.append(
                (
                    at(launch, 14),
                    f"Product Launch {MONTH_ABBR[launch.month - 1]}",
                    "/product/features",
                )
            )
        for webinar_day, (slug, title) in zip(self._webinar_days(), WEBINARS, strict=True):
            for before in (14, 3):
                invite = webinar_day - timedelta(days=before)
                if start_date <= invite <= end:
                    sends.append((at(invite, 14), f"Webinar Invite - {title}", f"/webinars/{slug}"))
        sends.sort()
        return sends

    def _webinar_days(self) -> list[date]:
        days = []
        for offset in (58, 12):
            day = self.end_date - timedelta(days=min(offset, self.days - 2))
            while day.weekday() not in (1, 2, 3):  # Tue-Thu
                day -= timedelta(days=1)
            days.append(day)
        return days

    # ------------------------------------------------------------------ simulation

    def _activity(
        self,
        lead: Lead | None,
        ts: int,
        activity_type: str,
        url: str = "",
        form_name: str = "",
        campaign: str = "",
        asset: str = "",
        detail: str = "",
        *,
        email: str | None = None,
    ) -> None:
        if ts > self.end_ts:
            return  # after the export ran
        rng = self.rng
        lead_id = ""
        if lead is not None:
            assert ts >= lead.created_at, "a lead's activities start when the lead exists"
            lead_id, email = lead.lead_id, lead.email
            if rng.random() < 0.10:  # identified by e-mail only, as typed or synced
                lead_id = ""
                r = rng.random()
                if r < 0.2:
                    email = email.upper()
                elif r < 0.35:
                    local, _, domain = email.partition("@")
                    email = f"{local.title()}@{domain.capitalize()}"
                elif r < 0.5:
                    email = rng.choice((" ", "  ")) + email + rng.choice(("", " "))
        self._seq += 1
        row = [
            lead_id,
            email or "",
            activity_type,
            iso(ts),
            url,
            form_name,
            campaign,
            asset,
            detail,
        ]
        self.activities.append((ts, self._seq, row))

    def _task(
        self,
        lead: Lead,
        task_type: str,
        subject: str,
        status: str,
        occurred: int,
        created: int,
        updated: int,
    ) -> None:
        created = min(created, self.end_ts)
        updated = min(max(updated, created), self.end_ts)
        self._seq += 1
        row = [lead.lead_id, lead.owner_id, task_type, subject, status]
        row += [iso(occurred), iso(created), iso(updated)]
        self.tasks.append((created, occurred, self._seq, row))
        lead.events.append(updated)
        lead.touched = lead.touched or status == "completed"

    def _simulate(self, lead: Lead) -> None:
        rng = self.rng
        t0, t1 = max(lead.created_at, self.start_ts), self.end_ts
        span = t1 - t0
        frac = span / self.window
        intent, fit = lead.intent, lead.fit
        mult = ACTIVITY_MULTIPLIER[lead.kind]
        profile = "business" if lead.kind in ("business", "competitor") else "evening"
        tz = lead.time_zone
        # interest peaks late for high intent (recency), anywhere for low intent
        peak = t1 - int(span * rng.random() ** (1 + 2.5 * intent))
        concentration = 0.15 + 0.65 * intent

        def when() -> int:
            if rng.random() < concentration:
                ts = peak + int(rng.gauss(0, 5 * DAY))
                if not t0 <= ts <= t1:
                    ts = rng.randint(t0, t1)
            else:
                ts = rng.randint(t0, t1)
            return shape_time(rng, ts, t0, t1, tz, profile)

        # the form that created the lead
        created_in_window = lead.created_at >= self.start_ts
        # students, freelancers and competitors ask for trials as eagerly as good-fit buyers
        eagerness = fit if lead.kind == "business" else 0.35
        hand_raiser = rng.random() < min(0.9, 0.006 + 2.6 * intent**2 * (0.15 + 0.85 * eagerness))
        hr_at_creation = (
            hand_raiser
            and created_in_window
            and lead.lead_source in WEB_SOURCES
            and rng.random() < 0.3
        )
        if created_in_window and lead.lead_source in WEB_SOURCES and not hr_at_creation:
            slug, asset, form = rng.choice(RESOURCES)
            if rng.random() < 0.35:
                self._activity(
                    lead,
                    lead.created_at,
                    "form_fill",
                    f"{SITE}/blog/{rng.choice(BLOG_SLUGS)}",
                    "Newsletter Signup",
                )
            else:
                self._activity(
                    lead,
                    lead.created_at,
                    "form_fill",
                    f"{SITE}/resources/{slug}",
                    form,
                    asset=asset,
                )

        # web sessions
        n_sessions = _poisson(rng, frac * mult * (0.8 + 14 * intent**1.4))
        for i in range(n_sessions):
            ts = when()
            pages = 1 + min(9, _poisson(rng, 0.5 + 3 * intent))
            for p in range(pages):
                url = self._page(lead.kind, intent)
                if i == 0 and p == 0 and lead.lead_source == "Paid Search":
                    url += "?utm_source=google&utm_medium=cpc&utm_campaign=brand"
                if ts > t1:
                    break
                self._activity(lead, ts, "web_visit", url)
                ts += rng.randint(15, 240)

        # gated content
        for _ in range(_poisson(rng, frac * mult * (0.1 + 1.5 * intent))):
            ts = when()
            slug, asset, form = rng.choice(RESOURCES)
            url = f"{SITE}/resources/{slug}"
            landing = ts - rng.randint(20, 200)
            if landing >= t0:
                self._activity(lead, landing, "web_visit", url)
            self._activity(lead, ts, "form_fill", url, form, asset=asset)

        # webinars
        for webinar_day, (slug, title) in zip(self._webinar_days(), WEBINARS, strict=True):
            live = int(datetime(*webinar_day.timetuple()[:3], 17, tzinfo=UTC).timestamp())
            lo = max(t0, live - 14 * DAY)
            if live > t1 or lo >= live - HOUR or rng.random() > 0.02 + 0.3 * intent * mult:
                continue
            reg = shape_time(rng, rng.randint(lo, live - HOUR), lo, live - HOUR, tz, profile)
            url = f"{SITE}/webinars/{slug}"
            self._activity(lead, reg, "form_fill", url, "Webinar Registration", title)
            self._activity(lead, reg, "webinar_registered", url, "Webinar Registration", title)
            if rng.random() < 0.35 + 0.4 * intent:
                self._activity(
                    lead, live + rng.randint(0, 900), "webinar_attended", url, campaign=title
                )

        # e-mail program
        unsubscribed_at = self._email_program(lead)

        # hand-raises
        first_hr: tuple[int, str] | None = None
        if hand_raiser:
            hr_time = lead.created_at if hr_at_creation else when()
            first_type = self._hand_raise_type(lead)
            self._hand_raise(lead, hr_time, first_type, t0, pre_visits=not hr_at_creation)
            first_hr = (hr_time, first_type)
            if rng.random() < 0.3 * intent:
                later = hr_time + rng.randint(DAY, 10 * DAY)
                if later <= t1:
                    later = shape_time(rng, later, hr_time + HOUR, t1, tz, profile)
                    second = rng.choice([t for t in HAND_RAISE_TYPES if t != first_type])
                    self._hand_raise(lead, later, second, t0, pre_visits=True)

        self._sales(lead, first_hr, t0, t1)
        self._final_status(lead, first_hr, unsubscribed_at)

    def _page(self, kind: str, intent: float) -> str:
        rng = self.rng
        weights = [
            1.5,  # home
            6 - 3 * intent,  # blog
            1 + 5 * intent,  # product
            0.3 + 4 * intent,  # pricing
            0.2 + 2.5 * intent,  # case studies
            0.5 + 1.5 * intent,  # docs
            0.4,  # careers
            0.5,  # about
            0.1 + 1.0 * intent,  # contact
            0.05 + 1.2 * intent,  # demo
            0.3,  # webinars
            0.4 + 0.5 * intent,  # resources
        ]
        if kind == "student":
            weights[1] += 3
            weights[5] += 2
            weights[6] += 3
        elif kind == "competitor":
            weights[2] += 4
            weights[3] += 4
            weights[4] += 2
            weights[5] += 2
        category = rng.choices(PAGE_CATEGORIES, weights)[0]
        if category == "home":
            return f"{SITE}/"
        if category == "blog":
            return f"{SITE}/blog/{rng.choice(BLOG_SLUGS)}"
        if category == "product":
            return SITE + rng.choice(PRODUCT_PAGES)
        if category == "case_study":
            return f"{SITE}/case-studies/{rng.choice(CASE_STUDY_SLUGS)}"
        if category == "docs":
            return f"{SITE}/docs/{rng.choice(DOCS_SLUGS)}"
        if category == "webinars":
            return f"{SITE}/webinars/{rng.choice(WEBINARS)[0]}"
        if category == "resources":
            return f"{SITE}/resources/{rng.choice(RESOURCES)[0]}"
        return f"{SITE}/{category}"

    def _email_program(self, lead: Lead) -> int | None:
        """E-mail events for every send the lead received; returns the unsubscribe time."""
        rng = self.rng
        if rng.random() < 0.015:  # flagged by sales before the window: never mailed
            lead.do_not_contact = True
            return None
        p_hard = {"Purchased List": 0.08}.get(lead.lead_source, 0.012)
        hard_bounce = rng.random() < p_hard
        sends = [s for s in self._sends if lead.created_at < s[0] <= self.end_ts]
        for week in range(1, 9):  # weekly nurture track after creation
            day = datetime.fromtimestamp(lead.created_at + week * 7 * DAY, _zone(lead.time_zone))
            ts = int(day.replace(hour=10, minute=0, second=0).timestamp())
            if self.start_ts <= ts <= self.end_ts:
                sends.append((ts, f"Nurture - Week {week}", NURTURE_LINKS[week - 1]))
        sends.sort()
        engagement = lead.intent * (1.2 if lead.kind != "business" else 1.0)
        for send_ts, campaign, link in sends:
            if hard_bounce:
                self._activity(
                    lead,
                    send_ts + rng.randint(1, 120),
                    "email_bounce",
                    campaign=campaign,
                    detail="hard",
                )
                return None
            if rng.random() < 0.012:
                self._activity(
                    lead,
                    send_ts + rng.randint(1, 600),
                    "email_bounce",
                    campaign=campaign,
                    detail="soft",
                )
                continue
            if rng.random() > 0.1 + 0.55 * engagement:
                if rng.random() < 0.0015:  # unsubscribes straight from the preview pane
                    return self._unsubscribe(lead, send_ts + rng.randint(60, 2 * DAY), campaign)
                continue
            delay = min(7 * DAY, int(math.exp(rng.gauss(math.log(2.5 * HOUR), 1.5))))
            if send_ts + delay > self.end_ts:  # not opened yet when the export ran
                continue
            opened = shape_time(
                rng,
                send_ts + delay,
                send_ts + 60,
                self.end_ts,
                lead.time_zone,
                "business" if lead.kind == "business" else "evening",
            )
            self._activity(lead, opened, "email_open", campaign=campaign)
            if rng.random() < 0.2:
                reopen = opened + rng.randint(10 * 60, 3 * DAY)
                if reopen <= self.end_ts:
                    self._activity(lead, reopen, "email_open", campaign=campaign)
            if rng.random() < 0.003 * (1.5 - lead.intent):
                return self._unsubscribe(lead, opened + rng.randint(10, 300), campaign)
            if rng.random() < 0.1 + 0.45 * lead.intent:
                clicked = opened + rng.randint(5, 600)
                slug = _ascii_slug(campaign.replace(" ", "-")).replace("--", "-")
                url = f"{SITE}{link}?utm_source=email&utm_medium=email&utm_campaign={slug}"
                if clicked + 15 <= self.end_ts:
                    self._activity(lead, clicked, "email_click", url, campaign=campaign)
                    self._activity(lead, clicked + rng.randint(2, 15), "web_visit", url)
        return None

    def _unsubscribe(self, lead: Lead, ts: int, campaign: str) -> int | None:
        if ts > self.end_ts:
            return None
        reason = self.rng.choices(UNSUBSCRIBE_DETAILS, (5, 2, 2, 1))[0]
        self._activity(lead, ts, "unsubscribe", campaign=campaign, detail=reason)
        if self.rng.random() < 0.6:
            lead.do_not_contact = True
            lead.events.append(min(self.end_ts, ts + self.rng.randint(60, 2 * HOUR)))
        return ts

    def _hand_raise_type(self, lead: Lead) -> str:
        weights = {
            "business": (40, 25, 15, 10, 10),
            "personal": (15, 25, 60, 0, 0),
            "student": (15, 25, 60, 0, 0),
            "competitor": (30, 20, 50, 0, 0),
        }[lead.kind]
        return self.rng.choices(HAND_RAISE_TYPES, weights)[0]

    def _hand_raise(self, lead: Lead, ts: int, kind: str, t0: int, *, pre_visits: bool) -> None:
        rng = self.rng
        if kind in HAND_RAISE_FORMS:
            form, path = HAND_RAISE_FORMS[kind]
            url = SITE + path
            if pre_visits:
                before = ts - rng.randint(60, 400)
                if before >= t0:
                    self._activity(lead, before, "web_visit", f"{SITE}/pricing")
                just_before = ts - rng.randint(10, 50)
                if just_before >= t0:
                    self._activity(lead, just_before, "web_visit", url)
            self._activity(lead, ts, "form_fill", url, form)
            self._activity(lead, ts, kind, url, form)
        elif kind == "quote_request":
            before = ts - rng.randint(20, 300)
            if pre_visits and before >= t0:
                self._activity(lead, before, "web_visit", f"{SITE}/pricing")
            self._activity(lead, ts, kind, f"{SITE}/pricing")
        else:  # inbound_call
            self._activity(lead, ts, kind, detail="")
        lead.events.append(ts)

    def _sales(self, lead: Lead, first_hr: tuple[int, str] | None, t0: int, t1: int) -> None:
        """Sales touches, demo and opportunity; sets ``lead.touched`` / ``converted`` / ``won``."""
        rng = self.rng
        owner = self.users.get(lead.owner_id)
        if owner is None or not owner["active"]:
            return  # unassigned, or owned by someone who left: nobody follows up
        owner_tz = owner["time_zone"]
        anchor = None
        if first_hr is not None:
            if rng.random() > 0.08:  # some hand-raisers are simply forgotten
                anchor = self._follow_up(lead, first_hr, owner_tz, t1)
        elif lead.kind == "business" and rng.random() < 0.03 + 0.22 * lead.fit:
            anchor = self._prospect(lead, owner_tz, t0, t1)
        if anchor is not None:
            delay = rng.uniform(0.5, 5) * BUSINESS_DAY_MINUTES
            opened = after_business_minutes(anchor, delay, owner_tz) + rng.randint(0, 59)
            if opened <= t1:
                self._opportunity(lead, opened, owner_tz)

    def _follow_up(
        self, lead: Lead, first_hr: tuple[int, str], owner_tz: str, t1: int
    ) -> int | None:
        """First touch after a hand-raise, follow-ups, maybe a demo.

        Returns:
            The time from which an opportunity is opened, or None if the lead does not convert.
        """
        rng = self.rng
        hr_time, hr_type = first_hr
        r = rng.random()  # response time, in working minutes
        if r < 0.3:
            minutes = rng.uniform(3, 60)
        elif r < 0.65:
            minutes = rng.uniform(60, BUSINESS_DAY_MINUTES)
        elif r < 0.87:
            minutes = rng.uniform(1, 5) * BUSINESS_DAY_MINUTES
        else:
            minutes = rng.uniform(5, 12) * BUSINESS_DAY_MINUTES
        first = after_business_minutes(hr_time, minutes, owner_tz) + rng.randint(0, 59)
        if first > t1:
            return None  # not touched yet when the export ran
        task_type = "call" if rng.random() < 0.6 else "email"
        subject = self._first_touch_subject(hr_type, task_type)
        self._logged_task(lead, task_type, subject, first)

        ts = first
        n_follow_ups = rng.choices((0, 1, 2, 3, 4), (2, 3, 3, 2, 1 + 3 * lead.fit))[0]
        for _ in range(n_follow_ups):
            gap = rng.uniform(1, 5) * BUSINESS_DAY_MINUTES
            due = after_business_minutes(ts, gap, owner_tz) + rng.randint(0, 59)
            if due > t1:
                break
            if rng.random() < 0.08:  # planned, never done: an overdue open task
                created = ts + rng.randint(60, 600)
                self._task(lead, "call", "Follow-up call", "open", due, created, created)
                break
            if rng.random() < 0.55:
                task_type = "call"
                subject = rng.choice(("Follow-up call", "Left voicemail", "Discovery call"))
            else:
                task_type = "email"
                subject = rng.choice(("Following up", "Sent case study", "Checking in"))
            self._logged_task(lead, task_type, subject, due)
            ts = due

        demo_at = None
        p_demo = {"business": 0.3 + 0.45 * lead.fit, "competitor": 0.03}.get(lead.kind, 0.08)
        if rng.random() < p_demo:
            delay = rng.uniform(1, 7) * BUSINESS_DAY_MINUTES
            slot = after_business_minutes(first, delay, owner_tz)
            slot -= slot % 1800  # meetings start on the hour or half hour
            if first < slot <= t1 - HOUR:
                demo_at = slot
                booked = first + rng.randint(60, 900)
                done = slot + rng.randint(1800, 5400)
                self._task(lead, "meeting", "Product demo", "completed", slot, booked, done)
                self._activity(lead, slot + rng.randint(0, 300), "demo_attended")

        # speed to lead matters: interest cools while nobody calls back
        waited = first - hr_time
        speed = 1.0 if waited <= HOUR else 0.85 if waited <= DAY else 0.6
        p_convert = (0.06 + 1.7 * lead.fit) * (0.55 + 0.45 * lead.intent) * speed
        p_convert *= 1.4 if demo_at else 0.75
        p_convert *= {"business": 1.0, "competitor": 0.0}.get(lead.kind, 0.05)
        if rng.random() < min(0.92, p_convert):
            return max(first, demo_at or first)
        return None

    def _prospect(self, lead: Lead, owner_tz: str, t0: int, t1: int) -> int | None:
        """Outbound touches on a lead that never raised a hand; returns the conversion anchor."""
        rng = self.rng
        touches = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            ts = shape_time(rng, rng.randint(t0, t1), t0, t1, owner_tz, "rep")
            task_type = "call" if rng.random() < 0.5 else "email"
            subject = "Prospecting call" if task_type == "call" else "Intro email"
            self._logged_task(lead, task_type, subject, ts)
            touches.append(ts)
        if rng.random() < 0.35 * lead.fit * lead.intent:
            return max(touches)
        return None

    def _logged_task(self, lead: Lead, task_type: str, subject: str, occurred: int) -> None:
        """A completed call or e-mail, logged in the CRM shortly after it happened."""
        created = occurred + self.rng.randint(0, 1800)
        updated = created + (self.rng.randint(0, 900) if self.rng.random() < 0.3 else 0)
        self._task(lead, task_type, subject, "completed", occurred, created, updated)

    @staticmethod
    def _first_touch_subject(hr_type: str, task_type: str) -> str:
        subjects = {
            "demo_request": ("Call re: demo request", "Re: Your demo request"),
            "contact_request": ("Call re: contact request", "Re: Thanks for reaching out"),
            "trial_request": ("Trial onboarding call", "Re: Your free trial"),
            "quote_request": ("Call re: quote request", "Your quote from Example SaaS"),
            "inbound_call": ("Call back", "Follow-up on your call"),
        }[hr_type]
        return subjects[0] if task_type == "call" else subjects[1]

    def _opportunity(self, lead: Lead, created: int, owner_tz: str) -> None:
        rng = self.rng
        account = lead.account
        employees = account.employees if account else 1
        amount = int(round(_clip(employees * rng.uniform(60, 220), 3_000, 750_000), -2))
        early_loss = rng.random() < 0.12
        cycle = rng.uniform(3, 14) if early_loss else math.exp(rng.gauss(math.log(40), 0.55))
        close = created + int(cycle * DAY)
        close = shape_time(rng, close, created + HOUR, close + 3 * DAY, owner_tz, "rep")
        closed = close <= self.end_ts
        won = False
        if closed:
            p_win = 0.25 + 0.6 * lead.fit * (0.3 + 0.7 * lead.intent)
            won = not early_loss and rng.random() < min(0.85, p_win)
            stage = "Closed Won" if won else "Closed Lost"
            updated = close
        else:
            progress = (self.end_ts - created) / (close - created)
            stage = OPPORTUNITY_STAGES[min(3, int(progress * 4))]
            updated = rng.randint(created, self.end_ts)
        amount_text = "" if stage == "Qualification" and rng.random() < 0.4 else str(amount)
        company = lead.company or f"{lead.first_name} {lead.last_name}"
        seats = max(5, int(employees * rng.uniform(0.05, 0.3)) // 5 * 5)
        name = rng.choice((f"{company} - New Business", f"{company} - Platform ({seats} seats)"))
        self.opportunities.append(
            [
                "",  # id assigned by creation time
                account.account_id if account else "",
                lead.lead_id,
                name,
                stage,
                amount_text,
                lead.owner_id,
                _bool(closed),
                _bool(won),
                iso(created),
                iso(close) if closed else "",
                iso(updated),
                created,
            ]
        )
        lead.converted, lead.won = True, won
        lead.events.append(created)

    def _final_status(
        self, lead: Lead, first_hr: tuple[int, str] | None, unsub: int | None
    ) -> None:
        rng = self.rng
        touched = lead.touched
        last_event = max(lead.events, default=lead.created_at)
        recent = self.end_ts - last_event < 21 * DAY
        if lead.converted:
            status = "converted"
        elif lead.kind == "competitor":
            status = "unqualified" if rng.random() < 0.6 else "new"
        elif lead.kind in ("student", "personal"):
            status = (
                "unqualified"
                if touched
                else rng.choices(("new", "unqualified", "nurture"), (55, 30, 15))[0]
            )
        elif touched:
            status = "working" if recent else ("unqualified" if lead.fit < 0.25 else "nurture")
        elif first_hr is not None:
            status = "new"
        else:
            status = rng.choices(
                ("new", "nurture", "unqualified"), (65, 25, 10 + 20 * (lead.fit < 0.2))
            )[0]
        lead.status = status
        updated = max([lead.created_at, *lead.events])
        if unsub is not None:
            updated = max(updated, unsub)
        if rng.random() < 0.25:  # enrichment, data clean-up, owner edits
            updated = max(updated, rng.randint(lead.created_at, self.end_ts))
        if updated > lead.created_at:
            updated += rng.randint(0, 120)
        lead.updated_at = min(updated, self.end_ts)

    # ------------------------------------------------------------------ re-versions

    def _re_versions(self) -> list[Lead]:
        """Pick ~3% of leads that were exported twice; remember their earlier version."""
        rng = self.rng
        candidates = [lead for lead in self.leads if lead.updated_at - lead.created_at >= 600]
        k = min(len(candidates), round(0.03 * self.n_leads))
        chosen = sorted(rng.sample(candidates, k), key=lambda lead: lead.lead_id)
        previous_status = {
            "converted": "working",
            "working": "new",
            "nurture": "working",
            "unqualified": "new",
        }
        for lead in chosen:
            span = lead.updated_at - lead.created_at
            earlier = lead.created_at + int(span * rng.uniform(0.05, 0.7))
            prev = {"status": lead.status, "title": lead.title, "updated_at": iso(earlier)}
            if lead.status != "new" and rng.random() < 0.75:
                prev["status"] = previous_status[lead.status]
            else:
                options = [t for t, s, _ in BUSINESS_TITLES if t != lead.title and s <= 0.7]
                if lead.kind != "business":
                    options = ["Consultant", "Analyst", "Student", "Freelance Consultant"]
                    options = [t for t in options if t != lead.title]
                prev["title"] = rng.choice(options)
            lead.previous = prev
        return chosen

    # ------------------------------------------------------------------ anonymous

    def _anonymous(self) -> None:
        rng = self.rng
        identified = len(self.activities)
        n = round(identified * 0.03 / 0.97)
        company_domains = [a.domain for a in self.accounts]
        tz_choices = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")
        for _ in range(n):
            tz = rng.choice(tz_choices)
            ts = shape_time(
                rng, rng.randint(self.start_ts, self.end_ts), self.start_ts, self.end_ts, tz
            )
            r = rng.random()
            if r < 0.7:  # cookie-only visitor
                self._activity(None, ts, "web_visit", self._page_for_anonymous(), email="")
                continue
            first, last = self._person_name("United States")
            domain = (
                rng.choice(company_domains)
                if rng.random() < 0.5
                else self._pick_personal_domain.pick(rng)
            )
            local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
            email, n_try = f"{local}@{domain}", 2
            while email in self.emails_in_use:
                email, n_try = f"{local}{n_try}@{domain}", n_try + 1
            if r < 0.85:
                self._activity(None, ts, "web_visit", self._page_for_anonymous(), email=email)
            elif r < 0.95:
                url = f"{SITE}/blog/{rng.choice(BLOG_SLUGS)}"
                self._activity(None, ts, "form_fill", url, "Newsletter Signup", email=email)
            else:
                campaign = rng.choice(self._sends)[1] if self._sends else "Nurture - Week 1"
                self._activity(None, ts, "email_open", campaign=campaign, email=email)

    def _page_for_anonymous(self) -> str:
        return self._page("business", self.rng.betavariate(1, 4))

    # ------------------------------------------------------------------ output

    def run(self) -> None:
        """Simulate everything in a fixed order (one random stream, so order matters)."""
        self._make_accounts()
        self._make_leads()
        self._finish_accounts()
        for lead in self.leads:
            self._simulate(lead)
        self.re_versioned = self._re_versions()
        self._anonymous()

    def write(self, out_dir: Path) -> dict[str, int]:
        """Write every file, rows sorted; returns data-row counts keyed by relative path."""
        counts: dict[str, int] = {}
        counts[USERS_FILE] = _write_csv(
            out_dir / USERS_FILE,
            HEADERS[USERS_FILE],
            (
                [
                    uid,
                    name,
                    f"{_ascii_slug(name.split()[0])}.{_ascii_slug(name.split()[-1])}"
                    "@example-saas.com",
                    team,
                    tz,
                    _bool(active),
                ]
                for uid, name, team, tz, active in USERS
            ),
        )
        counts[ACCOUNTS_FILE] = _write_csv(
            out_dir / ACCOUNTS_FILE,
            HEADERS[ACCOUNTS_FILE],
            (
                [
                    a.account_id,
                    a.name,
                    a.domain,
                    a.industry,
                    str(a.employees),
                    "" if a.annual_revenue is None else str(a.annual_revenue),
                    a.country,
                    a.owner_id,
                    iso(a.created_at),
                    iso(a.updated_at),
                ]
                for a in self.accounts
            ),
        )
        counts[LEADS_FILE] = _write_csv(
            out_dir / LEADS_FILE, HEADERS[LEADS_FILE], self._lead_rows()
        )
        opportunities = sorted(self.opportunities, key=lambda row: (row[-1], row[2]))
        for number, row in enumerate(opportunities, start=1):
            row[0] = f"O{number:05d}"
        counts[OPPORTUNITIES_FILE] = _write_csv(
            out_dir / OPPORTUNITIES_FILE,
            HEADERS[OPPORTUNITIES_FILE],
            (row[:-1] for row in opportunities),
        )
        tasks = sorted(self.tasks, key=lambda t: (t[0], t[1], t[2]))
        counts[TASKS_FILE] = _write_csv(
            out_dir / TASKS_FILE,
            HEADERS[TASKS_FILE],
            ([f"T{number:06d}", *t[3]] for number, t in enumerate(tasks, start=1)),
        )
        activities = sorted(self.activities, key=lambda a: (a[0], a[1]))
        counts[ACTIVITIES_FILE] = _write_csv(
            out_dir / ACTIVITIES_FILE,
            HEADERS[ACTIVITIES_FILE],
            ([f"MA{number:07d}", *a[2]] for number, a in enumerate(activities, start=1)),
        )
        counts[TRUTH_FILE] = _write_csv(
            out_dir / TRUTH_FILE,
            HEADERS[TRUTH_FILE],
            (
                [
                    lead.lead_id,
                    f"{lead.intent:.3f}",
                    f"{lead.fit:.3f}",
                    _bool(lead.converted),
                    _bool(lead.won),
                ]
                for lead in sorted(self.leads, key=lambda lead: lead.lead_id)
            ),
        )
        return counts

    def _lead_rows(self):
        def row(lead: Lead, status: str, title: str, updated: str) -> list[str]:
            return [
                lead.lead_id,
                lead.email,
                lead.first_name,
                lead.last_name,
                title,
                lead.company,
                lead.domain,
                lead.industry,
                lead.employees,
                lead.annual_revenue,
                lead.country,
                lead.lead_source,
                lead.owner_id,
                status,
                lead.account.account_id if lead.account else "",
                _bool(lead.do_not_contact),
                iso(lead.created_at),
                updated,
            ]

        for lead in sorted(self.leads, key=lambda lead: lead.lead_id):
            if lead.previous is not None:
                prev = lead.previous
                yield row(lead, prev["status"], prev["title"], prev["updated_at"])
            else:
                yield row(lead, lead.status, lead.title, iso(lead.updated_at))
        # the later versions, as appended by the next incremental export
        for lead in sorted(self.re_versioned, key=lambda lead: (lead.updated_at, lead.lead_id)):
            yield row(lead, lead.status, lead.title, iso(lead.updated_at))


def generate(
    out_dir: str | Path,
    *,
    leads: int = 400,
    seed: int = 7,
    end_date: date = date(2026, 11, 20),
    days: int = 90,
) -> dict[str, int]:
    """Write a deterministic sample bundle under ``out_dir``.

    Args:
        out_dir: target directory; ``landing/*.csv`` and ``truth/leads_truth.csv`` are
            (over)written below it.
        leads: number of distinct leads.
        seed: random seed; same seed and arguments give byte-identical files.
        end_date: last day covered by the exports (no timestamp after 23:59:59Z that day).
        days: length of the activity window ending on ``end_date``.

    Returns:
        Data-row counts (header excluded) keyed by path relative to ``out_dir``.
    """
    generator = SampleGenerator(leads=leads, seed=seed, end_date=end_date, days=days)
    generator.run()
    return generator.write(Path(out_dir))
