"""Helpers for With_Utils: a small built-in table of cities and a distance function.

The UDF imports this module as `utils`; meta.json lists it under `headers`.
"""

import math

EARTH_RADIUS_KM = 6371.0

# name, country, longitude, latitude, population (millions, rounded)
CITIES = [
    ("Paris", "FR", 2.3522, 48.8566, 2.1),
    ("London", "GB", -0.1276, 51.5072, 8.9),
    ("Brussels", "BE", 4.3517, 50.8503, 1.2),
    ("Amsterdam", "NL", 4.9041, 52.3676, 0.9),
    ("Berlin", "DE", 13.4050, 52.5200, 3.7),
    ("Madrid", "ES", -3.7038, 40.4168, 3.3),
    ("Rome", "IT", 12.4964, 41.9028, 2.8),
    ("Lisbon", "PT", -9.1393, 38.7223, 0.5),
    ("Zurich", "CH", 8.5417, 47.3769, 0.4),
    ("Vienna", "AT", 16.3738, 48.2082, 1.9),
    ("Copenhagen", "DK", 12.5683, 55.6761, 0.6),
    ("Lyon", "FR", 4.8357, 45.7640, 0.5),
]


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in kilometres between two lon/lat points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def find_city(name):
    """The CITIES row whose name matches `name` (case-insensitive); ValueError if none does."""
    for city in CITIES:
        if city[0].lower() == name.strip().lower():
            return city
    known = ", ".join(c[0] for c in CITIES)
    raise ValueError(f"unknown city {name!r}; known cities: {known}")


def nearest_cities(name, k):
    """The k cities closest to `name` (not counting itself), nearest first, as dicts."""
    origin = find_city(name)
    others = [
        {
            "from": origin[0],
            "to": city[0],
            "country": city[1],
            "distance_km": round(haversine_km(origin[2], origin[3], city[2], city[3]), 1),
            "population_m": city[4],
        }
        for city in CITIES
        if city is not origin
    ]
    others.sort(key=lambda row: row["distance_km"])
    return others[:k]
