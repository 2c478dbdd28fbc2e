"""Write the worked notebooks in notebooks/ (outputs stripped). Run from the repository root."""

from __future__ import annotations

import nbformat as nbf

SETUP = '''from pathlib import Path
import tempfile, warnings
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
%matplotlib inline
import uppks_qual as uq

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
WORK = Path(tempfile.mkdtemp(prefix="uppks-"))   # project files go here, not into the repository
pd.set_option("display.max_colwidth", 90)'''

HONESTY = ("> **About the data.** The corpus in `data/interviews/` is an **illustrative "
           "reconstruction** written for this project from the published summary of the UPPKS "
           "study in Sungai Limau; the study's own field data is not available. Everything "
           "below shows what the toolkit produces on that illustrative corpus, **not** the "
           "study's empirical findings.")

BUILD = '''corpus = uq.load_corpus(ROOT / "data/interviews")
codebook = uq.load_codebook(ROOT / "codebook.yaml")
project = uq.Project.create(WORK / "uppks.uqp", corpus=corpus, codebook=codebook)
# rules + a model trained on the training passages (never on the gold sample)
project.autocode(method="learned",
                 training=uq.learn.training_files(ROOT / "data/coding"))
project.import_codings(ROOT / "data/coding/gold.csv", coder="ana")
# ana read the whole sample (coded or not): her judgement replaces the automatic coder's there
project.mark_read(pd.read_csv(ROOT / "data/coding/sample.csv"), coder="ana")
project.set_evidence_coders(["ana", "auto"])
FACTORS = [c.code_id for c in codebook.factors()]
evidence = project.evidence()      # the one frame every count below is made from
documents = project.documents()'''

