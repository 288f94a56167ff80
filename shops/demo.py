"""Demo shops and offers: a realistic district network (33 named shops, or `demo --shops N`)."""
import math
import random
from datetime import timedelta

from baiye import lists
from baiye.accounts.services import create_user, hash_password
from baiye.clock import local_date
from baiye.extensions import db
from baiye.validators import USCC_CHARS, uscc_check_char

from .models import Offer, Shop

NAMES = {
    "catering": ["老兵面馆", "红星饭店", "军嫂饺子馆", "八一火锅", "拥军早餐铺", "家常菜馆"],
    "retail": ["惠民超市", "双拥便利店", "百姓药房", "新华书店", "戎装户外用品"],
    "lodging": ["迎宾酒店", "军旅主题宾馆", "如家快捷"],
    "health": ["康复理疗中心", "仁心口腔诊所", "明目眼镜店"],
    "education": ["启航培训学校", "书香驾校"],
    "transport": ["顺达出租车队", "城际客运站"],
    "tourism": ["烈士陵园纪念馆文创店", "青山景区"],
    "leisure": ["全民健身馆", "星光影城", "老兵茶社"],
    "services": ["快剪理发", "洁净洗衣", "家电维修部"],
    "auto": ["车友汽修", "速洁洗车"],
    "telecom": ["移动营业厅"],
    "finance": ["农商银行网点"],
}
OFFERS = [
    ("全单9折", "percent_off", 10, None, None, "day"),
    ("凭证85折", "percent_off", 15, None, None, "week"),
    ("满100减20", "amount_off", 2000, 10000, 1, "day"),
    ("立减10元", "amount_off", 1000, 3000, 2, "week"),
    ("赠送饮品一份", "gift", 800, None, 1, "day"),
    ("优先办理", "priority", None, None, None, "none"),
]
# A network of `demo --shops N`: how its shops divide among the industries (a district's programme is mostly
# restaurants and shops), the kinds of shop of each industry, and the words their names start with.
INDUSTRY_SHARE = {"catering": 30, "retail": 20, "services": 10, "health": 8, "lodging": 6, "leisure": 6, "auto": 5,
                  "education": 4, "transport": 3, "tourism": 3, "telecom": 2, "finance": 2, "other": 1}
KINDS = {
    "catering": ["面馆", "饭店", "饺子馆", "火锅店", "早餐店", "家常菜馆", "烧烤店", "快餐店", "包子铺", "茶餐厅"],
    "retail": ["超市", "便利店", "大药房", "书店", "户外用品店", "粮油店", "水果店", "服装店"],
    "lodging": ["酒店", "宾馆", "快捷酒店", "民宿"],
    "health": ["康复理疗中心", "口腔诊所", "眼镜店", "中医馆", "体检中心"],
    "education": ["培训学校", "驾校", "职业技能培训中心"],
    "transport": ["出租车队", "客运站", "汽车租赁"],
    "tourism": ["景区", "文创店", "旅行社"],
    "leisure": ["健身馆", "影城", "茶社", "游泳馆"],
    "services": ["理发店", "洗衣店", "家电维修部", "照相馆", "家政服务部"],
    "auto": ["汽修厂", "洗车店", "轮胎店"],
    "telecom": ["移动营业厅", "联通营业厅", "电信营业厅"],
    "finance": ["农商银行网点", "邮储银行网点"],
}
BRANDS = ["老兵", "红星", "八一", "拥军", "军嫂", "双拥", "惠民", "长城", "东方", "兴华", "金穗", "向阳", "和平",
          "光明", "百姓", "民生", "春风", "顺达", "安康", "家和"]
# Where the demo district lies (a county seat's centre; fictional, as its streets are), and where each of the
# default streets is from it (bearing in degrees, km): the town's streets (街道) round the centre, its townships
# (镇, 乡) 6-9 km out. A street a deployment adds is placed on a ring. A shop lies within about 600 m of its
# street's point; nine shops in ten have said where they are, the rest have not (near me lists them by street).
CENTRE = (30.5928, 114.3055)
PLACES = {"chengguan": (0, 0.3), "dongcheng": (90, 2.0), "xicheng": (270, 2.0), "nanhu": (180, 2.5),
          "beiyuan": (0, 2.5), "qingshan": (225, 8.0), "hexi": (300, 6.5), "lijia": (40, 9.0)}
KM_PER_DEGREE = 111.32
HOURS = {"catering": "10:00–22:00", "retail": "08:00–22:00", "lodging": "00:00–24:00", "finance": "09:00–17:00",
         "telecom": "09:00–18:00", "education": "08:30–20:30"}


