"""Head: products.note and suppliers, from two branches joined by a merge revision."""

from tests.check_corpus.shop import shop

metadata = shop(note=True, suppliers=True)
