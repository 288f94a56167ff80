"""Safe defaults. Deployments override them in instance/config.py or the environment."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

# pool_pre_ping applies to server databases only (create_app): a SQLite file has no connection to lose.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
SQLALCHEMY_TRACK_MODIFICATIONS = False

TIMEZONE = "Asia/Shanghai"
BABEL_DEFAULT_LOCALE = "zh_CN"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
LANGUAGES = {"zh_CN": "中文", "en": "English"}

MAX_CONTENT_LENGTH = 8 * 1024 * 1024
PASSWORD_HASH_METHOD = "scrypt"
PASSWORD_MIN_LENGTH = 8
API_TOKEN_TTL = timedelta(days=30)
# Bearer tokens are resolved once per this many seconds per worker (expiry is still exact); a deleted
# token or disabled user may keep working in other workers for at most this long. 0 turns it off.
API_TOKEN_CACHE_SECONDS = 5
# A till phone stays signed in for a month after its sign-in (then signs in again); signing out, a new
# password or a disabled account ends it at once, everywhere.
REMEMBER_COOKIE_DURATION = timedelta(days=30)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# Secure cookies are switched on when BASE_URL is https (see create_app); SECURE_COOKIES=False opts out.
WTF_CSRF_TIME_LIMIT = None

# In-process counters (per worker, baiye.ratelimit); production sets redis:// so that every worker and node
# counts together.
RATELIMIT_STORAGE_URI = "worker-memory://"
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_LOGIN = "10 per minute"  # per address, the sign-in page and the API together
# Failed sign-ins per account from any address: a short window, so a stranger cannot keep a shop out for long.
RATELIMIT_LOGIN_ACCOUNT = "10 per 5 minutes"
RATELIMIT_REGISTER = "20 per hour"
RATELIMIT_VERIFY = "120 per minute"

VOID_WINDOW_MINUTES = 30
BILL_CEILING_FEN = 10_000_000  # 100,000 yuan: anything above is a typo at a till
PHONE_CODE_STEP_SECONDS = 30
PHONE_CODE_GRACE_STEPS = 2
# Ed25519 keys that sign codes, {kid: PEM or base64url 32-byte seed}; none configured: one derived from
# SECRET_KEY (so app servers sharing the secret key share it). Every listed key verifies and is published at /.well-known/jwks.json; ED25519_SIGNING_KID
# names the one that signs (needed when more than one is listed). See docs/tokens.md.
ED25519_KEYS = None
ED25519_SIGNING_KID = None
# Cards printed before Ed25519 (HMAC-signed with TOKEN_KEYS, else a key derived from SECRET_KEY) still verify.
ACCEPT_LEGACY_CARDS = True
# Misses of the phone's typed number against one credential (its slot) before its typed path is paused (the same
# wrong number again within one time step counts once), counted where RATELIMIT_STORAGE_URI says: once for the
# service on Redis, per gunicorn worker on the default worker-memory:// (docs/tokens.md).
TYPED_DIGITS_MISSES = "5 per 10 minutes"
RETENTION_MONTHS = 24
# The ledger (ledger/): the name its signed checkpoints carry (C2SP origin: set it once, e.g. to your site's
# host + "/ledger", and keep it), and how often gunicorn's appender adds committed events (0: not at all, when
# cron runs `flask ledger append` instead).
LEDGER_ORIGIN = "baiye-qiandian/ledger"
LEDGER_APPEND_SECONDS = 60
LEDGER_CHECKPOINT_HOURS = 24  # the appender signs a checkpoint when the latest is older than this
# The evidence pack is built in a thread of the worker that was asked (so the request returns at once; tests turn it
# off and build the queued pack themselves), and kept this long once built.
EVIDENCE_PACK_THREAD = True
# Evidence packs building at once, across every app server (each takes a few hundred MB and a core for seconds).
EVIDENCE_PACK_BUILDS = 1
EVIDENCE_PACK_TTL = timedelta(hours=24)

# The programme's lists. Keys are stable (stored); labels are shown.
INDUSTRIES = [
    ("catering", _l("餐饮")),
    ("retail", _l("零售")),
    ("lodging", _l("住宿")),
    ("health", _l("医疗健康")),
    ("education", _l("教育培训")),
    ("transport", _l("交通出行")),
    ("tourism", _l("文化旅游")),
    ("leisure", _l("休闲娱乐")),
    ("services", _l("生活服务")),
    ("auto", _l("汽车服务")),
    ("telecom", _l("通信")),
    ("finance", _l("金融")),
    ("other", _l("其他")),
]
STREETS = [
    ("chengguan", "城关街道"),
    ("dongcheng", "东城街道"),
    ("xicheng", "西城街道"),
    ("nanhu", "南湖街道"),
    ("beiyuan", "北苑街道"),
    ("qingshan", "青山镇"),
    ("hexi", "河西镇"),
    ("lijia", "李家乡"),
]
CATEGORIES = [
    ("active_duty", _l("现役军人")),
    ("family", _l("军属")),
    ("veteran", _l("退役军人")),
    ("martyr_family", _l("烈士遗属")),
]
# Short names people write for a category in a spreadsheet, beside the labels above (a deployment that changes
# CATEGORIES changes these with them).
CATEGORY_ALIASES = {"现役": "active_duty", "军人家属": "family", "退役": "veteran", "烈属": "martyr_family",
                    "烈士家属": "martyr_family"}
