"""Head: the models add suppliers; no revision does."""

from tests.check_corpus.shop import shop

metadata = shop(suppliers=True)
