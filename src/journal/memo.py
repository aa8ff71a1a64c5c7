"""What one process computed for a build and may reuse in its next build.

``journal serve`` builds the site again on every change, in one process, from records that
stay in memory (:data:`journal.records.ReadCache`): a file that changed is parsed into new
:class:`~journal.records.Record` objects, the others are the same objects as before. A
:class:`Memo` keys what it keeps by those objects' identities, and keeps the objects too, so
that an identity is never taken by another record. Records are never changed in place once
loaded. The cache on disk (:func:`journal.site.build_site`) is keyed by content; this only saves
recomputing, in memory, what that key and the comparison plans are made from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .comparisons import Ranking
    from .declarations import Declaration
    from .records import Record


class Memo:
    """Each record's JSON text and each experiment's comparison plan, from earlier builds."""

    def __init__(self) -> None:
        self._json: dict[int, tuple[Record, str]] = {}
        self._plans: dict[str, tuple[tuple[int, ...], str, list[Record], list[Ranking]]] = {}

    def retain(self, records: Sequence[Record]) -> None:
        """Forget what was kept for records other than ``records`` (the current build's)."""
        alive = {id(r) for r in records}
        self._json = {key: value for key, value in self._json.items() if key in alive}

    def json_of(self, record: Record) -> str:
        """``record.to_json()``, computed once per record object."""
        kept = self._json.get(id(record))
        if kept is None or kept[0] is not record:
            kept = self._json[id(record)] = (record, record.to_json())
        return kept[1]

    def plan(
        self, experiment: str, records: list[Record], declaration: Declaration,
        compute: Callable[[list[Record], Declaration], list[Ranking]],
    ) -> list[Ranking]:
        """``compute(records, declaration)``, or the plan computed before from the same record
        objects, in the same order, under the same declaration."""
        ids, declared = tuple(id(r) for r in records), declaration.model_dump_json()
        kept = self._plans.get(experiment)
        if kept is not None and kept[0] == ids and kept[1] == declared:
            return kept[3]
        rankings = compute(records, declaration)
        self._plans[experiment] = (ids, declared, records, rankings)
        return rankings
