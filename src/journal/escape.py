"""The one escaping boundary: every untrusted string leaves through a function of this module.

Run records, notes, declarations and file names are written by anyone with access to the
results folder (collaborators' pull requests, ``journal add``, imported logs). Whatever they hold
reaches the published site, a chart or a terminal only through one of these context-aware
escapers, so a renderer cannot forget:

=====================  ======================================================================
context                escaper
=====================  ======================================================================
Markdown text          :func:`md_text`: every character Markdown or an extension could read as
                       syntax (``<``, ``&``, ``*``, ``_``, ``[``, ``{``, ``:``, ``|``, …) becomes a
                       numeric character reference; newlines fold into spaces
inline code            :func:`md_code`: ``<code>`` around :func:`md_text`, newlines folded, so
                       no backtick or blank line can end it early
HTML text / attribute  :func:`html_text`, :func:`html_attr`
YAML front matter      :func:`front_matter_text`: a title or category as the theme prints it
                       (HTML-escaped, since Material prints titles raw)
notes (Markdown)       :func:`note_html`: rendered with Python-Markdown, then sanitised with
                       ``nh3`` (Ammonia) against an allow-list of tags, attributes and URL schemes
matplotlib text        :func:`chart_text` (charts draw with ``text.parse_math`` off)
terminal               :func:`terminal_text` (control and escape sequences dropped) and
                       :func:`rich_text` (also rich markup escaped)
=====================  ======================================================================

:class:`Markdown` marks a string as *already safe* Markdown (produced by these escapers or by our
own templates), so that tables and sentences escape everything else exactly once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# C0 controls except tab/newline/CR, DEL, C1 controls, and the bidirectional overrides and
# isolates that can make a terminal or page show text in another order than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Escape sequences first (CSI, OSC and friends), so their printable tails go too.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_NEWLINES = re.compile(r"[\r\n\t\u2028\u2029\x85]+")

# Every ASCII punctuation character that Markdown, Python-Markdown's extensions or
# pymdown-extensions give a meaning inside a line (emphasis, links and images, raw HTML,
# attr_list braces, table pipes, admonition and tab titles, emoji colons, arithmatex dollars,
# sub/superscript and delete, magiclink mentions, snippets). Parentheses, dots, hyphens, "="
# and "+" only matter after a "]" (escaped), doubled ("==mark==", "++keys++") or at the start
# of a line ("- item", "1. item", "=== tab"), so they stay readable elsewhere.
_MD_SPECIAL = frozenset("!\"#$&*:<>@[\\]^_`{|}~")
_MD_TABLE = {ord(c): f"&#{ord(c)};" for c in _MD_SPECIAL}
_DOUBLED = re.compile(r"(?<=[=+])[=+]|[=+](?=[=+])")
_LEADING = re.compile(r"^(\d+[.)](?=\s|$)|[-+=])")


class Markdown(str):
    """A string that is already safe Markdown: escapers return it, and :func:`md_text` passes
    it through unchanged instead of escaping it a second time. Concatenation gives a plain
    ``str`` again; :meth:`join` escapes the parts that are not ``Markdown`` yet."""

    __slots__ = ()

    def join(self, parts: Iterable[Any]) -> Markdown:
        return Markdown(str.join(self, (md_text(p) for p in parts)))


def clean(text: Any) -> str:
    """``text`` as a one-line string without control characters or escape sequences."""
    s = _ANSI.sub("", str(text))
    s = _NEWLINES.sub(" ", s)
    return _CONTROL.sub("", s)


def md_text(text: Any) -> Markdown:
    """Plain text, safe anywhere inline in Markdown (paragraph, heading, table cell, link text,
    admonition or tab title, image alt text). Already-safe :class:`Markdown` is returned as it is."""
    if isinstance(text, Markdown):
        return text
    escaped = _DOUBLED.sub(lambda m: f"&#{ord(m[0])};", clean(text).translate(_MD_TABLE))
    return Markdown(_LEADING.sub(lambda m: f"{m[0][:-1]}&#{ord(m[0][-1])};", escaped, count=1))


def md_code(text: Any) -> Markdown:
    """Inline code. A ``<code>`` element rather than backticks: backticks in the text, a blank
    line or an ``{: attr}`` after it cannot end it early or add attributes to it."""
    return Markdown(f"<code>{md_text(text)}</code>")


def md_bold(text: Any) -> Markdown:
    """Bold text (nothing when ``text`` is empty)."""
    inner = md_text(text)
    return Markdown(f"**{inner}**") if inner else inner


def md(template: str, **values: Any) -> Markdown:
    """A trusted Markdown ``template`` (one of ours) with untrusted ``values`` escaped into it."""
    return Markdown(template.format(**{k: md_text(v) for k, v in values.items()}))


def html_md(text: Any) -> str:
    """Text, or a double-quoted attribute value, in an HTML fragment that Markdown still reads
    (raw HTML inside a paragraph, a tab or a folded block is parsed for backticks, ``{: …}``
    attribute lists and links like any other text): every character HTML or Markdown could act
    on becomes a numeric character reference, which both read as the character itself."""
    return str(md_text(str(text)))


def html_text(text: Any) -> str:
    """Text inside an HTML element that Markdown never reads (a top-level raw HTML block)."""
    return html.escape(clean(text), quote=False)


def html_attr(text: Any) -> str:
    """Text inside a double- or single-quoted HTML attribute value."""
    return html.escape(clean(text), quote=True)


def front_matter_text(text: Any) -> str:
    """A post title or category for YAML front matter: the theme prints these into HTML without
    escaping them, so they are HTML-escaped here (YAML quoting is left to the YAML dumper)."""
    return html.escape(clean(text), quote=True)


def chart_text(text: Any) -> str:
    """Text for a matplotlib label, title or legend: one line, no control characters. Charts
    draw with ``text.parse_math`` off, so ``$…$`` stays literal instead of becoming mathtext
    (which fails on ``$\\frac$``); matplotlib's SVG writer escapes ``<`` and ``&`` itself."""
    return clean(text)


