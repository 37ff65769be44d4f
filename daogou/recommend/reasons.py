"""Why a product is recommended: a reason code, worded in English and Chinese.

Why codes: the models decide the reason and the shop words it, so the storefront can switch language
without asking the models again, and scripts can group recommendations by reason. Catalog values
(titles, categories) are shown as the catalog spells them.
"""

from __future__ import annotations

#: code → language → template; {about} is a product title in quotes, {category} and {days} come from the model.
TEMPLATES: dict[str, dict[str, str]] = {
    "bought": {"en": "because you bought {about}", "zh": "因为你买过{about}"},
    "next_after": {"en": "often bought next after {about}", "zh": "买了{about}的人接着常买它"},
    "similar_taste": {"en": "people with similar taste bought it", "zh": "品味相近的顾客买了它"},
    "bought_together": {"en": "bought together with {about}", "zh": "常与{about}一起购买"},
    "similar_style": {"en": "similar in style to {about}", "zh": "与{about}风格相似"},
    "looks_like": {"en": "looks like {about}", "zh": "看起来像{about}"},
    "viewed": {"en": "similar to {about} you viewed", "zh": "与你看过的{about}相似"},
    "popular": {"en": "popular", "zh": "热销"},
    "popular_days": {"en": "popular in the last {days} days", "zh": "最近{days}天热销"},
    "popular_week": {"en": "popular this week", "zh": "本周热销"},
    "popular_lately": {"en": "popular lately", "zh": "近期热销"},
    "popular_in_week": {"en": "popular in {category} this week", "zh": "本周{category}热销"},
    "popular_in_lately": {"en": "popular in {category} lately", "zh": "{category}近期热销"},
    "price_range": {"en": "in your usual price range", "zh": "在你常买的价位内"},
}

LANGUAGES = ("en", "zh")


def describe(code: str, params: dict[str, str] | None = None, lang: str = "en") -> str:
    """The words for a reason code; an unknown code is shown as is rather than failing a page."""
    template = TEMPLATES.get(code, {}).get(lang) or TEMPLATES.get(code, {}).get("en") or code
    values = {"about": "", "category": "", "days": ""} | dict(params or {})
    return template.format(**values)


def quoted(title: str, lang: str = "en") -> str:
    """A product title as it appears inside a reason."""
    return f"“{title}”" if lang == "en" else f"「{title}」"
