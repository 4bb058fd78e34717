"""Head: products.name is VARCHAR(20)."""

from tests.check_corpus.shop import shop

metadata = shop(name_length=20)
