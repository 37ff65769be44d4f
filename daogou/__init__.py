"""daogou (导购): a self-hosted multimodal AI shopping guide.

    import daogou
    shop = daogou.open("./myshop")
    shop.search("red dress for women", k=10)
"""

from daogou.shop import Shop, open

__all__ = ["Shop", "open", "__version__"]
__version__ = "0.1.0"
