"""Head: the models keep the CHECK on price that a revision dropped; and products.note."""

from tests.check_corpus.shop import shop

metadata = shop(note=True)
