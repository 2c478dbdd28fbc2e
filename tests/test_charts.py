"""Tests for :mod:`uppks_qual.charts`: what is drawn (bars, heights, labels, colours), not pixels."""

from __future__ import annotations

import doctest
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.patches import Rectangle

from uppks_qual import charts
from uppks_qual.charts import (
    PALETTE,
    group_colours,
    plot_agreement,
    plot_code_document_heatmap,
    plot_coding_stripe,
    plot_coding_stripes,
    plot_cooccurrence,
    plot_factor_frequencies,
    plot_valence,
)
from uppks_qual.errors import ParameterError
from uppks_qual.records import Code, Codebook
from uppks_qual.schema import codings_frame

FACTORS = ["leadership", "partnerships", "officer_role"]
COLOURS = {"leadership": "#E69F00", "partnerships": "#D55E00", "officer_role": "#56B4E9"}
LABELS_EN = {"leadership": "Officers' leadership", "partnerships": "Partnerships",
             "officer_role": "Field officers' role"}
LABELS_ID = {"leadership": "Kepemimpinan pengurus", "partnerships": "Kemitraan",
             "officer_role": "Peran PLKB"}


@pytest.fixture
def codebook() -> Codebook:
    codes = [Code(f, None, f, "factor", LABELS_EN[f], LABELS_ID[f], colour=COLOURS[f])
             for f in FACTORS]
    codes.append(Code("leadership.meetings", "leadership", "leadership", "factor", "Meetings",
                      "Rapat", colour=COLOURS["leadership"]))
    return Codebook(tuple(codes))


@pytest.fixture
def df() -> pd.DataFrame:
    """north: leadership 3 (2+, 1-), partnerships 1 (+); south: leadership 2 (-), none else."""
    rows = [
        ("a1", "north", 0, 40, "leadership", "positive"),
        ("a1", "north", 30, 60, "leadership.meetings", "positive"),
        ("a1", "north", 100, 150, "partnerships", "positive"),
        ("a2", "north", 0, 20, "leadership", "negative"),
        ("m1", "south", 0, 30, "leadership", "negative"),
        ("m1", "south", 50, 80, "leadership", "negative"),
    ]
    return codings_frame(
        [{"doc_id": d, "group": g, "start": s, "end": e, "code_id": c, "valence": v,
          "coder": "c1", "text": "teks"} for d, g, s, e, c, v in rows],
        factors=FACTORS)


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def no_show(*_: Any, **__: Any) -> None:
        raise AssertionError("charts must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def render(ax: Any, tmp_path: Path, name: str = "chart.png") -> Path:
    path = tmp_path / name
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000
    return path


def ticks(ax: Any, axis: str = "x") -> list[str]:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels]


# --------------------------------------------------------------------------------------
# plot_factor_frequencies
# --------------------------------------------------------------------------------------


def test_factor_frequencies_bars(df: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    ax = plot_factor_frequencies(df, codebook=codebook)
    render(ax, tmp_path)
    bars = ax.patches
    assert len(bars) == 2 * 3  # 2 groups x 3 factors
    # north bars first (leadership 3, partnerships 1, officer_role 0), then south (2, 0, 0)
    assert [b.get_height() for b in bars] == [3, 1, 0, 2, 0, 0]
    assert all(b.get_facecolor() == to_rgba(PALETTE[0]) for b in bars[:3])
    assert all(b.get_facecolor() == to_rgba(PALETTE[1]) for b in bars[3:])
    assert ticks(ax) == [LABELS_EN[f] for f in FACTORS]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["north", "south"]
    assert ax.get_ylabel() == "Codings"


def test_factor_frequencies_indonesian(df: pd.DataFrame, codebook: Codebook) -> None:
    ax = plot_factor_frequencies(df, codebook=codebook, lang="id")
    assert ticks(ax) == [LABELS_ID[f] for f in FACTORS]
    assert ax.get_ylabel() == "Jumlah koding"


def test_factor_frequencies_normalised(df: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["a1", "a2", "m1"], "group": ["north", "north", "south"],
                              "n_words": [1500, 500, 400]})
    ax = plot_factor_frequencies(df, normalise=True, documents=documents)
    # north 2000 words: 3 -> 1.5, 1 -> 0.5 per 1,000; south 400 words: 2 -> 5.0
    assert [b.get_height() for b in ax.patches] == pytest.approx([1.5, 0.5, 0, 5.0, 0, 0])
    assert ax.get_ylabel() == "Codings per 1,000 words"
    assert ticks(ax) == FACTORS  # no codebook: the ids
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of "
                                             r"plot_factor_frequencies must be a DataFrame .*"
                                             r"when normalise=True .*Got None instead"):
        plot_factor_frequencies(df, normalise=True)
    with pytest.raises(ParameterError, match=r"The 'by' parameter of plot_factor_frequencies must "
                                             r"be a document attribute .*Got 'coder' instead"):
        plot_factor_frequencies(df, by="coder", normalise=True, documents=documents)


