"""Evaluate the automatic coders honestly and choose the learned coder's hyper-parameters.

Run from the repository root (about 3-4 minutes on one idle core)::

    python scripts/evaluate_coder.py            # writes benchmarks/coder_evaluation.md

1. **Hyper-parameters** are chosen by ``GridSearchCV`` grouped by document
   (:class:`uppks_qual.learn.DocumentKFold`, 5 folds) on the *training* passages only
   (``data/coding/train*.csv``; the gold sample ``gold.csv`` is never seen). The winner is
   what :class:`~uppks_qual.learn.CodeSuggester`'s defaults should be.
2. **Accuracy** is measured on *all* manual passages (training files + gold) by
   :func:`uppks_qual.evaluate_coder`: by document (``GroupKFold``, 5 folds) and across
   groups (train on one group's documents, test on the other's, both ways). The learned coder
   is a ``GridSearchCV`` of the same grid (3 inner folds by document), so the grid search
   runs again inside every training fold: nested cross-validation, no setting tuned on a test
   fold. The rules need no training and are scored on the same folds. Intervals: 95%
   percentile bootstrap over held-out documents (1,000 resamples).

Names are masked first (the study's masker: groups, villages, informants, speakers, the
codebook's actors and the manifest's ``mask`` lists). The corpus is the bundled ILLUSTRATIVE
RECONSTRUCTION, not field data: the figures describe the toolkit on it.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core: idle BLAS threads only waste it

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import uppks_qual as uq  # noqa: E402
from uppks_qual import learn  # noqa: E402
from uppks_qual.evaluation import coder_f1  # noqa: E402
from uppks_qual.interop.csvio import read_codings_csv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRID = {"C": [2.0, 8.0, 32.0], "context_weight": [0.25, 0.5, 1.0]}
CHOSEN: list[dict[str, Any]] = []  # what the grid search chose inside each outer fold


class RecordedSearch(GridSearchCV):
    """A grid search that records the setting it chose (for the report)."""

    def fit(self, X: Any, y: Any = None, **params: Any) -> RecordedSearch:
        super().fit(X, y, **params)
        CHOSEN.append(dict(self.best_params_))
        return self


def passages(corpus: uq.Corpus, codebook: uq.Codebook, files: list[Path]) -> pd.DataFrame:
    """The coded passages of ``files`` with text, context, rules and group."""
    texts = {d.doc_id: d.text for d in corpus}
    rows = pd.concat([read_codings_csv(f, texts=texts, codebook=codebook) for f in files],
                     ignore_index=True)
    skip = corpus.manifest.interviewer_labels
    table = learn.documents_table(corpus, codebook=codebook, skip_speakers=skip)
    return learn.labelled_passages(table, rows, codebook)


def _ci(row: pd.Series, name: str) -> str:
    value = row[name]
    if pd.isna(value):
        return "–"
    return f"{value:.3f} [{row[f'{name}_low']:.2f}, {row[f'{name}_high']:.2f}]"


def markdown(table: pd.DataFrame) -> str:
    """One section per scheme and test set; rows: factor and coder."""
    out = []
    titles = {("document", "all"): "By document (GroupKFold, 5 folds; every passage held out "
                                   "once)",
              ("group", "all"): "Across groups (train on one group, test on the other; both "
                                "directions pooled)"}
    for (scheme, test), part in table.groupby(["scheme", "test"], sort=False):
        title = titles.get((scheme, test), f"Across groups: test on {test} (trained on the "
                                           "other group)")
        first = part.iloc[0]
        out += [f"### {title}", "", f"{first['documents']} documents, {first['passages']} "
                "passages.", "",
                "| factor | coder | gold | found | precision | recall | F1 | "
                "presence+valence F1 | valence accuracy | majority baseline |",
                "|---|---|---:|---:|---|---|---|---|---|---:|"]
        for r in part.itertuples(index=False):
            row = pd.Series(r._asdict())
            base = "–" if pd.isna(row["valence_baseline"]) else f"{row['valence_baseline']:.3f}"
            name = f"**{row['factor']}**" if row["factor"] == "micro" else row["factor"]
            out.append(f"| {name} | {row['coder']} | {row['gold']} | {row['predicted']} | "
                       f"{_ci(row, 'precision')} | {_ci(row, 'recall')} | {_ci(row, 'f1')} | "
                       f"{_ci(row, 'joint_f1')} | {_ci(row, 'valence_accuracy')} | {base} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=ROOT / "data" / "interviews", type=Path)
    parser.add_argument("--codebook", default=ROOT / "codebook.yaml", type=Path)
    parser.add_argument("--coding", default=ROOT / "data" / "coding", type=Path)
    parser.add_argument("--out", default=ROOT / "benchmarks" / "coder_evaluation.md",
                        type=Path)
    parser.add_argument("--n-boot", default=1000, type=int)
    args = parser.parse_args()
    started = time.perf_counter()
    corpus, codebook = uq.load_corpus(args.corpus), uq.load_codebook(args.codebook)
    training_files = learn.training_files(args.coding)
    training = passages(corpus, codebook, training_files)
    everything = passages(corpus, codebook, [*training_files, args.coding / "gold.csv"])
    masker = learn.study_masker(corpus.manifest, list(corpus), codebook)
    base = uq.CodeSuggester(codebook=codebook, mask=masker,
                            skip_speakers=corpus.manifest.interviewer_labels)
    factors = [c.code_id for c in codebook.factors()]

    search = GridSearchCV(base, GRID, cv=learn.DocumentKFold(5), scoring=coder_f1, n_jobs=1,
                          refit=False).fit(training)
    grid = pd.DataFrame(search.cv_results_)[["params", "mean_test_score", "std_test_score"]]
    print(f"grid search on the {len(training)} training passages "
          f"({time.perf_counter() - started:.0f} s):")
    print(grid.sort_values("mean_test_score", ascending=False).to_string(index=False))

    nested = RecordedSearch(base, GRID, cv=learn.DocumentKFold(3), scoring=coder_f1,
                            n_jobs=1)
    table = uq.evaluate_coder(everything, {"learned": nested,
                                           "rules": learn.RuleCoder(codebook=codebook)},
                              factors=factors, n_splits=5, n_boot=args.n_boot)
    elapsed = time.perf_counter() - started
    chosen = ", ".join(f"C={c['C']:g}/context={c['context_weight']:g}" for c in CHOSEN)
    report = "\n".join([
        "# Accuracy of the automatic coders (grouped cross-validation)", "",
        "Written by `scripts/evaluate_coder.py`; do not edit by hand. The corpus is the bundled "
        "**illustrative reconstruction**, not field data.", "",
        f"- Passages: {len(everything)} manual passages of coder ana (training files + gold "
        f"sample), {everything['doc_id'].nunique()} documents; factor level.",
        "- *precision, recall, F1*: factor presence; *presence+valence F1*: a hit only when "
        "the valence is right too; *valence accuracy*: over the hits; *majority baseline*: "
        "accuracy on the same hits of always answering the factor's most common valence in "
        "the training folds. Intervals: 95% bootstrap over held-out documents "
        f"({args.n_boot} resamples).",
        f"- Learned coder: nested grid search over {GRID} (3 inner folds by document) in every "
        f"training fold; it chose {chosen}. Names masked before featurising.",
        f"- Hyper-parameters chosen on the training passages only (5 folds by document): "
        f"**{search.best_params_}** (micro-F1 {search.best_score_:.3f}).",
        f"- Run time: {elapsed / 60:.1f} minutes on one core.", "",
        markdown(table)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    print(report)


if __name__ == "__main__":
    main()
