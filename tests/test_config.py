"""Project discovery, [tool.workbench], and which database a command targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Project
from workbench.config import Config, discover, load
from workbench.errors import ProjectError


def test_discovery_walks_up_to_the_nearest_project(project: Project) -> None:
    deep = project.root / "schemas" / "a" / "b"
    deep.mkdir(parents=True)
    assert discover(deep).root == project.root.resolve()


def test_discovery_outside_any_project_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(ProjectError, match=r"workbench init.*--project"):
        discover(tmp_path)


def test_configured_folders_and_urls_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.workbench]\nschemas = "models"\nmigrations = "db/migrations"\n'
        'url = "postgresql://app@db/app"\n[tool.workbench.urls]\nblog = "sqlite:///blog.db"\n'
    )
    cfg = load(tmp_path)
    assert cfg.schemas_dir == tmp_path.resolve() / "models"
    assert cfg.migrations_path("blog") == tmp_path.resolve() / "db" / "migrations" / "blog"
    assert cfg.resolve_url("blog", environ={}) == "sqlite:///blog.db"
    assert cfg.resolve_url("shop", environ={}) == "postgresql://app@db/app"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.workbench]\nschemata = 'x'\n", "unknown key"),
        ("[tool.workbench]\nschema = 'x'\n", "must be a table of schema names"),
        ("[tool.workbench.schema.app]\nbackends = ['mysql']\n", "backends must be"),
        ("[tool.workbench.schema.app]\nbackends = []\n", "backends must be"),
        ("[tool.workbench.schema.app]\nmodel = 'x'\n", "unknown key"),
        ("[tool.workbench.schema.app]\nmodels = 3\n", "models must be a string"),
        ("[tool.workbench]\nschemas = 3\n", "must be a string"),
        ("[tool.workbench]\nurls = 'x'\n", "must map schema names"),
        ("[tool.workbench\n", "Fix the TOML syntax"),
    ],
)
def test_a_malformed_table_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ProjectError, match=message):
        load(tmp_path)


def test_target_precedence(tmp_path: Path) -> None:
    cfg = Config.at(tmp_path, urls={"blog": "sqlite:///configured.db"})
    env = {"WORKBENCH_URL": "sqlite:///env.db"}
    assert cfg.resolve_url("blog", "sqlite:///flag.db", environ=env) == "sqlite:///flag.db"
    assert cfg.resolve_url("blog", environ=env) == "sqlite:///env.db"
    assert cfg.resolve_url("blog", environ={}) == "sqlite:///configured.db"
    default = cfg.resolve_url("shop", environ={})
    assert default == f"sqlite:///{(tmp_path.resolve() / '.workbench' / 'shop.sqlite3').as_posix()}"


def test_configured_urls_take_passwords_from_the_environment(tmp_path: Path) -> None:
    cfg = Config.at(tmp_path, url="postgresql://app:${DB_PASSWORD}@db/app")
    assert cfg.resolve_url("x", environ={"DB_PASSWORD": "pw"}) == "postgresql://app:pw@db/app"
    with pytest.raises(ProjectError, match=r"\$\{DB_PASSWORD\}, which is not set"):
        cfg.resolve_url("x", environ={})


def test_unknown_schema_lists_the_known_ones(examples: Project) -> None:
    with pytest.raises(
        ProjectError, match=r"unknown schema 'blgo'.*blog, products, student_course"
    ):
        examples.cfg.schema_path("blgo")
    with pytest.raises(ProjectError, match="not a schema name"):
        examples.cfg.schema_path("../etc")


def test_a_schema_declares_its_backends_models_and_history(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.workbench]\n[tool.workbench.urls]\napp = 'sqlite:///urls.db'\n"
        "[tool.workbench.schema.app]\nmodels = 'app.models:Base.metadata'\n"
        "alembic_ini = 'alembic.ini'\nbackends = ['postgresql']\n"
        "url = 'postgresql://app@db/app'\n"
    )
    cfg = load(tmp_path)
    assert cfg.backends("app") == ("postgresql",)
    assert cfg.backends("blog") == ("sqlite", "postgresql")
    assert cfg.spec("app").models == "app.models:Base.metadata"
    assert cfg.spec("app").alembic_ini == "alembic.ini"
    assert cfg.resolve_url("app", environ={}) == "postgresql://app@db/app"


def test_a_package_script_location_takes_every_colon_as_a_folder_as_alembic_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pkg:server:database:_migrations`` (prefect's alembic.ini) is pkg/server/database/..."""
    from workbench.config import _resolve_location

    folder = tmp_path / "wbpkg_colons" / "server" / "database" / "_migrations"
    folder.mkdir(parents=True)
    (tmp_path / "wbpkg_colons" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = _resolve_location("wbpkg_colons:server:database:_migrations", tmp_path, "alembic.ini")
    assert found == folder.resolve()
    assert _resolve_location("wbpkg_colons:server", tmp_path, "x") == folder.parents[1].resolve()