def test_factor_frequencies_uses_the_given_ax(df: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    assert plot_factor_frequencies(df, ax=ax) is ax
    assert len(fig.axes) == 1


def test_group_colours_follow_the_order_given() -> None:
    colours = group_colours(["south", "west", "north", "south"])
    assert colours == {"south": PALETTE[0], "west": PALETTE[1], "north": PALETTE[2]}
    many = group_colours(range(10))
    assert many[8] == PALETTE[0] and len(set(many.values())) == len(PALETTE)
    assert PALETTE[:3] == ("#1B9E77", "#D95F02", "#7570B3")  # ColorBrewer Dark2


def test_groups_keep_their_colour_in_every_chart_of_a_frame(df: pd.DataFrame) -> None:
    # categories in an order that is not alphabetical: "south" first
    df = df.assign(group=df["group"].cat.reorder_categories(["south", "north"]))
    bars = plot_factor_frequencies(df).patches
    assert to_rgb(bars[0].get_facecolor()) == to_rgb(PALETTE[0])  # south first
    assert to_rgb(bars[3].get_facecolor()) == to_rgb(PALETTE[1])  # then north
    valence = plot_valence(df).patches
    assert to_rgb(valence[0].get_facecolor()) == to_rgb(PALETTE[0])
    assert to_rgb(valence[6].get_facecolor()) == to_rgb(PALETTE[1])


def test_group_charts_by_an_attribute_and_without_missing_groups(df: pd.DataFrame) -> None:
    df = df.assign(district=df["doc_id"].map({"a1": "hill", "a2": "coast", "m1": "coast"}))
    ax = plot_factor_frequencies(df, by="district")
    # coast: a2 leadership 1 + m1 leadership 2 = 3; hill: a1 leadership 2, partnerships 1
    assert [b.get_height() for b in ax.patches] == [3, 0, 0, 2, 1, 0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["coast", "hill"]
    with pytest.raises(ParameterError, match=r"The 'by' parameter of plot_valence must be a "
                                             r"metadata column .*Got 'code_id' instead"):
        plot_valence(df, by="code_id")
    nogroup = codings_frame(df.assign(group=df["group"].astype(object).where(
        df["doc_id"] != "m1", "")), factors=FACTORS)  # m1 is in no group
    ax = plot_factor_frequencies(nogroup)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["north"]
    assert [b.get_height() for b in ax.patches] == [3, 1, 0]


def test_group_charts_at_code_level(df: pd.DataFrame, codebook: Codebook) -> None:
    ax = plot_factor_frequencies(df, level="code", codebook=codebook)
    # codes present: leadership, leadership.meetings, partnerships
    assert ticks(ax) == ["Officers' leadership", "Meetings", "Partnerships"]
    assert [b.get_height() for b in ax.patches] == [2, 1, 1, 2, 0, 0]
    assert ax.get_xlabel() == "Code"
    ax = plot_valence(df, level="code", codebook=codebook, lang="id")
    assert ticks(ax, "y") == ["Kepemimpinan pengurus", "Rapat", "Kemitraan"]
    # north positive (1, 1, 1), north negative (-1, 0, 0), south (0, 0, 0), (-2, 0, 0)
    assert [b.get_width() for b in ax.patches] == [1, 1, 1, -1, 0, 0, 0, 0, 0, -2, 0, 0]


# --------------------------------------------------------------------------------------
# plot_valence
# --------------------------------------------------------------------------------------


def test_valence_diverging_bars(df: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    ax = plot_valence(df, codebook=codebook, lang="id")
    render(ax, tmp_path)
    bars = ax.patches
    assert len(bars) == 2 * 2 * 3  # (positive, negative) x groups x factors
    widths = [b.get_width() for b in bars]
    # north positive (2, 1, 0), north negative (-1, 0, 0), south positive (0, 0, 0),
    # south negative (-2, 0, 0)
    assert widths == [2, 1, 0, -1, 0, 0, 0, 0, 0, -2, 0, 0]
    assert to_rgb(bars[0].get_facecolor()) == to_rgb(PALETTE[0])
    assert to_rgb(bars[9].get_facecolor()) == to_rgb(PALETTE[1])
    assert ticks(ax, "y") == [LABELS_ID[f] for f in FACTORS]
    assert "negatif" in ax.get_xlabel() and "positif" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "north", "south", "positif (penuh, kanan)", "negatif (arsir, kiri)",
        "netral (tidak digambar)"]
    english = plot_valence(df)
    assert [t.get_text() for t in english.get_legend().get_texts()][2:] == [
        "positive (solid, right)", "negative (hatched, left)", "neutral (not drawn)"]
    _fig, given = plt.subplots()
    assert plot_valence(df, ax=given) is given


# --------------------------------------------------------------------------------------
# plot_code_document_heatmap
# --------------------------------------------------------------------------------------


def test_heatmap_counts(df: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    ax = plot_code_document_heatmap(df, codebook=codebook)
    render(ax, tmp_path)
    # rows: factors; columns: a1, a2, m1
    # leadership: a1 has leadership + leadership.meetings = 2, a2 1, m1 2
    expected = [[2, 1, 2], [1, 0, 0], [0, 0, 0]]
    assert np.asarray(ax.images[0].get_array()).tolist() == expected
    assert ticks(ax) == ["a1", "a2", "m1"]
    assert ticks(ax, "y") == [LABELS_EN[f] for f in FACTORS]
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for r in expected for v in r)


def test_heatmap_code_level_in_indonesian(df: pd.DataFrame, codebook: Codebook) -> None:
    _fig, ax = plt.subplots()
    out = plot_code_document_heatmap(df, level="code", codebook=codebook, lang="id", ax=ax)
    assert out is ax
    assert ticks(ax, "y") == ["Kepemimpinan pengurus", "Rapat", "Kemitraan"]
    assert np.asarray(ax.images[0].get_array()).tolist() == [[1, 1, 2], [1, 0, 0], [1, 0, 0]]
    with pytest.raises(ParameterError,
                       match="The 'level' parameter of plot_code_document_heatmap"):
        plot_code_document_heatmap(df, level="segment")


def test_heatmap_numbers_are_readable_on_pale_and_dark_cells() -> None:
    rows = [("d1", "leadership")] * 9 + [("d2", "leadership")]
    pale_dark = codings_frame([{"doc_id": d, "start": 0, "end": 5, "code_id": c}
                               for d, c in rows])
    ax = plot_code_document_heatmap(pale_dark)
    image = ax.images[0]
    # d1: 9 codings, the darkest blue; d2: 1 coding, a pale blue (0 would be near white)
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert texts == {"9": "white", "1": "black"}
    for text in ax.texts:  # the choice follows the cell's relative luminance
        r, g, b, _ = image.cmap(image.norm(float(text.get_text())))
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        assert text.get_color() == ("black" if luminance > 0.179 else "white")
    assert charts._text_colour(to_rgba("#FFFFCC")) == "black"  # pale yellow
    assert charts._text_colour(to_rgba("#08306B")) == "white"  # dark blue


def test_cooccurrence_numbers_on_pale_and_dark_cells(df: pd.DataFrame) -> None:
    ax = plot_cooccurrence(df, value="count")
    # [[4, 0], [0, 1]]: 4 is the darkest cell (white), 0 the palest (black); 1 is pale
    assert [(t.get_text(), t.get_color()) for t in ax.texts] == [
        ("4", "white"), ("0", "black"), ("0", "black"), ("1", "black")]


# --------------------------------------------------------------------------------------
# plot_cooccurrence
# --------------------------------------------------------------------------------------


def test_cooccurrence_heatmap(df: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    ax = plot_cooccurrence(df, codebook=codebook, unit="document")
    render(ax, tmp_path)
    # documents: a1 {leadership, partnerships}, a2 {leadership}, m1 {leadership}
    # |L| = 3, |P| = 1, L&P = 1 -> jaccard 1 / 3; diagonal left blank
    matrix = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    assert np.isnan(matrix[0, 0]) and np.isnan(matrix[1, 1])
    assert matrix[0, 1] == pytest.approx(1 / 3) and matrix[1, 0] == pytest.approx(1 / 3)
    assert ticks(ax) == [LABELS_EN["leadership"], LABELS_EN["partnerships"]]
    counts = plot_cooccurrence(df, value="count", lang="id", codebook=codebook)
    # segments: units are the blocks [0,60) a1 (L), [100,150) a1 (P), a2 [0,20), m1 [0,30),
    # m1 [50,80) -> |L| = 4, |P| = 1, together 0
    assert np.asarray(counts.images[0].get_array()).tolist() == [[4, 0], [0, 1]]
    assert ticks(counts, "y") == [LABELS_ID["leadership"], LABELS_ID["partnerships"]]
    with pytest.raises(ParameterError, match="The 'value' parameter of plot_cooccurrence"):
        plot_cooccurrence(df, value="dice")


# --------------------------------------------------------------------------------------
# plot_coding_stripe
# --------------------------------------------------------------------------------------


def test_coding_stripe(df: pd.DataFrame, codebook: Codebook, tmp_path: Path) -> None:
    _fig, ax = plt.subplots()
    out = plot_coding_stripe(df, "a1", n_chars=200, codebook=codebook, ax=ax)
    assert out is ax
    render(ax, tmp_path)
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rects) == 3  # the three codings of a1
    spans = [(r.get_x(), r.get_x() + r.get_width()) for r in rects]
    assert spans == [(0, 40), (30, 60), (100, 150)]
    # lanes: leadership (and its child) in lane 0, partnerships in lane 1
    assert [r.get_y() + r.get_height() / 2 for r in rects] == pytest.approx([0, 0, 1])
    assert [to_rgb(r.get_facecolor()) for r in rects] == [
        to_rgb(COLOURS["leadership"]), to_rgb(COLOURS["leadership"]),
        to_rgb(COLOURS["partnerships"])]
    assert ax.get_xlim() == (0, 200)
    assert ticks(ax, "y") == [LABELS_EN[f] for f in FACTORS]
    assert ax.get_title() == "a1"
    # one entry per factor drawn (leadership, partnerships), then the hatching
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        LABELS_EN["leadership"], LABELS_EN["partnerships"], "negative valence (hatched)"]
    hatch = ax.get_legend().get_patches()[-1]
    assert hatch.get_hatch() == "//"


def test_coding_stripe_at_code_level(df: pd.DataFrame, codebook: Codebook) -> None:
    sub = Code("partnerships.bank", "partnerships", "partnerships", "factor", "Bank", "Bank",
               colour="#0072B2")
    book = Codebook((*codebook.codes, sub))
    df = codings_frame(pd.concat([df, df.iloc[[2]].assign(code_id="partnerships.bank",
                                                          valence="negative")]),
                       factors=FACTORS)
    ax = plot_coding_stripe(df, "a1", n_chars=200, level="code", codebook=book, lang="id")
    # lanes: every code of the frame, by factor then id
    assert ticks(ax, "y") == ["Kepemimpinan pengurus", "Rapat", "Kemitraan", "Bank"]
    rects = list(ax.patches)
    assert [r.get_y() + r.get_height() / 2 for r in rects] == pytest.approx([0, 1, 2, 3])
    # codes take their own codebook colour: the sub-code its own, "meetings" its parent's
    assert [to_rgb(r.get_facecolor()) for r in rects] == [
        to_rgb(COLOURS["leadership"]), to_rgb(COLOURS["leadership"]),
        to_rgb(COLOURS["partnerships"]), to_rgb("#0072B2")]
    assert rects[3].get_hatch() == "//" and rects[0].get_hatch() is None
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Kepemimpinan pengurus", "Rapat", "Kemitraan", "Bank", "valensi negatif (arsir)"]


def test_coding_stripes_small_multiples(df: pd.DataFrame, codebook: Codebook,
                                        tmp_path: Path) -> None:
    documents = pd.DataFrame({"doc_id": ["a1", "a2", "m1", "e1"],
                              "group": ["north", "north", "south", None],
                              "n_chars": [200, 50, 100, 30]})
    axes = plot_coding_stripes(df, documents=documents, codebook=codebook)
    assert isinstance(axes, np.ndarray) and axes.shape == (4,)
    fig = axes[0].figure
    assert all(ax.figure is fig for ax in axes)
    render(axes[0], tmp_path)
    assert [ax.get_title() for ax in axes] == [
        "a1 (north)", "a2 (north)", "m1 (south)", "e1"]
    assert [len(ax.patches) for ax in axes] == [3, 1, 2, 0]
    assert [ax.get_xlim() for ax in axes] == [(0, 200), (0, 50), (0, 100), (0, 30)]
    assert all(ax.get_legend() is None for ax in axes)  # one legend, the figure's
    assert len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        LABELS_EN["leadership"], LABELS_EN["partnerships"], "negative valence (hatched)"]
    assert [ax.get_xlabel() for ax in axes] == ["", "", "", "Character offset"]


