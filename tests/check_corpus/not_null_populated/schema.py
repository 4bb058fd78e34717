"""Head: products.sku NOT NULL."""

from tests.check_corpus.shop import shop

metadata = shop(sku="not null")
