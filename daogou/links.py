"""The URL scheme of product links, shared by the REST API and the assistant's product cards.

Why escaped here: product ids may hold '?', '#', '%' or be '.' / '..', which broke links built by
string formatting (a '..' segment is even folded away by clients before it reaches the server).
"""

from __future__ import annotations

from urllib.parse import quote


def photo_url(product_id: str) -> str:
    """The photo link of a product, with its id escaped."""
    quoted = quote(product_id, safe="")
    if set(product_id) <= {"."}:
        quoted = quoted.replace(".", "%2E")
    return f"/api/products/{quoted}/image"