def test_coding_stripes_on_a_given_figure_and_chosen_documents(df: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["a1", "a2", "m1"], "n_chars": [200, 50, 100]})
    fig = plt.figure()
    axes = plot_coding_stripes(df, documents=documents, doc_ids=["m1", "a2"], fig=fig,
                               level="code")
    assert [ax.figure for ax in axes] == [fig, fig]
    assert len(plt.get_fignums()) == 1  # no other figure was made
    assert [ax.get_title() for ax in axes] == ["m1", "a2"]  # no group column
    assert ticks(axes[0], "y") == ["leadership", "leadership.meetings", "partnerships"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "leadership", "negative valence (hatched)"]  # m1 and a2 have only leadership


def test_coding_stripes_errors(df: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["a1"], "n_chars": [200]})
    with pytest.raises(ParameterError, match=r"The 'doc_ids' parameter of plot_coding_stripes "
                                             r"must list at least one document of 'documents'\. "
                                             r"Got \['zz'\], with 'zz' unknown, instead\."):
        plot_coding_stripes(df, documents=documents, doc_ids=["zz"])
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of plot_coding_stripes "
                                             r"must be a DataFrame with the column\(s\) "
                                             r"'doc_id', 'n_chars'"):
        plot_coding_stripes(df, documents=pd.DataFrame({"doc_id": ["a1"]}))
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of plot_coding_stripes "
                                             r"must be a DataFrame\. Got None"):
        plot_coding_stripes(df, documents=None)  # type: ignore[arg-type]


