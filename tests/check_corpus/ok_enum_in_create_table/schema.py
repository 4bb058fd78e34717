"""Head: reviews with an enum rating."""

from tests.check_corpus.shop import shop

metadata = shop(reviews=True)