def terminal_text(text: Any) -> str:
    """Text for a terminal line: no escape sequences, control characters or line breaks."""
    return clean(text)


def rich_text(text: Any) -> str:
    """Text for rich output: :func:`terminal_text` with rich's ``[markup]`` escaped."""
    from rich.markup import escape

    return escape(clean(text))


# Notes are Markdown written by people; they keep their Markdown, and the HTML it turns into is
# sanitised against this allow-list.
_NOTE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_NOTE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
}
_NOTE_SCHEMES = {"http", "https", "mailto"}
_NOTE_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "nl2br")


MAX_NOTE_BRACKETS = 1000
"""A note with more ``[`` than this shows its brackets as text, links included: Python-Markdown
looks for the end of a link from each ``[``, so 2,000 of them took over a second and 8,000 of
them eleven (a note could stall the build); a note of prose has far fewer."""


@lru_cache(maxsize=4096)
def note_html(text: str) -> str:
    """A note's Markdown rendered to sanitised HTML: tags, attributes and URL schemes outside an
    allow-list are removed (``<script>``, ``onerror=``, ``javascript:`` links, ``style``), and
    ``{``/``}`` are written as character references so no Markdown extension applied to the page
    around it can read attribute syntax in it."""
    import markdown
    import nh3

    text = _CONTROL.sub("", text)
    if text.count("[") > MAX_NOTE_BRACKETS:  # Python-Markdown matches each "[" against the rest
        text = text.replace("\\", "\\\\").replace("[", "\\[")  # of the text: shown as text
    rendered = markdown.markdown(text, extensions=list(_NOTE_EXTENSIONS), output_format="html")
    safe = nh3.clean(rendered, tags=_NOTE_TAGS, attributes=_NOTE_ATTRIBUTES,
                     url_schemes=_NOTE_SCHEMES, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)
    return safe.replace("{", "&#123;").replace("}", "&#125;")


def note_block(title: Any, text: str, kind: str = "note") -> Markdown:
    """A Material admonition holding a sanitised note, as one raw HTML block of the page.

    It must stand at the start of a line, outside any indented block: Python-Markdown keeps a
    raw HTML block as it is only there."""
    body = note_html(text)
    kind = kind if re.fullmatch(r"[a-z]+", kind) else "note"
    return Markdown(
        f'<div class="admonition {kind}">\n'
        f'<p class="admonition-title">{html_text(title)}</p>\n{body}\n</div>'
    )
