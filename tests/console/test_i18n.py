"""English and Japanese: complete catalogs, the language choice, and the CLI following LANG."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import pytest
from starlette.testclient import TestClient

from tests.console.world import World
from tsukuru import cli_cost_messages, cli_messages
from tsukuru.console.i18n import Translator, catalog, negotiate, placeholders
from tsukuru.console.ledger_view import ACTION_ORDER as LEDGER_KINDS
from tsukuru.console.pages_jobs import STATUSES as JOB_STATUSES

TEMPLATES = files("tsukuru.console") / "templates"
CONSOLE_CODE = files("tsukuru.console")
_KEY_USE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']\s*[,)]""")
_NOTICE_USE = re.compile(r'"notice": "([a-z_]+)"')


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    english, japanese = catalog("en"), catalog("ja")
    assert set(english) == set(japanese)
    for key, text in english.items():
        assert placeholders(text) == placeholders(japanese[key]), key
        assert japanese[key].strip(), key


def test_every_key_the_console_uses_exists() -> None:
    used: set[str] = set()
    for entry in [*TEMPLATES.iterdir(), *CONSOLE_CODE.iterdir()]:
        if entry.name.endswith((".html", ".py")):
            used |= set(_KEY_USE.findall(entry.read_text(encoding="utf-8")))
            if entry.name.endswith(".py"):
                notices = _NOTICE_USE.findall(entry.read_text(encoding="utf-8"))
                used |= {f"notice.{name}" for name in notices}
    assert len(used) > 150
    missing = sorted(used - set(catalog("en")))
    assert missing == []


def test_keys_built_at_run_time_exist() -> None:
    """Statuses, ledger kinds and cleanup actions are looked up by name."""
    english = catalog("en")
    for kind in LEDGER_KINDS:
        assert f"kind.{kind}" in english
    for status in (*JOB_STATUSES, "InService", "Creating", "Updating", "Deleting", "Pending"):
        assert f"status.{status}" in english
    for action in ("stop", "delete"):
        assert f"cleanup.action_{action}" in english
    for action in ("start", "stop"):
        assert f"notice.notebook_{action}" in english


def test_japanese_uses_the_words_japanese_users_know() -> None:
    ja = catalog("ja")
    assert ja["nav.jobs"] == "トレーニングジョブ"
    assert ja["nav.endpoints"] == "エンドポイント"
    assert ja["nav.buckets"] == "バケット"
    assert ja["nav.cleanup"] == "クリーンアップ"
    assert ja["invoke.prediction"] == "推論結果"
    assert "料金" in ja["nav.group_cost"]
    ascii_only = [k for k, v in ja.items() if v.isascii() and not k.startswith("latency.p")]
    # a few values are the same in both languages (units, `p95`); nothing else stays English
    assert set(ascii_only) <= {"unit.seconds", "cost.per_hour", "invoke.latency"}


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "ja,en-US;q=0.9,en;q=0.8", "ja"),
        (None, "ja-JP", "ja"),
        (None, "en-US,en;q=0.9,ja;q=0.8", "en"),
        (None, "fr-FR,ja;q=0.5", "ja"),
        (None, "de, fr", "en"),
        (None, "en;q=0.2, ja;q=0.7", "ja"),
        ("en", "ja", "en"),
        ("ja", "en", "ja"),
        ("xx", "ja", "ja"),
    ],
)
def test_language_negotiation(cookie: str | None, header: str | None, expected: str) -> None:
    assert negotiate(cookie, header) == expected


def test_formats_differ_by_language() -> None:
    en, ja = Translator("en"), Translator("ja")
    assert en.duration(3725) == "1 h 2 min"
    assert ja.duration(3725) == "1時間2分"
    assert ja.duration(65) == "1分5秒"
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert ja.ago(now - timedelta(minutes=3), now) == "3分0秒前"
    assert en.ago(now - timedelta(seconds=5), now) == "just now"
    assert en.money(0.115) == "$0.1150"
    assert en.money(12.5) == "$12.50"
    assert en.money(0.00001) == "<$0.0001"
    assert en.money(None) == "no list price"
    assert ja.money(None) == "公開価格なし"
    assert en.size(2048) == "2.0 KB"
    assert ja.status("Completed") == "完了"
    assert en.status("InService") == "In service"
    assert ja.status("SomethingNew") == "SomethingNew"
    assert "/" in ja.when(now)
    assert "-" in en.when(now)


def test_the_browser_language_picks_the_pages_language(world: World) -> None:
    page = world.client().get("/buckets", headers={"accept-language": "ja-JP,ja;q=0.9"})
    assert '<html lang="ja">' in page.text
    assert "<h1>バケット</h1>" in page.text
    assert page.headers["content-language"] == "ja"


def test_the_toggle_remembers_the_choice(world: World) -> None:
    browser = world.client()
    switched = browser.get("/lang/ja", params={"next": "/_console/jobs?status=Failed"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/_console/jobs?status=Failed"
    assert "lang=ja" in switched.headers["set-cookie"]
    page = browser.get("/jobs", headers={"accept-language": "en"})
    assert "<h1>トレーニングジョブ</h1>" in page.text
    back = browser.get("/lang/en", params={"next": "/_console/jobs"})
    assert back.status_code == 303
    assert "<h1>Training jobs</h1>" in browser.get("/jobs").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", ""])
def test_the_toggle_never_redirects_off_site(world: World, target: str) -> None:
    response = world.client().get("/lang/ja", params={"next": target})
    assert response.headers["location"] == "/_console/"


def test_an_unknown_language_changes_nothing(world: World) -> None:
    response = world.client().get("/lang/xx", params={"next": "/_console/"})
    assert response.status_code == 303
    assert "set-cookie" not in response.headers or "lang=" not in response.headers["set-cookie"]


def test_the_toggle_links_come_back_to_the_same_page(client: TestClient) -> None:
    page = client.get("/buckets/world-data?prefix=a%2Fb%2F").text
    assert 'href="/_console/lang/ja?next=/_console/buckets/world-data%3Fprefix%3Da%252Fb%252F"' in (
        page
    )


# ---------------------------------------------------------------------- the CLI follows LANG


@pytest.mark.parametrize("module", [cli_messages, cli_cost_messages])
def test_cli_tables_match(module: object) -> None:
    english: dict[str, str] = module.ENGLISH  # type: ignore[attr-defined]
    japanese: dict[str, str] = module.JAPANESE  # type: ignore[attr-defined]
    assert set(english) == set(japanese)
    for key, words in english.items():
        assert _fields(words) == _fields(japanese[key]), key


@pytest.mark.parametrize(
    ("environ", "japanese"),
    [
        ({}, False),
        ({"LANG": "ja_JP.UTF-8"}, True),
        ({"LANG": "en_US.UTF-8"}, False),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, True),
        ({"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, False),
        ({"LC_ALL": "ja_JP.eucJP", "LANG": "en_US"}, True),
        ({"LC_ALL": "", "LANG": "ja"}, True),
    ],
)
def test_cli_locale_choice(environ: dict[str, str], japanese: bool) -> None:
    assert cli_messages.wants_japanese(environ) is japanese


def test_cli_text_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert (
        cli_messages.text("empty_listing", kind="エンドポイント") == "エンドポイントはありません。"
    )
    assert cli_cost_messages.text("action_delete") == "削除"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli_messages.text("empty_listing", kind="endpoints") == "No endpoints."
    assert cli_cost_messages.text("action_delete") == "delete"
