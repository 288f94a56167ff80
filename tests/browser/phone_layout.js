// What a 390 px phone shows wrong on the page: small tap targets, small text, things wider than the screen,
// tables that scroll sideways inside their cards, selects that cut off an option (tests/browser/test_phone_layout.py).
() => {
  const vw = document.documentElement.clientWidth;
  const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('[hidden]'); };
  const describe = el => (el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 24) + '"');
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, select, input:not([type=hidden]), textarea, summary')) {
    if (!visible(el)) continue;
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox], input[type=file]') ) { const l = el.closest('label'); if (l) target = l; }
    const r = target.getBoundingClientRect();
    if ((r.height < 44 || r.width < 44) && r.width > 1) small.push(describe(el) + ` ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const tiny = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; if (!node.textContent.trim()) continue;
    const el = node.parentElement; if (!el || el.closest('svg') || el.closest('.sr-only') || !visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 14) tiny.add(el.tagName.toLowerCase() + '.' + (typeof el.className === 'string' ? el.className : '') + ' ' + size + 'px');
  }
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1) {
      let p = el.parentElement, clipped = false;
      while (p && p !== document.body) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; } p = p.parentElement; }
      if (!clipped) wide.push(describe(el) + ` right=${Math.round(r.right)}`);
    }
  }
  const scrolls = [...document.querySelectorAll('.table-wrap, .scroll')].filter(
    e => visible(e) && e.scrollWidth > e.clientWidth + 1).map(describe);
  // A select cuts off the text of an option longer than its box leaves room for (the arrow takes about 21 px in
  // Chromium): every option is measured, since any one may be the chosen one ("All sub-district", cut, in English).
  const cut = [];
  const ruler = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('select')) {
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    ruler.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 21;
    for (const option of el.options) {
      const width = ruler.measureText(option.text).width;
      if (width > room) { cut.push(describe(el) + ` "${option.text}" ${Math.round(width)}>${Math.round(room)}`); break; }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, vw, small, tiny: [...tiny], wide: wide.slice(0, 10), scrolls,
          cut};
}
