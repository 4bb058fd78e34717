"""Head: reviews, with enum type rating."""

from tests.check_corpus.shop import shop

metadata = shop(reviews=True)
