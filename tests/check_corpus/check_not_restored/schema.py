"""Head: no CHECK on price, and products.note."""

from tests.check_corpus.shop import shop

metadata = shop(price_check=False, note=True)