def test_coding_stripe_without_codings(df: pd.DataFrame) -> None:
    ax = plot_coding_stripe(df, "nothing", n_chars=50, lang="id")
    assert len(ax.patches) == 0
    assert ax.get_xlabel() == "Posisi karakter"
    with pytest.raises(ParameterError, match=r"The 'n_chars' parameter of plot_coding_stripe .*"
                                             r"when document 'nothing' has no codings"):
        plot_coding_stripe(df, "nothing")
    with pytest.raises(ParameterError, match=r"The 'n_chars' parameter of plot_coding_stripe must "
                                             r"be an int in the range \[1, inf\) or None\. "
                                             r"Got 0 instead\."):
        plot_coding_stripe(df, "m1", n_chars=0)
    # without n_chars the x range ends at the last coding
    assert plot_coding_stripe(df, "m1").get_xlim() == (0, 80)


# --------------------------------------------------------------------------------------
# plot_agreement
# --------------------------------------------------------------------------------------


def test_agreement_bars(codebook: Codebook, tmp_path: Path) -> None:
    table = pd.DataFrame({"factor": FACTORS, "kappa": [0.82, 0.41, float("nan")],
                          "n_units": [40, 40, 0]})
    ax = plot_agreement(table, codebook=codebook)
    render(ax, tmp_path)
    assert [b.get_height() for b in ax.patches] == pytest.approx([0.82, 0.41, 0.0])
    assert [t.get_text() for t in ax.texts] == ["0.82", "0.41", "n/a"]
    assert [to_rgb(b.get_facecolor()) for b in ax.patches] == [to_rgb(COLOURS[f])
                                                               for f in FACTORS]
    reference = [line for line in ax.lines if list(line.get_ydata()) == [0.6, 0.6]]
    assert len(reference) == 1
    assert ticks(ax) == [LABELS_EN[f] for f in FACTORS]


