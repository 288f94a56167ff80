"""Demo shops and offers: a realistic district network."""
from datetime import timedelta

from baiye import lists
from baiye.accounts.services import create_user
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


def licence(rng):
    body = "91" + f"{rng.randrange(110000, 659999)}" + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def build(rng, now, password, echo, **options):
    """Coordinator, about forty shops with owners, a cashier, and their offers."""
    create_user("demo-coordinator", password, "coordinator", display_name="区双拥办")
    today = local_date(now)
    streets = [key for key, _ in lists.streets()]
    shops = []
    for industry, names in NAMES.items():
        for name in names:
            street = rng.choice(streets)
            shop = Shop(name=name, industry=industry, street=street,
                        address=f"{lists.street_label(street)}{rng.randrange(1, 300)}号",
                        phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                        licence_no=licence(rng), hours="09:00–21:00", status="approved",
                        created_at=now - timedelta(days=rng.randrange(60, 400)))
            shop.approved_at = shop.created_at + timedelta(days=2)
            db.session.add(shop)
            shops.append(shop)
            for title, kind, value, min_spend, limit, period in rng.sample(OFFERS, rng.choice((1, 2, 2, 3))):
                categories = "" if rng.random() < 0.6 else ",".join(sorted(rng.sample(
                    ["active_duty", "family", "veteran", "martyr_family"], 2)))
                db.session.add(Offer(shop=shop, title=title, kind=kind, value=value, min_spend=min_spend,
                                     categories=categories, limit_per_member=limit,
                                     limit_period=period if limit else "none",
                                     starts_on=today - timedelta(days=120), ends_on=None))
    for shop in shops[-3:]:
        shop.status, shop.approved_at = "pending", None
    shops[-4].status, shops[-4].status_reason = "suspended", "店铺装修暂停营业"
    db.session.flush()
    for index, shop in enumerate(shops):
        username = "demo-owner" if index == 0 else f"owner{shop.id:03d}"
        create_user(username, password, "owner", shop=shop)
    create_user("demo-cashier", password, "cashier", shop=shops[0], display_name="小王")
    db.session.flush()
    echo(f"demo: {len(shops)} shops with offers")
