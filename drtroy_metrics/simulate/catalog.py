"""The school's catalogue, coupons and the static pools the simulator draws from.

Everything here is data: courses, packages, coupon codes, referrers, user
agents and public IP blocks per country. The generator reads it; nothing
here has behaviour beyond small lookups.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from decimal import Decimal

SITE_HOST = "drtroy.example"
SITE = f"https://{SITE_HOST}"

PROFESSIONS = ("PT", "OT", "PTA", "COTA", "other")
# Share of each profession among the school's visitors.
PROFESSION_WEIGHTS = (0.38, 0.22, 0.20, 0.12, 0.08)

TEXAS_SHARE = 0.82
OTHER_STATES = ("OK", "LA", "NM", "AR", "CO", "FL", "CA", "NY", "AZ", "GA")


@dataclass(frozen=True)
class Course:
    """One course: its lessons, CE hours and list price."""

    course_id: str
    title: str
    lessons: int
    ce_hours: float
    price: Decimal
    # professions it is written for; empty means all
    audience: tuple[str, ...] = ()
    mandatory: bool = False

    @property
    def path(self) -> str:
        return f"/courses/{self.course_id}"


def _c(
    cid: str, title: str, lessons: int, hours: float, price: str, *aud: str, mandatory: bool = False
) -> Course:
    return Course(cid, title, lessons, hours, Decimal(price), tuple(aud), mandatory)


COURSES: tuple[Course, ...] = (
    _c("tx-ethics", "Texas Ethics & Jurisprudence", 4, 2.0, "29.00", mandatory=True),
    _c(
        "tx-jurisprudence-exam-prep",
        "Texas Jurisprudence Exam Prep",
        5,
        2.0,
        "35.00",
        mandatory=True,
    ),
    _c("ethics-in-practice", "Ethics in Everyday Practice", 3, 1.0, "19.00", mandatory=True),
    _c("fall-prevention", "Fall Prevention in Older Adults", 6, 3.0, "60.00"),
    _c("stroke-rehab", "Stroke Rehabilitation: Evidence Update", 8, 4.0, "79.00"),
    _c("vestibular-basics", "Vestibular Rehabilitation Basics", 7, 3.5, "69.00", "PT", "PTA"),
    _c("dry-needling-safety", "Dry Needling: Safety and Regulation", 4, 2.0, "45.00", "PT"),
    _c("acl-return-to-sport", "ACL Reconstruction: Return to Sport", 9, 5.0, "99.00", "PT", "PTA"),
    _c("low-back-pain", "Low Back Pain: Classification and Care", 6, 3.0, "59.00", "PT", "PTA"),
    _c("shoulder-exam", "The Shoulder Examination", 5, 2.5, "49.00", "PT", "PTA"),
    _c("gait-analysis", "Clinical Gait Analysis", 6, 3.0, "55.00", "PT", "PTA"),
    _c("pediatric-milestones", "Pediatric Motor Milestones", 5, 2.5, "49.00"),
    _c("hand-therapy-intro", "Introduction to Hand Therapy", 8, 4.0, "85.00", "OT", "COTA"),
    _c("sensory-integration", "Sensory Integration in Children", 7, 3.5, "72.00", "OT", "COTA"),
    _c("adl-retraining", "ADL Retraining after Injury", 5, 2.5, "49.00", "OT", "COTA"),
    _c("cognitive-rehab", "Cognitive Rehabilitation Strategies", 6, 3.0, "64.00", "OT", "COTA"),
    _c("low-vision", "Low Vision Interventions", 4, 2.0, "39.00", "OT", "COTA"),
    _c("home-modification", "Home Modification Assessment", 4, 2.0, "42.00", "OT", "COTA"),
    _c("documentation-medicare", "Documentation for Medicare", 3, 1.5, "29.00"),
    _c("pain-science", "Pain Science for Clinicians", 6, 3.0, "62.00"),
    _c("telehealth", "Telehealth Best Practices", 3, 1.5, "25.00"),
    _c("wound-care", "Wound Care for Therapists", 5, 2.5, "54.00"),
    _c("lymphedema-intro", "Lymphedema: An Introduction", 6, 3.0, "66.00"),
    _c("cultural-competence", "Cultural Competence in Rehab", 3, 1.0, "19.00"),
    _c("supervision-pta-cota", "Supervising PTAs and COTAs", 4, 2.0, "35.00", "PT", "OT"),
    _c("geriatric-exercise", "Exercise Prescription for Older Adults", 7, 3.5, "68.00"),
    _c("neuro-outcomes", "Outcome Measures in Neurology", 5, 2.5, "52.00"),
    _c("concussion", "Concussion Management", 6, 3.0, "64.00"),
    _c("ergonomics", "Workplace Ergonomics", 4, 2.0, "39.00"),
    _c(
        "human-trafficking-tx",
        "Human Trafficking Prevention (Texas)",
        3,
        1.0,
        "0.00",
        mandatory=True,
    ),
)

COURSES_BY_ID: dict[str, Course] = {c.course_id: c for c in COURSES}
MANDATORY = tuple(c for c in COURSES if c.mandatory and c.price > 0)


@dataclass(frozen=True)
class Package:
    """A bundle sold at one price; each course is an order line of the package."""

    package_id: str
    title: str
    profession: str
    course_ids: tuple[str, ...]
    price: Decimal


PACKAGES: tuple[Package, ...] = (
    Package(
        "tx-pt-renewal",
        "Texas PT License Renewal Pack",
        "PT",
        (
            "tx-ethics",
            "fall-prevention",
            "low-back-pain",
            "vestibular-basics",
            "pain-science",
            "gait-analysis",
        ),
        Decimal("199.00"),
    ),
    Package(
        "tx-pta-renewal",
        "Texas PTA License Renewal Pack",
        "PTA",
        (
            "tx-ethics",
            "fall-prevention",
            "shoulder-exam",
            "geriatric-exercise",
            "documentation-medicare",
        ),
        Decimal("169.00"),
    ),
    Package(
        "tx-ot-renewal",
        "Texas OT License Renewal Pack",
        "OT",
        (
            "ethics-in-practice",
            "hand-therapy-intro",
            "adl-retraining",
            "cognitive-rehab",
            "low-vision",
            "home-modification",
        ),
        Decimal("219.00"),
    ),
    Package(
        "tx-cota-renewal",
        "Texas COTA License Renewal Pack",
        "COTA",
        ("ethics-in-practice", "sensory-integration", "adl-retraining", "low-vision", "telehealth"),
        Decimal("159.00"),
    ),
    Package(
        "ortho-essentials",
        "Orthopedic Essentials Bundle",
        "PT",
        ("acl-return-to-sport", "shoulder-exam", "low-back-pain"),
        Decimal("169.00"),
    ),
)
PACKAGES_BY_PROFESSION: dict[str, Package] = {
    p.profession: p for p in PACKAGES if p.package_id.endswith("-renewal")
}


def package_lines(pkg: Package) -> list[tuple[Course, Decimal]]:
    """The package's courses with its price spread over them by list price,
    in cents; the last line takes the remainder so the lines sum exactly."""
    courses = [COURSES_BY_ID[c] for c in pkg.course_ids]
    total = sum((c.price for c in courses), Decimal(0))
    lines: list[tuple[Course, Decimal]] = []
    left = pkg.price
    for i, c in enumerate(courses):
        if i == len(courses) - 1:
            share = left
        else:
            share = (pkg.price * c.price / total).quantize(Decimal("0.01"))
            left -= share
        lines.append((c, share))
    return lines


@dataclass(frozen=True)
class Coupon:
    """A discount code. ``valid`` False: the checkout denies it."""

    code: str
    kind: str  # employee, marketing, partner
    percent_off: int
    valid: bool = True


COUPONS: tuple[Coupon, ...] = (
    Coupon("STAFF100", "employee", 100),
    Coupon("STAFF50", "employee", 50),
    Coupon("RENEW20", "marketing", 20),
    Coupon("FALL10", "marketing", 10),
    Coupon("NEWGRAD15", "marketing", 15),
    Coupon("TPTA10", "partner", 10),
    Coupon("EXPIRED5", "marketing", 5, valid=False),
    Coupon("SUMMER2023", "marketing", 25, valid=False),
    Coupon("FREECE", "marketing", 100, valid=False),
)
COUPONS_BY_CODE: dict[str, Coupon] = {c.code: c for c in COUPONS}

# --- visits -----------------------------------------------------------------

# channel -> weight among human first visits
CHANNEL_WEIGHTS: dict[str, float] = {
    "search": 0.38,
    "direct": 0.20,
    "social": 0.12,
    "email": 0.12,
    "paid": 0.10,
    "referral": 0.08,
}
SEARCH_REFERRERS = (
    ("https://www.google.com/", 0.84),
    ("https://www.bing.com/", 0.10),
    ("https://duckduckgo.com/", 0.04),
    ("https://search.yahoo.com/", 0.02),
)
SOCIAL_REFERRERS = (
    ("https://www.facebook.com/", 0.45),
    ("https://l.instagram.com/", 0.2),
    ("https://www.linkedin.com/", 0.2),
    ("https://t.co/", 0.1),
    ("https://www.reddit.com/", 0.05),
)
REFERRAL_REFERRERS = (
    ("https://www.tpta.org/continuing-education", 0.35),
    ("https://www.ptot.texas.gov/page/ce", 0.3),
    ("https://www.aota.org/", 0.15),
    ("https://ptprogress.com/best-ce-courses/", 0.2),
)
# (utm_source, utm_medium, utm_campaign, referrer)
EMAIL_CAMPAIGNS = (
    ("newsletter", "email", "renewal-reminder", None),
    ("newsletter", "email", "monthly-digest", None),
    ("mailchimp", "email", "new-courses", None),
)
PAID_CAMPAIGNS = (
    ("google", "cpc", "tx-renewal-search", "https://www.google.com/"),
    ("facebook", "cpc", "pt-renewal-retarget", "https://www.facebook.com/"),
    ("bing", "ppc", "tx-renewal-search", "https://www.bing.com/"),
)

SEARCH_QUERIES = (
    ("texas ethics", 2),
    ("jurisprudence", 2),
    ("fall prevention", 1),
    ("stroke", 1),
    ("vestibular", 1),
    ("dry needling", 1),
    ("hand therapy", 1),
    ("pediatric", 1),
    ("renewal package", 2),
    ("ACL", 1),
    ("lymphedema", 1),
    ("telehealth", 1),
    ("aquatic therapy", 0),
    ("kinesio taping", 0),
    ("ethcs", 0),
    ("pelvic floor", 0),
    ("free ce", 0),
)
FEATURES = (
    "ce_tracker",
    "transcript_download",
    "course_bookmark",
    "course_filter",
    "dark_mode",
    "license_reminder",
    "playback_speed",
)
JS_ERRORS = (
    ("TypeError: Cannot read properties of undefined (reading 'duration')", "/static/player.js"),
    ("ResizeObserver loop completed with undelivered notifications.", "/static/app.js"),
    ("NetworkError when attempting to fetch resource.", "/static/app.js"),
    ("Script error.", ""),
)
STATIC_PAGES = (
    ("/", "DrTroy CE - Continuing Education for PTs and OTs"),
    ("/courses", "All Courses"),
    ("/packages", "License Renewal Packages"),
    ("/texas-requirements", "Texas CE Requirements"),
    ("/faq", "FAQ"),
    ("/about", "About Dr. Troy"),
    ("/blog/texas-renewal-checklist", "Texas License Renewal Checklist"),
)

# device class -> (user agent, screen width, screen height, weight)
USER_AGENTS: dict[str, tuple[tuple[str, int, int, float], ...]] = {
    "mobile": (
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            390,
            844,
            0.5,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
            412,
            915,
            0.3,
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
            412,
            915,
            0.2,
        ),
    ),
    "tablet": (
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            820,
            1180,
            0.7,
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            1200,
            1920,
            0.3,
        ),
    ),
    "desktop": (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            1920,
            1080,
            0.55,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            1440,
            900,
            0.2,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            1920,
            1080,
            0.15,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
            1366,
            768,
            0.1,
        ),
    ),
    "bot": (
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            1024,
            768,
            0.55,
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            1024,
            768,
            0.25,
        ),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1024, 768, 0.2),
    ),
}
DEVICE_WEIGHTS = {"mobile": 0.48, "desktop": 0.44, "tablet": 0.08}

# country -> (weight among human visitors, public networks that geolocate there)
COUNTRY_NETWORKS: dict[str, tuple[float, tuple[str, ...]]] = {
    "US": (0.93, ("24.28.0.0/16", "70.112.0.0/16", "76.184.0.0/16", "99.0.0.0/16", "104.0.0.0/16")),
    "CA": (0.02, ("24.114.0.0/16",)),
    "MX": (0.015, ("201.141.0.0/16",)),
    "GB": (0.01, ("81.2.64.0/18",)),
    "IN": (0.01, ("117.192.0.0/16",)),
    "PH": (0.01, ("112.198.0.0/16",)),
    "DE": (0.005, ("91.0.0.0/16",)),
}
# bot name (as in its user agent) -> (its crawler network, that network's country)
BOT_NETWORKS = {
    "Googlebot": ("66.249.64.0/20", "US"),
    "bingbot": ("157.55.39.0/24", "US"),
    "AhrefsBot": ("54.36.148.0/24", "FR"),
}
# The school's backend, for server events that are not about a browser's visit.
BACKEND_IP = "104.16.0.10"

_NETS = [
    (ipaddress.ip_network(net), country)
    for country, (_, nets) in COUNTRY_NETWORKS.items()
    for net in nets
] + [(ipaddress.ip_network(net), country) for net, country in BOT_NETWORKS.values()]


def country_of(ip: str | None) -> str:
    """The country the simulator meant for an IP it generated ("" if none)."""
    if not ip:
        return ""
    addr = ipaddress.ip_address(ip)
    for net, country in _NETS:
        if addr in net:
            return country
    return ""


UPTIME_TARGETS = (("website", f"{SITE}/"), ("api", f"https://api.{SITE_HOST}/healthz"))
SUPPORT_CATEGORIES = (
    ("certificate", 0.3),
    ("login", 0.25),
    ("payment", 0.2),
    ("course_content", 0.15),
    ("other", 0.1),
)
