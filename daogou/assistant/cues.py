"""Words that steer a conversation, in Chinese and English: references, refinements, questions, handover.

Why separate from query understanding's lexicon: those words describe products (colours, types);
these describe what the shopper does with the conversation ("the second one", "cheaper", "转人工").
They are matched on the lower-cased turn; the product words still go through the catalog's parser.
"""

from __future__ import annotations

import re

HANDOVER = ("转人工", "人工客服", "人工服务", "找人工", "真人", "human", "real person", "agent please", "talk to someone", "speak to someone",
            "customer service agent", "live agent", "operator")
ANGER = ("投诉", "太差", "垃圾", "骗子", "气死", "愤怒", "差评", "坑人", "scam", "terrible", "worst", "angry", "furious", "ridiculous",
         "unacceptable", "disgusting", "complaint", "complain", "rip off", "ripoff", "fraud")
#: Order-specific requests need an order system; none is attached, so they go to a person.
ORDER_SPECIFIC = ("my order", "my package", "my parcel", "order number", "order #", "tracking number", "where is my", "cancel my",
                  "我的订单", "我的快递", "我的包裹", "订单号", "单号", "到哪了", "什么时候到", "取消订单", "我买的")
#: Shop-policy topics (the question is answered from the shop's documents).
POLICY = ("return", "returnable", "returned", "send back", "send an item back", "refund", "exchange", "shipping", "ship", "dispatch",
          "dispatched", "delivery", "deliver", "warranty", "guarantee", "invoice", "receipt", "payment", "pay with", "pay by", "charged",
          "cash on delivery", "cod", "coupon", "discount code", "policy", "days to", "customs", "duty", "duties", "vat", "tax", "cancel",
          "countries", "tags attached", "pickup",
          "退货", "退款", "换货", "退换", "发货", "运费", "包邮", "快递", "配送", "物流", "保修", "质保", "发票", "付款", "支付", "货到付款",
          "优惠券", "无理由", "政策", "关税", "售后", "寄到", "国外", "海外", "扣款", "余额", "吊牌", "取件", "取消", "可以退", "能退",
          "退吗", "可以换", "换几次", "保修", "退成")
CHEAPER = ("cheaper", "less expensive", "lower price", "more affordable", "budget option", "便宜点", "便宜一点", "便宜些", "更便宜", "太贵",
           "价格低一点", "实惠点")
PRICIER = ("more expensive", "better quality", "higher end", "pricier", "贵一点", "更好的", "高端一点", "贵点")
MORE_LIKE = ("more like", "similar to", "like the", "类似", "相似", "差不多的", "像第", "跟第")
COMPARE = ("compare", "comparison", " vs ", "versus", "difference", "which is better", "比较", "对比", "区别", "哪个好", "哪个更")
SUPERLATIVE_MAX = ("most expensive", "priciest", "highest price", "最贵")
SUPERLATIVE_MIN = ("cheapest", "least expensive", "lowest price", "最便宜", "最实惠")
EITHER = ("either", "doesn't matter", "does not matter", "don't care", "any is fine", "both", "whatever", "no preference",
          "都可以", "都行", "无所谓", "随便", "不限", "都要")
MORE = ("more", "show more", "next", "others", "other ones", "还有吗", "更多", "再来", "换一批", "其他的")
RESET = ("start over", "new search", "forget that", "something else", "重新", "换个", "不看了")
GREETING = ("hi", "hello", "hey", "你好", "您好", "在吗", "哈喽")
THANKS = ("thanks", "thank you", "谢谢", "多谢")

#: Product-question topics: the attribute fields they are answered from, and review aspects.
MATERIAL = ("made of", "material", "fabric", "what is it made", "材质", "面料", "什么料", "是棉的吗", "是真皮吗")
FIT = ("run small", "runs small", "run large", "runs large", "true to size", "fit", "sizing", "偏小", "偏大", "尺码准", "合身", "码数标准")
SIZE = re.compile(r"(?:size|尺码|码)\s*(xxs|xs|s|m|l|xl|xxl|xxxl|\d{1,2}(?:\.5)?)\b|(?<!\d)(\d{2})\s*(?:码|号)|(?:in|有)\s*(xxs|xs|xl|xxl|xxxl)\b", re.I)
AVAILABILITY = ("in stock", "available", "do you have", "is there", "have it in", "come in", "有没有", "有货", "有吗", "有的吗", "有.*的吗")
REVIEWS = ("review", "reviews", "rating", "what do people say", "good quality", "quality", "评价", "口碑", "质量", "好不好", "怎么样")
PRICE_Q = ("how much", "price", "cost", "多少钱", "价格", "价钱")

ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4, "last": -1,
    "第一": 0, "第1": 0, "第二": 1, "第2": 1, "第三": 2, "第3": 2, "第四": 3, "第4": 3, "第五": 4, "第5": 4, "最后": -1,
    "number one": 0, "number two": 1, "number three": 2, "#1": 0, "#2": 1, "#3": 2,
}
_ORDINAL = re.compile("|".join(sorted((re.escape(k) for k in ORDINALS), key=len, reverse=True)))
IT = ("it", "this one", "that one", "this", "that", "这个", "这款", "那个", "那款", "它")


def has(text: str, cues: tuple[str, ...]) -> bool:
    """Whether any cue occurs in the lower-cased, space-padded turn (English cues match whole words)."""
    padded = f" {text} "
    for cue in cues:
        if cue.isascii() and cue.strip().replace(" ", "").isalnum():
            if re.search(rf"(?<![a-z0-9]){re.escape(cue.strip())}(?:s|es)?(?![a-z0-9])", padded):  # plurals too
                return True
        elif ".*" in cue:
            if re.search(cue, padded):
                return True
        elif cue in padded:
            return True
    return False


def ordinals(text: str) -> list[int]:
    """Positions referred to ("the second one" → [1], "比较一下第一个和第三个" → [0, 2]), in order of mention."""
    return [ORDINALS[m.group(0)] for m in _ORDINAL.finditer(text)]


def size_asked(text: str) -> str | None:
    match = SIZE.search(text)
    return next((g for g in match.groups() if g), None).upper() if match else None  # type: ignore[union-attr]
