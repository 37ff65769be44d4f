"""Everyday Chinese shopping words → English phrases, for what a department store sells.

Why a table: shoppers say 驼色 and 打底裤, catalogs say "Yellowish Brown" and "Leggings/Tights". Each Chinese
word maps to the English phrases a catalog might use (several, most specific first); the parser then resolves them
against the catalog's own values, so one table serves any English catalog. Phrases that name nothing in a catalog
are ignored there. Words this table lacks are left to the dictionary and the encoder (understand/inference.py).
Shade characters (浅/淡/深/暗/亮) before any colour here are handled by the parser, not listed one by one.
"""

from __future__ import annotations

#: Colours, including the catalog spellings of dyes and shades that have a word of their own.
ZH_COLOURS: dict[str, list[str]] = {
    "黑色": ["black"], "黑": ["black"], "纯黑": ["black"], "白色": ["white"], "白": ["white"], "纯白": ["white"],
    "米白色": ["off white", "cream"], "米白": ["off white", "cream"], "奶白色": ["off white", "cream"], "象牙白": ["off white", "ivory"],
    "乳白色": ["off white", "cream"], "红色": ["red"], "红": ["red"], "大红": ["red"], "正红": ["red"],
    "酒红色": ["dark red", "maroon", "burgundy"], "酒红": ["dark red", "maroon", "burgundy"], "枣红色": ["dark red", "maroon"],
    "暗红色": ["dark red", "maroon"], "深红色": ["dark red", "maroon"], "玫红色": ["dark pink", "magenta", "fuchsia"], "玫红": ["dark pink", "magenta"],
    "蓝色": ["blue"], "蓝": ["blue"], "宝蓝色": ["blue", "royal blue"], "藏青色": ["dark blue", "navy blue", "navy"], "藏青": ["dark blue", "navy blue", "navy"],
    "藏蓝色": ["dark blue", "navy blue"], "海军蓝": ["dark blue", "navy blue"], "深蓝色": ["dark blue", "navy blue"], "深蓝": ["dark blue", "navy blue"],
    "天蓝色": ["light blue", "sky blue"], "天蓝": ["light blue", "sky blue"], "湖蓝色": ["turquoise", "blue"], "牛仔蓝": ["blue", "denim"],
    "绿色": ["green"], "绿": ["green"], "墨绿色": ["dark green", "bottle green"], "墨绿": ["dark green"], "军绿色": ["greenish khaki", "olive", "khaki"],
    "军绿": ["greenish khaki", "olive"], "橄榄绿": ["olive", "greenish khaki"], "薄荷绿": ["light green", "mint"], "草绿色": ["green"],
    "灰色": ["grey"], "灰": ["grey"], "炭灰色": ["dark grey", "charcoal"], "烟灰色": ["grey"], "银灰色": ["silver", "grey"],
    "棕色": ["brown"], "棕": ["brown"], "褐色": ["brown"], "咖啡色": ["brown", "coffee"], "咖色": ["brown", "coffee"], "巧克力色": ["dark brown", "brown"],
    "驼色": ["yellowish brown", "camel", "tan", "beige"], "焦糖色": ["yellowish brown", "caramel", "tan"], "卡其色": ["khaki", "beige"], "卡其": ["khaki", "beige"],
    "米色": ["beige"], "杏色": ["beige", "apricot"], "裸色": ["beige", "nude"], "肤色": ["beige", "nude", "skin"],
    "粉色": ["pink"], "粉红色": ["pink"], "粉红": ["pink"], "粉": ["pink"], "桃粉色": ["pink", "peach"],
    "紫色": ["purple"], "紫": ["purple"], "薰衣草色": ["light purple", "lavender"], "香芋紫": ["light purple", "lavender"], "紫罗兰色": ["purple", "violet"],
    "黄色": ["yellow"], "黄": ["yellow"], "鹅黄色": ["light yellow"], "柠檬黄": ["yellow", "lemon"], "芥末黄": ["dark yellow", "mustard"],
    "姜黄色": ["dark yellow", "mustard"], "橙色": ["orange"], "橘色": ["orange"], "橘红色": ["orange", "red"], "桔色": ["orange"],
    "金色": ["gold", "golden"], "玫瑰金": ["rose gold", "gold"], "银色": ["silver"], "古铜色": ["bronze", "copper"],
    "铜色": ["copper", "bronze"], "青色": ["teal", "turquoise"], "蓝绿色": ["turquoise", "teal"], "松石绿": ["turquoise"], "桃色": ["peach"],
    "奶油色": ["cream"], "透明": ["transparent"], "彩色": ["multi", "multicolor"], "多色": ["multi", "multicolor"], "花色": ["multi", "printed"],
    "拼色": ["multi", "colourblocked"], "迷彩": ["camouflage"], "豹纹": ["leopard", "animal"],
}

