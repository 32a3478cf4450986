"""The console's two languages: one catalog per language, picked per request.

Every word the console shows comes from `i18n/<lang>.json` (the same keys in each, checked by a
test), so a page is never half translated. The language is the `lang` cookie the toggle sets,
else the browser's `Accept-Language`, else English. Numbers, times and money are formatted here
too, because "3 min ago" and "3分前" differ in more than words.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files

LANGUAGES = ("en", "ja")
DEFAULT = "en"
COOKIE = "lang"


@cache
def catalog(lang: str) -> dict[str, str]:
    text = (files("tsukuru.console") / "i18n" / f"{lang}.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def placeholders(template: str) -> set[str]:
    """The `{name}` fields of a catalog entry (translations must keep the same ones)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language when it names one we have, else the browser's best match."""
    if cookie in LANGUAGES:
        return str(cookie)
    best, best_q = DEFAULT, 0.0
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= index * 1e-6  # equal weights: the earlier entry wins
        if q > best_q:
            best, best_q = primary, q
    return best


class Translator:
    """`t(key, **values)` in one language, plus the formats that differ by language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._catalog = catalog(self.lang)

    def __call__(self, key: str, /, **values: object) -> str:
        template = self._catalog.get(key)
        if template is None:
            template = catalog(DEFAULT)[key]  # a missing key is a bug the catalog test catches
        return template.format(**values) if values else template

    def has(self, key: str) -> bool:
        return key in self._catalog

    def status(self, value: str | None) -> str:
        """A SageMaker status in words (`Completed` → 完了); unknown ones are shown as given."""
        if not value:
            return "—"
        key = f"status.{value}"
        return self(key) if self.has(key) else value

    def when(self, moment: datetime | float | None) -> str:
        """A point in time in the machine's local time zone."""
        if moment is None:
            return "—"
        if not isinstance(moment, datetime):
            moment = datetime.fromtimestamp(float(moment), UTC)
        local = moment.astimezone()
        pattern = "%Y/%m/%d %H:%M:%S" if self.lang == "ja" else "%Y-%m-%d %H:%M:%S"
        return local.strftime(pattern)

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        total = max(0, round(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return self("unit.hours_minutes", h=hours, m=minutes)
        if minutes:
            return self("unit.minutes_seconds", m=minutes, s=secs)
        return self("unit.seconds", s=secs)

    def ago(self, moment: datetime | float | None, now: datetime) -> str:
        if moment is None:
            return "—"
        if not isinstance(moment, datetime):
            moment = datetime.fromtimestamp(float(moment), UTC)
        seconds = (now - moment).total_seconds()
        if seconds < 60:
            return self("unit.just_now")
        return self("unit.ago", duration=self.duration(seconds))

    def size(self, count: int | None) -> str:
        if count is None:
            return "—"
        value = float(count)
        for unit in ("B", "KB", "MB", "GB"):
            if value < 1024 or unit == "GB":
                return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            value /= 1024
        return f"{value:.1f} TB"  # pragma: no cover - the loop always returns

    def money(self, usd: float | None) -> str:
        """US dollars (AWS list prices are in USD); sub-cent amounts keep four decimals."""
        if usd is None:
            return self("cost.no_price")
        if usd == 0:
            return "$0.00"
        if 0 < usd < 0.0001:
            return "<$0.0001"
        return f"${usd:,.4f}" if abs(usd) < 1 else f"${usd:,.2f}"

    def number(self, value: float | None, digits: int = 4) -> str:
        if value is None:
            return "—"
        return f"{value:.{digits}g}"