def licence(rng):
    body = "91" + f"{rng.randrange(110000, 659999)}" + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def build(rng, now, password, echo, shops=None, **options):
    """Coordinator, shops with owners, a cashier, and their offers: 33 named shops (three of them waiting for
    approval and one suspended), or with `shops` that many approved shops across the streets and industries."""
    create_user("demo-coordinator", password, "coordinator", display_name="区双拥办")
    today = local_date(now)
    made = []
    for name, industry, street in (_named_shops(rng) if shops is None else _network(rng, shops)):
        shop = Shop(name=name, industry=industry, street=street,
                    address=f"{lists.street_label(street)}{rng.randrange(1, 300)}号",
                    phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                    licence_no=licence(rng), hours="09:00–21:00" if shops is None else HOURS.get(industry, "09:00–21:00"),
                    status="approved", created_at=now - timedelta(days=rng.randrange(60, 400)))
        shop.location = _location(street, len(made))
        shop.approved_at = shop.created_at + timedelta(days=2)
        db.session.add(shop)
        made.append(shop)
        for title, kind, value, min_spend, limit, period in rng.sample(OFFERS, rng.choice((1, 2, 2, 3))):
            categories = "" if rng.random() < 0.6 else ",".join(sorted(rng.sample(
                ["active_duty", "family", "veteran", "martyr_family"], 2)))
            db.session.add(Offer(shop=shop, title=title, kind=kind, value=value, min_spend=min_spend,
                                 categories=categories, limit_per_member=limit,
                                 limit_period=period if limit else "none",
                                 starts_on=today - timedelta(days=120), ends_on=None))
    if shops is None:
        for shop in made[-3:]:
            shop.status, shop.approved_at = "pending", None
        made[-4].status, made[-4].status_reason = "suspended", "店铺装修暂停营业"
    db.session.flush()
    # Every demo account has the same password, so one hash serves them all (scrypt costs 0.1 s a hash here:
    # 20 s for the owners of 200 shops).
    password_hash = hash_password(password)
    for index, shop in enumerate(made):
        owner = create_user("demo-owner" if index == 0 else f"owner{shop.id:03d}", None, "owner", shop=shop,
                            display_name="老王" if index == 0 else None)  # a name, as on the till's records
        owner.password_hash = password_hash
    create_user("demo-cashier", password, "cashier", shop=made[0], display_name="小王")
    db.session.flush()
    echo(f"demo: {len(made)} shops with offers")


def _location(street, index):
    """{"lat", "lng"} of the `index`-th demo shop on `street`, or None for one shop in ten. Drawn from a generator
    of the shop's own, so the demo's other figures are the same with or without locations."""
    rng = random.Random(f"{street}:{index}")
    if rng.random() < 0.1:
        return None
    keys = [key for key, _ in lists.streets()]
    bearing, distance = PLACES.get(street) or (360 * keys.index(street) / len(keys), 4.0)
    bearing, distance = math.radians(bearing), distance + rng.uniform(0, 0.3)
    east, north = distance * math.sin(bearing) + rng.gauss(0, 0.3), distance * math.cos(bearing) + rng.gauss(0, 0.3)
    lat = CENTRE[0] + north / KM_PER_DEGREE
    return {"lat": round(lat, 6), "lng": round(CENTRE[1] + east / (KM_PER_DEGREE * math.cos(math.radians(lat))), 6)}


def _named_shops(rng):
    """(name, industry, street) of the small demo's shops, each on a street drawn at random as it is made (the
    same draws, in the same order, as ever: a seed makes the same demo)."""
    streets = [key for key, _ in lists.streets()]
    for industry, names in NAMES.items():
        for name in names:
            yield name, industry, rng.choice(streets)


def _network(rng, count):
    """(name, industry, street) of `count` shops: every street and industry has some where the count allows,
    the rest divided by INDUSTRY_SHARE and by street, a street (街道) of the town having three times the shops
    of a township (镇, 乡); the names are those of the small demo first, then a place, a word and a kind."""
    industries = lists.keys("INDUSTRIES")
    streets = lists.streets()
    street_keys = [key for key, _ in streets]
    street_weights = [3 if label.endswith("街道") else 1 for _, label in streets]
    picked = industries[:count] + rng.choices(industries, [INDUSTRY_SHARE.get(key, 1) for key in industries],
                                              k=max(0, count - len(industries)))
    rng.shuffle(picked)
    places = street_keys[:count] + rng.choices(street_keys, street_weights, k=max(0, count - len(street_keys)))
    rng.shuffle(places)
    unused = {industry: list(names) for industry, names in NAMES.items()}
    taken, network = set(), []
    for industry, street in zip(picked, places):
        if unused.get(industry):
            name = unused[industry].pop(0)
        else:
            place = lists.street_label(street).removesuffix("街道").removesuffix("镇").removesuffix("乡")
            name = base = place + rng.choice(BRANDS) + rng.choice(KINDS.get(industry, ["商行"]))
            branch = 1
            while name in taken:  # another shop of the same name is a branch
                branch += 1
                name = f"{base}（{branch}店）"
        taken.add(name)
        network.append((name, industry, street))
    return network
