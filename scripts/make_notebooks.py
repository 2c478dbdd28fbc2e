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
# rules + a model trained on the training passages (never on the gold sample), cross-fitted:
# each document is coded by a model that never saw its passages
project.autocode(method="learned", cross_fit=True,
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
        ("md", "# 3. Reproducing the study's comparison, case by case\n\n" + HONESTY + "\n\nThe "
               "study found that six factors explain why Asoka thrived and Melati lagged. Here "
               "the toolkit builds the same comparison from codings (automatic codings "
               "everywhere, replaced by the researcher's manual codings, `ana`, on the passages "
               "she read) and asks how firmly each factor's verdict rests on the **cases**: the "
               "people who spoke, and each observation or document note."),
        ("code", SETUP),
        ("code", BUILD),
        ("md", "## Cases, not codings\nCodings from one informant are not independent, and a "
               "talkative informant would otherwise dominate. Each coding knows who said it "
               "(`case`, `speaker`, `informant_role`) and whether it is the researcher's own "
               "words (`kind`: bracketed notes and interviewer questions are left out of the "
               "evidence)."),
        ("code", 'print(evidence.groupby("group", observed=True)["case"].nunique())\n'
                 'everything = project.evidence(include_notes=True)\n'
                 'print(everything["kind"].value_counts())'),
        ("code", 'cases = uq.case_matrix(evidence)\n'
                 'cases.pivot_table(index=["group", "case"], columns="factor", values="balance", '
                 'observed=True).round(2).head(12)'),
        ("md", "## The hypothesis, with uncertainty\nPer factor: the mean case balance in each "
               "group, the difference with a 95% cluster-bootstrap interval (cases resampled "
               "within groups), a permutation p over cases, and a verdict: **supports** only "
               "when the interval lies above zero, **contradicts** below zero, "
               "**inconclusive** otherwise. Leave-one-case-out runs show whether one case "
               "carries the direction."),
        ("code", 'h = project.manifest.hypothesis   # from data/interviews/corpus.yaml\n'
                 'print(h.statement)\n'
                 'thesis = uq.thesis_comparison(evidence, a=h.better, b=h.worse, factors=FACTORS)\n'
                 'thesis[["factor", "cases_a", "cases_b", "balance_a", "balance_b", "difference", '
                 '"ci_low", "ci_high", "p_value", "verdict", "stability"]].round(3)'),
        ("code", 'print((thesis["verdict"] == "supports").sum(), "of", len(thesis), '
                 '"factors support the hypothesis once uncertainty is counted")'),
        ("md", "### Sensitivity\nThe same verdicts over confidence levels, a minimum number "
               "of valenced codings per case, and the case taken as person or document."),
        ("code", 'grid = uq.hypothesis_sensitivity(evidence, a=h.better, b=h.worse, '
                 'factors=FACTORS)\n'
                 'grid.pivot_table(index="factor", columns="verdict", values="difference", '
                 'aggfunc="size", fill_value=0, observed=True)'),
        ("md", "### With automatic codings alone"),
        ("code", 'auto_only = project.evidence(coders=["auto"])\n'
                 'uq.thesis_comparison(auto_only, a=h.better, b=h.worse, factors=FACTORS)[\n'
                 '    ["factor", "difference", "ci_low", "ci_high", "verdict"]].round(3)'),
        ("md", "## Typical and disconfirming quotes\nEach cell: a typical quote of the "
               "group's majority lean (one per case, the most confident coding first) and a "
               "disconfirming one whenever the material has one (negative-case analysis)."),
        ("code", 'for row in thesis.itertuples():\n    print(f"== {row.factor}: {row.verdict}")\n'
                 '    for side, group in (("a", "Asoka"), ("b", "Melati")):\n'
                 '        for q in getattr(row, f"quotes_{side}")[:1]:\n'
                 '            print(f"  {group:6} typical :", q)\n'
                 '        for q in getattr(row, f"disconfirming_{side}")[:1]:\n'
                 '            print(f"  {group:6} against :", q)'),
        ("code", 'uq.disconfirming(evidence, "officer_role", "Asoka")'
                 '[["informant", "informant_role", "doc_id", "valence", "text"]].head()'),
        ("code", 'uq.analysis.framework_table(evidence, quotes=1)'),
        ("md", "## Queries with context\nRead the passages behind a cell, with the sentences "
               "around them."),
        ("code", 'hits = project.query(code="officer_role", valence="negative", '
                 'where={"group": "Melati"}, context=1)\n'
                 'for row in hits.head(3).itertuples():\n'
                 '    print(f"{row.informant} ({row.informant_role}), {row.doc_id}:\\n  '
                 '{row.passage}\\n")'),
        ("md", "## How much the material talks about each factor\nA coding-level table: how "
               "often each factor is coded per 1,000 words. It measures the interview guide as "
               "much as the groups (everyone was asked about every factor), and its codings "
               "are not independent trials, so it describes the material; it is not a test "
               "over informants."),
        ("code", 'with warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n'
                 '    rates = uq.compare_coding_rates(evidence, "Asoka", "Melati", '
                 'documents=documents)\n'
                 'rates[["factor", "count_a", "count_b", "rate_a", "rate_b", "p_adjusted"]]'),
        ("md", "## What this can and cannot show\n"
               "- The corpus was **written** to reflect the study's published findings, with "
               "counter-examples in both groups. That the toolkit recovers the direction of the "
               "findings shows the pipeline works end to end; it is **not** independent evidence "
               "for the findings.\n"
               "- Two groups of one corpus, with about fifteen cases each: the intervals are "
               "wide, and with so few cases the bootstrap is if anything too narrow. A verdict "
               "says how firmly the coded material favours one group, not why.\n"
               "- The automatic coder's valence is weaker than a human's (see the accuracy "
               "table in the README); verdicts resting on automatic codings alone are "
               "correspondingly weak."),
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
    "05_code_by_hand.ipynb": [
        ("md", "# 5. Code an interview by hand in the workbench\n\n" + HONESTY + "\n\n"
               "`project.workbench()` shows a document as a transcript with its codings in the "
               "codebook's colours, and the codebook as a tree. **Select text with the mouse** "
               "(the selection is widened to whole words; hold *Alt* for whole sentences), "
               "choose a valence and an optional memo, then **click a code**: the coding is "
               "written to the project at once, through the same checks as `project.code`. "
               "Click a coded passage to change its code, valence or memo, or remove it. *review "
               "suggestions* walks through the automatic coder's suggestions for the document "
               "(keys: `a` accept, `r` reject, `c` change code, `j`/`k` next/previous). "
               "The widget keeps nothing of its own: what you code is in the project, and the "
               "next cell can analyse it."),
        ("code", SETUP),
        ("code", 'corpus = uq.load_corpus(ROOT / "data/interviews")\n'
                 'codebook = uq.load_codebook(ROOT / "codebook.yaml")\n'
                 'project = uq.Project.create(WORK / "by-hand.uqp", corpus=corpus, '
                 'codebook=codebook)\n'
                 'project.autocode(progress=False)   # the suggestions to review\n'
                 'DOC = "asoka-int-chair"'),
        ("md", "## Open the workbench\nThe coder is `reader`: you, when you run this notebook "
               "in JupyterLab or Notebook 7 (pick another name in the widget's *coder* box)."),
        ("code", 'wb = project.workbench(DOC, coder="reader")\nwb'),
        ("md", "## What your clicks do\nWithout a browser (this notebook is also run by the "
               "test suite) nobody can click, so the next cell sends the widget the same "
               "messages your mouse would: select a passage (starting and ending inside a "
               "word), then apply a code. **The codings below are made by this cell**, under "
               "the name `reader`, not by a person; with the widget in front of you, skip it "
               "and code with the mouse."),
        ("code", 'text = project.document(DOC).text\n'
                 'def select_and_code(quote, code_id, valence=None, memo=None):\n'
                 '    at = text.index(quote)\n'
                 '    picked = wb.handle({"action": "select", "start": at + 2, '
                 '"end": at + len(quote) - 2})\n'
                 '    return wb.handle({"action": "code", "start": picked["start"], '
                 '"end": picked["end"],\n'
                 '                      "code_id": code_id, "valence": valence, "memo": memo})\n'
                 '\n'
                 'print(select_and_code("Jadi saya datangi satu-satu rumahnya", "leadership", '
                 '"positive",\n'
                 '                      memo="the chair visits each house"))\n'
                 'print(select_and_code("Maklumlah orang kampung", "information_clarity", '
                 '"negative"))\n'
                 'print(wb.handle({"action": "code", "start": 0, "end": 10**6, '
                 '"code_id": "leadership"}))   # refused: nothing written'),
        ("md", "Suggestions: accept the first one the automatic coder made in this document "
               "and reject the second (what the *accept* and *reject* buttons send)."),
        ("code", 'wb.handle({"action": "mode", "mode": "suggestions"})\n'
                 'first, second = wb.suggestions[:2]\n'
                 'print(wb.handle({"action": "accept", "suggestion_id": first["suggestion_id"]}))\n'
                 'print(wb.handle({"action": "reject", "suggestion_id": second["suggestion_id"]}))\n'
                 'pd.DataFrame(wb.counts)[["label", "n"]]'),
        ("md", "## Analyse what was coded, in the next cell\nThe project holds the codings the "
               "widget wrote, with the coder, time and codebook version; every change is in the "
               "history, and `project.undo` takes the last one back."),
        ("code", 'mine = project.codings(coder="reader")\n'
                 'mine[["doc_id", "code_label", "valence", "origin", "text"]]'),
        ("code", 'here = project.codings()\n'
                 'here = here[here["doc_id"] == DOC]\n'
                 'pd.crosstab(here["factor"], here["coder"])   # reader against the automatic '
                 'coder, this document'),
        ("code", 'project.history(coder="reader")[["action", "target_type", "target_id", '
                 '"old", "new"]]'),
        ("code", 'removed = int(mine.loc[mine["origin"] == "manual", "coding_id"].iloc[0])\n'
                 'print(wb.handle({"action": "remove", "coding_id": removed}))   # the remove '
                 'button\n'
                 'print(project.undo("reader"))   # takes the removal back: the coding is live '
                 'again\n'
                 'project.reviews()[["suggestion_id", "decision", "code_id", "coder"]]'),
    ],
}


def main(names: list[str]) -> None:
    """Write the notebooks named (all when none is); a notebook rewritten unchanged still
    gets new cell ids, so name the ones you changed."""
    for name, cells in NOTEBOOKS.items():
        if names and name not in names:
            continue
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        nbf.write(nb, f"notebooks/{name}")
        print("wrote", name)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
