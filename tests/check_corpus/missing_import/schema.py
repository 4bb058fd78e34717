"""Head: products.sku."""

from tests.check_corpus.shop import shop

metadata = shop(sku="nullable")
