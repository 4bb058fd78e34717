"""The shop as its initial revision writes it."""

from tests.check_corpus.shop import shop

metadata = shop()
