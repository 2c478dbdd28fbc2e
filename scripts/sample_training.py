"""Draw disjoint seeded samples of passages for training data.

Round 1 (data/coding/train_sample.csv): twelve informant sentences (>= 5 words) per document
that are not in data/coding/sample.csv (the evaluation sample), seed 20040521.
Round 2 (data/coding/train_sample2.csv, `--round 2`): twenty-four more per document, disjoint
from both, seed 20040612. Round 3 (train_sample3.csv, `--round 3`): all remaining informant
sentences of >= 5 words. Run from the repository root.
"""

from __future__ import annotations

import sys

import pandas as pd

import uppks_qual as uq

ROUND = int(sys.argv[-1]) if "--round" in sys.argv else 1
SEED, PER_DOC, OUT, PREFIX = {
    1: (20040521, 12, "train_sample.csv", "T"),
    2: (20040612, 24, "train_sample2.csv", "U"),
    3: (20040703, 10_000, "train_sample3.csv", "V"),  # every remaining informant sentence
}[ROUND]

corpus = uq.load_corpus("data/interviews")
seg = corpus.segments
evaluation = set(pd.read_csv("data/coding/sample.csv")["segment_id"])
if ROUND >= 2:
    evaluation |= set(pd.read_csv("data/coding/train_sample.csv")["segment_id"])
if ROUND >= 3:
    evaluation |= set(pd.read_csv("data/coding/train_sample2.csv")["segment_id"])
sent = seg[(seg["kind"] == "sentence") & (seg["speaker"].fillna("") != "P")
           & ~seg["segment_id"].isin(evaluation)]
sent = sent[sent["text"].str.split().str.len() >= 5]
sample = (sent.sample(frac=1.0, random_state=SEED).groupby("doc_id").head(PER_DOC)
          .sort_values(["doc_id", "start"]))
sample = sample[["doc_id", "segment_id", "start", "end", "speaker", "text"]].reset_index(drop=True)
sample.insert(0, "passage_id", [f"{PREFIX}{i + 1:03d}" for i in range(len(sample))])
sample.to_csv(f"data/coding/{OUT}", index=False)
print(len(sample), "passages")
