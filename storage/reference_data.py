"""Offices seeded by `cee db upgrade` (REFERENCE.md §0 and §7)."""

CENTERS = {
    "001": "Pharmaceuticals, Health & Chemicals (New York)",
    "002": "Agriculture & Prepared Products (Miami)",
    "003": "Automotive & Aerospace (Detroit)",
    "004": "Apparel, Footwear & Textiles (San Francisco)",
    "005": "Base Metals (Chicago)",
    "006": "Petroleum, Natural Gas & Minerals (Houston)",
    "007": "Electronics (Los Angeles)",
    "008": "Consumer Products & Mass Merchandising (Atlanta)",
    "009": "Industrial & Manufacturing Materials (Buffalo)",
    "010": "Machinery (Laredo)",
}

# Schedule D codes. The first ten are confirmed in REFERENCE.md §7; the rest are in common use but
# UNCONFIRMED there — `cee office add` registers any other.
PORTS = {
    "0101": "Portland, ME",
    "0401": "Boston, MA",
    "0901": "Buffalo, NY",
    "5301": "Houston, TX",
    "1704": "Atlanta, GA",
    "2402": "El Paso, TX",
    "5501": "Dallas/Fort Worth, TX",
    "1801": "Tampa, FL",
    "2904": "Portland, OR",
    "2809": "San Francisco, CA",
    "2704": "Los Angeles, CA",
    "2709": "Long Beach, CA",
    "2304": "Laredo, TX",
    "3801": "Detroit, MI",
    "3901": "Chicago, IL",
    "5201": "Miami, FL",
    "1001": "New York, NY",
    "4601": "Newark, NJ",
    "4701": "JFK Airport, NY",
}
