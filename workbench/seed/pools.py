"""Fixed word lists that seed values are drawn from.

These lists are part of workbench, not of Faker: `workbench seed --seed N`
draws from them, so its output is byte-identical whatever Faker version (if
any) is installed. They are plain ASCII, free of tabs, newlines and
backslashes (so PostgreSQL's COPY text format needs no escaping for them),
and no entry ends in ``-<digits>`` or contains ``~`` (the suffixes that keep
unique values apart).
"""

from __future__ import annotations


def _unique(text: str, sep: str | None = None) -> tuple[str, ...]:
    """The words of ``text``, each once: a pool that feeds unique columns must not repeat."""
    return tuple(dict.fromkeys(text.split(sep)))


FIRST_NAMES = _unique(
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
    "Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa "
    "Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia "
    "Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry "
    "Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory "
    "Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine "
    "Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce "
    "Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan "
    "Walter Evelyn Noah Judith Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry "
    "Jacqueline Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara Arthur Madison "
    "Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy Alice Joe "
    "Julia Bruce Judy Gabriel Sophia Logan Grace Albert Denise Willie Amber Alan Doris Juan "
    "Marilyn Wayne Danielle Elijah Beverly Randy Isabella Roy Theresa Vincent Diana Ralph "
    "Natalie Eugene Brittany Russell Charlotte Bobby Marie Mason Kayla Philip Alexis Louis "
    "Lori Aiko Amara Chen Dmitri Elif Fatima Hiro Ingrid Jiho Kofi Lucia Mateo Nadia Omar "
    "Priya Quentin Rosa Sven Tariq Uma Viktor Wen Ximena Yusuf Zofia Ines Lars Mei Ravi"
)

LAST_NAMES = _unique(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes "
    "Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant "
    "Dunn Kowalski Nakamura Okafor Lindqvist Haddad Novak Rossi Dubois Yilmaz Sato Ivanova "
    "Andersen Kaur Mensah Petrov Costa Larsen Moreau Fischer Suzuki Singh Ali Bianchi"
)

WORDS = _unique(
    "time year people way day man thing woman life child world school state family student "
    "group country problem hand part place case week company system program question work "
    "government number night point home water room mother area money story fact month lot "
    "right study book eye job word business issue side kind head house service friend father "
    "power hour game line end member law car city community name president team minute idea "
    "kid body information back parent face others level office door health person art war "
    "history party result change morning reason research girl guy moment air teacher force "
    "education foot boy age policy process music market sense nation plan college interest "
    "death experience effect use class control care field development role effort rate heart "
    "drug show leader light voice wife police mind price report decision son view relationship "
    "town road arm difference value building action model season society tax director "
    "position player record paper space ground form event official matter center couple site "
    "project activity star table need court oil situation cost industry figure street image "
    "phone data picture practice piece land product doctor wall patient worker news test "
    "movie north love support technology step baby computer type attention film tree source "
    "organization hair window evidence population truth song energy garden river bridge "
    "travel coffee kitchen journey network signal pattern method theory design detail "
    "library memory island forest mountain ocean planet window garden machine engine layer "
    "quick bright calm careful clever early easy fair gentle happy honest kind large little "
    "modern new old plain proud quiet rapid rare simple small smooth steady strong sudden "
    "sweet tall warm wide wild young ancient brave broad clear cool deep fresh golden green "
    "hidden lucky narrow open public quiet real ready royal silent silver solid special "
    "build carry change choose create deliver discover explain follow gather grow improve "
    "join keep learn listen measure move notice offer open plan prepare share solve start "
    "teach test travel trust visit wait watch write answer begin bring check collect cover "
    "and the of to in for with on at by from about into over after under between through"
)

FUNCTION_WORDS = frozenset(
    _unique("and the of to in for with on at by from about into over after under between through")
)

TITLE_WORDS = tuple(w for w in WORDS if len(w) > 2 and w not in FUNCTION_WORDS)

TAGS = _unique(
    "python rust golang javascript typescript sql postgres sqlite databases devops cloud "
    "linux security testing design ux frontend backend api performance tutorial career "
    "opensource release travel food photography music books science history health fitness "
    "finance startups productivity writing education gaming movies art nature climate space "
    "math physics biology chemistry economics politics culture sports football tennis "
    "cycling running hiking cooking baking coffee tea gardening diy parenting pets dogs "
    "cats architecture fashion beauty mindfulness psychology philosophy language poetry "
    "comics animation hardware robotics ai machinelearning datascience analytics "
    "visualization accessibility mobile android ios web css html graphql rest microservices "
    "kubernetes docker terraform ansible networking storage caching search streaming "
    "messaging observability logging monitoring incident oncall architecture-notes "
    "weekly monthly news opinion interview review guide howto announcement"
)

