"""Head: products.grade is the enum grade (A, B, C)."""

from tests.check_corpus.shop import shop

metadata = shop(grade="enum")
