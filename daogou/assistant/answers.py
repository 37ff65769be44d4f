"""Replies built from typed facts by zh/en templates: every id, price, count and quoted policy sentence comes from the shop.

Why templates and not generation: an offline small LLM said the opposite of a policy and got a price
comparison backwards (notes/assistant.md). A template can only say what its facts hold, so a reply is
grounded by construction; the checker then verifies it anyway.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from daogou.catalog.schema import Product
from daogou.links import photo_url
from daogou.understand.names import zh_value

#: What a reply does; the API's `act`.
ACTS = ("ask", "show", "compare", "answer", "policy", "handover", "not_carried")

FIELD_NAMES = {
    "en": {"gender": "for men or women", "type": "which kind", "colour": "which colour", "brand": "which brand", "price": "price"},
    "zh": {"gender": "男款还是女款", "type": "哪一类", "colour": "什么颜色", "brand": "哪个品牌", "price": "价格"},
}
@dataclass
class ProductRef:
    id: str
    title: str
    price: float | None
    currency: str = ""
    image_url: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """One assistant turn, as the API returns it."""

    session_id: str
    reply: str
    language: str
    act: str
    state: dict[str, object]
    products: list[ProductRef] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    handover: dict[str, object] = field(default_factory=lambda: {"active": False, "reason": None})
    table: list[dict[str, object]] | None = None
    #: numbers the reply may state besides product prices: counts, sizes, review figures (for the checker)
    facts: dict[str, object] = field(default_factory=dict)
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("facts")
        return data


def ref(product: Product) -> ProductRef:
    """A product card from the catalog row itself (its photo link needs no second lookup)."""
    image_url = photo_url(product.id) if product.image_path else None
    return ProductRef(product.id, product.title, product.price, product.currency, image_url, dict(product.attributes))


def money(price: float | None, currency: str = "") -> str:
    if price is None:
        return "—"
    text = f"{price:,.2f}".rstrip("0").rstrip(".")
    return f"{currency} {text}".strip() if currency else text


def _list(products: list[ProductRef], lang: str) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(f"{i}. {p.title}" + (f" ({money(p.price, p.currency)})" if p.price is not None else "") for i, p in enumerate(products, start=1))


def show(products: list[ProductRef], lang: str, total: int, summary: str, close: list[str] | None = None) -> str:
    if lang == "zh":
        head = f"为您找到 {total} 件{summary}，前 {len(products)} 件：" if total > len(products) else f"为您找到 {total} 件{summary}："
        tail = "（部分为相近款：" + "、".join(close) + " 不完全符合）" if close else ""
        return head + _list(products, lang) + tail + "。想看便宜点的、换颜色，或比较其中几件，直接告诉我。"
    head = f"I found {total} {summary}; here are the top {len(products)}: " if total > len(products) else f"I found {total} {summary}: "
    tail = f" (some are close matches that differ in: {', '.join(close)})" if close else ""
    return head + _list(products, lang) + tail + ". Ask for cheaper ones, another colour, or to compare any of them."


def ask(field_name: str, options: list[str], lang: str) -> str:
    if lang == "zh":
        shown = "、".join(zh_value(o) for o in options)
        if field_name == "gender":
            return f"请问要男款还是女款？（有 {shown}）"
        return f"请问{FIELD_NAMES['zh'].get(field_name, field_name)}？可选：{shown}。"
    shown = ", ".join(options)
    if field_name == "gender":
        return f"Are you shopping for men or women? (I have {shown})"
    return f"Which {field_name} would you like? Options: {shown}."


def not_carried(what: str, lang: str) -> str:
    if lang == "zh":
        return f"抱歉，本店没有{what}，所以不为您推荐替代品冒充。可以换个条件再找，或转人工客服。"
    return f"Sorry, we don't carry {what}, so I won't show substitutes as if they matched. Try other criteria, or ask for a person."


def none_in_range(low: float | None, high: float | None, lang: str, currency: str = "") -> str:
    span = f"{money(low, currency) if low is not None else ''}–{money(high, currency) if high is not None else ''}"
    if lang == "zh":
        return f"抱歉，{span} 这个价格范围内没有符合的商品。可以放宽价格再找。"
    return f"Sorry, nothing matches in the price range {span}. Widen the range and I'll look again."


def compare_text(rows: list[dict[str, object]], lang: str, cheapest: ProductRef) -> str:
    if cheapest.price is None:  # the catalog lists no prices: compare attributes only
        return f"为您比较了 {len(rows)} 件商品（见下表）。" if lang == "zh" else f"Here is a side-by-side of {len(rows)} products (table below)."
    if lang == "zh":
        return f"为您比较了 {len(rows)} 件商品（见下表）。其中最便宜的是「{cheapest.title}」，{money(cheapest.price, cheapest.currency)}。"
    return f"Here is a side-by-side of {len(rows)} products (table below). The cheapest is \"{cheapest.title}\" at {money(cheapest.price, cheapest.currency)}."


def not_listed(what: str, title: str, lang: str) -> str:
    """`what` empty: the question named nothing the catalog lists."""
    if not what:
        what = "这项信息" if lang == "zh" else ""
        if lang != "zh":
            return f"The catalog does not say that about \"{title}\". I can hand you over to a person to check, if you like."
    if lang == "zh":
        return f"商品资料里没有写「{title}」的{what}。需要的话我可以帮您转人工客服确认。"
    return f"The catalog does not list the {what} of \"{title}\". I can hand you over to a person to check, if you like."


def handover_text(reason: str, lang: str) -> str:
    texts = {
        "asked": ("好的，正在为您转接人工客服，对话记录和您的需求会一并转过去。", "Sure — I'm handing you over to a person; they will see this conversation and what you're looking for."),
        "complaint": ("非常抱歉给您带来不好的体验，正在为您转接人工客服处理。", "I'm sorry about that. I'm handing you over to a person who can sort it out; they will see this conversation."),
        "order": ("订单相关的问题需要查询订单系统，正在为您转接人工客服。", "Questions about a specific order need the order system, so I'm handing you over to a person who can look it up."),
        "policy_unknown": ("店铺的政策文件里没有找到这个问题的答案，为避免答错，正在为您转接人工客服。",
                           "The shop's policy documents don't answer that, and I won't guess, so I'm handing you over to a person."),
    }
    zh, en = texts.get(reason, texts["asked"])
    return zh if lang == "zh" else en


def policy_text(sentences: list[str], heading: str, doc: str, lang: str) -> str:
    quote = " ".join(sentences)
    if lang == "zh":
        return f"根据本店《{doc}》「{heading}」：{quote}"
    return f"From the shop's {doc}, section \"{heading}\": {quote}"


def greeting(lang: str) -> str:
    if lang == "zh":
        return "您好！告诉我您想买什么（比如“黑色男士运动鞋，不要太贵的”），或者问我退换货、运费等问题。"
    return "Hi! Tell me what you're looking for (e.g. \"black running shoes for men, not Nike\"), or ask about shipping, returns and more."
