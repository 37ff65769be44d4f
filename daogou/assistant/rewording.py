"""Optional rewording of a finished reply by an OpenAI-compatible endpoint (off unless `llm_url` is set).

Why only rewording: no small offline model here is trustworthy with facts (notes/assistant.md), so the
model never decides anything. It may make a template reply sound more natural; the service then runs
the grounding checker on the new text (ids, prices, numbers) and checks negations survived, and sends
the template reply whenever anything is off, or the endpoint is slow or down.
"""

from __future__ import annotations

from collections.abc import Callable

from daogou.assistant.answers import Reply

TIMEOUT_S = 4.0
PROMPT = {
    "en": "Reword this shop assistant reply to sound friendly and natural. Keep every product name, price, number and "
          "negation exactly. Do not add facts. Reply with the reworded text only.",
    "zh": "把这句导购回复改写得更自然亲切。所有商品名、价格、数字和否定词必须原样保留，不要添加任何信息。只输出改写后的文字。",
}


def rewriter(url: str, model: str = "default") -> Callable[[Reply], str | None] | None:
    """A function that rewords a reply through `url` (…/v1/chat/completions), or None when no endpoint is set."""
    if not url:
        return None
    import httpx

    endpoint = url.rstrip("/") + ("" if url.rstrip("/").endswith("/chat/completions") else "/v1/chat/completions")

    def reword(reply: Reply) -> str | None:
        body = {"model": model, "temperature": 0.2, "max_tokens": 300,
                "messages": [{"role": "system", "content": PROMPT.get(reply.language, PROMPT["en"])}, {"role": "user", "content": reply.reply}]}
        try:
            response = httpx.post(endpoint, json=body, timeout=TIMEOUT_S)
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError):
            return None
        return text.strip() if isinstance(text, str) and text.strip() else None

    return reword
