"""uppks-qual: qualitative coding and group comparison for Indonesian field material.

Load transcripts and notes, code them against a codebook by hand and automatically, and
compare groups with tidy DataFrames, statistics, charts and agreement figures.

Examples
--------
>>> import uppks_qual as uq
>>> corpus = uq.load_corpus("data/interviews")              # doctest: +SKIP
>>> codebook = uq.load_codebook("codebook.yaml")            # doctest: +SKIP
>>> project = uq.Project.create("study.uqp", corpus=corpus, codebook=codebook)  # doctest: +SKIP
>>> project.autocode()                                      # doctest: +SKIP
>>> df = project.evidence()                                 # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # what editors and mypy see; at run time the names load on first use
    from . import agreement as agreement
    from . import analysis as analysis
    from . import autocode as autocode
    from . import charts as charts
    from . import errors as errors
    from . import evaluation as evaluation
    from . import interop as interop
    from . import learn as learn
    from . import manifest as manifest
    from . import pipeline as pipeline
    from . import report as report
    from . import schema as schema
    from . import text_agreement as text_agreement
    from .agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement
    from .analysis import (
        case_matrix,
        check_hypothesis,
        code_frequencies,
        compare_coding_rates,
        compare_groups,
        cooccurrence,
        coverage,
        disconfirming,
        evidence,
        framework_matrix,
        group_differences,
        hypothesis_sensitivity,
        pairwise_comparisons,
        thesis_comparison,
        valence_balance,
    )
    from .autocode import autocode_text
    from .codebook import load_codebook
    from .corpus import Corpus, check_corpus, load_corpus
    from .errors import QualError
    from .evaluation import evaluate_coder
    from .learn import CodeSuggester
    from .manifest import Manifest, read_manifest
    from .pipeline import run_study
    from .project import Project, show
    from .records import Code, Codebook, Coding, Document, Segment
    from .scale import autocode_corpus, read_codings

# name -> module; resolved on first use so `import uppks_qual` stays light (no matplotlib,
# no spaCy pipeline, no SQLAlchemy until they are needed).
_EXPORTS = {
    "load_corpus": "corpus",
    "check_corpus": "corpus",
    "Corpus": "corpus",
    "load_codebook": "codebook",
    "Document": "records",
    "Segment": "records",
    "Code": "records",
    "Codebook": "records",
    "Coding": "records",
    "autocode_text": "autocode",
    "Project": "project",
    "show": "project",
    "code_frequencies": "analysis",
    "coverage": "analysis",
    "framework_matrix": "analysis",
    "cooccurrence": "analysis",
    "valence_balance": "analysis",
    "compare_groups": "analysis",
    "compare_coding_rates": "analysis",
    "case_matrix": "analysis",
    "evidence": "analysis",
    "pairwise_comparisons": "analysis",
    "group_differences": "analysis",
    "read_manifest": "manifest",
    "Manifest": "manifest",
    "run_study": "pipeline",
    "thesis_comparison": "analysis",
    "check_hypothesis": "analysis",
    "hypothesis_sensitivity": "analysis",
    "disconfirming": "analysis",
    "cohen_kappa": "agreement",
    "krippendorff_alpha": "agreement",
    "fleiss_kappa": "agreement",
    "percent_agreement": "agreement",
    "QualError": "errors",
    "evaluate_coder": "evaluation",
    "CodeSuggester": "learn",
    "autocode_corpus": "scale",
    "read_codings": "scale",
}

#: Submodules reachable as attributes (``uq.analysis``, ``uq.charts`` ...), imported on use.
_SUBMODULES = ("analysis", "charts", "agreement", "text_agreement", "autocode", "report",
               "schema", "evaluation", "learn", "interop", "errors", "manifest", "pipeline",
               "display", "limits", "parallel", "scale")

__all__ = [
    "Code",
    "CodeSuggester",
    "Codebook",
    "Coding",
    "Corpus",
    "Document",
    "Manifest",
    "Project",
    "QualError",
    "Segment",
    "__version__",
    "autocode_corpus",
    "autocode_text",
    "case_matrix",
    "check_corpus",
    "check_hypothesis",
    "code_frequencies",
    "cohen_kappa",
    "compare_coding_rates",
    "compare_groups",
    "cooccurrence",
    "coverage",
    "disconfirming",
    "evaluate_coder",
    "evidence",
    "fleiss_kappa",
    "framework_matrix",
    "group_differences",
    "hypothesis_sensitivity",
    "krippendorff_alpha",
    "load_codebook",
    "load_corpus",
    "pairwise_comparisons",
    "percent_agreement",
    "read_codings",
    "read_manifest",
    "run_study",
    "show",
    "thesis_comparison",
    "valence_balance",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'uppks_qual' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
