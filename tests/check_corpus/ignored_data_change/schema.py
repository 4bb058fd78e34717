"""Head: products.note."""

from tests.check_corpus.shop import shop

metadata = shop(note=True)
