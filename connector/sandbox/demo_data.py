"""Static lists the demo seed draws from: names, Austin-area addresses, job templates, parts.

Places are real Austin-area ZIP codes with approximate centroids (all within ~40 km of
downtown, 30.2672,-97.7431); streets are real Austin street names, not tied to their ZIP.
Part costs are plausible 2025 supply-house prices. Phone numbers use the 555-01xx block
reserved for fiction and emails use reserved `example` domains, so nothing reaches a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random


@dataclass(frozen=True)
class Place:
    """A ZIP code area: its city and approximate centroid."""

    postal_code: str
    city: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Address:
    """A street address with its coordinates."""

    street: str
    place: Place
    lat: float
    lng: float

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.place.city}, {REGION} {self.place.postal_code}"


@dataclass(frozen=True)
class Part:
    """A truck-stock part."""

    sku: str
    description: str
    unit_cost: Decimal
    max_quantity: int = 1


@dataclass(frozen=True)
class JobTemplate:
    """A kind of job a customer books: who can do it, how long it takes, what it uses."""

    skill: str
    job_type: str
    description: str
    minutes: tuple[int, int]
    notes: str
    parts: tuple[str, ...] = ()
    parts_chance: float = 0.0


CENTER = (30.2672, -97.7431)
REGION = "TX"
AREA_CODES = ("512", "737")

FIRST_NAMES = (
    "James", "Maria", "Robert", "Jose", "Michael", "Jennifer", "David", "Linda", "Carlos",
    "Patricia", "Daniel", "Elizabeth", "Juan", "Barbara", "William", "Susan", "Luis", "Jessica",
    "Richard", "Sarah", "Joseph", "Karen", "Thomas", "Ana", "Christopher", "Nancy", "Jesus",
    "Lisa", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Ashley", "Jorge", "Kimberly",
    "Steven", "Emily", "Andrew", "Donna", "Miguel", "Michelle", "Joshua", "Carol", "Kevin",
    "Amanda", "Brian", "Melissa", "Ricardo", "Deborah", "Tyler", "Stephanie", "Brandon",
    "Rebecca", "Hector", "Laura", "Wei", "Priya", "Tuan", "Aisha",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Garcia", "Johnson", "Martinez", "Williams", "Hernandez", "Brown", "Lopez", "Jones",
    "Gonzalez", "Miller", "Rodriguez", "Davis", "Perez", "Wilson", "Sanchez", "Anderson",
    "Ramirez", "Taylor", "Torres", "Thomas", "Flores", "Moore", "Rivera", "Jackson", "Gomez",
    "Martin", "Diaz", "Lee", "Reyes", "Thompson", "Cruz", "White", "Morales", "Harris", "Ortiz",
    "Clark", "Gutierrez", "Lewis", "Chavez", "Walker", "Ramos", "Hall", "Castillo", "Allen",
    "Vasquez", "Young", "Mendoza", "King", "Nguyen", "Wright", "Tran", "Scott", "Patel", "Green",
    "Kim", "Baker", "Nelson", "Hill", "O'Brien",
)  # fmt: skip

BUSINESS_PREFIXES = (
    "Barton Creek", "Zilker", "Mueller", "Hyde Park", "Travis Heights", "Crestview", "Bouldin",
    "Clarksville", "Onion Creek", "Brushy Creek", "Riverside", "Pecan Street", "Lady Bird",
    "Bluebonnet", "Capital City", "Hill Country", "Eastside", "Westlake", "Circle C", "Avery Ranch",
)  # fmt: skip

BUSINESS_KINDS = (
    "Dental", "Animal Clinic", "Coffee", "Tacos", "Family Pharmacy", "Yoga", "Montessori",
    "Bakery", "Auto Repair", "Law Office", "Chiropractic", "Brewing Co.", "Veterinary", "Salon",
    "Realty", "Apartments", "Deli", "Fitness", "Pediatrics", "Cleaners",
)  # fmt: skip

STREETS = (
    "Burnet Rd", "N Lamar Blvd", "S Congress Ave", "Manchaca Rd", "Brodie Ln",
    "William Cannon Dr", "Slaughter Ln", "Stassney Ln", "E Riverside Dr", "Pleasant Valley Rd",
    "Airport Blvd", "Cameron Rd", "Manor Rd", "E 12th St", "Springdale Rd", "Webberville Rd",
    "W Parmer Ln", "Anderson Mill Rd", "Spicewood Springs Rd", "Far West Blvd", "Mesa Dr",
    "Jollyville Rd", "Great Hills Trl", "Shoal Creek Blvd", "Balcones Dr", "Exposition Blvd",
    "Windsor Rd", "Enfield Rd", "Bee Caves Rd", "Escarpment Blvd", "Davis Ln", "W Oltorf St",
    "Wickersham Ln", "Montopolis Dr", "Rundberg Ln", "W Braker Ln", "Wells Branch Pkwy",
    "Dessau Rd", "W Howard Ln", "Gattis School Rd", "Sam Bass Rd", "Red Bud Trl",
    "Cypress Creek Rd", "Whitestone Blvd", "Ronald Reagan Blvd", "Pecan St", "Live Oak Dr",
    "Bluebonnet Ln", "Mockingbird Ln", "Oak Hollow Dr", "Cedar Bend Dr", "Quail Creek Dr",
    "Shady Grove Ln", "Wilshire Blvd", "Rosedale Ter",
)  # fmt: skip

PLACES = (
    Place("78701", "Austin", 30.2713, -97.7426),
    Place("78702", "Austin", 30.2638, -97.7166),
    Place("78703", "Austin", 30.2907, -97.7648),
    Place("78704", "Austin", 30.2428, -97.7658),
    Place("78705", "Austin", 30.2948, -97.7394),
    Place("78721", "Austin", 30.2719, -97.6838),
    Place("78722", "Austin", 30.2893, -97.7150),
    Place("78723", "Austin", 30.3048, -97.6857),
    Place("78724", "Austin", 30.2966, -97.6170),
    Place("78727", "Austin", 30.4257, -97.7195),
    Place("78728", "Austin", 30.4478, -97.6888),
    Place("78729", "Austin", 30.4520, -97.7681),
    Place("78730", "Austin", 30.3620, -97.8240),
    Place("78731", "Austin", 30.3473, -97.7681),
    Place("78735", "Austin", 30.2510, -97.8670),
    Place("78741", "Austin", 30.2310, -97.7220),
    Place("78744", "Austin", 30.1870, -97.7390),
    Place("78745", "Austin", 30.2068, -97.7956),
    Place("78746", "West Lake Hills", 30.2960, -97.8090),
    Place("78748", "Austin", 30.1710, -97.8230),
    Place("78749", "Austin", 30.2160, -97.8560),
    Place("78750", "Austin", 30.4220, -97.7960),
    Place("78751", "Austin", 30.3093, -97.7242),
    Place("78752", "Austin", 30.3316, -97.7004),
    Place("78753", "Austin", 30.3649, -97.6729),
    Place("78754", "Austin", 30.3556, -97.6424),
    Place("78756", "Austin", 30.3222, -97.7393),
    Place("78757", "Austin", 30.3516, -97.7321),
    Place("78758", "Austin", 30.3877, -97.7069),
    Place("78759", "Austin", 30.4036, -97.7526),
    Place("78610", "Buda", 30.0850, -97.8400),
    Place("78613", "Cedar Park", 30.5050, -97.8200),
    Place("78617", "Del Valle", 30.1600, -97.6100),
    Place("78634", "Hutto", 30.5430, -97.5460),
    Place("78640", "Kyle", 29.9990, -97.8600),
    Place("78641", "Leander", 30.5650, -97.8570),
    Place("78653", "Manor", 30.3400, -97.5500),
    Place("78660", "Pflugerville", 30.4430, -97.5960),
    Place("78664", "Round Rock", 30.5150, -97.6680),
    Place("78681", "Round Rock", 30.5180, -97.7240),
    Place("78734", "Lakeway", 30.3700, -97.9750),
    Place("78738", "Bee Cave", 30.3130, -97.9580),
)

# A shop of this size: about half HVAC, the rest plumbing and electrical.
TRADE_MIX = ("hvac", "plumbing", "hvac", "electrical", "plumbing", "hvac", "electrical", "hvac")

# Certifications on top of the trade, and how often a tech of that trade holds one.
CERTIFICATIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "hvac": (("refrigerant_epa608", 0.85), ("gas_fitting", 0.35)),
    "plumbing": (("backflow", 0.5), ("gas_fitting", 0.5)),
    "electrical": (),
}

PARTS = {
    part.sku: part
    for part in (
        Part("CAP-4555-440", "Dual run capacitor 45/5 uF 440V", Decimal("18.50")),
        Part("CONT-2P-40A", "Contactor 2-pole 40A 24V coil", Decimal("22.75")),
        Part("FLT-16251-M11", "Pleated filter 16x25x1 MERV 11", Decimal("6.40"), 4),
        Part("R410A-LB", "R-410A refrigerant (lb)", Decimal("14.00"), 4),
        Part("MTR-BLW-050", "Blower motor 1/2 HP multi-speed", Decimal("185.00")),
        Part("MTR-CFN-025", "Condenser fan motor 1/4 HP", Decimal("98.00")),
        Part("FLM-SNS-UNI", "Furnace flame sensor", Decimal("12.90")),
        Part("IGN-HSI-271", "Hot surface igniter", Decimal("34.50")),
        Part("FLT-SW-COND", "Condensate float switch", Decimal("19.95")),
        Part("TSTAT-WIFI-T6", "Wi-Fi programmable thermostat", Decimal("129.00")),
        Part("GASV-2ST-36J", "Furnace gas valve, 2-stage", Decimal("142.00")),
        Part("TOI-FILL-400", "Toilet fill valve", Decimal("9.80")),
        Part("TOI-FLAP-3IN", "Toilet flapper 3 in", Decimal("6.25")),
        Part("WH-50G-NG", "50 gal natural gas water heater", Decimal("789.00")),
        Part("WH-TP-075", "T&P relief valve 3/4 in", Decimal("21.00")),
        Part("PRV-075-LF", "Pressure reducing valve 3/4 in", Decimal("96.00")),
        Part("DISP-075HP", "Garbage disposal 3/4 HP", Decimal("149.00")),
        Part("CART-1222", "Moen 1222 shower cartridge", Decimal("28.40")),
        Part("HB-FF-12", "Frost-free hose bib 12 in", Decimal("32.00")),
        Part("PEX-A-050-10", "PEX-A tubing 1/2 in (10 ft)", Decimal("8.90"), 3),
        Part("PF-CPL-050", "Push-fit coupling 1/2 in", Decimal("7.60"), 4),
        Part("BF-KIT-100", "Backflow preventer repair kit 1 in", Decimal("45.00")),
        Part("GAS-FLX-48", "Gas appliance connector 1/2 x 48 in", Decimal("18.00")),
        Part("BRK-20-AFCI", "20A AFCI breaker", Decimal("42.00"), 2),
        Part("BRK-15-SP", "15A single-pole breaker", Decimal("7.90"), 2),
        Part("GFCI-20A-TR", "20A GFCI receptacle", Decimal("19.50"), 3),
        Part("NM-12-2-25", "12/2 NM-B cable (25 ft)", Decimal("28.00"), 2),
        Part("EVSE-48A-HW", "Level 2 EV charger 48A", Decimal("549.00")),
        Part("SPD-WH-T2", "Whole-home surge protector", Decimal("119.00")),
        Part("DIM-LED-600", "LED dimmer switch", Decimal("24.00"), 2),
        Part("SMK-CO-HW", "Hardwired smoke/CO alarm", Decimal("39.00"), 4),
        Part("PNL-200A-40", "200A main breaker panel, 40 space", Decimal("289.00")),
        Part("FLD-LED-2H", "LED flood light, 2-head", Decimal("45.00"), 2),
        Part("FAN-52-DC", "52 in DC ceiling fan", Decimal("189.00")),
    )
}

JOB_TEMPLATES = (
    JobTemplate("hvac", "diagnostic", "AC not cooling, upstairs unit blowing warm air", (45, 100),
                "Failed capacitor on condenser, replaced; 19F split after repair.",
                ("CAP-4555-440", "CONT-2P-40A"), 0.6),
    JobTemplate("hvac", "maintenance", "Spring AC tune-up, two systems", (60, 110),
                "Cleaned coils, flushed condensate lines, replaced filters; both systems good.",
                ("FLT-16251-M11",), 0.45),
    JobTemplate("hvac", "maintenance", "Fall furnace safety inspection and tune-up", (45, 90),
                "Cleaned burners and flame sensor, CO test passed.", ("FLM-SNS-UNI",), 0.25),
    JobTemplate("refrigerant_epa608", "repair", "Refrigerant leak search and recharge (R-410A)",
                (90, 180), "Leak at service valve core, replaced core and recharged.",
                ("R410A-LB",), 0.85),
    JobTemplate("hvac", "repair", "Condensate line clogged, float switch tripped", (40, 80),
                "Cleared line with vacuum, treated pan, reset float switch.",
                ("FLT-SW-COND",), 0.3),
    JobTemplate("hvac", "repair", "Blower motor loud and overheating", (60, 150),
                "Replaced blower motor, verified static pressure.", ("MTR-BLW-050",), 0.7),
    JobTemplate("hvac", "repair", "Condenser fan not spinning", (45, 100),
                "Fan motor seized, replaced motor and capacitor.", ("MTR-CFN-025", "CAP-4555-440"),
                0.7),
    JobTemplate("hvac", "install", "Install smart thermostat", (45, 90),
                "Installed and configured thermostat, showed customer the app.",
                ("TSTAT-WIFI-T6",), 0.55),
    JobTemplate("gas_fitting", "repair", "Furnace short-cycling, no heat", (60, 120),
                "Dirty flame sensor and weak igniter, replaced both.",
                ("IGN-HSI-271", "FLM-SNS-UNI", "GASV-2ST-36J"), 0.6),
    JobTemplate("hvac", "estimate", "Replacement estimate, 20-year-old system", (45, 75),
                "Measured home, presented three options, customer will call back."),
    JobTemplate("plumbing", "repair", "Kitchen sink drain backed up", (45, 100),
                "Snaked line to main, cleared grease blockage.", ("PF-CPL-050",), 0.2),
    JobTemplate("plumbing", "repair", "Water heater leaking at the base", (45, 90),
                "Tank failed; drained, capped, quoted replacement.", ("WH-TP-075",), 0.3),
    JobTemplate("gas_fitting", "install", "Replace 50 gal gas water heater", (150, 240),
                "Installed new water heater, new gas connector and T&P, tested for leaks.",
                ("WH-50G-NG", "GAS-FLX-48", "WH-TP-075"), 0.85),
    JobTemplate("plumbing", "repair", "Running toilet in hall bath", (30, 60),
                "Replaced fill valve and flapper.", ("TOI-FILL-400", "TOI-FLAP-3IN"), 0.75),
    JobTemplate("plumbing", "diagnostic", "Suspected slab leak, high water bill", (60, 120),
                "Isolated leak to hot side under slab; estimate for reroute sent."),
    JobTemplate("backflow", "inspection", "Annual backflow preventer test (City of Austin)",
                (30, 60), "Test passed, report filed with the city.", ("BF-KIT-100",), 0.1),
    JobTemplate("plumbing", "repair", "Low water pressure in the whole house", (45, 100),
                "PRV failed, replaced and set to 60 psi.", ("PRV-075-LF",), 0.55),
    JobTemplate("plumbing", "install", "Install 3/4 HP garbage disposal", (60, 100),
                "Installed disposal, tested for leaks.", ("DISP-075HP",), 0.6),
    JobTemplate("plumbing", "repair", "Outdoor hose bib leaking", (30, 75),
                "Replaced with frost-free hose bib.", ("HB-FF-12", "PEX-A-050-10"), 0.7),
    JobTemplate("gas_fitting", "repair", "Gas smell near the range", (45, 90),
                "Loose flare fitting, replaced connector, leak test passed.", ("GAS-FLX-48",), 0.45),
    JobTemplate("plumbing", "repair", "Shower faucet dripping", (40, 80),
                "Replaced cartridge, no more drip.", ("CART-1222",), 0.75),
    JobTemplate("electrical", "repair", "Kitchen breaker keeps tripping", (45, 100),
                "Found shared neutral, corrected and replaced breaker.", ("BRK-20-AFCI",), 0.55),
    JobTemplate("electrical", "install", "Install EV charger on a new 60A circuit", (180, 300),
                "Installed 60A circuit and charger, load calc on file.",
                ("EVSE-48A-HW", "NM-12-2-25"), 0.55),
    JobTemplate("electrical", "repair", "Garage outlets dead", (30, 75),
                "Tripped GFCI upstream failed, replaced.", ("GFCI-20A-TR",), 0.6),
    JobTemplate("electrical", "install", "Replace ceiling fan and add dimmer", (60, 120),
                "Installed fan on rated box, added dimmer.", ("FAN-52-DC", "DIM-LED-600"), 0.45),
    JobTemplate("electrical", "inspection", "Panel inspection, Federal Pacific panel", (45, 75),
                "Panel recommended for replacement, estimate sent."),
    JobTemplate("electrical", "install", "Whole-home surge protector", (45, 90),
                "Installed surge protector at main panel.", ("SPD-WH-T2", "BRK-15-SP"), 0.6),
    JobTemplate("electrical", "repair", "Lights flickering in the living room", (45, 100),
                "Loose backstab connection, moved to screw terminals.", ("DIM-LED-600",), 0.25),
    JobTemplate("electrical", "install", "Exterior LED flood lights", (60, 120),
                "Mounted flood lights on new box, set photocell.", ("FLD-LED-2H",), 0.6),
    JobTemplate("electrical", "install", "Service upgrade 100A to 200A", (240, 360),
                "Replaced panel, coordinated meter pull with Austin Energy.",
                ("PNL-200A-40", "BRK-15-SP"), 0.75),
    JobTemplate("electrical", "repair", "Smoke detectors chirping", (30, 60),
                "Replaced hardwired alarms, tested interconnect.", ("SMK-CO-HW",), 0.55),
)


def slug(text: str, sep: str = ".") -> str:
    """Lowercase letters and digits joined by `sep` (for made-up email addresses)."""
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def draw_address(rng: random.Random) -> Address:
    """A house number on an Austin street, placed near a ZIP centroid (within ~1.5 km)."""
    place = rng.choice(PLACES)
    street = f"{rng.randint(100, 12999)} {rng.choice(STREETS)}"
    lat = round(place.lat + rng.uniform(-0.012, 0.012), 6)
    lng = round(place.lng + rng.uniform(-0.014, 0.014), 6)
    return Address(street, place, lat, lng)


def draw_phone(rng: random.Random) -> str:
    """A local number in the 555-01xx block reserved for fiction."""
    return f"({rng.choice(AREA_CODES)}) 555-01{rng.randint(0, 99):02d}"


def draw_people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` (first, last) names, all different while the lists last."""
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    picks = rng.sample(range(combos), min(count, combos))
    names = [(FIRST_NAMES[i // len(LAST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]) for i in picks]
    return names + [rng.choice(names) for _ in range(count - len(names))]


def draw_customer(rng: random.Random, number: int) -> tuple[str, str]:
    """A customer's name and email: a household, or (about 15%) a small business."""
    if rng.random() < 0.15:
        name = f"{rng.choice(BUSINESS_PREFIXES)} {rng.choice(BUSINESS_KINDS)}"
        return name, f"office{number}@{slug(name, '-')}.example.com"
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", f"{slug(first)}.{slug(last)}{rng.randint(1, 99)}@example.net"
