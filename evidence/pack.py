"""The evidence pack's ZIP: what goes in, under which names, and the index that says what is where.

Everything in it is in Chinese, whatever the language of whoever asked: it is handed to the inspectors.
"""
import base64
import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from baiye import lists
from baiye.clock import to_local
from reports import inspection
from reports import photos as shop_photos
from reports import services as report_services
from reports.stats import Filters
from tools import VERIFY_PACK

from . import ledger, pdf

VERIFIER = VERIFY_PACK  # copied byte for byte

REPORT_PDF = "考评报告.pdf"
REPORT_HTML = "考评报告.html"
FIGURES = "统计数据.xlsx"
PHOTOS = "照片"
VERIFY = "verify_pack.py"
INSTRUCTIONS = "验证说明.txt"
INDEX = "索引.txt"
MANIFEST = "ledger/manifest.txt"  # signed, last: every other file's SHA-256
LEDGER_FILES = ("ledger/entries.jsonl", "ledger/checkpoint.txt", "ledger/proof.json", "ledger/jwks.json",
                "ledger/totals.json")
# The steps of a build, in order, with the share of the work done when each starts (percent): a year of 200 shops
# spent about a third of its time on the ledger (a checkpoint, the part's proof) and half on the PDF.
STEPS = {"ledger": 0, "report": 35, "figures": 85, "photos": 88, "index": 97}
# The stylesheets the printable page uses, put inline into the pack's report (a file in a ZIP links to nothing).
STYLESHEETS = ("css/app.css", "css/reports.css")
# What a file name cannot hold on Windows, macOS or Linux, and control characters.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
LOCALE = "zh_CN"


@dataclass
class Built:
    """What a finished build says about itself (for the job, the audit log and the command's output)."""

    checkpoint: object
    ledger_totals: dict
    summary: dict
    photos: int
    pdf_missing: str | None
    names: list


def build(first_day, last_day, now, origin, target, progress=None):
    """Write the evidence pack of [first_day, last_day] as a ZIP into the binary file `target`: the ledger's part
    tied to a checkpoint signed now, the report (PDF, or HTML saying why not), the figures, the photos of the
    participating shops, the verifier, its instructions and the index. `progress(step)` is called as each of STEPS
    starts; `origin` is the site's public address, for the links the pack prints."""
    progress = progress or (lambda step: None)
    filters = Filters(start=first_day, end=last_day)
    with force_locale(LOCALE), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        pack = Writer(archive, now)
        progress("ledger")
        checkpoint, part = ledger.checkpoint_and_part(first_day, last_day, now)
        for name in LEDGER_FILES:
            pack.add(name, part.files[name])
        progress("report")
        content = inspection.report_content(filters, now, checkpoint, origin)
        pdf_missing = add_report(pack, content)
        progress("figures")
        pack.add(FIGURES, report_services.figures_workbook(filters, now))
        progress("photos")
        listed = add_photos(pack, content["participating"], content["photos"])
        progress("index")
        if VERIFIER.is_file():
            pack.add(VERIFY, VERIFIER.read_bytes())
        participating = content["participating"]
        context = dict(
            content, origin=origin, ledger_totals=part.totals, pdf_missing=pdf_missing, photo_list=listed,
            report_name=REPORT_HTML if pdf_missing else REPORT_PDF, figures_name=FIGURES,
            sheets=[report_services.GROUP_TITLES[by] for by in report_services.WORKBOOK_GROUPS],
            shops_by_street=_count(lists.streets(), (s.street for s in participating)),
            shops_by_industry=_count(lists.industries(), (s.industry for s in participating)),
            differences=differences(content["summary"], part.totals), has_verifier=VERIFIER.is_file(),
            photo_folder=PHOTOS)
        pack.add(INSTRUCTIONS, text_file(render_template("evidence/instructions.txt", **context)))
        pack.add(INDEX, text_file(render_template("evidence/index.txt", **context,
                                                  names=pack.names + [INDEX, MANIFEST])))
        pack.add(MANIFEST, ledger.manifest(first_day, last_day, checkpoint, part, pack.digests, now))
    return Built(checkpoint=checkpoint, ledger_totals=part.totals, summary=content["summary"], photos=len(listed),
                 pdf_missing=pdf_missing, names=pack.names)


class Writer:
    """Files into the ZIP, each stamped with the build's local time; JPEGs stored as they are (they do not shrink).
    Each file's SHA-256 is kept for the manifest."""

    def __init__(self, archive, now):
        self.archive, self.names, self.digests = archive, [], {}
        self.stamp = to_local(now).timetuple()[:6]

    def add(self, name, data):
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16  # a plain readable file when unpacked
        self.archive.writestr(info, data)
        self.names.append(name)
        self.digests[name] = hashlib.sha256(data).hexdigest()


def add_report(pack, content):
    """The inspection report as a PDF, or (when this server cannot make one) as an HTML page: why not, or None."""
    thumbs = dict(shop_photos.photo_blobs([p.id for shown in content["photos"].values() for p in shown[:4]],
                                          thumb=True))

    def photo_src(photo):
        data = thumbs.get(photo.id)
        return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else ""

    stylesheet = "\n".join((Path(current_app.static_folder) / name).read_text(encoding="utf-8") for name in STYLESHEETS)
    html = render_template("evidence/report.html", stylesheet=stylesheet, photo_src=photo_src, **content)
    why_not = pdf.missing()
    if why_not:
        pack.add(REPORT_HTML, html.encode("utf-8"))
    else:
        pack.add(REPORT_PDF, pdf.render(html))
    return why_not


def add_photos(pack, shops, photos_by_shop):
    """Every shown photo of the shops as 照片/<街道>/<店名>-<n>.jpg (n counting from the shop's first upload):
    [(path, shop, photo)] of those written."""
    paths, folders = {}, {}
    for shop in shops:
        folder = f"{PHOTOS}/{safe_name(lists.street_label(shop.street))}"
        stem = safe_name(shop.name)
        if folders.setdefault((folder, stem), shop.id) != shop.id:  # two shops of one name in one street
            stem = f"{stem}（{shop.id}号）"
        for n, photo in enumerate(reversed(photos_by_shop.get(shop.id, [])), start=1):
            paths[photo.id] = (f"{folder}/{stem}-{n}.jpg", shop, photo)
    written = []
    for photo_id, data in shop_photos.photo_blobs(list(paths)):
        pack.add(paths[photo_id][0], data)
        written.append(paths[photo_id])
    return sorted(written, key=lambda item: item[0])


def safe_name(text):
    """`text` as one part of a path in the ZIP: no separators or characters a file system refuses, not empty."""
    return UNSAFE_IN_NAME.sub("_", text).strip(" .")[:60] or "_"


def text_file(text):
    """A text file as Windows' Notepad opens it in Chinese too: UTF-8 with a byte-order mark, CRLF line ends."""
    return ("\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n")).encode("utf-8")


def _count(pairs, keys):
    """[(label, n)] in the list's order, for the keys that occur."""
    counts = Counter(keys)
    return [(label, counts[key]) for key, label in pairs if counts[key]]


# The ledger's totals and the statistics' figures, compared: (figure, what the ledger counts).
COMPARED = (("redemptions", "redemptions"), ("beneficiaries", "people"), ("bill", "bill"), ("discount", "discount"))


def differences(summary, ledger_totals):
    """[(figure, in the statistics, in the ledger)] where the two disagree (nothing when they agree)."""
    return [(figure, summary[figure], ledger_totals[counted]) for figure, counted in COMPARED
            if summary[figure] != ledger_totals.get(counted)]