#: Who it is for.
ZH_GENDERS: dict[str, list[str]] = {
    "男士": ["men"], "男款": ["men"], "男式": ["men"], "男装": ["men"], "男生": ["men"], "男人": ["men"], "男": ["men"], "男性": ["men"],
    "女士": ["women"], "女款": ["women"], "女式": ["women"], "女装": ["women"], "女生": ["women"], "女人": ["women"], "女": ["women"],
    "女性": ["women"], "妈妈": ["women"], "老婆": ["women"], "老公": ["men"], "爸爸": ["men"],
    "男童": ["boys", "kids"], "男孩": ["boys", "kids"], "女童": ["girls", "kids"], "女孩": ["girls", "kids"],
    "中性": ["unisex"], "男女通用": ["unisex"], "男女同款": ["unisex"], "情侣": ["unisex"],
    "儿童": ["kids", "boys", "girls"], "童装": ["kids", "boys", "girls"], "孩子": ["kids", "boys", "girls"], "小孩": ["kids", "boys", "girls"],
    "宝宝": ["baby", "kids"], "婴儿": ["baby", "infant", "kids"], "童": ["kids", "boys", "girls"],
}

#: Garments, shoes, bags, accessories, jewellery, beauty, home, kitchen, electronics, sports, baby, car.
ZH_PRODUCTS: dict[str, list[str]] = {
    # tops
    "t恤": ["t-shirt", "tshirts", "tees"], "体恤": ["t-shirt", "tshirts"], "短袖": ["t-shirt", "tshirts"], "短袖t恤": ["t-shirt", "tshirts"],
    "长袖t恤": ["t-shirt", "tshirts"], "衬衫": ["shirts", "blouse"], "衬衣": ["shirts", "blouse"], "女衬衫": ["blouse", "shirts"],
    "雪纺衫": ["blouse", "tops"], "上衣": ["tops"], "吊带": ["vest top", "camisole", "tank top"], "吊带背心": ["vest top", "camisole", "tank top"],
    "背心": ["vest top", "tank top", "innerwear vests"], "坎肩": ["vest top", "waistcoats"], "polo衫": ["polo shirt", "polos tshirts", "polo"],
    "卫衣": ["hoodie", "sweatshirts"], "连帽衫": ["hoodie", "sweatshirts"], "连帽卫衣": ["hoodie", "sweatshirts"], "套头衫": ["pullovers", "sweaters", "sweatshirts"],
    "毛衣": ["sweaters", "jumper", "pullovers"], "针织衫": ["sweaters", "cardigan", "knitwear"], "羊毛衫": ["sweaters"], "羊绒衫": ["sweaters", "cashmere"],
    "开衫": ["cardigan", "cardigans"], "针织开衫": ["cardigan", "cardigans"], "高领毛衣": ["sweaters", "turtleneck"], "打底衫": ["tops", "t-shirt"],
    "马甲": ["waistcoats", "vest", "gilet"], "西装马甲": ["tailored waistcoat", "waistcoats"], "抹胸": ["tops", "bandeau"],
    # outerwear
    "外套": ["jackets", "coat"], "夹克": ["jackets"], "夹克衫": ["jackets"], "皮衣": ["jackets", "leather jacket"], "牛仔外套": ["jackets", "denim jacket"],
    "大衣": ["coat", "coats", "overcoat"], "风衣": ["coat", "trench coat"], "羽绒服": ["jackets", "down jacket", "puffer"], "棉服": ["jackets", "padded jacket"],
    "棉衣": ["jackets", "padded jacket"], "冲锋衣": ["jackets", "outdoor jacket", "windcheaters"], "西装": ["blazer", "suits"], "西装外套": ["blazer", "blazers"],
    "西服": ["blazer", "suits"], "雨衣": ["raincoats", "rain jacket"], "防风衣": ["windcheaters", "jackets"], "斗篷": ["cape", "poncho"],
    # bottoms
    "裤子": ["trousers", "pants"], "长裤": ["trousers", "pants"], "西裤": ["trousers", "formal trousers"], "休闲裤": ["trousers", "casual trousers", "chinos"],
    "牛仔裤": ["jeans", "denim trousers"], "运动裤": ["track pants", "sweatpants", "joggers", "trousers"], "卫裤": ["sweatpants", "joggers", "track pants"],
    "短裤": ["shorts"], "热裤": ["shorts", "hot pants"], "打底裤": ["leggings", "tights", "jeggings"], "紧身裤": ["leggings", "jeggings", "skinny"],
    "九分裤": ["trousers", "capris"], "七分裤": ["capris", "trousers"], "阔腿裤": ["trousers", "wide leg"], "工装裤": ["cargos", "trousers", "cargo"],
    "背带裤": ["dungarees", "overalls"], "哈伦裤": ["harem pants", "trousers"], "睡裤": ["pyjama bottom", "lounge pants", "pyjamas"],
    "连衣裙": ["dress", "dresses"], "裙子": ["dress", "dresses", "skirts"], "长裙": ["dress", "maxi dress", "skirts"], "半身裙": ["skirt", "skirts"],
    "短裙": ["skirt", "skirts", "mini skirt"], "百褶裙": ["skirt", "pleated skirt"], "a字裙": ["skirt", "a-line"], "包臀裙": ["skirt", "pencil skirt"],
    "连体裤": ["jumpsuit", "playsuit", "jumpsuits"], "连身裤": ["jumpsuit", "playsuit"], "背心裙": ["dress", "pinafore"],
    # underwear, night, swim
    "内衣": ["bra", "underwear", "lingerie", "innerwear"], "文胸": ["bra", "bras"], "胸罩": ["bra", "bras"], "运动内衣": ["sports bra", "bra"],
    "内裤": ["underwear bottom", "briefs", "panties", "trunk"], "三角裤": ["briefs", "underwear bottom"], "平角裤": ["trunk", "boxers", "underwear bottom"],
    "四角裤": ["boxers", "trunk"], "丝袜": ["tights", "stockings", "underwear tights"], "连裤袜": ["tights", "underwear tights", "pantyhose"],
    "塑身衣": ["shapewear", "underwear body"], "睡衣": ["pyjamas", "pyjama set", "nightwear", "night suits", "night gown"],
    "家居服": ["pyjamas", "loungewear", "nightwear"], "睡裙": ["night gown", "nightdress", "nightwear"], "浴袍": ["robe", "bathrobe"],
    "泳衣": ["swimsuit", "swimwear"], "连体泳衣": ["swimsuit"], "比基尼": ["bikini", "bikini top", "swimwear"], "比基尼上衣": ["bikini top"],
    "泳裤": ["swimwear bottom", "swim shorts", "swim trunks"], "比基尼泳裤": ["swimwear bottom", "bikini bottoms"], "沙滩裤": ["swim shorts", "shorts"],
    "袜子": ["socks"], "短袜": ["socks", "ankle socks"], "船袜": ["socks", "no show socks"], "长筒袜": ["socks", "knee socks", "stockings"],
    "连体衣": ["bodysuit", "romper", "onesie"], "秋衣": ["thermals", "thermal top"], "秋裤": ["thermals", "long johns"], "保暖内衣": ["thermals"],
    "套装": ["garment set", "sets", "suits"], "运动套装": ["track suits", "tracksuit"], "汉服": ["ethnic", "hanfu"], "旗袍": ["dress", "qipao", "ethnic"],
    "库尔塔": ["kurtas", "kurta"], "纱丽": ["sarees", "saree"],
    # shoes
    "鞋": ["shoes", "shoe"], "鞋子": ["shoes", "shoe"], "运动鞋": ["sports shoes", "sneakers", "trainers"], "跑鞋": ["running shoes", "sports shoes", "sneakers"],
    "跑步鞋": ["running shoes", "sports shoes", "sneakers"], "球鞋": ["sneakers", "sports shoes"], "篮球鞋": ["sports shoes", "basketball shoes"],
    "板鞋": ["sneakers", "casual shoes"], "小白鞋": ["sneakers", "casual shoes"], "帆布鞋": ["canvas shoes", "casual shoes", "sneakers"],
    "休闲鞋": ["casual shoes", "sneakers"], "皮鞋": ["formal shoes", "leather shoes"], "正装鞋": ["formal shoes"], "乐福鞋": ["loafers"],
    "豆豆鞋": ["loafers", "moccasins"], "高跟鞋": ["heels", "pumps", "heeled sandals"], "细跟鞋": ["heels", "pumps"], "坡跟鞋": ["wedge", "wedges"],
    "单鞋": ["flats", "flat shoe", "pumps"], "平底鞋": ["flats", "flat shoe", "ballerinas"], "芭蕾鞋": ["ballerinas", "ballet flats"],
    "芭蕾舞鞋": ["ballerinas", "ballet flats"], "芭蕾平底鞋": ["ballerinas", "ballet flats"], "芭蕾舞平底鞋": ["ballerinas", "ballet flats"],
    "凉鞋": ["sandals", "heeled sandals"], "运动凉鞋": ["sports sandals", "sandals"], "拖鞋": ["slippers", "flip flops", "slides"],
    "人字拖": ["flip flop", "flip flops", "slippers flip flops"], "洞洞鞋": ["clogs"], "靴子": ["boots"], "靴": ["boots"], "短靴": ["boots", "ankle boots"],
    "长靴": ["boots", "knee boots"], "马丁靴": ["boots"], "雪地靴": ["boots", "snow boots"], "雨靴": ["boots", "rain boots"], "踝靴": ["boots", "bootie"],
    # bags
    "包": ["bags", "bag"], "包包": ["bags", "bag", "handbags"], "手提包": ["handbags", "hand bags", "bag", "tote bag"], "女包": ["handbags", "bag"],
    "单肩包": ["shoulder bag", "handbags", "bag"], "斜挎包": ["cross-body bag", "sling bags", "bag"], "托特包": ["tote bag", "handbags"],
    "手拿包": ["clutches", "clutch"], "晚宴包": ["clutches", "clutch"], "背包": ["backpacks", "backpack", "bag"], "双肩包": ["backpacks", "backpack"],
    "书包": ["backpacks", "school bags"], "电脑包": ["laptop bag", "laptop bags"], "腰包": ["waist pouch", "bag"], "旅行包": ["duffel bag", "weekend/gym bag", "travel bags"],
    "健身包": ["weekend/gym bag", "fitness bags", "gym bag"], "行李箱": ["trolley bags", "suitcases", "luggage"], "拉杆箱": ["trolley bags", "luggage"],
    "钱包": ["wallets", "wallet", "purse"], "皮夹": ["wallets", "wallet"], "卡包": ["wallets", "card holder"], "零钱包": ["wallets", "coin purse"],
    "手机壳": ["mobile case", "cases covers", "phone case"], "手机套": ["mobile pouches", "cases covers", "mobile case"], "手机袋": ["mobile pouches"],
    # accessories
    "手表": ["watches", "watch", "wrist watches"], "腕表": ["watches", "watch", "wrist watches"], "智能手表": ["smart watches", "watches"],
    "皮带": ["belts", "belt"], "腰带": ["belts", "belt"], "太阳镜": ["sunglasses"], "墨镜": ["sunglasses"], "眼镜": ["eyeglasses", "eyewear", "sunglasses"],
    "帽子": ["hat", "caps", "hat/beanie"], "棒球帽": ["caps", "cap/peaked", "cap"], "鸭舌帽": ["caps", "cap/peaked", "cap"], "毛线帽": ["beanie", "hat/beanie"],
    "针织帽": ["beanie", "hat/beanie"], "渔夫帽": ["hat", "hat/brim", "bucket hat"], "草帽": ["straw hat", "hat"], "礼帽": ["felt hat", "hat"],
    "围巾": ["scarves", "scarf", "mufflers", "stoles"], "披肩": ["stoles", "scarf", "shawl"], "丝巾": ["scarf", "scarves"], "领带": ["ties", "tie"],
    "领结": ["bow tie", "ties"], "手套": ["gloves"], "袖扣": ["cufflinks"], "雨伞": ["umbrellas", "umbrella"], "伞": ["umbrellas", "umbrella"],
    "发夹": ["hair clip", "hair accessory"], "发卡": ["hair clip", "hair accessory"], "发箍": ["alice band", "hairband", "hair/alice band"],
    "发带": ["hairband", "hair/alice band"], "发圈": ["hair ties", "hair string", "scrunchie"], "头绳": ["hair ties", "hair string"], "钥匙扣": ["key chains", "keychain"],
    "口罩": ["mask", "face mask"], "背带": ["braces", "suspenders"],
    # jewellery
    "首饰": ["jewellery", "jewelry"], "耳环": ["earrings", "earring"], "耳钉": ["earrings", "earring", "studs"], "耳坠": ["earrings", "earring"],
    "项链": ["necklace", "necklaces", "necklaces chains"], "吊坠": ["pendants", "pendant", "pendants lockets"], "戒指": ["rings", "ring"],
    "手链": ["bracelet", "bracelets"], "手镯": ["bangles", "bracelet"], "脚链": ["anklet"], "胸针": ["brooch"], "项圈": ["necklace", "choker"],
    # beauty
    "香水": ["perfume", "fragrance"], "口红": ["lipstick"], "唇膏": ["lip balm", "lipstick"], "唇釉": ["lip gloss", "lipstick"],
    "唇线笔": ["lip liner", "lip liners"], "眼影": ["eyeshadow"], "眼线笔": ["eyeliner", "kajal"], "睫毛膏": ["mascara"], "粉底液": ["foundation"],
    "粉底": ["foundation"], "腮红": ["blush", "blushes"], "高光": ["highlighter"], "散粉": ["face powder", "compact"], "遮瑕": ["concealer"],
    "指甲油": ["nail polish", "nail polishes"], "化妆刷": ["makeup brushes"], "面霜": ["face cream", "moisturiser"], "乳液": ["lotion", "moisturiser"],
    "防晒霜": ["sunscreen"], "洗面奶": ["face wash", "cleanser"], "面膜": ["face mask", "mask"], "爽肤水": ["toner"], "精华": ["serum"],
    "洗发水": ["shampoo", "shampoos"], "护发素": ["conditioner", "conditioners"], "沐浴露": ["body wash", "shower gel"], "香皂": ["soap", "soaps"],
    "肥皂": ["soap", "soaps"], "身体乳": ["body lotion"], "护手霜": ["hand cream"], "剃须刀": ["shaver", "razor"], "电动牙刷": ["electric toothbrush"],
    "牙膏": ["toothpaste"], "牙刷": ["toothbrush"], "吹风机": ["hair dryer"], "卷发棒": ["hair curler", "hair styling"], "化妆盒": ["vanity boxes", "vanity box", "makeup box"],
    "化妆包": ["makeup pouch", "vanity boxes"], "卫生巾": ["sanitary pads", "womens hygiene"], "月经杯": ["menstrual cups"],
    # home
    "床单": ["bedsheets", "bed sheet"], "被套": ["duvet covers", "quilt cover"], "枕头": ["pillows", "pillow"], "枕套": ["pillow covers", "cushion covers"],
    "抱枕": ["cushions", "cushion covers"], "靠垫": ["cushions"], "被子": ["quilts", "comforters"], "毯子": ["blankets"], "毛巾": ["towels", "towel"],
    "浴巾": ["bath towels", "towels"], "窗帘": ["curtains"], "地毯": ["carpets", "rugs"], "地垫": ["mats", "doormats"], "桌布": ["table covers", "tablecloth"],
    "台灯": ["table lamps", "lamps"], "灯泡": ["bulbs", "bulb"], "灯": ["lamps", "lighting"], "相框": ["photo frames", "photo frame"], "花瓶": ["flower vase", "vases"],
    "摆件": ["showpieces", "showpiece", "figurines"], "挂钟": ["wall clocks", "clocks"], "墙贴": ["wall decals stickers", "wall stickers"], "蜡烛": ["candles"],
    "香薰": ["aroma oils", "aroma diffuser", "fragrances"], "精油": ["aroma oils", "essential oils"], "香薰精油": ["aroma oils", "essential oils"],
    "收纳盒": ["storage boxes", "containers"], "衣架": ["hangers"], "沙发": ["sofas", "sofa beds futons"], "椅子": ["chairs"], "桌子": ["tables"],
    "书架": ["bookshelves", "wall shelves"], "置物架": ["wall shelves", "shelves"], "床垫": ["mattresses"], "蚊帐": ["mosquito nets"],
    # kitchen
    "杯子": ["mugs", "cups", "glasses"], "马克杯": ["mugs", "coffee mugs"], "咖啡杯": ["coffee mugs", "cups saucers", "mugs"], "水杯": ["water bottles", "cups", "bottles"],
    "水壶": ["water bottles", "bottles", "kettles"], "保温杯": ["flasks", "water bottles"], "饭盒": ["lunch boxes", "lunch box"], "便当盒": ["lunch boxes"],
    "碗": ["bowls"], "盘子": ["plates", "dinnerware"], "锅": ["pots pans", "cookware"], "平底锅": ["pans tawas", "frying pan", "pans"], "炒锅": ["woks", "pans"],
    "刀": ["knives"], "菜刀": ["kitchen knives"], "砧板": ["chopping boards"], "餐具": ["cutlery", "tableware"], "筷子": ["chopsticks"], "保鲜盒": ["containers"],
    "微波炉": ["microwave ovens", "microwave"], "电饭煲": ["rice cookers"], "烤箱": ["ovens"], "咖啡机": ["coffee makers"], "榨汁机": ["juicers", "mixer grinders"],
    "电水壶": ["electric kettles", "kettles"], "吸尘器": ["vacuum cleaners"], "电风扇": ["fans"], "空气净化器": ["air purifiers"],
    # electronics
    "手机": ["mobiles", "phones", "smartphones"], "充电器": ["chargers", "wall chargers", "mobile chargers"], "手机充电器": ["mobile chargers", "wall chargers", "chargers"],
    "车载充电器": ["car chargers"], "充电宝": ["power banks"], "数据线": ["cables", "usb cables"], "耳机": ["headphones", "earphones", "headphones with mic"],
    "蓝牙耳机": ["bluetooth headphones", "headphones"], "音箱": ["speakers"], "音响": ["speakers"], "蓝牙音箱": ["bluetooth speakers", "speakers"],
    "键盘": ["keyboards", "keyboard"], "鼠标": ["mouse", "mice"], "电脑": ["laptops", "computers"], "笔记本电脑": ["laptops"], "平板": ["tablets"],
    "相机": ["cameras"], "路由器": ["routers"], "u盘": ["pen drives", "usb drives"], "贴膜": ["screen guards"], "钢化膜": ["screen guards"],
    "游戏手柄": ["gamepads", "gaming accessories"], "电池": ["batteries"],
    # stationery, toys, sports
    "笔": ["pens"], "钢笔": ["fountain pens", "pens"], "铅笔": ["pencils", "mechanical pencils"], "笔记本": ["notebooks", "diaries"], "日记本": ["diaries"],
    "文件夹": ["files and folders", "folders"], "剪刀": ["scissors"], "尺子": ["rulers"], "玩具": ["toys"], "积木": ["building blocks", "toys"],
    "拼图": ["puzzles", "puzzles board games"], "桌游": ["board games"], "娃娃": ["dolls"], "毛绒玩具": ["soft toys"],
    "瑜伽垫": ["yoga mats"], "哑铃": ["dumbbells"], "板球": ["cricket"], "板球手套": ["cricket gloves"], "板球拍": ["cricket bats"], "高尔夫球": ["golf balls", "golf"],
    "足球": ["football"], "篮球": ["basketball"], "羽毛球拍": ["badminton rackets"], "球拍": ["rackets"], "头盔": ["helmets", "helmet"], "轮滑鞋": ["skates"],
    "运动水壶": ["sports bottles", "water bottles"], "护膝": ["knee support"], "蛋白粉": ["protein supplements"],
    # baby
    "奶瓶": ["feeding bottles"], "尿布": ["diapers"], "纸尿裤": ["diapers"], "婴儿车": ["strollers", "prams"], "口水巾": ["baby bib", "bibs"], "围兜": ["baby bib", "bibs"],
    # car and bike
    "汽车脚垫": ["car mats"], "脚垫": ["car mats", "mats"], "遮阳挡": ["car sun shades", "sun shade"], "汽车遮阳挡": ["car sun shades"],
    "车衣": ["car body covers"], "车贴": ["car stickers decals"], "车灯": ["car headlights", "bike light bulbs"], "座套": ["seat covers"],
    # pets
    "狗衣服": ["dog wear"], "宠物": ["pet supplies"], "猫砂": ["cat litter"],
}

