"""Head: the models add 'archived' to productstatus; no revision does."""

from tests.check_corpus.shop import shop

metadata = shop(statuses=("draft", "active", "archived"))
