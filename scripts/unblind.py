"""Map a coder's blind answers back to the passages: a codings file like gold.csv.

Reads a coder's answer CSV for a blind round (``item,code_id,valence,note``; one row per code;
an item left uncoded has one row with empty ``code_id`` and ``valence``), checks it, maps the
items back through the round's private key (``data/coding/blind/round2_key.csv``) and writes
the repository's codings format (``passage_id,doc_id,start,end,code_id,valence,coder,note``,
like ``data/coding/gold.csv``), plus a line in ``data/coding/blind/rounds.csv``.

Checks (every problem is reported as ``file:line: ...``; nothing is written if any fails):
the header has ``item``, ``code_id`` and ``valence``; every item of the key is answered and no
other; every ``code_id`` is one of the round's codes in ``codebook.yaml`` (the six factors and
their sub-codes); ``valence`` is ``positive``, ``negative`` or ``neutral`` for a code and empty
for no code; no row repeats another; an item is not both coded and left uncoded.

The default output is the coder's earlier file from the study manifest (``corpus.yaml``) with
``_blind`` added: ``gold_blind.csv`` for ana, ``coder_budi_blind.csv`` for budi.

Run from the repository root::

    python scripts/unblind.py ANSWERS.csv --coder ana [--out data/coding/gold_blind.csv]
        [--key data/coding/blind/round2_key.csv] [--rounds data/coding/blind/rounds.csv]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blind_sample import (
    ROOT,
    ROUND,
    ROUND_LABEL,
    _rel,
    record_round,
    round_codes,
)

import uppks_qual as uq
from uppks_qual.errors import ImportProblem

CODING_COLUMNS = ["passage_id", "doc_id", "start", "end", "code_id", "valence", "coder", "note"]
VALENCES = ("positive", "negative", "neutral")
BLIND_DIR = ROOT / "data" / "coding" / "blind"


@dataclass(frozen=True)
class Answer:
    line: int
    item: str
    code_id: str
    valence: str
    note: str


def read_answers(path: Path) -> tuple[list[Answer], list[str]]:
    """The answer rows with their line numbers, and the problems of the header."""
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("item", "code_id", "valence") if c not in header]
    if missing:
        return [], [f"{path}:1: missing column(s) {', '.join(missing)}; the header must be "
                    f"item,code_id,valence,note (got {','.join(header) or 'nothing'})"]
    col = {name: header.index(name) for name in header}
    rows = []
    for record in reader:
        if not any(v.strip() for v in record):
            continue
        get = {k: (record[i].strip() if i < len(record) else "") for k, i in col.items()}
        rows.append(Answer(reader.line_num, get["item"], get["code_id"],
                           get["valence"].lower(), get.get("note", "")))
    return rows, []


def _code_problem(code_id: str, allowed: Sequence[str], known: Sequence[str]) -> str | None:
    if code_id in allowed:
        return None
    if code_id in known:
        return (f"code_id {code_id!r} is in codebook.yaml but not used in {ROUND_LABEL} "
                "(only the six factors and their sub-codes)")
    near = difflib.get_close_matches(code_id, allowed, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return (f"unknown code_id {code_id!r}{hint}; allowed: {', '.join(allowed)}, or empty "
            "for no code")


def check_answers(rows: Sequence[Answer], path: Path, items: Sequence[str],
                  allowed: Sequence[str], known: Sequence[str]) -> list[str]:
    """Every problem of the answer rows, as ``file:line: message`` strings."""
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    uncoded: dict[str, int] = {}
    coded: set[str] = set()
    for r in rows:
        where = f"{path}:{r.line}: item {r.item!r}: "
        if r.item not in items:
            problems.append(f"{path}:{r.line}: unknown item {r.item!r}; items are "
                            f"{items[0]}..{items[-1]} as in round{ROUND}_items.csv")
            continue
        if r.code_id:
            if (msg := _code_problem(r.code_id, allowed, known)) is not None:
                problems.append(where + msg)
            if r.valence not in VALENCES:
                problems.append(where + f"valence must be one of {', '.join(VALENCES)} for "
                                f"code {r.code_id!r}; got {r.valence!r}")
            coded.add(r.item)
        else:
            if r.valence:
                problems.append(where + f"valence {r.valence!r} given without a code_id "
                                "(an uncoded item has empty code_id and valence)")
            uncoded.setdefault(r.item, r.line)
        key = (r.item, r.code_id, r.valence)
        if key in seen:
            problems.append(where + f"repeats line {seen[key]}")
        seen.setdefault(key, r.line)
    problems += [f"{path}:{line}: item {item!r} has codes on other lines and also an empty "
                 "code_id row; remove one of them" for item, line in uncoded.items()
                 if item in coded]
    answered = {r.item for r in rows}
    missing = [i for i in items if i not in answered]
    if missing:
        problems.append(f"{path}: {len(missing)} item(s) not answered: {', '.join(missing)} "
                        "(every item needs a row; an uncoded item gets one row with empty "
                        "code_id)")
    return problems


def unblind(rows: Sequence[Answer], key: pd.DataFrame, *, coder: str) -> pd.DataFrame:
    """The codings frame (:data:`CODING_COLUMNS`) of checked answer rows, in passage order
    (the answers' order within a passage)."""
    by_item = key.set_index("item")
    out = pd.DataFrame([{**by_item.loc[r.item, ["passage_id", "doc_id", "start", "end"]],
                         "code_id": r.code_id, "valence": r.valence if r.code_id else "",
                         "coder": coder, "note": r.note} for r in rows], columns=CODING_COLUMNS)
    return out.sort_values("passage_id", kind="stable").reset_index(drop=True)


def default_output(coder: str, manifest: uq.Manifest) -> Path:
    """The coder's earlier codings file of the manifest, with ``_blind`` added."""
    for entry in (*manifest.manual, *manifest.agreement):
        if entry.coder == coder and entry.codings:
            old = Path(entry.codings)
            return old.with_name(f"{old.stem}_blind{old.suffix}")
    raise SystemExit(f"coder {coder!r} has no codings file in the manifest "
                     f"({manifest.path}); give --out")


def run(answers: Path, *, coder: str, key_path: Path, out: Path, rounds: Path,
        codebook_path: Path) -> pd.DataFrame:
    """Check ``answers``, write the unblinded codings to ``out`` and log them in ``rounds``.

    Raises :class:`~uppks_qual.errors.ImportProblem` listing every problem (``file:line``)."""
    key = pd.read_csv(key_path, dtype=str, keep_default_na=False)
    codebook = uq.load_codebook(codebook_path)
    rows, problems = read_answers(answers)
    if not problems:
        problems = check_answers(rows, answers, list(key["item"]),
                                 [c.code_id for c in round_codes(codebook)], codebook.ids)
    if problems:
        raise ImportProblem(f"{len(problems)} problem(s); nothing was written:\n"
                            + "\n".join(problems), path=answers, problems=problems)
    codings = unblind(rows, key, coder=coder)
    out.parent.mkdir(parents=True, exist_ok=True)
    codings.to_csv(out, index=False)
    record_round(rounds, {
        "file": _rel(out), "coder": coder, "round": ROUND_LABEL,
        "date": dt.date.today().isoformat(), "items": len(key), "seed": _seed(rounds, key_path),
        "how_made": f"scripts/unblind.py {_rel(answers)} --coder {coder} (key {_rel(key_path)})"})
    return codings


def _seed(rounds: Path, key_path: Path) -> str:
    """The shuffle seed recorded for the round's items file (next to the key)."""
    if not rounds.exists():
        return ""
    log = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    items = _rel(key_path.with_name(key_path.name.replace("_key", "_items")))
    hit = log.loc[log["file"] == items, "seed"]
    return hit.iloc[-1] if len(hit) else ""


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("answers", type=Path, help="the coder's answer CSV")
    ap.add_argument("--coder", required=True, help="the coder's name (e.g. ana, budi)")
    ap.add_argument("--out", type=Path, help="codings file to write (default: see above)")
    ap.add_argument("--key", type=Path, default=BLIND_DIR / f"round{ROUND}_key.csv")
    ap.add_argument("--rounds", type=Path, default=BLIND_DIR / "rounds.csv")
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data/interviews",
                    help="corpus folder whose corpus.yaml names the coders' files")
    args = ap.parse_args(argv)
    out = args.out or default_output(args.coder, uq.read_manifest(args.corpus / "corpus.yaml"))
    try:
        codings = run(args.answers, coder=args.coder, key_path=args.key, out=out,
                      rounds=args.rounds, codebook_path=args.codebook)
    except ImportProblem as exc:
        print(exc, file=sys.stderr)
        return 1
    n_items = codings["passage_id"].nunique()
    print(f"{len(codings)} rows ({n_items} passages, "
          f"{int((codings['code_id'] != '').sum())} codings) -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