#: Occasions and seasons (soft: they rank, never filter).
ZH_USAGE: dict[str, list[str]] = {
    "运动": ["sports"], "休闲": ["casual"], "正装": ["formal"], "正式": ["formal"], "商务": ["formal"], "派对": ["party"], "民族风": ["ethnic"],
    "夏季": ["summer"], "夏天": ["summer"], "冬季": ["winter"], "冬天": ["winter"], "秋季": ["fall"], "秋天": ["fall"], "春季": ["spring"], "春天": ["spring"],
}

#: International brands by the Chinese names shoppers say (a catalog spells them in Latin letters); each resolves
#: only where the catalog sells the brand.
ZH_BRANDS: dict[str, list[str]] = {
    "耐克": ["nike"], "阿迪达斯": ["adidas"], "阿迪": ["adidas"], "彪马": ["puma"], "李维斯": ["levis", "levi's"], "锐步": ["reebok"],
    "斐乐": ["fila"], "匡威": ["converse"], "万斯": ["vans"], "新百伦": ["new balance"], "亚瑟士": ["asics"], "斯凯奇": ["skechers"],
    "优衣库": ["uniqlo"], "飒拉": ["zara"], "李宁": ["li-ning", "li ning"], "安踏": ["anta"], "卡西欧": ["casio"], "天梭": ["tissot"],
    "浪琴": ["longines"], "欧米茄": ["omega"], "劳力士": ["rolex"], "雷朋": ["ray-ban", "rayban"], "贝纳通": ["united colors of benetton", "benetton"],
    "牧马人": ["wrangler"], "添柏岚": ["timberland"], "北面": ["the north face"], "哥伦比亚": ["columbia"], "卡帕": ["kappa"], "茵宝": ["umbro"],
    "美津浓": ["mizuno"], "迪卡侬": ["decathlon"], "杰克琼斯": ["jack & jones", "jack and jones"], "汤米": ["tommy hilfiger"],
    "拉夫劳伦": ["ralph lauren"], "古驰": ["gucci"], "普拉达": ["prada"], "香奈儿": ["chanel"], "迪奥": ["dior"], "路易威登": ["louis vuitton"],
    "蔻驰": ["coach"], "欧莱雅": ["l'oreal", "loreal"], "兰蔻": ["lancome"], "雅诗兰黛": ["estee lauder"], "飞利浦": ["philips"], "戴森": ["dyson"],
    "三星": ["samsung"], "华为": ["huawei"], "小米": ["xiaomi", "mi"], "索尼": ["sony"], "宜家": ["ikea"], "乐高": ["lego"], "费雪": ["fisher-price"],
    "花花公子": ["playboy"], "鳄鱼": ["lacoste"], "马球": ["u.s. polo assn.", "polo"], "箭牌": ["arrow"],
}

#: Everything above, longest keys matched first by the parser.
ZH_TO_EN: dict[str, list[str]] = {**ZH_USAGE, **ZH_PRODUCTS, **ZH_GENDERS, **ZH_COLOURS, **ZH_BRANDS}
