"""The report as a PDF, rendered by WeasyPrint, when this server can make one whose Chinese text shows.

WeasyPrint (and the Pango library it loads) and a Chinese font are optional: `make run` works without them, and the
pack then carries the report as an HTML page to print from a browser, saying why (`missing()`).
"""
import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from verification.qr import FONT_PATHS


@lru_cache(maxsize=1)
def missing():
    """Why no PDF can be made here (a sentence for the pack's index), or None when one can. Asked once per process."""
    try:
        import weasyprint  # noqa: F401 — loads Pango; absent or broken, it raises ImportError or OSError
    except (ImportError, OSError) as err:
        return f"服务器未安装 WeasyPrint 或其所需的 Pango 库（{type(err).__name__}），无法生成 PDF。"
    if not has_chinese_font():
        return "服务器上没有中文字体（如 apt-get install fonts-noto-cjk），生成的 PDF 中文会显示为方框，因此未生成 PDF。"
    return None


def has_chinese_font():
    """Whether fontconfig knows a font that covers Chinese (`fc-list :lang=zh`); without fc-list, whether one of
    the fonts the printed card uses is in its usual place."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return any(Path(path).exists() for path in FONT_PATHS)
    try:
        found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.strip())


def render(html):
    """The PDF (bytes) of a self-contained HTML document: nothing is fetched but `data:` URLs (its images)."""
    from weasyprint import HTML, URLFetcher

    # The stylesheets are the browser's: WeasyPrint would log a warning for each rule it has no use for in print.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