def test_agreement_with_code_column_and_given_ax() -> None:
    _fig, ax = plt.subplots()
    table = pd.DataFrame({"code": ["leadership.meetings", "partnerships"], "kappa": [-0.2, 0.7]})
    assert plot_agreement(table, ax=ax) is ax
    assert [b.get_height() for b in ax.patches] == pytest.approx([-0.2, 0.7])
    assert ax.get_ylim()[0] < -0.2  # negative kappa stays visible
    with pytest.raises(ParameterError, match=r"The 'table' parameter of plot_agreement must be "
                                             r"a DataFrame with a 'code' or 'factor' column"):
        plot_agreement(pd.DataFrame({"kappa": [0.5]}))


# --------------------------------------------------------------------------------------
# Across charts
# --------------------------------------------------------------------------------------

CHARTS = [
    lambda df, **kw: plot_factor_frequencies(df, **kw),
    lambda df, **kw: plot_valence(df, **kw),
    lambda df, **kw: plot_code_document_heatmap(df, **kw),
    lambda df, **kw: plot_cooccurrence(df, **kw),
    lambda df, **kw: plot_coding_stripe(df, "a1", **kw),
]
LEVEL_CHARTS = [*CHARTS, lambda df, **kw: plot_coding_stripes(df, documents=STRIPE_DOCS, **kw)]
STRIPE_DOCS = pd.DataFrame({"doc_id": ["a1", "m1"], "n_chars": [200, 100]})


