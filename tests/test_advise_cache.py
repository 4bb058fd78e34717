"""Static advice reads the rules' view of the models from the project's cache while current."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Project
from workbench.advise import advise, model_advice, views_of
from workbench.advise.cache import _plain, _view
from workbench.loader import load_schema

SCHEMA = """
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shop_types import NAME_LENGTH

class Base(DeclarativeBase):
    pass

class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    active: Mapped[bool] = mapped_column(index=True)

class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
"""


def _advice_in_new_process(project: Project) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--project", str(project.root), "advise", "shop",
         "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return sorted(
        f"{a['action']} {a['table']}({','.join(a['columns'])}) {a['code']}"
        for a in json.loads(done.stdout)["advice"]
    )


def test_cached_views_round_trip_and_give_the_same_advice(project: Project) -> None:
    (project.root / "shop_types.py").write_text("NAME_LENGTH = 80\n")
    project.write_schema("shop", SCHEMA)
    first = advise(project.cfg, "shop")  # the first load in this process: stored
    views = views_of(load_schema(project.cfg, "shop").metadata)
    assert [_view(json.loads(json.dumps(_plain(v)))) for v in views] == views
    cache = project.root / ".workbench" / "cache" / "advise-shop.json"
    assert {"schemas/shop.py", "shop_types.py"} <= set(json.loads(cache.read_text())["files"])
    again = advise(project.cfg, "shop")
    assert again.advice == first.advice == tuple(model_advice(views))
    assert {a.code for a in first.advice} >= {"WB301", "WB305"}


def test_the_cache_is_used_and_follows_the_schema_and_its_modules(project: Project) -> None:
    (project.root / "shop_types.py").write_text("NAME_LENGTH = 80\n")
    path = project.write_schema("shop", SCHEMA)
    cache = project.root / ".workbench" / "cache" / "advise-shop.json"
    assert "create orders(customer_id) WB301" in _advice_in_new_process(project)

    # A cached view is used as is: prove it by planting one where the key is indexed.
    stored = json.loads(cache.read_text())
    orders = next(v for v in stored["views"] if v["name"] == "orders")
    orders["indexes"].append(["ix_planted", ["customer_id"], "index", False, False])
    cache.write_text(json.dumps(stored))
    assert "create orders(customer_id) WB301" not in _advice_in_new_process(project)

    # So is the schema's configuration (the backends the loader judges the models for).
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.workbench.schema.shop]\nbackends = ["postgresql"]\n'
    )
    assert "create orders(customer_id) WB301" in _advice_in_new_process(project)
    cache.write_text(json.dumps({**stored, "config": json.loads(cache.read_text())["config"]}))
    assert "create orders(customer_id) WB301" not in _advice_in_new_process(project)

    # A change to a project module the schema imports reads the models again.
    (project.root / "shop_types.py").write_text("NAME_LENGTH = 120\n")
    assert "create orders(customer_id) WB301" in _advice_in_new_process(project)

    # So does a change to the schema itself.
    path.write_text(
        path.read_text().replace(
            'ForeignKey("customers.id")', 'ForeignKey("customers.id"), index=True'
        )
    )
    assert "create orders(customer_id) WB301" not in _advice_in_new_process(project)
    cache.write_text("{not json")
    assert "create orders(customer_id) WB301" not in _advice_in_new_process(project)
    assert json.loads(cache.read_text())["views"]
