"""Shopping words in Chinese and English that a catalog's own values do not spell out.

Why hand-written: the catalog gives us its vocabulary (its colours, types, genders), but not the
ways shoppers say them: "sneakers" for "Sports Shoes", "藏青色" for "Navy Blue", "ladies" for
"Women". These tables map such words to English phrases that are then resolved against the
catalog's own values (see understand/vocabulary.py), so they work for any catalog in English.
"""

from __future__ import annotations

from daogou.understand.zh_words import ZH_COLOURS, ZH_TO_EN

__all__ = ["ZH_COLOURS", "ZH_TO_EN"]  # re-exported: the parser reads every shopper word from here

#: English shopper words → catalog-style phrases (resolved against the catalog afterwards).
EN_SYNONYMS: dict[str, list[str]] = {
    # garments
    "tee": ["tshirts", "t-shirt"], "tees": ["tshirts", "t-shirt"], "t shirt": ["tshirts", "t-shirt"], "t shirts": ["tshirts", "t-shirt"],
    "tshirt": ["tshirts", "t-shirt"], "pants": ["trousers", "track pants"], "trouser": ["trousers"], "slacks": ["trousers"], "chinos": ["trousers"],
    "hoodie": ["sweatshirts"], "hoodies": ["sweatshirts"], "hoody": ["hoodie", "sweatshirts"], "sweatshirt": ["sweatshirts", "hoodie", "sweater"],
    "jumper": ["sweaters", "sweater"], "pullover": ["sweaters", "sweater"], "knitwear": ["sweaters", "cardigan"], "frock": ["dresses", "dress"],
    "gown": ["dresses", "dress"], "joggers": ["track pants", "trousers"], "sweatpants": ["track pants", "trousers"], "trackpants": ["track pants"],
    "tank top": ["vest top", "tank top"], "tank": ["vest top"], "camisole": ["vest top"], "cami": ["vest top"], "singlet": ["vest top", "innerwear vests"],
    "overcoat": ["coat", "jackets"], "trench": ["coat"], "parka": ["jackets", "coat"], "puffer": ["jackets"], "anorak": ["jackets"], "gilet": ["waistcoats", "outdoor waistcoat"],
    "tights": ["leggings/tights", "underwear tights", "tights"], "jeggings": ["leggings", "jeggings"], "overalls": ["dungarees"], "romper": ["jumpsuit/playsuit", "bodysuit"],
    "onesie": ["bodysuit", "jumpsuit/playsuit"], "pyjamas": ["pyjama set", "night suits", "nightwear"], "pajamas": ["pyjama set", "night suits", "nightwear"],
    "pjs": ["pyjama set", "night suits", "nightwear"], "nightie": ["night gown", "nightdress"], "nightgown": ["night gown", "nightdress"],
    "bathing suit": ["swimsuit"], "swimming costume": ["swimsuit"], "swimwear": ["swimsuit", "swimwear bottom", "bikini top"],
    "bikini bottom": ["swimwear bottom"], "bikini bottoms": ["swimwear bottom"], "swim bottoms": ["swimwear bottom"], "swim shorts": ["swimwear bottom", "shorts"],
    "knickers": ["underwear bottom", "briefs"], "panties": ["underwear bottom", "briefs"], "undies": ["underwear bottom", "briefs"], "boxers": ["boxers", "trunk"],
    "bralette": ["bra"], "brassiere": ["bra"],
    # shoes and bags
    "sneakers": ["sports shoes", "casual shoes"], "sneaker": ["sports shoes", "casual shoes"], "trainers": ["sneakers", "sports shoes"],
    "trainer": ["sneakers", "sports shoes"], "running shoes": ["sports shoes", "sneakers"], "running shoe": ["sports shoes", "sneakers"],
    "kicks": ["sneakers", "sports shoes"], "slippers": ["flip flops", "slippers"], "flipflops": ["flip flops"], "thongs": ["flip flops"],
    "slides": ["flip flops", "slippers"], "flats": ["ballerinas", "flat shoe"], "ballet flats": ["ballerinas", "flat shoe"], "pumps": ["heels", "pumps"],
    "stilettos": ["heels"], "heels": ["heels", "pumps"], "ankle boots": ["boots", "bootie"], "wellies": ["boots"],
    "purse": ["handbags", "clutches", "wallets"], "handbag": ["handbags", "bag"], "bag": ["bags"], "tote": ["tote bag", "handbags"],
    "rucksack": ["backpacks", "backpack"], "clutch bag": ["clutches"],
    # accessories and the rest of the store
    "shades": ["sunglasses"], "specs": ["eyeglasses"], "beanie": ["hat", "hat/beanie"], "cap": ["caps"], "muffler": ["scarves", "mufflers"],
    "perfume": ["perfume"], "scent": ["perfume"], "fragrance": ["perfume"], "kurti": ["kurtis"], "wristwatch": ["watches"],
    "mug": ["coffee mugs", "mugs"], "mugs": ["coffee mugs", "mugs"], "phone case": ["mobile case", "cases covers"], "phone cover": ["mobile case", "cases covers"],
    "earphones": ["headphones"], "earbuds": ["headphones"], "frying pan": ["pans tawas", "pans"], "skillet": ["pans tawas", "pans"],
    "tiffin": ["lunch boxes"], "bed sheet": ["bedsheets"], "drapes": ["curtains"],
    # colours
    "navy": ["dark blue", "navy blue"], "gray": ["grey"], "golden": ["gold"], "burgundy": ["dark red", "burgundy", "maroon"], "wine": ["dark red", "maroon"],
    "maroon": ["dark red", "maroon"], "charcoal": ["dark grey", "charcoal"], "camel": ["yellowish brown", "beige"], "ivory": ["off white", "cream"],
    "nude": ["beige"], "mustard": ["dark yellow", "mustard"], "lilac": ["light purple", "lavender"], "lavender": ["light purple", "lavender"],
    "mint": ["light green"], "olive": ["greenish khaki", "olive"], "fuchsia": ["dark pink", "magenta"], "magenta": ["dark pink", "magenta"],
    "multicolour": ["multi"], "multicolor": ["multi"], "multicoloured": ["multi"], "offwhite": ["off white"], "violet": ["purple"],
    # genders
    "man": ["men"], "male": ["men"], "mens": ["men"], "gents": ["men"], "guy": ["men"], "guys": ["men"], "him": ["men"],
    "woman": ["women"], "female": ["women"], "womens": ["women"], "ladies": ["women"], "lady": ["women"], "her": ["women"],
    "girl": ["girls"], "boy": ["boys"], "kid": ["kids", "boys", "girls"], "kids": ["kids", "boys", "girls"],
    "children": ["kids", "boys", "girls"], "child": ["kids", "boys", "girls"],
}

