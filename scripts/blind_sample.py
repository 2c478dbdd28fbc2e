"""Make the blind round-2 coding items of the gold sample (data/coding/sample.csv).

The sample was first coded with the group, village and people's names visible, so a coder
could code the group rather than the passage. This script prepares it for a blind re-coding:

1. each passage and its context window (the previous and next sentence of the same turn or
   paragraph, from ``corpus.segments``) is masked: group, place and person names become
   ``KELOMPOK`` / ``TEMPAT`` / ``NAMA`` (:mod:`uppks_qual.masking`);
2. the passages are shuffled with a recorded seed, so the group cannot be read from the order,
   and get opaque item ids; doc_id, group and informant are dropped from what coders see;
3. it writes, in ``data/coding/blind/``:

   - ``round2_items.csv`` (``item, context_before, passage, context_after``; all masked): for
     the coders;
   - ``round2_instructions.md``: generated from ``codebook.yaml`` (the factor codes and their
     sub-codes with definition, use_when, not_when and examples; the coding rules), masked
     too: for the coders;
   - ``round2_key.csv`` (``item, passage_id, doc_id, start, end``): PRIVATE, for
     ``scripts/unblind.py``; never give it to a coder;
   - a line in ``rounds.csv`` (file, coder, round, date, items, seed, how made).

The masker is the study's (:func:`~uppks_qual.masking.masker_for`): the manifest's groups,
villages and ``mask:`` lists, the documents' informants and speakers, the codebook's actors;
words the corpus also writes in lower case (``suami``, ``Ibu Ketua``) are kept.

Run from the repository root (about 2 s)::

    python scripts/blind_sample.py [--seed 20261202] [--out-dir data/coding/blind]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import uppks_qual as uq
from uppks_qual.masking import Masker, masker_for
from uppks_qual.records import Code, Codebook, CodingRule

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261202
ROUND = "2"
ROUND_LABEL = "round 2, blind"
#: Codes offered to the coders: the six factors and their sub-codes (what the gold sample
#: was coded with, so that blind and earlier codings can be compared).
ROUND_KINDS = ("factor",)
ITEM_COLUMNS = ["item", "context_before", "passage", "context_after"]
KEY_COLUMNS = ["item", "passage_id", "doc_id", "start", "end"]
ROUNDS_COLUMNS = ["file", "coder", "round", "date", "items", "seed", "how_made"]
# ------------------------------------------------------------------ masking
def study_masker(corpus: uq.Corpus, codebook: Codebook) -> Masker:
    """The study's masker (see the module docstring)."""
    manifest = corpus.manifest
    return masker_for(groups=manifest.groups, documents=list(corpus), actors=codebook.actors,
                      extra_people=manifest.mask_people, extra_places=manifest.mask_places)


def _display(text: object) -> str:
    return " ".join(str(text).split()) if isinstance(text, str) else ""


