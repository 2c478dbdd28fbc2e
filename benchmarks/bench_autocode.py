"""Benchmark: auto-coding speed and memory on a large synthetic corpus.

Builds a seeded synthetic corpus of at least ``--words`` words by re-sampling the turns and
paragraphs of the bundled (illustrative) documents into new documents, then measures side by
side, in one run:

(a) ``uppks_qual.autocode_text`` over every document (sentence units, valence, the full
    codebook);
(b) a naive baseline in the style of desktop QDA text search: for every document, every cue of
    every code (phrases, lemma cues as ``stem*`` wildcard searches, and the valence words) is
    scanned with its own case-insensitive regular expression;
(c) the project's tokenizer (``get_nlp().tokenizer``, :mod:`uppks_qual.tokenizer`) over the same
    texts: the floor of anything that tokenises;
(d) spaCy's stock ``blank("id")`` tokenizer (built, and run once over the bundled corpus,
    before the timing): the floor a plain spaCy pipeline would have;
(e) the learned coder's prediction (:class:`uppks_qual.learn.CodeSuggester`, trained before the
    timing on the bundled training passages ``data/coding/train*.csv``) over the informant
    sentences of the synthetic documents: their sentence table (context and the rule coder's
    output) is built before the timing from the documents' segments, so (e) times
    ``CodeSuggester.predict`` alone;
(f)-(h) the rule coder (``project.autocode``'s path) in 1 and 2 processes, and the learned
    coder's prediction in 2 processes (each worker starts inside the timing);
(i) the floor of any cue matcher on the project's tokenizer: tokenising and the rule coder's two
    ``PhraseMatcher`` passes (word forms and lemmas), nothing else (no token Matcher, clauses,
    valence, rows or frame).

Each method runs ``--repeat`` times (median). It prints words/second for each, as a markdown
table with the ratios to the two tokenizers, a/b, and the peak resident memory of the process.
Words are the whole corpus's in every row (the learned coder reads the interviewer's turns as
context only). Run from the repository root::

    .venv/bin/python benchmarks/bench_autocode.py --words 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

import uppks_qual as uq
from uppks_qual import learn
from uppks_qual.autocode import autocode_segments, autocode_text, build_matchers
from uppks_qual.corpus import segments_frame
from uppks_qual.nlp import get_nlp
from uppks_qual.parallel import code_documents, predict_by_document
from uppks_qual.records import Segment

SEED = 1997
CORPUS = "data/interviews"
TRAINING = "data/coding"


def synthetic_documents(n_words: int, *, doc_words: int = 2000, seed: int = SEED
                        ) -> list[tuple[str, list[Segment]]]:
    """Documents of about ``doc_words`` words made of re-sampled turns/paragraphs, each with
    its segments: the turns/paragraphs and their sentences as the corpus loader cut them in
    the original document, moved to their place (a turn keeps its ``LABEL:`` in the text)."""
    corpus = uq.load_corpus(CORPUS)
    units: list[tuple[str, Segment, list[Segment]]] = []
    for doc in corpus:
        segs = corpus.iter_segments(doc.doc_id)
        for s in segs:
            if s.kind != "sentence":
                label = f"{s.speaker}: " if s.speaker else ""
                units.append((label, s, [x for x in segs if x.parent == s.segment_id]))
    rng = random.Random(seed)
    docs: list[tuple[str, list[Segment]]] = []
    total = 0
    while total < n_words:
        parts: list[str] = []
        segments: list[Segment] = []
        words = pos = 0
        doc_id = f"synthetic-{len(docs) + 1:04d}"
        while words < doc_words:
            label, unit, sentences = rng.choice(units)
            parts.append(label + unit.text)
            segments += _moved(unit, sentences, doc_id, len(segments), pos + len(label))
            pos += len(parts[-1]) + 2  # the "\n\n" between units
            words += len(parts[-1].split())
        docs.append(("\n\n".join(parts), segments))
        total += words
    return docs


def _moved(unit: Segment, sentences: list[Segment], doc_id: str, k: int,
           start: int) -> list[Segment]:
    """``unit`` and its ``sentences`` moved to ``start`` of document ``doc_id``."""
    shift, unit_id = start - unit.start, f"u{k + 1}"
    return [dataclasses.replace(unit, doc_id=doc_id, segment_id=unit_id, start=start,
                                end=unit.end + shift),
            *(dataclasses.replace(s, doc_id=doc_id, segment_id=f"{unit_id}.s{j + 1}",
                                  start=s.start + shift, end=s.end + shift, parent=unit_id)
              for j, s in enumerate(sentences))]


def synthetic_corpus(n_words: int, *, doc_words: int = 2000, seed: int = SEED) -> list[str]:
    """The texts of :func:`synthetic_documents`."""
    return [text for text, _ in synthetic_documents(n_words, doc_words=doc_words, seed=seed)]


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


def run_tokenizer(docs: list[str], tokenizer: Any) -> int:
    return sum(len(d) for d in tokenizer.pipe(docs, batch_size=64))


def run_matching(docs: list[str], codebook: uq.Codebook) -> int:
    """Tokenise and run the rule coder's two phrase matchers: the floor of (a)."""
    m = build_matchers(codebook)
    return sum(len(m.lower(d)) + len(m.norm(d))
               for d in get_nlp().tokenizer.pipe(docs, batch_size=64))


