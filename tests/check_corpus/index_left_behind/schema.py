"""Head: an index on products.name, and products.note."""

from tests.check_corpus.shop import shop

metadata = shop(name_index=True, note=True)
