"""Live views of records inside hand-written pages: ```` ```journal ```` fenced blocks.

A block is a small YAML mapping::

    ```journal
    experiment: fas_kd
    variant: student + logit KD    # optional: all variants when absent
    show: results                  # summary | results | selections | per_class | differences
    ```

and is replaced at build time by the table it names, computed from the counted records of
every day (re-runs of a seed superseded, retired runs left out: :func:`journal.identity.resolve`),
as posts are. ``differences`` is each variant against the partner posts compare it with (the
declared baseline, else the variant that differs from it in the fewest settings, within its task
and data set: :func:`journal.comparisons.plan`).
A block naming an unknown experiment, variant or view is a :class:`~journal.errors.JournalError`
naming the page; a build shows a failure box in its place (:func:`failed_block`) and reports
it as a warning, so ``--strict`` fails, and the rest of the page and of the site is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import yaml

from .. import analysis as an
from .. import comparisons
from ..declarations import Declaration, declaration_for
from ..errors import JournalError
from ..escape import html_md
from ..paths import yaml_problem
from ..records import Record
from . import sections as sec
from .display import percent_logged
from .tables import escape, group_title

BLOCK = re.compile(r"^```journal[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# A longer fence (```` or ~~~) around an example shows the block as text: leave it alone.
OUTER = re.compile(r"(^(`{4,}|~{3,})[^\n]*\n.*?^\2[ \t]*$)", re.MULTILINE | re.DOTALL)
VIEWS = ("summary", "results", "selections", "per_class", "differences")
_FENCE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")
_JOURNAL_INFO = re.compile(r"^(?:\{[ \t]*)?\.?journal(?=[\s}]|$)")


def has_blocks(markdown: str) -> bool:
    """Whether ``markdown`` holds a block that ``pymdownx.superfences`` runs: a fence of three or
    more backticks or tildes named ``journal`` (``{.journal}`` too), at any indentation or quote
    depth, and not inside another fence (a longer fence around an example shows it as text).
    Its page shows tables made from the records."""
    if "journal" not in markdown:
        return False
    fence = None
    for line in markdown.splitlines():
        if fence is None:
            match = _FENCE.match(line)
            if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
                continue  # not a fence opening (backticks after it make an inline code span)
            if _JOURNAL_INFO.match(match["info"]):
                return True
            fence = match["fence"]
        else:
            closing = line.lstrip(" \t>").rstrip()
            if len(closing) >= len(fence) and set(closing) == {fence[0]}:
                fence = None
    return False


def render_block(spec: str, records: Sequence[Record], where: str,
                 declarations: Mapping[str, Declaration] | None = None) -> str:
    """The Markdown of one block from the counted ``records``; ``where`` (the page) names the
    source of any error."""
    try:
        options = yaml.safe_load(spec) or {}
    except yaml.YAMLError as exc:  # by position: the parser's message quotes the block's text
        raise JournalError(f"{where}: journal block is not YAML: {yaml_problem(exc)}") from None
    if not isinstance(options, dict) or "experiment" not in options:
        raise JournalError(f"{where}: journal block needs 'experiment: NAME'")
    experiment, variant = str(options["experiment"]), options.get("variant")
    view = str(options.get("show", "summary"))
    if view not in VIEWS:
        raise JournalError(f"{where}: journal block: unknown view '{view}'; choose from {', '.join(VIEWS)}")
    mine = [r for r in records if r.experiment == experiment]
    if not mine:
        known = ", ".join(sorted({r.experiment for r in records})) or "none"
        raise JournalError(
            f"{where}: journal block: no runs of experiment '{experiment}'; experiments: {known}"
        )
    variants = an.by_variant(mine)
    if variant is not None:
        if str(variant) not in variants:
            raise JournalError(f"{where}: journal block: no variant '{variant}' in {experiment}; "
                               f"variants: {', '.join(variants)}")
        variants = {str(variant): variants[str(variant)]}
    recs = [r for group in variants.values() for r in group]
    columns = an.ordered_keys(r.metrics for r in recs)
    with percent_logged(an.percent_logged(mine)):
        body = _view(view, mine, variants, recs, columns, declaration_for(experiment, declarations))
    return body or f"*No {view.replace('_', ' ')} for {escape(experiment)} yet.*"


def _view(view: str, mine: Sequence[Record], variants: dict[str, list[Record]],
          recs: Sequence[Record], columns: Sequence[str], declaration: Declaration) -> str:
    return {
        "summary": lambda: sec.variants_table(variants, sec.summary_columns(columns)),
        "results": lambda: sec.results_table(recs, columns),
        "selections": lambda: sec.selections_table(recs, sec.summary_columns(columns)),
        "per_class": lambda: sec.per_class_table(recs),
        "differences": lambda: _differences(mine, set(variants), declaration),
    }[view]()


def _differences(records: Sequence[Record], variants: set[str], declaration: Declaration) -> str:
    """A comparisons table per task and data set (headed by it when there are several)."""
    tables = []
    for ranking in comparisons.plan(records, declaration):
        found = [c for c in ranking.comparisons if c.variant in variants]
        if found:
            tables.append((group_title(ranking.group), sec.comparisons_table(found, declaration)))
    if len(tables) == 1:
        return tables[0][1]
    return "\n\n".join(f"**{escape(title)}**\n\n{body}" if title else body for title, body in tables)


def failed_block(message: str) -> str:
    """What stands in a page instead of a block that cannot be shown: a failure box saying why
    (one raw HTML block; the message escaped for HTML and Markdown alike)."""
    return ('<div class="admonition failure">\n<p class="admonition-title">journal block</p>\n'
            f"<p>{html_md(message)}</p>\n</div>\n")


def render_blocks(markdown: str, records: Sequence[Record], where: str,
                  declarations: Mapping[str, Declaration] | None = None,
                  problems: list[str] | None = None) -> str:
    """``markdown`` with every ```` ```journal ```` block replaced by its table (blocks quoted
    inside a longer fence stay as they are). A block that cannot be shown raises its
    :class:`~journal.errors.JournalError`; given ``problems``, its message is appended there
    instead and the block becomes :func:`failed_block`, so that one bad block costs only
    itself."""
    def replace(match: re.Match[str]) -> str:
        try:
            return render_block(match.group(1), records, where, declarations) + "\n"
        except JournalError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            return failed_block(str(exc))

    parts = OUTER.split(markdown)
    out = []
    for i, part in enumerate(parts):
        kind = i % 3  # split yields: text, whole outer fence, its fence marker, text, …
        if kind == 0:
            out.append(BLOCK.sub(replace, part))
        elif kind == 1:
            out.append(part)
    return "".join(out)