def stock_tokenizer() -> Any:
    """spaCy's own ``blank("id")`` tokenizer (not the project's, :mod:`uppks_qual.tokenizer`),
    its vocabulary and cache filled on the bundled corpus, as the project's are when the corpus
    is loaded."""
    import spacy

    tokenizer = spacy.blank("id").tokenizer
    for doc in uq.load_corpus(CORPUS):
        tokenizer(doc.text)
    return tokenizer


def _rule_rows(documents: list[tuple[str, str, list[Segment]]],
               codebook: uq.Codebook) -> pd.DataFrame:
    """The rule coder's sentence codings of ``(doc_id, text, segments)`` documents."""
    return learn.rules_frame({**row, "doc_id": doc_id} for doc_id, text, segments in documents
                             for row in autocode_segments(text, segments, codebook))


def learned_coder(codebook: uq.Codebook) -> learn.CodeSuggester:
    """A :class:`~uppks_qual.learn.CodeSuggester` trained on the bundled training passages
    of the bundled corpus, as ``project.autocode(method="learned")`` trains one."""
    corpus = uq.load_corpus(CORPUS)
    rules = _rule_rows([(d.doc_id, d.text, corpus.iter_segments(d.doc_id)) for d in corpus],
                       codebook)
    factors = [c.code_id for c in codebook.factors()]
    table = learn.sentence_table(corpus.segments, rules, factors)
    passages = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False)
                          for f in learn.training_files(TRAINING)], ignore_index=True)
    passages = passages.astype({"start": "int64", "end": "int64"})
    model = learn.CodeSuggester(codebook=codebook,
                                mask=learn.study_masker(corpus.manifest, corpus, codebook))
    return model.fit(learn.labelled_passages(table, passages, codebook))


def learned_table(documents: list[tuple[str, list[Segment]]],
                  codebook: uq.Codebook) -> pd.DataFrame:
    """The informant sentences of the synthetic documents as the learned coder reads them
    (:func:`uppks_qual.learn.sentence_table`, built from their segments)."""
    segments = [s for _, segs in documents for s in segs]
    rules = _rule_rows([(segs[0].doc_id, text, segs) for text, segs in documents], codebook)
    table = learn.sentence_table(segments_frame(segments), rules,
                                 [c.code_id for c in codebook.factors()])
    return table[~table["speaker"].isin(["P"])]