CATEGORIES = _unique(
    "Books Electronics Computers Garden Kitchen Home Toys Games Sports Outdoors Clothing "
    "Shoes Jewelry Beauty Health Grocery Pet-Supplies Baby Automotive Tools Office Music "
    "Movies Software Crafts Furniture Lighting Bedding Bath Appliances Cameras Phones Audio "
    "Watches Luggage Stationery Art-Supplies Fitness Camping Cycling Fishing Hardware Paint "
    "Plumbing Electrical Storage Decor Party-Supplies Seasonal Industrial Lab-Equipment"
)

PRODUCT_ADJECTIVES = _unique(
    "Ergonomic Rustic Sleek Practical Handcrafted Refined Compact Durable Lightweight "
    "Premium Classic Modern Vintage Portable Smart Eco Deluxe Essential Heavy-Duty Gorgeous "
    "Incredible Intelligent Generic Small Large Mini Ultra Rugged Elegant Fantastic Awesome"
)

PRODUCT_MATERIALS = _unique(
    "Steel Wooden Cotton Granite Plastic Rubber Leather Bronze Concrete Marble Silk Linen "
    "Wool Bamboo Glass Ceramic Aluminum Copper Oak Walnut Carbon Titanium Canvas Cork"
)

PRODUCT_NOUNS = _unique(
    "Chair Table Lamp Shirt Shoes Hat Gloves Keyboard Mouse Computer Bike Car Ball Watch "
    "Wallet Backpack Bottle Mug Plate Bowl Knife Pan Kettle Speaker Headphones Camera Tent "
    "Blanket Pillow Towel Clock Desk Shelf Sofa Bench Jacket Scarf Umbrella Notebook Pen "
    "Stapler Charger Cable Monitor Router Drill Hammer Saw Ladder Bucket Brush Vase Frame"
)

COMPANY_WORDS = _unique(
    "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Cyberdyne Soylent Tyrell "
    "Wonka Gringotts Oceanic Massive Dynamic Aperture Black Mesa Northwind Contoso Fabrikam "
    "Litware Proseware Adatum Blue Yonder Tailspin Wingtip Woodgrove Fourth Coffee Alpine "
    "Summit Harbor Maple Cedar Pioneer Frontier Keystone Sterling Evergreen Lighthouse"
)

COMPANY_SUFFIXES = ("Inc", "LLC", "Ltd", "Group", "Labs", "Systems", "Partners", "and Sons")

CITIES = _unique(
    "London;Paris;Berlin;Madrid;Rome;Lisbon;Dublin;Amsterdam;Brussels;Vienna;Prague;Warsaw;"
    "Budapest;Athens;Stockholm;Oslo;Copenhagen;Helsinki;Zurich;Geneva;Munich;Hamburg;Lyon;"
    "Marseille;Barcelona;Valencia;Milan;Naples;Porto;Krakow;New York;Los Angeles;Chicago;"
    "Houston;Phoenix;Philadelphia;San Antonio;San Diego;Dallas;Austin;Seattle;Denver;Boston;"
    "Portland;Atlanta;Miami;Toronto;Montreal;Vancouver;Ottawa;Mexico City;Guadalajara;"
    "Bogota;Lima;Santiago;Buenos Aires;Sao Paulo;Rio de Janeiro;Montevideo;Quito;Caracas;"
    "Tokyo;Osaka;Kyoto;Seoul;Busan;Beijing;Shanghai;Shenzhen;Hong Kong;Taipei;Singapore;"
    "Bangkok;Hanoi;Manila;Jakarta;Kuala Lumpur;Mumbai;Delhi;Bangalore;Chennai;Karachi;"
    "Dhaka;Dubai;Doha;Istanbul;Ankara;Tel Aviv;Cairo;Casablanca;Lagos;Accra;Nairobi;"
    "Addis Ababa;Johannesburg;Cape Town;Sydney;Melbourne;Brisbane;Perth;Auckland;Wellington",
    ";",
)

