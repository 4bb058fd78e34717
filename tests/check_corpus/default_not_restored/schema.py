"""Head: products.in_stock without a server default, and products.note."""

from tests.check_corpus.shop import shop

metadata = shop(in_stock_default=False, note=True)