NOTEBOOKS = {
    "01_load_and_code.ipynb": [
        ("md", "# 1. Load a corpus, code it by hand and automatically\n\n" + HONESTY),
        ("code", SETUP),
        ("md", "## Load the corpus and the codebook\nEvery `.txt` file has YAML front matter "
               "(group, village, source type, informant role...) and a body of speaker turns "
               "(`P:` interviewer, `I:` informant) or paragraphs of notes."),
        ("code", 'corpus = uq.load_corpus(ROOT / "data/interviews")\n'
                 'codebook = uq.load_codebook(ROOT / "codebook.yaml")\ncorpus.summary()'),
        ("code", 'corpus.documents[["doc_id", "group", "source_type", "informant_role", '
                 '"n_words"]].head(10)'),
        ("code", '[(c.code_id, c.label("id")) for c in codebook.factors()]'),
        ("md", "Segments are speaker turns or paragraphs and the sentences inside them; offsets are "
               "half-open `[start, end)` into the document text."),
        ("code", 'seg = corpus.segments\nseg[seg["kind"] == "sentence"].head()'),
        ("md", "## A project, and manual coding by quote"),
        ("code", 'project = uq.Project.create(WORK / "uppks.uqp", corpus=corpus, '
                 'codebook=codebook)\n'
                 'cid = project.code_quote("asoka-int-secretary", "notulen", "leadership.meetings",'
                 '\n                         coder="ana", occurrence=1, valence="positive",\n'
                 '                         memo="minutes are kept")\n'
                 'project.codings(coder="ana")[["doc_id", "start", "end", "code_id", "valence", '
                 '"text"]]'),
        ("md", "A quote that is not in the text is an error that says what to do, and the project "
               "is left exactly as it was:"),
        ("code", 'try:\n    project.code_quote("asoka-int-chair", "kalimat yang tidak ada", '
                 '"leadership", coder="ana")\nexcept uq.QualError as err:\n    print(type(err)'
                 '.__name__, "-", err)'),
        ("md", "## Automatic coding\nThe codebook's cues run in spaCy matchers on a `blank(\"id\")` "
               "pipeline with the lookup lemmatizer; negation and polarity cues decide the "
               "valence. Automatic coding never touches a human coding."),
        ("code", 'uq.autocode_text("I: Angsuran kami tidak pernah macet, PLKB datang tiap bulan.", '
                 'codebook)[["code_id", "valence", "confidence", "text"]]'),
        ("code", 'project.autocode()\ndf = project.codings()   # every coding of every coder\n'
                 'df.groupby(["origin", "coder"]).size()'),
        ("md", "`project.codings()` lists every coding; a passage coded by hand *and* "
               "automatically appears twice there. Counts are made from `project.evidence()`: "
               "on every passage the first of the project's evidence coders who read it has "
               "the say (by default the human coders, then the automatic one)."),
        ("code", 'evidence = project.evidence()\n'
                 'uq.code_frequencies(evidence, by="group")[["group", "factor", "codings"]]'),
        ("code", 'df[df["origin"] == "auto"].sample(5, random_state=1)[["doc_id", "code_id", '
                 '"valence", "text"]]'),
        ("md", "## See a coded transcript (displaCy span view)"),
        ("code", 'project.show("asoka-int-chair", jupyter=True)'),
    ],
    "02_factor_frequencies.ipynb": [
        ("md", "# 2. Factor frequencies, raw and normalised\n\n" + HONESTY),
        ("code", SETUP),
        ("code", BUILD),
        ("md", "The two groups' materials differ in size, so raw counts mislead; rates per 1,000 "
               "words and the share of sentences coded are comparable."),
        ("code", 'freq = uq.code_frequencies(evidence, by="group", documents=documents,\n'
                 '                             segments=project.segments(kind="sentence"))\n'
                 'freq'),
        ("code", 'fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))\n'
                 'uq.charts.plot_factor_frequencies(evidence, codebook=codebook, ax=axes[0])\n'
                 'uq.charts.plot_factor_frequencies(evidence, normalise=True, documents=documents,'
                 '\n                                  codebook=codebook, lang="id", ax=axes[1])\n'
                 'fig.tight_layout()'),
        ("md", "## By informant role\nThe same function works for any metadata column."),
        ("code", 'uq.code_frequencies(evidence, by="informant_role").pivot_table(\n'
                 '    index="informant_role", columns="factor", values="codings", observed=True)'),
        ("md", "## Valence: is the factor described as working or failing?"),
        ("code", 'uq.valence_balance(evidence)'),
        ("code", 'ax = uq.charts.plot_valence(evidence, codebook=codebook)'),
        ("code", 'fig, ax = plt.subplots(figsize=(12, 5))\n'
                 'uq.charts.plot_code_document_heatmap(evidence, codebook=codebook, ax=ax)\n'
                 'fig.tight_layout()'),
        ("code", 'ax = uq.charts.plot_coding_stripe(evidence, "melati-int-chair", '
                 'codebook=codebook)'),
    ],
    "03_reproduce_thesis_comparison.ipynb": [
        ("md", "# 3. Reproducing the study's comparison\n\n" + HONESTY + "\n\nThe study found "
               "that six factors explain why Asoka thrived and Melati lagged. Here the toolkit "
               "builds the same comparison from codings: automatic codings everywhere, replaced "
               "by the researcher's manual codings (`ana`) on the passages she read."),
        ("code", SETUP),
        ("code", BUILD),
        ("md", "## Framework matrix\nFactors x groups, with counts, valence balance and the most "
               "representative quotes (manual codings first)."),
        ("code", 'uq.analysis.framework_table(evidence, quotes=1)'),
        ("md", "## Group comparison with statistics\nFisher's exact test per factor on codings per "
               "word, odds ratios with 95% CI (Haldane-Anscombe correction for zero cells), and "
               "Benjamini-Hochberg adjusted p-values."),
        ("code", 'with warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n'
                 '    comparison = uq.compare_groups(evidence, "Asoka", "Melati", '
                 'documents=documents)\n'
                 'comparison[["factor", "count_a", "count_b", "rate_a", "rate_b", "odds_ratio", '
                 '"p_adjusted", "summary"]]'),
        ("md", "Frequency alone says how much each factor is *talked about*, not whether it "
               "*worked*. The study's claim is about the latter, so the comparison below weighs "
               "the valence of the evidence."),
        ("code", 'h = project.manifest.hypothesis   # from data/interviews/corpus.yaml\n'
                 'print(h.statement)\n'
                 'thesis = uq.thesis_comparison(evidence, a=h.better, b=h.worse, factors=FACTORS)\n'
                 'thesis[["factor", "verdict_a", "balance_a", "verdict_b", "balance_b", '
                 '"agrees_with_hypothesis"]]'),
        ("code", 'auto_only = project.evidence(coders=["auto"])\n'
                 'uq.thesis_comparison(auto_only, a=h.better, b=h.worse, factors=FACTORS)[\n'
                 '    ["factor", "verdict_a", "verdict_b", "agrees_with_hypothesis"]]'),
        ("code", 'for row in thesis.itertuples():\n    print(f"== {row.factor}")\n'
                 '    for q in (row.quotes_a or ())[:1]:\n        print("  Asoka :", q)\n'
                 '    for q in (row.quotes_b or ())[:1]:\n        print("  Melati:", q)'),
        ("md", "## What this can and cannot show\n"
               "- The corpus was **written** to reflect the study's published findings, with "
               "counter-examples in both groups. That the toolkit recovers the direction of the "
               "findings shows the pipeline works end to end; it is **not** independent evidence "
               "for the findings.\n"
               "- The automatic coder finds roughly half of what a human codes, and its valence is "
               "often `neutral` where a human reads a judgement (see the accuracy table in the "
               "README). Verdicts resting on automatic codings alone are correspondingly weak.\n"
               "- Counts of codings are not independent observations (several codings come from "
               "one informant), so the p-values describe the text, not a population."),
    ],
    "04_intercoder_agreement.ipynb": [
        ("md", "# 4. Inter-coder agreement\n\n" + HONESTY + "\n\nTwo researchers, `ana` and "
               "`budi`, coded the same 182 randomly sampled sentences independently "
               "(`data/coding/gold.csv`, `data/coding/coder_budi.csv`)."),
        ("code", SETUP),
        ("code", 'corpus = uq.load_corpus(ROOT / "data/interviews")\n'
                 'codebook = uq.load_codebook(ROOT / "codebook.yaml")\n'
                 'project = uq.Project.create(WORK / "agreement.uqp", corpus=corpus, '
                 'codebook=codebook)\n'
                 'print(project.import_codings(ROOT / "data/coding/gold.csv", coder="ana"))\n'
                 'print(project.import_codings(ROOT / "data/coding/coder_budi.csv", '
                 'coder="budi"))\n'
                 'scope = pd.read_csv(ROOT / "data/coding/sample.csv")'),
        ("md", "## Segment level\nEach sampled sentence is a unit; per factor, the presence or "
               "absence of the factor in each coder's coding. Cohen's kappa per factor; overall, "
               "kappa and Krippendorff's alpha over all (sentence, factor) decisions."),
        ("code", 'seg = project.agreement(("ana", "budi"), unit="segment", scope=scope)\nseg'),
        ("code", 'ax = uq.charts.plot_agreement(seg[seg["code"] != "overall"].rename(\n'
                 '    columns={"code": "factor"}), codebook=codebook)'),
        ("md", "## Character level (as NVivo's coding comparison)\nPer factor, characters coded "
               "by both, one or neither coder inside the sampled sentences, pooled over documents "
               "(weighted by document length)."),
        ("code", 'char = project.agreement(("ana", "budi"), unit="character", scope=scope)\n'
                 'char[char["doc_id"] == "all"]'),
        ("md", "## Where the coders differ\nSorted by document and position, for a "
               "reconciliation meeting."),
        ("code", 'project.disagreements(("ana", "budi"), scope=scope)[["doc_id", "code", "text", '
                 '"valence_ana", "valence_budi", "kind"]]'),
        ("md", "The statistics are checked in the test suite against published reference values "
               "(Krippendorff 2011, Fleiss, Artstein & Poesio, NVivo's documented example)."),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        nbf.write(nb, f"notebooks/{name}")
        print("wrote", name)


if __name__ == "__main__":
    main()
