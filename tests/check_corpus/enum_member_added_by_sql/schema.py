"""Head: productstatus has archived."""

from tests.check_corpus.shop import shop

metadata = shop(statuses=("draft", "active", "archived"))
