"""Head: products.description is called details."""

from tests.check_corpus.shop import shop

metadata = shop(description_column="details")
