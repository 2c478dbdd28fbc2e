"""Agreement of the blind round-2 codings: between the two coders, and with their old files.

Units are the sampled passages (``passage_id``) both files read. Two levels:

* **code level**: passage x factor presence (a coder applied the factor or one of its
  sub-codes to the passage, 1, or not, 0), for each of the six factors and pooled over them
  ("overall"), as ``project.agreement(level="factor")`` does;
* **valence**: on the (passage, factor) pairs that BOTH coders coded with that factor, the
  valence each gave: ``positive``, ``negative`` or ``neutral`` (a coder who gave one factor
  two valences on one passage, a contrast coded clause by clause, has the label
  ``negative+positive``, which agrees only with the same pair).

Each with percent agreement, Cohen's kappa and Krippendorff's alpha (nominal) from
:mod:`uppks_qual.agreement`, and a 95% percentile interval from a bootstrap over passages
(seeded; a passage is resampled with all its factors and valences). Undefined values (a factor
neither coder used) are shown as ``n/a``; replicates where a statistic is undefined are left
out of its interval.

Comparisons: the two blind files (the inter-coder agreement of round 2); each blind file with
the same coder's OLD non-blind file (how much blinding changed that coder's coding); and the
two old files (the non-blind agreement, computed the same way, for reference). File names
come from the study manifest: ``gold.csv`` / ``gold_blind.csv`` (ana), ``coder_budi.csv`` /
``coder_budi_blind.csv`` (budi).

Run from the repository root (about 20 s with 1000 replicates)::

    python scripts/blind_agreement.py [--boot 1000] [--seed 20261202]
    python scripts/blind_agreement.py A_blind.csv B_blind.csv --old A_old.csv B_old.csv
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import uppks_qual as uq
from uppks_qual.agreement import cohen_kappa_table, krippendorff_alpha, percent_agreement

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261202
BOOT = 1000


@dataclass(frozen=True)
class Coded:
    """One coding file reduced to passage x factor: the set of valences given (empty: not
    coded with that factor)."""

    name: str
    passages: tuple[str, ...]
    valences: dict[tuple[str, str], frozenset[str]]


def read_coded(path: Path, codebook: uq.Codebook, *, name: str | None = None) -> Coded:
    """Read a codings file (``passage_id, code_id, valence, ...``) into :class:`Coded`."""
    if not path.exists():
        raise SystemExit(f"{path}: no such file (make the blind files with scripts/unblind.py)")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("passage_id", "code_id", "valence") if c not in df.columns]
    if missing:
        raise SystemExit(f"{path}:1: missing column(s) {', '.join(missing)}")
    out: dict[tuple[str, str], set[str]] = {}
    for line, row in enumerate(df.itertuples(), 2):
        if not row.code_id:
            continue
        if row.code_id not in codebook:
            raise SystemExit(f"{path}:{line}: unknown code_id {row.code_id!r}")
        out.setdefault((row.passage_id, codebook[row.code_id].factor), set()).add(row.valence)
    return Coded(name or path.stem, tuple(dict.fromkeys(df["passage_id"])),
                 {k: frozenset(v) for k, v in out.items()})


# ------------------------------------------------------------------ unit arrays
@dataclass(frozen=True)
class Units:
    """Two coders' labels over the shared passages, as integer codes (0/1 for presence; an
    index into ``valence_labels`` for valence)."""

    passages: tuple[str, ...]
    presence: dict[str, tuple[np.ndarray, np.ndarray]]  # factor -> 0/1 per passage
    valence: tuple[np.ndarray, np.ndarray]  # label codes of the pairs both coded
    valence_at: np.ndarray  # the passage (index) of each valence pair
    valence_labels: tuple[str, ...]


def align(a: Coded, b: Coded, factors: Sequence[str]) -> Units:
    """The two coders' presence per factor and valence pairs over the passages both read."""
    shared = tuple(p for p in a.passages if p in set(b.passages))
    presence = {}
    for f in factors:
        presence[f] = (np.array([int((p, f) in a.valences) for p in shared], dtype=int),
                       np.array([int((p, f) in b.valences) for p in shared], dtype=int))
    va, vb, where = [], [], []
    for i, p in enumerate(shared):
        for f in factors:
            if (p, f) in a.valences and (p, f) in b.valences:
                va.append("+".join(sorted(a.valences[p, f])))
                vb.append("+".join(sorted(b.valences[p, f])))
                where.append(i)
    labels = tuple(sorted({*va, *vb}))
    code = {v: i for i, v in enumerate(labels)}
    return Units(shared, presence,
                 (np.array([code[v] for v in va], dtype=int),
                  np.array([code[v] for v in vb], dtype=int)),
                 np.array(where, dtype=int), labels)


