"""Tidy analysis of codings: frequencies, coverage, framework matrices, co-occurrence, valence
and group comparisons (cases as the unit: :func:`compare_groups`, :func:`case_matrix`).

Every public function takes the codings frame of ``project.codings()`` (or one built with
:func:`uppks_qual.schema.codings_frame`), checks it with
:func:`~uppks_qual.schema.validate_codings`, and returns a new tidy frame. The counting
functions :func:`code_frequencies`, :func:`valence_balance` and :func:`case_matrix` also take a
``dask.dataframe.DataFrame`` of codings and return the same pandas frame, computing only the
aggregated counts (:mod:`uppks_qual.analysis._dask`; Dask is imported only then). Nothing here reads
files, prints, draws or touches the project store. Document and segment tables, when a
function needs them, are passed in as DataFrames too.

Conventions
-----------
- ``level="factor"`` counts by the top-level ancestor (``factor`` column, output column
  ``factor``); ``level="code"`` by ``code_id`` (output column ``code``).
- ``by=`` / ``cols=`` name a metadata column of the codings frame (:func:`metadata_columns`):
  one of :data:`BY_COLUMNS` or an extra column of the frame, a document attribute such as
  ``district``. Codings whose value is missing (a document in no group) are left out of every
  table. Rates per word or per segment need a document attribute (one value per document).
- Nothing here knows a study: group names, coders and a study's hypothesis are arguments
  (read from the study's manifest by the caller).
- Frequency-like outputs contain every combination of ``by`` value and factor category, with
  zeros where nothing was coded; both key columns are categoricals in a stable order.
- ``balance`` means one thing everywhere: ``(positive - negative) / (positive + negative)``
  (:func:`balance`); neutral codings are counted but do not weigh on it.
- Undefined values (a ratio over zero) are ``nan`` and announced with a :class:`RuntimeWarning`;
  bad parameters (and frames without the columns a function needs) raise
  :class:`~uppks_qual.errors.ParameterError` (a :class:`ValueError`) with a scikit-learn style
  message, checked by :mod:`uppks_qual.params`.

References
----------
.. [1] Ritchie, J., & Spencer, L. (1994). Qualitative data analysis for applied policy
   research. In A. Bryman & R. Burgess (Eds.), *Analyzing Qualitative Data* (pp. 173-194).
.. [2] Woolf, B. (1955). On estimating the relation between blood group and disease. *Annals
   of Human Genetics*, 19(4), 251-253.
.. [3] Haldane, J. B. S. (1956). The estimation and significance of the logarithm of a ratio
   of frequencies. *Annals of Human Genetics*, 20(4), 309-311.
.. [4] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of
   the Royal Statistical Society B*, 57(1), 289-300.
"""

from __future__ import annotations

from ._common import BY_COLUMNS, LEVELS, UNITS, VERDICTS, balance, metadata_columns
from ._common import CODING_ONLY as CODING_ONLY
from ._common import DOCUMENT_COLUMNS as DOCUMENT_COLUMNS
from ._common import QUOTE_LENGTH as QUOTE_LENGTH
from ._common import TABLE_VALUES as TABLE_VALUES
from .cases import case_matrix
from .compare import _bh_adjust as _bh_adjust
from .compare import (
    compare_coding_rates,
    compare_groups,
    group_differences,
    pairwise_comparisons,
)
from .cooccur import cooccurrence
from .evidence import default_coders, evidence
from .framework import disconfirming, framework_matrix, framework_table
from .frequencies import code_frequencies, coverage, valence_balance
from .thesis import check_hypothesis, hypothesis_sensitivity, thesis_comparison

__all__ = [
    "BY_COLUMNS",
    "LEVELS",
    "UNITS",
    "VERDICTS",
    "balance",
    "case_matrix",
    "check_hypothesis",
    "code_frequencies",
    "compare_coding_rates",
    "compare_groups",
    "cooccurrence",
    "coverage",
    "default_coders",
    "disconfirming",
    "evidence",
    "framework_matrix",
    "framework_table",
    "group_differences",
    "hypothesis_sensitivity",
    "metadata_columns",
    "pairwise_comparisons",
    "thesis_comparison",
    "valence_balance",
]

# The functions are defined in the submodules but are this module's API, as they were
# before the split: report them as ``uppks_qual.analysis.<name>`` (help(), pickling,
# Sphinx cross-references, and ``doctest.testmod(uppks_qual.analysis)`` finding their
# examples all go by ``__module__``).
for _function in (balance, case_matrix, code_frequencies, compare_coding_rates, compare_groups,
                  cooccurrence, coverage, default_coders, evidence, framework_matrix,
                  framework_table, group_differences, metadata_columns, pairwise_comparisons,
                  thesis_comparison, valence_balance, check_hypothesis, disconfirming,
                  hypothesis_sensitivity):
    _function.__module__ = __name__
del _function