COUNTRIES = (
    ("United States", "US", "USA"),
    ("Canada", "CA", "CAN"),
    ("Mexico", "MX", "MEX"),
    ("Brazil", "BR", "BRA"),
    ("Argentina", "AR", "ARG"),
    ("Chile", "CL", "CHL"),
    ("Colombia", "CO", "COL"),
    ("Peru", "PE", "PER"),
    ("United Kingdom", "GB", "GBR"),
    ("Ireland", "IE", "IRL"),
    ("France", "FR", "FRA"),
    ("Germany", "DE", "DEU"),
    ("Spain", "ES", "ESP"),
    ("Portugal", "PT", "PRT"),
    ("Italy", "IT", "ITA"),
    ("Netherlands", "NL", "NLD"),
    ("Belgium", "BE", "BEL"),
    ("Switzerland", "CH", "CHE"),
    ("Austria", "AT", "AUT"),
    ("Poland", "PL", "POL"),
    ("Czechia", "CZ", "CZE"),
    ("Hungary", "HU", "HUN"),
    ("Greece", "GR", "GRC"),
    ("Sweden", "SE", "SWE"),
    ("Norway", "NO", "NOR"),
    ("Denmark", "DK", "DNK"),
    ("Finland", "FI", "FIN"),
    ("Turkey", "TR", "TUR"),
    ("Israel", "IL", "ISR"),
    ("Egypt", "EG", "EGY"),
    ("Morocco", "MA", "MAR"),
    ("Nigeria", "NG", "NGA"),
    ("Ghana", "GH", "GHA"),
    ("Kenya", "KE", "KEN"),
    ("Ethiopia", "ET", "ETH"),
    ("South Africa", "ZA", "ZAF"),
    ("India", "IN", "IND"),
    ("Pakistan", "PK", "PAK"),
    ("Bangladesh", "BD", "BGD"),
    ("China", "CN", "CHN"),
    ("Japan", "JP", "JPN"),
    ("South Korea", "KR", "KOR"),
    ("Taiwan", "TW", "TWN"),
    ("Singapore", "SG", "SGP"),
    ("Thailand", "TH", "THA"),
    ("Vietnam", "VN", "VNM"),
    ("Philippines", "PH", "PHL"),
    ("Indonesia", "ID", "IDN"),
    ("Malaysia", "MY", "MYS"),
    ("Australia", "AU", "AUS"),
    ("New Zealand", "NZ", "NZL"),
    ("United Arab Emirates", "AE", "ARE"),
    ("Qatar", "QA", "QAT"),
)

REGIONS = _unique(
    "California;Texas;New York;Florida;Ontario;Quebec;Bavaria;Catalonia;Lombardy;Scotland;"
    "Wales;Brittany;Andalusia;Tuscany;Victoria;Queensland;Hokkaido;Kerala;Gauteng;Yucatan",
    ";",
)

STREETS = _unique(
    "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Church Mill River Spring "
    "Center North South West Highland Sunset Forest Meadow Ridge Valley Harbor Union "
    "Market King Queen Station Garden Willow Chestnut Birch Lincoln Jefferson Franklin"
)

STREET_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court", "Place")

DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "test.example")

COLORS = _unique(
    "red orange yellow green blue indigo violet black white gray brown pink teal navy "
    "maroon olive silver gold beige coral crimson cyan lavender lime magenta mint salmon"
)

CURRENCIES = _unique("USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK INR CNY BRL MXN ZAR")

LANGUAGES = _unique("en fr de es it pt nl sv no da fi pl cs hu el tr ja ko zh hi ar he ru uk")

TIMEZONES = _unique(
    "UTC Europe/London Europe/Paris Europe/Berlin Europe/Madrid America/New_York "
    "America/Chicago America/Denver America/Los_Angeles America/Sao_Paulo Asia/Tokyo "
    "Asia/Shanghai Asia/Kolkata Asia/Singapore Australia/Sydney Africa/Lagos"
)

STATUSES = _unique("active pending inactive archived draft published suspended closed")

GENDERS = ("female", "male", "nonbinary", "unspecified")

MIME_TYPES = _unique(
    "text/plain text/html text/csv application/json application/pdf application/zip "
    "image/png image/jpeg image/gif image/webp audio/mpeg video/mp4"
)

FILE_EXTENSIONS = _unique("txt pdf png jpg csv json md html zip mp3 mp4 docx xlsx")

DEPARTMENTS = _unique("CS MATH PHYS CHEM BIO HIST ECON PHIL ENG ART MUS LING STAT PSY SOC")

COURSE_SUBJECTS = _unique(
    "Algorithms;Databases;Operating Systems;Linear Algebra;Calculus;Statistics;"
    "Organic Chemistry;Genetics;World History;Microeconomics;Ethics;Logic;Poetry;"
    "Art History;Music Theory;Phonetics;Machine Learning;Networks;Compilers;Topology;"
    "Thermodynamics;Quantum Mechanics;Ecology;Sociology;Cognitive Psychology",
    ";",
)

COURSE_LEVELS = ("Introduction to", "Advanced", "Topics in", "Foundations of", "Applied")
