"""Head: products.details (was description), labels (was tags)."""

from tests.check_corpus.shop import shop

metadata = shop(description_column="details", tags_table="labels")
