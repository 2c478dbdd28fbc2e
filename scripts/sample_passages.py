"""Draw the seeded random sample of passages the manual coders code (data/coding/sample.csv).

Seven informant sentences (>= 5 words, not the interviewer's) per document, seed 20040310.
Run from the repository root: python scripts/sample_passages.py
"""

from __future__ import annotations

import uppks_qual as uq

SEED = 20040310
PER_DOC = 7

corpus = uq.load_corpus("data/interviews")
seg = corpus.segments
sent = seg[(seg["kind"] == "sentence") & (seg["speaker"].fillna("") != "P")]
sent = sent[sent["text"].str.split().str.len() >= 5]
sample = (sent.sample(frac=1.0, random_state=SEED).groupby("doc_id").head(PER_DOC)
          .sort_values(["doc_id", "start"]))
sample = sample[["doc_id", "segment_id", "start", "end", "speaker", "text"]].reset_index(drop=True)
sample.insert(0, "passage_id", [f"P{i + 1:03d}" for i in range(len(sample))])
sample.to_csv("data/coding/sample.csv", index=False)
print(len(sample), "passages")