@pytest.mark.parametrize("chart", CHARTS)
def test_each_chart_uses_and_returns_the_given_ax(chart: Any, df: pd.DataFrame,
                                                  tmp_path: Path) -> None:
    _fig, ax = plt.subplots()
    assert chart(df, ax=ax) is ax
    render(ax, tmp_path)


@pytest.mark.parametrize("chart", LEVEL_CHARTS)
def test_each_chart_checks_lang_level_and_frame(chart: Any, df: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'lang' parameter of .* must be one of "
                                             r"\{'en', 'id'\}\. Got 'fr' instead\."):
        chart(df, lang="fr")
    with pytest.raises(ParameterError, match=r"The 'level' parameter of .* must be one of "
                                             r"\{'factor', 'code'\}\. Got 'word' instead\."):
        chart(df, level="word")
    chart(df, level="code")  # every chart of codings draws codes too
    with pytest.raises(ParameterError, match="missing column"):
        chart(df.drop(columns="factor"))


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = "import sys, uppks_qual.charts; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_all_names_exist() -> None:
    assert all(hasattr(charts, name) for name in charts.__all__)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(charts, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 7
    assert result.failed == 0


def test_no_study_lives_in_the_charts() -> None:
    import re

    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert not re.search(r"Asoka|Melati|Durian|Padang|\bana\b|\bbudi\b", source)
