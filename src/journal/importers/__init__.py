"""Existing logs → run records: TensorBoard event files, MLflow stores, CSV files.

Each importer reads its format with a well-kept reader (TensorBoard's ``EventAccumulator``,
MLflow's ``MlflowClient``, pandas) and maps every run it finds to a record: experiment,
variant, seed, config, one history row per epoch and the final metrics. Importing a source
twice writes nothing the second time (see :mod:`journal.importers.common`).

The readers' packages are optional extras, imported only when an importer runs.
"""

from __future__ import annotations

from .common import ImportOptions, ImportResult, SourceError, SourceRun

__all__ = ["ImportOptions", "ImportResult", "SourceError", "SourceRun"]