# ------------------------------------------------------------------ items and key
def context_windows(sample: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """``sample`` with ``context_before``/``context_after``: the previous and next sentence of
    the same turn or paragraph ("" at its edges). Raises if a passage is not a corpus sentence."""
    sent = segments[segments["kind"] == "sentence"].sort_values(["doc_id", "start"])
    by_id = sent.set_index("segment_id")
    before, after = [], []
    for row in sample.itertuples():
        if row.segment_id not in by_id.index:
            raise SystemExit(f"sample.csv: passage {row.passage_id}: segment {row.segment_id} "
                             "is not a sentence of the corpus")
        seg = by_id.loc[row.segment_id]
        if (int(seg["start"]), int(seg["end"])) != (int(row.start), int(row.end)):
            raise SystemExit(f"sample.csv: passage {row.passage_id}: offsets [{row.start}, "
                             f"{row.end}) differ from the corpus sentence [{seg['start']}, "
                             f"{seg['end']})")
        siblings = sent[(sent["doc_id"] == row.doc_id) & (sent["parent"] == seg["parent"])]
        ids = list(siblings["segment_id"])
        i = ids.index(row.segment_id)
        before.append(siblings["text"].iloc[i - 1] if i > 0 else "")
        after.append(siblings["text"].iloc[i + 1] if i + 1 < len(ids) else "")
    return sample.assign(context_before=before, context_after=after)


def blind_items(sample: pd.DataFrame, segments: pd.DataFrame, masker: Masker, *,
                seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The masked, shuffled items for coders and the private key (item -> passage)."""
    work = context_windows(sample, segments)
    order = np.random.default_rng(seed).permutation(len(work))
    work = work.iloc[order].reset_index(drop=True)
    work["item"] = [f"B{i + 1:03d}" for i in range(len(work))]
    items = pd.DataFrame({"item": work["item"]})
    for out, col in (("context_before", "context_before"), ("passage", "text"),
                     ("context_after", "context_after")):
        items[out] = [masker.mask(_display(t)) for t in work[col]]
    return items[ITEM_COLUMNS], work[KEY_COLUMNS]


# ------------------------------------------------------------------ instructions
def round_codes(codebook: Codebook) -> list[Code]:
    """The codes of this round, in codebook order."""
    return [c for c in codebook if c.kind in ROUND_KINDS]


def _round_rules(codebook: Codebook, ids: set[str]) -> dict[str, list[CodingRule]]:
    """Rules that concern this round's codes: a rule whose every example codes a code outside
    the round (the rival-explanation rule) is left out."""
    out: dict[str, list[CodingRule]] = {}
    for topic, rules in codebook.rules.items():
        for rule in rules:
            coded = [e.code_id for e in rule.examples if e.code_id]
            if coded and not any(c in ids for c in coded):
                continue
            out.setdefault(topic, []).append(rule)
    return out


def _code_md(code: Code, masker: Masker) -> list[str]:
    hashes = "###" if code.parent is None else "####"
    lines = [f"{hashes} `{code.code_id}`: {code.label_en} ({code.label_id})", ""]
    for name, text in (("Definition", code.definition), ("Use when", code.use_when),
                       ("Not when", code.not_when)):
        if text:
            lines += [f"**{name}.** {masker.mask(_display(text))}", ""]
    if code.examples:
        lines += ["**Examples.**", ""]
        lines += [f"- \"{masker.mask(_display(e))}\"" for e in code.examples] + [""]
    return lines


def _rule_md(n: int, rule: CodingRule, masker: Masker, ids: set[str]) -> list[str]:
    lines = [f"{n}. {masker.mask(_display(rule.text))}", ""]
    for ex in rule.examples:
        if ex.code_id and ex.code_id not in ids:
            continue
        coded = (f"`{ex.code_id}`, {ex.valence}" if ex.code_id and ex.valence
                 else f"`{ex.code_id}`" if ex.code_id else "not coded")
        note = f" {masker.mask(_display(ex.note))}" if ex.note else ""
        lines.append(f"   - \"{masker.mask(_display(ex.quote))}\" → {coded}.{note}")
    return [*lines, ""] if rule.examples else lines


def instructions_markdown(codebook: Codebook, masker: Masker, *, n_items: int,
                          items_file: str) -> str:
    """The coders' instructions for this round, generated from ``codebook`` (masked)."""
    codes = round_codes(codebook)
    ids = {c.code_id for c in codes}
    n_terms = len(masker.terms)
    lines = [
        f"# Coding instructions: {ROUND_LABEL}", "",
        f"- Round: **{ROUND_LABEL}**",
        f"- Items: {n_items}, in `{items_file}`",
        f"- Codebook: version {codebook.version}; {len(codes)} codes (the six factors and their "
        "sub-codes)",
        f"- Masking: {n_terms} masking terms (names of groups, places and people), plus any "
        "capitalised name after an honorific (Ibu, Pak, Datuak, ...), are replaced by "
        "`KELOMPOK` (a group), `TEMPAT` (a place) or `NAMA` (a person)",
        "", "## What to do", "",
        "Code each item's **passage** from the text alone. `context_before` and "
        "`context_after` are the sentences just before and after it in the same speaker turn "
        "or note paragraph (empty at the edge of one): read them to understand the passage, "
        "but do not code them.", "",
        "Names of groups, places and people are masked, and the items are in random order. "
        "Do not try to find out which group, village or person a passage is about, and do "
        "not look passages up in the interviews, earlier codings or the automatic coder's "
        "output. Work alone: do not discuss items with the other coder.", "",
        "Use only the codes listed below; codes the definitions mention that are not listed "
        "(`stage.*`, `welfare.*`, ...) are not used in this round. Apply the most specific "
        "code that fits (a sub-code rather than its factor), following the coding rules at "
        "the end.", "",
        "## Answer format", "",
        "A CSV file (UTF-8, comma-separated) with the header `item,code_id,valence,note`:", "",
        "- one row per code applied to an item: `item` as in the items file, `code_id` one of "
        "the ids below, `valence` one of `positive`, `negative`, `neutral`, and an optional "
        "`note` (why; quote it if it contains a comma);",
        "- the same code may appear twice for one item only with different valences (a "
        "contrast: one coding per clause, see the rules);",
        "- an item you read and leave uncoded gets **one row with an empty `code_id` and an "
        "empty `valence`**;",
        "- every item must appear at least once.", "",
        "```csv", "item,code_id,valence,note",
        "B001,leadership.meetings,negative,meeting postponed",
        "B001,officer_role,positive,",
        "B002,,,greeting only", "```", "",
        "## Codes", "",
    ]
    for code in codes:
        lines += _code_md(code, masker)
    lines += ["## Coding rules", ""]
    for topic, rules in _round_rules(codebook, ids).items():
        lines += [f"### {topic.capitalize()} rules", ""]
        for n, rule in enumerate(rules, 1):
            lines += _rule_md(n, rule, masker, ids)
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------ files
def record_round(rounds: Path, row: dict[str, object]) -> None:
    """Add ``row`` to ``rounds.csv``, replacing an earlier line for the same file."""
    old = (pd.read_csv(rounds, dtype=str, keep_default_na=False) if rounds.exists()
           else pd.DataFrame(columns=ROUNDS_COLUMNS))
    old = old[old["file"] != str(row["file"])]
    new = pd.concat([old, pd.DataFrame([row], columns=ROUNDS_COLUMNS).astype(str)],
                    ignore_index=True)
    new.to_csv(rounds, index=False, quoting=csv.QUOTE_MINIMAL)


def _rel(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def make_round(*, sample_path: Path, corpus_dir: Path, codebook_path: Path, out_dir: Path,
               seed: int, corpus: uq.Corpus | None = None) -> dict[str, Any]:
    """Write the round's items, key and instructions to ``out_dir``; return a summary
    (``corpus``: the corpus of ``corpus_dir`` if already loaded)."""
    corpus = corpus if corpus is not None else uq.load_corpus(corpus_dir)
    codebook = uq.load_codebook(codebook_path)
    masker = study_masker(corpus, codebook)
    sample = pd.read_csv(sample_path, dtype={"start": int, "end": int}, keep_default_na=False)
    items, key = blind_items(sample, corpus.segments, masker, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    items_path = out_dir / f"round{ROUND}_items.csv"
    items.to_csv(items_path, index=False)
    key.to_csv(out_dir / f"round{ROUND}_key.csv", index=False)
    (out_dir / f"round{ROUND}_instructions.md").write_text(
        instructions_markdown(codebook, masker, n_items=len(items), items_file=items_path.name),
        encoding="utf-8")
    record_round(out_dir / "rounds.csv", {
        "file": _rel(items_path), "coder": "", "round": ROUND_LABEL,
        "date": dt.date.today().isoformat(), "items": len(items), "seed": seed,
        "how_made": f"scripts/blind_sample.py --seed {seed} from {_rel(sample_path)}"})
    return {"items": len(items), "terms": len(masker.terms),
            "seed": seed, "out_dir": out_dir, "examples": worked_examples(items, codebook, masker)}


def worked_examples(items: pd.DataFrame, codebook: Codebook, masker: Masker) -> list[str]:
    """Items whose passage holds a quote the instructions code as a worked example (their
    coding is shown to the coders; worth knowing when reading agreement on them)."""
    quotes = [masker.mask(_display(e.quote)) for rules in codebook.rules.values()
              for r in rules for e in r.examples]
    return [i for i, p in zip(items["item"], items["passage"], strict=True)
            if any(q in p for q in quotes)]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=SEED, help=f"shuffle seed (default {SEED})")
    ap.add_argument("--sample", type=Path, default=ROOT / "data/coding/sample.csv")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data/interviews")
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "data/coding/blind")
    args = ap.parse_args(argv)
    info = make_round(sample_path=args.sample, corpus_dir=args.corpus,
                      codebook_path=args.codebook, out_dir=args.out_dir, seed=args.seed)
    print(f"{info['items']} items, seed {info['seed']}, {info['terms']} masking terms "
          f"-> {info['out_dir']}")
    print("items whose passage is a worked example in the instructions:",
          ", ".join(info["examples"]) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
