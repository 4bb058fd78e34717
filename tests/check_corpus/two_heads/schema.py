"""Head(s): products.note and suppliers, from two branches."""

from tests.check_corpus.shop import shop

metadata = shop(note=True, suppliers=True)
