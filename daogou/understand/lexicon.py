"""Shopping words in Chinese and English that a catalog's own values do not spell out.

Why hand-written: the catalog gives us its vocabulary (its colours, types, genders), but not the
ways shoppers say them: "sneakers" for "Sports Shoes", "藏青色" for "Navy Blue", "ladies" for
"Women". These tables map such words to English phrases that are then resolved against the
catalog's own values (see understand/vocabulary.py), so they work for any catalog in English.
"""

from __future__ import annotations

#: Chinese word → English phrase(s). Longer keys are matched first.
ZH_TO_EN: dict[str, list[str]] = {
    # colours
    "黑色": ["black"], "黑": ["black"], "白色": ["white"], "白": ["white"], "红色": ["red"], "红": ["red"],
    "蓝色": ["blue"], "蓝": ["blue"], "藏青色": ["navy blue"], "藏青": ["navy blue"], "海军蓝": ["navy blue"], "深蓝色": ["navy blue"],
    "深蓝": ["navy blue"], "浅蓝色": ["light blue"], "天蓝色": ["light blue"], "绿色": ["green"], "绿": ["green"], "灰色": ["grey"], "灰": ["grey"],
    "棕色": ["brown"], "褐色": ["brown"], "咖啡色": ["brown"], "粉色": ["pink"], "粉红色": ["pink"], "粉红": ["pink"], "粉": ["pink"],
    "紫色": ["purple"], "紫": ["purple"], "黄色": ["yellow"], "黄": ["yellow"], "橙色": ["orange"], "橘色": ["orange"], "米色": ["beige"],
    "米白色": ["off white"], "金色": ["gold"], "银色": ["silver"], "酒红色": ["maroon"], "酒红": ["maroon"], "栗色": ["maroon"],
    "卡其色": ["khaki"], "卡其": ["khaki"], "橄榄绿": ["olive"], "军绿色": ["olive"], "奶油色": ["cream"], "炭灰色": ["charcoal"],
    "彩色": ["multi"], "多色": ["multi"], "青色": ["teal"], "薰衣草色": ["lavender"], "桃色": ["peach"], "芥末黄": ["mustard"],
    # genders
    "男士": ["men"], "男款": ["men"], "男式": ["men"], "男装": ["men"], "男生": ["men"], "男人": ["men"], "男": ["men"],
    "女士": ["women"], "女款": ["women"], "女式": ["women"], "女装": ["women"], "女生": ["women"], "女人": ["women"], "女": ["women"],
    "男童": ["boys"], "男孩": ["boys"], "女童": ["girls"], "女孩": ["girls"], "中性": ["unisex"], "男女通用": ["unisex"], "情侣": ["unisex"],
    "儿童": ["kids", "boys", "girls"], "童装": ["kids", "boys", "girls"], "孩子": ["kids", "boys", "girls"],
    # footwear
    "运动鞋": ["sports shoes"], "跑鞋": ["sports shoes"], "跑步鞋": ["sports shoes"], "球鞋": ["sports shoes"], "板鞋": ["casual shoes"],
    "休闲鞋": ["casual shoes"], "帆布鞋": ["casual shoes"], "皮鞋": ["formal shoes"], "正装鞋": ["formal shoes"], "高跟鞋": ["heels"],
    "凉鞋": ["sandals"], "拖鞋": ["flip flops"], "人字拖": ["flip flops"], "平底鞋": ["flats"], "靴子": ["boots"], "鞋子": ["shoes"], "鞋": ["shoes"],
    # clothing
    "t恤": ["tshirts"], "短袖": ["tshirts"], "体恤": ["tshirts"], "衬衫": ["shirts"], "衬衣": ["shirts"], "上衣": ["tops"],
    "连衣裙": ["dresses"], "裙子": ["dresses", "skirts"], "半身裙": ["skirts"], "短裙": ["skirts"], "牛仔裤": ["jeans"],
    "运动裤": ["track pants"], "长裤": ["trousers"], "西裤": ["trousers"], "裤子": ["trousers"], "短裤": ["shorts"], "毛衣": ["sweaters"],
    "针织衫": ["sweaters"], "卫衣": ["sweatshirts"], "夹克": ["jackets"], "外套": ["jackets"], "袜子": ["socks"], "内裤": ["briefs"],
    "背心": ["innerwear vests"], "文胸": ["bra"], "打底裤": ["leggings"], "紧身裤": ["leggings"], "库尔塔": ["kurtas"], "睡衣": ["nightwear"],
    "泳衣": ["swimsuit"], "西装外套": ["blazer"], "连帽衫": ["sweatshirts"],
    # accessories
    "手表": ["watches"], "腕表": ["watches"], "手提包": ["handbags"], "女包": ["handbags"], "包包": ["handbags"], "背包": ["backpacks"],
    "双肩包": ["backpacks"], "电脑包": ["laptop bag"], "钱包": ["wallets"], "皮夹": ["wallets"], "手拿包": ["clutches"], "皮带": ["belts"],
    "腰带": ["belts"], "太阳镜": ["sunglasses"], "墨镜": ["sunglasses"], "帽子": ["caps", "hat"], "棒球帽": ["caps"], "领带": ["ties"],
    "围巾": ["scarves", "mufflers"], "香水": ["perfume"], "手链": ["bracelet"], "项链": ["necklace"], "耳环": ["earrings"], "手套": ["gloves"],
    "雨伞": ["umbrellas"], "袖扣": ["cufflinks"], "包": ["bags"],
    # usage / season
    "运动": ["sports"], "休闲": ["casual"], "正装": ["formal"], "正式": ["formal"], "民族风": ["ethnic"], "夏季": ["summer"], "夏天": ["summer"],
    "冬季": ["winter"], "冬天": ["winter"], "秋季": ["fall"], "春季": ["spring"],
}

#: English shopper words → catalog-style phrases (resolved against the catalog afterwards).
EN_SYNONYMS: dict[str, list[str]] = {
    "sneakers": ["sports shoes", "casual shoes"], "sneaker": ["sports shoes", "casual shoes"], "trainers": ["sports shoes"],
    "running shoes": ["sports shoes"], "running shoe": ["sports shoes"], "tee": ["tshirts"], "tees": ["tshirts"], "t shirt": ["tshirts"],
    "t shirts": ["tshirts"], "tshirt": ["tshirts"], "pants": ["trousers", "track pants"], "trouser": ["trousers"], "hoodie": ["sweatshirts"],
    "hoodies": ["sweatshirts"], "jumper": ["sweaters"], "pullover": ["sweaters"], "slippers": ["flip flops"], "flipflops": ["flip flops"],
    "purse": ["handbags", "clutches", "wallets"], "handbag": ["handbags"], "bag": ["bags"], "shades": ["sunglasses"],
    "frock": ["dresses"], "gown": ["dresses"], "joggers": ["track pants"], "trackpants": ["track pants"], "heels": ["heels"],
    "perfume": ["perfume"], "scent": ["perfume"], "fragrance": ["perfume"], "kurti": ["kurtis"], "wristwatch": ["watches"],
    "beanie": ["hat"], "cap": ["caps"],
    # colours
    "navy": ["navy blue"], "gray": ["grey"], "golden": ["gold"], "burgundy": ["burgundy", "maroon"], "wine": ["maroon"],
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
