"""The HTML around a page's notebook content: navigation, header, contents, failure panel, footer.

Also :func:`error_page` (a page built without nbconvert) and the check that nothing is fetched from
the network. Every value put into HTML is escaped with :func:`meta254lib.views.escape.html_escape`.
"""

from __future__ import annotations

import re

from ..views.escape import html_escape
from .assets import SITE_CSS
from .page_model import STALE_LABEL, STALE_STYLE, FailureInfo, PageContext

__all__ = [
    "TOC_PLACEHOLDER",
    "error_page",
    "find_remote_references",
    "footer_html",
    "header_html",
    "page_toc",
    "stale_banner",
    "strip_remote",
]

#: Marks where the contents go in the header; filled once the notebook is rendered.
TOC_PLACEHOLDER = "<!--m254:toc-->"

_HEADING = re.compile(r'<h([1-3])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def page_toc(html: str, title: str) -> str:
    """Contents from the page's h1-h3 headings: h1/h2 numbered, h3 nested under the h2 before them.

    A leading h1 that repeats ``title`` is left out; no headings give "".

    Examples
    --------
    >>> page_toc('<h2 id="a">A</h2><h3 id="b">B</h3>', "T")  # doctest: +ELLIPSIS
    '<nav class="m254-toc" ...<li class="m254-toc-2"><a href="#a">A</a><ul><li class="m254-toc-3">...'
    >>> page_toc("<p>x</p>", "T")
    ''
    """
    import html as _html

    entries: list[tuple[str, str]] = []  # (level, <a> element)
    for level, anchor, inner in _HEADING.findall(html):
        inner = re.sub(r'<a class="anchor-link".*?</a>', "", inner, flags=re.S)
        text = " ".join(_html.unescape(_TAG.sub("", inner)).split())
        if not text or (level == "1" and text == title and not entries):
            continue
        link = f'<a href="#{html_escape(_html.unescape(anchor))}">{html_escape(text)}</a>'
        entries.append((level, link))
    if not entries:
        return ""
    items: list[str] = []
    subs: list[str] = []

    def close() -> None:
        if subs:
            sub = f"<ul>{''.join(subs)}</ul>"
            if items:
                items[-1] = items[-1].removesuffix("</li>") + sub + "</li>"
            else:
                items.append(f'<li class="m254-toc-lead">{sub}</li>')
            subs.clear()

    for level, link in entries:
        if level == "3":
            subs.append(f'<li class="m254-toc-3">{link}</li>')
        else:
            close()
            items.append(f'<li class="m254-toc-{level}">{link}</li>')
    close()
    cls = ' class="m254-toc-long"' if len(entries) > 8 else ""
    return f'<nav class="m254-toc" aria-label="Contents"><strong>Contents</strong><ol{cls}>{"".join(items)}</ol></nav>'


def _failure_html(failure: FailureInfo) -> str:
    rows = "".join(f"<dt>{html_escape(k)}</dt><dd>{html_escape(v)}</dd>" for k, v in failure.inputs)
    cell = ""
    if failure.cell_source:
        where = f"cell (In [{failure.cell_index}])" if failure.cell_index is not None else "cell"
        cell = f"<p><strong>Failing {html_escape(where)}:</strong></p><pre>{html_escape(failure.cell_source)}</pre>"
    tb = ""
    if failure.traceback:
        tb = f"<details><summary>Traceback</summary><pre>{html_escape(failure.traceback)}</pre></details>"
    return (
        '<section class="m254-failure" role="alert"><h2>This page failed</h2>'
        f'<p class="m254-error"><strong>Error:</strong> <code>{html_escape(failure.message)}</code></p>'
        f"{cell}<p><strong>Inputs of this run:</strong></p><dl>{rows}</dl>{tb}"
        "<p>The outputs below stop where the error happened.</p></section>"
    )


def _nav_html(ctx: PageContext) -> str:
    links = [f'<a class="m254-home" href="{html_escape(ctx.index_href)}">&#8592; Report index</a>']
    for label, href, current in ctx.nav:
        if current:
            links.append(f'<span class="m254-current" aria-current="page">{html_escape(label)}</span>')
        else:
            links.append(f'<a href="{html_escape(href)}">{html_escape(label)}</a>')
    return f'<nav class="m254-nav" aria-label="Report pages">{"".join(links)}</nav>'


def header_html(ctx: PageContext) -> str:
    """Navigation, title, as-of date, meta, headline, the contents placeholder and the failure panel.

    Examples
    --------
    >>> html = header_html(PageContext(title="<T>", as_of="2025-10-10"))
    >>> "&lt;T&gt;" in html, TOC_PLACEHOLDER in html
    (True, True)
    >>> "m254-banner-stale" in header_html(PageContext(title="T", as_of="x", meta=((STALE_LABEL, "old"),)))
    True
    """
    meta = [f"<span>As of {html_escape(ctx.as_of)}</span>"]
    meta += [f"<span>{html_escape(k)}: {html_escape(v)}</span>" for k, v in ctx.meta if k != STALE_LABEL]
    stale = "".join(stale_banner(v) for k, v in ctx.meta if k == STALE_LABEL)
    headline = f'<p class="m254-headline">{html_escape(ctx.headline)}</p>' if ctx.headline else ""
    failure = _failure_html(ctx.failure) if ctx.failure else ""
    return (
        f'{_nav_html(ctx)}<header class="m254-page-header">'
        f'<div class="m254-title">{html_escape(ctx.title)}</div>'
        f'<p class="m254-meta">{"".join(meta)}</p>{stale}{headline}{TOC_PLACEHOLDER}</header>{failure}'
    )


def stale_banner(notice: str) -> str:
    """The one-line staleness banner (:func:`~meta254lib.report.context.stale_notice`) of a page or the index.

    Examples
    --------
    >>> stale_banner("Data as of 2025-10-06 — 425 days old")  # doctest: +ELLIPSIS
    '<p class="m254-banner m254-banner-stale" role="note" style="...">Data as of 2025-10-06 — 425 days old</p>'
    """
    return f'<p class="m254-banner m254-banner-stale" role="note" style="{STALE_STYLE}">{html_escape(notice)}</p>'


def footer_html(ctx: PageContext) -> str:
    """The footer: a link back to the index, the page title and the as-of date.

    Examples
    --------
    >>> footer_html(PageContext(title="T", as_of="2025-10-10"))
    '<footer class="m254-footer"><a href="index.html">Back to the report index</a> · T · as of 2025-10-10</footer>'
    """
    return (
        f'<footer class="m254-footer"><a href="{html_escape(ctx.index_href)}">Back to the report index</a>'
        f" · {html_escape(ctx.title)} · as of {html_escape(ctx.as_of)}</footer>"
    )


_REMOTE = re.compile(
    r"<(script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>",
    re.I,
)


def find_remote_references(html: str) -> list[str]:
    """Tags that would make a browser fetch from the network (script/link/img/iframe with http(s)://).

    Links a reader clicks (``<a href>``) are not fetches and are not reported.

    Examples
    --------
    >>> find_remote_references('<script src="https://cdn.example/x.js"></script><a href="https://x">x</a>')
    ['<script src="https://cdn.example/x.js">']
    >>> find_remote_references('<script src="assets/plotly.min.js"></script>')
    []
    """
    return [m.group(0) for m in _REMOTE.finditer(html)]


def strip_remote(html: str) -> str:
    """``html`` without the tags :func:`find_remote_references` reports (a remote script becomes empty).

    Examples
    --------
    >>> strip_remote('<script src="https://cdn.example/x.js"></script><img src="//x/y.png">')
    '<script></script>'
    """

    def drop(m: re.Match[str]) -> str:
        return "" if m.group(1).lower() != "script" else "<script>"

    # A remote <script src=...></script> becomes an empty inline <script></script>.
    return _REMOTE.sub(drop, html)


def error_page(ctx: PageContext) -> str:
    """A page for a notebook whose HTML export itself failed: header, failure panel, no notebook content.

    Built without nbconvert, so it works whatever went wrong there.

    Examples
    --------
    >>> html = error_page(PageContext(title="T", as_of="2025-10-10", failure=FailureInfo("ValueError: <x>")))
    >>> "This page failed" in html, "ValueError: &lt;x&gt;" in html
    (True, True)
    """
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{html_escape(ctx.title)}</title>"
        f'<link rel="stylesheet" href="{html_escape(ctx.assets_href)}{SITE_CSS}">'
        '</head><body class="jp-Notebook"><main>'
    )
    return f"{head}{header_html(ctx).replace(TOC_PLACEHOLDER, '')}{footer_html(ctx)}</main></body></html>\n"