#: Words that look like slots but are too ambiguous alone (English "her" is kept: "a watch for her").
STOPWORDS = {"a", "an", "the", "for", "with", "and", "or", "in", "of", "to", "on", "me", "my", "i", "want", "need", "show", "find",
             "some", "any", "please", "looking", "like", "buy", "shop", "get", "good", "nice", "new", "best", "one", "ones",
             "我", "想", "要", "买", "找", "一双", "一件", "一个", "一条", "的", "给", "请", "推荐", "有没有", "有", "吗", "呢", "款"}

#: Words that carry a negation on to the next slot of the same field: "not black or brown".
NEGATION_CARRY = ("or", "nor", "and", "或", "或者", "和", "也不要", "、")

#: Negation cues: the slot that follows is excluded.
NEGATION_EN = ("not", "no", "without", "except", "excluding", "but not", "other than", "non")
NEGATION_ZH = ("不要", "不是", "不想要", "除了", "非", "别", "不")

#: Intent cues, checked in this order: service, compare, question; otherwise "search".
SERVICE_CUES = ("refund", "return", "exchange", "deliver", "delivery", "shipping", "ship", "order", "track", "cancel", "invoice",
                "warranty", "coupon", "payment", "退货", "退款", "换货", "发货", "快递", "物流", "订单", "客服", "运费", "取消", "发票", "保修", "优惠券")
COMPARE_CUES = ("compare", " vs ", " vs.", "versus", "difference between", "which is better", "better than", "对比", "比较", "区别", "哪个好", "哪个更")
QUESTION_CUES = ("?", "？", "how ", "what ", "does ", "is it", "is this", "can i", "will it", "吗", "怎么", "如何", "多少", "是否", "能不能", "可以吗", "什么")

CHEAP_WORDS = ("cheap", "budget", "affordable", "inexpensive", "low price", "便宜", "实惠", "平价", "划算", "低价")
PREMIUM_WORDS = ("premium", "luxury", "expensive", "high end", "high-end", "贵的", "高端", "奢侈")
