"""Head: products.sku, an index on products.name, and suppliers (no revision)."""

from tests.check_corpus.shop import shop

metadata = shop(sku="nullable", name_index=True, suppliers=True)