def timed(label: str, func: Callable[..., Any], *args: Any, repeat: int = 1
          ) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls of ``func(*args)`` and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print(f"  {label:<40} {seconds:8.2f} s (median of {repeat})", file=sys.stderr)
    return seconds, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per method (median)")
    parser.add_argument("--no-naive", action="store_true", help="skip (b), the slowest")
    args = parser.parse_args(argv)
    codebook = uq.load_codebook("codebook.yaml")
    documents = synthetic_documents(args.words)
    docs = [text for text, _ in documents]
    n_words = sum(len(d.split()) for d in docs)
    print(f"synthetic corpus: {len(docs)} documents, {n_words:,} words (seed {SEED}; "
          f"re-sampled from the illustrative corpus in {CORPUS}, not field data)")
    units = [(segs[0].doc_id, text, [u for u in segs if u.kind != "sentence"])
             for text, segs in documents]
    stock = stock_tokenizer()
    model, table = learned_coder(codebook), learned_table(documents, codebook)
    # Each row: key -> (label, function, arguments). The ratios below divide by the rows
    # "tokenizer" and "stock". New rows (e.g. 1 vs 2 processes) go here.
    methods: dict[str, tuple[str, Callable[..., Any], tuple[Any, ...]]] = {
        "tokenizer": ("(c) project tokenizer", run_tokenizer, (docs, get_nlp().tokenizer)),
        "stock": ('(d) stock spaCy blank("id") tokenizer', run_tokenizer, (docs, stock)),
        "autocode": ("(a) uppks_qual.autocode_text", run_autocode, (docs, codebook)),
        "matching": ("(i) tokenizer + phrase matchers only", run_matching, (docs, codebook)),
        "learned": ("(e) CodeSuggester.predict", model.predict, (table,)),
        # every core: the same work spread over processes (each starts and builds its own
        # pipeline inside the timing; the output is identical, see tests/test_parallel.py)
        "rules_1": ("(f) rule coder, 1 process", code_documents, (units, codebook)),
        "rules_2": ("(g) rule coder, 2 processes", partial(code_documents, n_process=2),
                    (units, codebook)),
        "learned_2": ("(h) CodeSuggester.predict, 2 processes",
                      partial(predict_by_document, n_process=2), (model, table)),
    }
    if not args.no_naive:
        pats = naive_patterns(codebook)
        methods["naive"] = (f"(b) naive regex, {len(pats)} cues", run_naive, (docs, pats))
    seconds, outputs = {}, {}
    for key, (label, func, func_args) in methods.items():
        seconds[key], outputs[key] = timed(label, func, *func_args, repeat=args.repeat)
    result: dict[str, float] = {"words": n_words, "codings": outputs["autocode"],
                                "learned_sentences": len(table)}
    for key in methods:
        result[f"{key}_wps"] = n_words / seconds[key]
        result[f"{key}_over_tokenizer"] = seconds["tokenizer"] / seconds[key]
        result[f"{key}_over_stock"] = seconds["stock"] / seconds[key]
    if "naive" in methods:
        result["a_over_b"] = seconds["naive"] / seconds["autocode"]
    result["a_over_c"] = result["autocode_over_tokenizer"]
    result["rules_2_over_1"] = seconds["rules_1"] / seconds["rules_2"]
    result["learned_2_over_1"] = seconds["learned"] / seconds["learned_2"]
    result["peak_rss_mb"] = peak_rss_mb()
    print("| method | words/s | ratio to project tokenizer | ratio to stock tokenizer |")
    print("|---|---:|---:|---:|")
    for key, (label, _func, _args) in sorted(methods.items(), key=lambda item: item[1][0]):
        print(f"| {label} | {result[f'{key}_wps']:,.0f} | {result[f'{key}_over_tokenizer']:.3f}"
              f" | {result[f'{key}_over_stock']:.3f} |")
    if "a_over_b" in result:
        print(f"ratio a/b (speed-up over naive): {result['a_over_b']:.1f}x")
    print(f"2 processes over 1: rule coder {result['rules_2_over_1']:.2f}x, learned coder "
          f"{result['learned_2_over_1']:.2f}x")
    print(f"peak RSS: {result['peak_rss_mb']:.0f} MB; auto codings: {result['codings']:,}; "
          f"sentences the learned coder coded: {len(table):,}")
    return result


if __name__ == "__main__":
    main()
