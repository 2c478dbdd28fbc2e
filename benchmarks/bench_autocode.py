"""Benchmark: auto-coding speed and memory on a large synthetic corpus.

Builds a seeded synthetic corpus of at least ``--words`` words by re-sampling the turns and
paragraphs of the bundled (illustrative) documents into new documents, then measures side by
side, in one run:

(a) ``uppks_qual.autocode_text`` over every document (sentence units, valence, the full
    codebook);
(b) a naive baseline in the style of desktop QDA text search: for every document, every cue of
    every code (phrases, lemma cues as ``stem*`` wildcard searches, and the valence words) is
    scanned with its own case-insensitive regular expression;
(c) spaCy's bare ``blank("id")`` tokenizer over the same texts: the practical floor.

It prints words/second for each, the ratios a/b and a/c, and the peak resident memory of the
process. Run from the repository root::

    .venv/bin/python benchmarks/bench_autocode.py --words 1000000
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from collections.abc import Iterator

import uppks_qual as uq
from uppks_qual.autocode import autocode_text
from uppks_qual.nlp import get_nlp

SEED = 1997


def synthetic_corpus(n_words: int, *, doc_words: int = 2000, seed: int = SEED) -> list[str]:
    """Documents of about ``doc_words`` words made of re-sampled turns/paragraphs."""
    corpus = uq.load_corpus("data/interviews")
    units = []
    for doc in corpus:
        seg = corpus.iter_segments(doc.doc_id)
        for s in seg:
            if s.kind != "sentence":
                label = f"{s.speaker}: " if s.speaker else ""
                units.append(label + s.text)
    rng = random.Random(seed)
    docs, total = [], 0
    while total < n_words:
        parts, words = [], 0
        while words < doc_words:
            unit = rng.choice(units)
            parts.append(unit)
            words += len(unit.split())
        docs.append("\n\n".join(parts))
        total += words
    return docs


def naive_patterns(codebook: uq.Codebook) -> list[re.Pattern[str]]:
    """One regular expression per cue, as a desktop tool's text search would run."""
    pats = []
    for code in codebook:
        for phrase in (*code.phrases, *code.positive, *code.negative):
            pats.append(re.compile(r"\b" + re.escape(phrase) + r"\b", re.IGNORECASE))
        for lemma in code.lemmas:
            pats.append(re.compile(r"\b\w*" + re.escape(lemma) + r"\w*\b", re.IGNORECASE))
    return pats


def run_naive(docs: list[str], pats: list[re.Pattern[str]]) -> int:
    hits = 0
    for text in docs:
        for pat in pats:
            for _ in pat.finditer(text):
                hits += 1
    return hits


def run_autocode(docs: list[str], codebook: uq.Codebook) -> int:
    return sum(len(autocode_text(text, codebook)) for text in docs)


def run_tokenizer(docs: list[str]) -> int:
    nlp = get_nlp()
    return sum(len(d) for d in nlp.tokenizer.pipe(docs, batch_size=64))


def timed(label: str, func, *args) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = func(*args)
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.2f} s", file=sys.stderr)
    return seconds, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    codebook = uq.load_codebook("codebook.yaml")
    docs = synthetic_corpus(args.words)
    n_words = sum(len(d.split()) for d in docs)
    get_nlp()
    print(f"synthetic corpus: {len(docs)} documents, {n_words:,} words (seed {SEED})")
    t_tok, _ = timed("(c) spaCy tokenizer only", run_tokenizer, docs)
    t_auto, n_codings = timed("(a) uppks_qual.autocode_text", run_autocode, docs, codebook)
    pats = naive_patterns(codebook)
    t_naive, n_hits = timed(f"(b) naive regex, {len(pats)} cues", run_naive, docs, pats)
    result = {
        "words": n_words, "autocode_wps": n_words / t_auto, "naive_wps": n_words / t_naive,
        "tokenizer_wps": n_words / t_tok, "a_over_b": t_naive / t_auto,
        "a_over_c": t_tok / t_auto, "peak_rss_mb": peak_rss_mb(), "codings": n_codings,
    }
    print(f"{'method':<34} {'words/s':>12}")
    print(f"{'(a) autocode_text':<34} {result['autocode_wps']:>12,.0f}")
    print(f"{'(b) naive regex per cue':<34} {result['naive_wps']:>12,.0f}")
    print(f"{'(c) bare tokenizer':<34} {result['tokenizer_wps']:>12,.0f}")
    print(f"ratio a/b (speed-up over naive): {result['a_over_b']:.1f}x")
    print(f"ratio a/c (share of tokenizer speed): {result['a_over_c']:.2f}")
    print(f"peak RSS: {result['peak_rss_mb']:.0f} MB; auto codings: {n_codings:,}")
    return result


if __name__ == "__main__":
    main()