# ------------------------------------------------------------------ statistics
def pair_stats(x: np.ndarray, y: np.ndarray, k: int) -> tuple[float, float, float]:
    """Percent agreement, Cohen's kappa and Krippendorff's alpha (nominal) of two coders'
    label codes ``0..k-1`` (NaN when undefined), from :mod:`uppks_qual.agreement`."""
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    table = np.bincount(x * k + y, minlength=k * k).reshape(k, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (percent_agreement(x, y), cohen_kappa_table(table),
                krippendorff_alpha(np.vstack([x, y]), level="nominal"))


def _levels(u: Units, idx: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Every level's pair of label codes (and number of labels) for the passages ``idx``
    (with repeats: a bootstrap sample)."""
    out = {f: (x[idx], y[idx], 2) for f, (x, y) in u.presence.items()}
    out["overall"] = (np.concatenate([x for x, _, _ in out.values()]),
                      np.concatenate([y for _, y, _ in out.values()]), 2)
    counts = np.bincount(idx, minlength=len(u.passages))
    take = np.repeat(np.arange(len(u.valence_at)), counts[u.valence_at])
    out["valence"] = (u.valence[0][take], u.valence[1][take], max(len(u.valence_labels), 1))
    return out


def agreement_table(a: Coded, b: Coded, factors: Sequence[str], *, boot: int = BOOT,
                    seed: int = SEED) -> pd.DataFrame:
    """One row per factor, ``overall`` and ``valence``: units, how many each coder coded
    (for valence: pairs), percent agreement, kappa and alpha with bootstrap 95% intervals."""
    u = align(a, b, factors)
    n = len(u.passages)
    point = _levels(u, np.arange(n))
    draws: dict[str, list[tuple[float, float, float]]] = {k: [] for k in point}
    rng = np.random.default_rng(seed)
    for _ in range(boot):
        for level, (x, y, k) in _levels(u, rng.integers(0, n, n)).items():
            draws[level].append(pair_stats(x, y, k))
    rows = []
    for level, (x, y, k) in point.items():
        pa, kappa, alpha = pair_stats(x, y, k)
        coded = (len(x), len(y)) if level == "valence" else (int(x.sum()), int(y.sum()))
        row = {"level": level, "units": len(x), "a": coded[0], "b": coded[1],
               "agreement": pa, "kappa": kappa, "alpha": alpha}
        d = np.array(draws[level], dtype=float).reshape(-1, 3)
        for j, stat in ((1, "kappa"), (2, "alpha")):
            row[f"{stat}_lo"], row[f"{stat}_hi"] = _interval(d[:, j])
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(coders=(a.name, b.name), passages=n, boot=boot, seed=seed,
                       valence_labels=u.valence_labels)
    return table


def _interval(values: np.ndarray) -> tuple[float, float]:
    ok = values[~np.isnan(values)]
    if len(ok) == 0:
        return (np.nan, np.nan)
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return (float(lo), float(hi))


# ------------------------------------------------------------------ output
def _fmt(v: float, lo: float, hi: float) -> str:
    if np.isnan(v):
        return "n/a"
    return f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if not np.isnan(lo) else f"{v:.3f}"


def markdown(tables: Sequence[tuple[str, pd.DataFrame]]) -> str:
    """A markdown table of several comparisons."""
    lines = ["| comparison | level | units | A | B | % agree | kappa [95% CI] | "
             "alpha [95% CI] |", "|---|---|---:|---:|---:|---:|---|---|"]
    for title, t in tables:
        for r in t.itertuples():
            pa = "n/a" if np.isnan(r.agreement) else f"{100 * r.agreement:.1f}"
            lines.append(f"| {title} | {r.level} | {r.units} | {r.a} | {r.b} | {pa} | "
                         f"{_fmt(r.kappa, r.kappa_lo, r.kappa_hi)} | "
                         f"{_fmt(r.alpha, r.alpha_lo, r.alpha_hi)} |")
    return "\n".join(lines)


def _blind(path: Path) -> Path:
    return path.with_name(f"{path.stem}_blind{path.suffix}")


def comparisons(blind: Sequence[Path], old: Sequence[Path], coders: Sequence[str]
                ) -> list[tuple[str, Path, Path, str, str]]:
    """(title, file A, file B, name A, name B) of every comparison."""
    (ba, bb), (oa, ob), (ca, cb) = blind, old, coders
    return [(f"{ca} blind vs {cb} blind", ba, bb, f"{ca} (blind)", f"{cb} (blind)"),
            (f"{ca} blind vs {ca} old", ba, oa, f"{ca} (blind)", f"{ca} (old)"),
            (f"{cb} blind vs {cb} old", bb, ob, f"{cb} (blind)", f"{cb} (old)"),
            (f"{ca} old vs {cb} old", oa, ob, f"{ca} (old)", f"{cb} (old)")]


def main(argv: Sequence[str] | None = None,
         out: Callable[[str], None] = print) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("blind", nargs="*", type=Path,
                    help="the two blind codings files (default: from the manifest)")
    ap.add_argument("--old", nargs=2, type=Path, help="the same coders' old files")
    ap.add_argument("--coders", nargs=2, help="the coders' names (default: from the manifest)")
    ap.add_argument("--boot", type=int, default=BOOT, help=f"replicates (default {BOOT})")
    ap.add_argument("--seed", type=int, default=SEED, help=f"bootstrap seed (default {SEED})")
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data/interviews")
    args = ap.parse_args(argv)
    if args.blind and len(args.blind) != 2:
        ap.error("give two blind files (or none, to take them from the manifest)")
    if args.blind and not args.old:
        ap.error("with explicit blind files, give --old OLD_A OLD_B too")
    if not args.blind:
        m = uq.read_manifest(args.corpus / "corpus.yaml")
        pair = [*m.manual, *m.agreement][:2]
        if len(pair) < 2 or not all(c.codings for c in pair):
            ap.error(f"{m.path} names fewer than two coders with codings; give the files")
        first, second = pair
        args.old = args.old or [Path(str(first.codings)), Path(str(second.codings))]
        args.blind = [_blind(p) for p in args.old]
        args.coders = args.coders or [first.coder, second.coder]
    coders = args.coders or ["A", "B"]
    codebook = uq.load_codebook(args.codebook)
    factors = [c.code_id for c in codebook.factors()]
    tables = []
    for title, fa, fb, na, nb in comparisons(args.blind, args.old, coders):
        t = agreement_table(read_coded(fa, codebook, name=na), read_coded(fb, codebook, name=nb),
                            factors, boot=args.boot, seed=args.seed)
        tables.append((title, t))
    out(markdown(tables))
    out(f"\nUnits: passages both files read; A, B: passages coded with the factor (valence: "
        f"pairs coded by both). 95% intervals: percentile bootstrap over passages, "
        f"{args.boot} replicates, seed {args.seed}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
