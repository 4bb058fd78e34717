"""Head: products.sku NOT NULL, an index on products.name, and suppliers (no revision)."""

from tests.check_corpus.shop import shop

metadata = shop(sku="not null", name_index=True, suppliers=True)
