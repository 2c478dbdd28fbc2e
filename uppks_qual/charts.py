"""Charts of codings with matplotlib, in the manner of scikit-learn's ``Display`` helpers.

Every ``plot_*`` function takes a tidy frame, draws on the Axes it is given (making a new
figure only when ``ax`` is None), and returns that Axes; none calls ``plt.show()``.
matplotlib is imported inside the functions, so importing this module stays cheap.

Colours: factors and codes take their colour from the codebook (``codebook[code_id].colour``;
grey for a code the codebook does not know, or matplotlib's colour cycle when no codebook is
given); groups take a fixed palette (:data:`GROUP_COLOURS`), so Asoka and Melati look the same
in every chart. Labels come from the codebook in English (``lang="en"``) or Indonesian
(``lang="id"``), and so do the axis titles.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .analysis import BY_COLUMNS, LEVELS, UNITS, code_frequencies, cooccurrence, valence_balance
from .errors import ParameterError, warn
from .params import InstanceOf, Interval, Options, validate_params
from .records import Codebook
from .schema import validate_codings

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "GROUP_COLOURS",
    "LANGS",
    "group_colours",
    "plot_agreement",
    "plot_code_document_heatmap",
    "plot_coding_stripe",
    "plot_cooccurrence",
    "plot_factor_frequencies",
    "plot_valence",
]

LANGS: tuple[str, ...] = ("en", "id")
"""Languages for labels: English and Indonesian."""

GROUP_COLOURS: Mapping[str, str] = {"Asoka": "#1B9E77", "Melati": "#D95F02"}
"""Fixed colours of the study's two groups (Dark2 palette, colour-blind safe)."""

_OTHER_GROUP_COLOURS: tuple[str, ...] = (
    "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D", "#666666",
)
_UNKNOWN_COLOUR = "#777777"

_LANG = {"lang": [Options(*LANGS)]}
"""Every chart's ``lang=`` constraint (see :mod:`uppks_qual.params`)."""

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "codings": "Codings",
        "per_1000": "Codings per 1,000 words",
        "factor": "Factor",
        "code": "Code",
        "document": "Document",
        "negative": "negative",
        "positive": "positive",
        "offset": "Character offset",
        "jaccard": "Jaccard similarity",
        "count": "Units coded with both",
        "kappa": "Cohen's kappa",
        "na": "n/a",
    },
    "id": {
        "codings": "Jumlah koding",
        "per_1000": "Koding per 1.000 kata",
        "factor": "Faktor",
        "code": "Kode",
        "document": "Dokumen",
        "negative": "negatif",
        "positive": "positif",
        "offset": "Posisi karakter",
        "jaccard": "Kemiripan Jaccard",
        "count": "Unit yang dikode keduanya",
        "kappa": "Kappa Cohen",
        "na": "t/a",
    },
}


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """The given Axes, or a new figure's Axes."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def _label(key: Hashable, codebook: Codebook | None, lang: str) -> str:
    """The code's label in ``lang`` from the codebook, or the id itself."""
    if codebook is not None and key in codebook:
        return codebook[str(key)].label(lang)
    return str(key)


def _colour(key: Hashable, codebook: Codebook | None, position: int) -> str:
    """The code's codebook colour; grey if unknown; the colour cycle without a codebook."""
    if codebook is None:
        return f"C{position % 10}"
    return codebook[str(key)].colour if key in codebook else _UNKNOWN_COLOUR


def group_colours(values: Iterable[Hashable]) -> dict[Hashable, str]:
    """Colours for group (or other metadata) values: fixed for Asoka and Melati.

    Parameters
    ----------
    values : iterable
        The values to colour, in order; values without a fixed colour get the next colour of
        a fixed palette in turn.

    Returns
    -------
    dict
        value -> hex colour.

    Examples
    --------
    >>> group_colours(["Asoka", "Melati", "Other"])
    {'Asoka': '#1B9E77', 'Melati': '#D95F02', 'Other': '#7570B3'}
    """
    out: dict[Hashable, str] = {}
    others = iter(_OTHER_GROUP_COLOURS * 10)
    for value in values:
        out[value] = GROUP_COLOURS.get(str(value)) or next(others)
    return out


def _annotate(ax: Axes, matrix: np.ndarray, fmt: str) -> None:
    """Write each cell's value in a heatmap (skipped for big matrices and nan cells)."""
    if matrix.size > 600:
        return
    finite = matrix[np.isfinite(matrix)]
    middle = (finite.max() / 2) if finite.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        if np.isfinite(value):
            colour = "white" if value > middle else "black"
            ax.text(j, i, format(value, fmt), ha="center", va="center", color=colour,
                    fontsize=8)


def _heatmap(ax: Axes, matrix: pd.DataFrame, *, xlabels: list[str], ylabels: list[str],
             fmt: str, colorbar: str, vmax: float | None = None) -> None:
    values = matrix.to_numpy(dtype="float64")
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0, vmax=vmax)
    ax.set_xticks(range(len(xlabels)), labels=xlabels, rotation=60, ha="right")
    ax.set_yticks(range(len(ylabels)), labels=ylabels)
    _annotate(ax, values, fmt)
    ax.figure.colorbar(image, ax=ax, label=colorbar)


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


@validate_params({**_LANG, "by": [Options(*BY_COLUMNS)], "normalise": [Options(True, False)],
                  "documents": [InstanceOf(pd.DataFrame, what="a DataFrame"), None]})
def plot_factor_frequencies(
    df: pd.DataFrame,
    *,
    by: str = "group",
    normalise: bool = False,
    documents: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars: one bar per group within each factor.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column whose values get one bar each (see
        :func:`~uppks_qual.analysis.code_frequencies`).
    normalise : bool, default False
        Plot codings per 1,000 words of each group's material instead of raw counts; needs
        ``documents``.
    documents : DataFrame, optional
        ``doc_id``, ``n_words`` and the ``by`` column.
    codebook : Codebook, optional
        For factor labels.
    lang : {"en", "id"}, default "en"
        Label language.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if None.

    Returns
    -------
    matplotlib Axes
        Bars in ``ax.patches``: for each group in order, one bar per factor.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "group": "Asoka", "start": 0, "end": 5, "code_id": "leadership"},
    ...     {"doc_id": "m", "group": "Melati", "start": 0, "end": 5, "code_id": "partnerships"},
    ... ])
    >>> ax = plot_factor_frequencies(df)
    >>> [float(bar.get_height()) for bar in ax.patches]
    [1.0, 0.0, 0.0, 1.0]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    if normalise and documents is None:
        func = "plot_factor_frequencies"
        raise ParameterError(f"The 'documents' parameter of {func} must be a DataFrame with "
                             f"'doc_id', 'n_words' and {by!r} when normalise=True (to count "
                             "words). Got None instead.",
                             parameter="documents", function=func, value=None)
    freq = code_frequencies(df, by=by, documents=documents if normalise else None)
    column = "per_1000_words" if normalise else "codings"
    factors, groups = list(freq["factor"].cat.categories), list(freq[by].cat.categories)
    ax = _axes(ax)
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(factors))
    colours = group_colours(groups)
    for i, group in enumerate(groups):
        rows = freq[freq[by] == group].set_index("factor")[column]
        heights = rows.reindex(factors).fillna(0).to_numpy(dtype="float64")
        ax.bar(x - 0.4 + width * (i + 0.5), heights, width, label=str(group),
               color=colours[group])
    ax.set_xticks(x, labels=[_label(f, codebook, lang) for f in factors], rotation=30,
                  ha="right")
    ax.set_ylabel(_TEXT[lang]["per_1000" if normalise else "codings"])
    ax.set_xlabel(_TEXT[lang]["factor"])
    ax.legend(title=by)
    return ax


@validate_params({**_LANG, "by": [Options(*BY_COLUMNS)]})
def plot_valence(
    df: pd.DataFrame,
    *,
    by: str = "group",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Diverging bars: positive codings to the right, negative to the left, per factor and group.

    Neutral codings are not drawn. Each group has one bar slot per factor; its positive bar
    is solid in the group's colour, its negative bar lighter and hatched.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column whose values get one slot each.
    codebook : Codebook, optional
        For factor labels.
    lang : {"en", "id"}, default "en"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Bars in ``ax.patches``: for each group, the positive bars (one per factor) then the
        negative bars (drawn with negative widths).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "group": "Asoka", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": v} for v in ("positive", "positive", "negative")
    ... ])
    >>> ax = plot_valence(df)
    >>> [float(bar.get_width()) for bar in ax.patches]
    [2.0, -1.0]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    from matplotlib.ticker import FuncFormatter

    with warnings.catch_warnings():  # an undefined balance does not matter for the counts
        warnings.simplefilter("ignore", RuntimeWarning)
        table = valence_balance(df, by=by)
    factors, groups = list(table["factor"].cat.categories), list(table[by].cat.categories)
    ax = _axes(ax)
    height = 0.8 / max(len(groups), 1)
    y = np.arange(len(factors))
    colours = group_colours(groups)
    for i, group in enumerate(groups):
        rows = table[table[by] == group].set_index("factor").reindex(factors)
        slot = y - 0.4 + height * (i + 0.5)
        colour = colours[group]
        ax.barh(slot, rows["positive"].fillna(0).to_numpy(dtype="float64"), height,
                color=colour, label=str(group))
        ax.barh(slot, -rows["negative"].fillna(0).to_numpy(dtype="float64"), height,
                color=colour, alpha=0.45, hatch="//", edgecolor=colour)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels=[_label(f, codebook, lang) for f in factors])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):g}"))
    text = _TEXT[lang]
    ax.set_xlabel(f"\u2190 {text['negative']}   {text['codings']}   {text['positive']} \u2192")
    ax.legend(title=by)
    return ax


@validate_params({**_LANG, "level": [Options(*LEVELS)]})
def plot_code_document_heatmap(
    df: pd.DataFrame,
    *,
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of codings per factor (or code) and document.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    level : {"factor", "code"}, default "factor"
        Rows are factors (every category) or the codes present.
    codebook : Codebook, optional
        For row labels.
    lang : {"en", "id"}, default "en"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The counts are the image's array (``ax.images[0].get_array()``): rows in factor
        order, columns in document-id order; small matrices have each count written in.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": d, "start": 0, "end": 5, "code_id": c}
    ...     for d, c in [("a", "leadership"), ("a", "leadership"), ("b", "partnerships")]
    ... ])
    >>> ax = plot_code_document_heatmap(df)
    >>> ax.images[0].get_array().tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    name = "factor" if level == "factor" else "code"
    freq = code_frequencies(df, by="doc_id", level=level)
    matrix = freq.pivot_table(index=name, columns="doc_id", values="codings",
                              observed=False, aggfunc="sum", fill_value=0)
    ax = _axes(ax)
    if matrix.size == 0:
        warn("plot_code_document_heatmap: no codings to plot")
        return ax
    _heatmap(ax, matrix, xlabels=[str(d) for d in matrix.columns],
             ylabels=[_label(k, codebook, lang) for k in matrix.index], fmt="g",
             colorbar=_TEXT[lang]["codings"])
    ax.set_xlabel(_TEXT[lang]["document"])
    ax.set_ylabel(_TEXT[lang][name])
    return ax


@validate_params({**_LANG, "unit": [Options(*UNITS)], "value": [Options("jaccard", "count")],
                  "level": [Options(*LEVELS)]})
def plot_cooccurrence(
    df: pd.DataFrame,
    *,
    unit: str = "segment",
    value: str = "jaccard",
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Factor x factor heatmap of co-occurrence (see :func:`~uppks_qual.analysis.cooccurrence`).

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    unit : {"segment", "document"}, default "segment"
        Co-occurrence within overlapping coded spans or within documents.
    value : {"jaccard", "count"}, default "jaccard"
        Jaccard similarity (diagonal left blank, as it is always 1) or counts of units
        (the diagonal is the number of units with that factor).
    level : {"factor", "code"}, default "factor"
    codebook : Codebook, optional
        For labels.
    lang : {"en", "id"}, default "en"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The matrix is the image's array, rows and columns in factor order (factors present).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "start": 0, "end": 10, "code_id": "leadership"},
    ...     {"doc_id": "d", "start": 0, "end": 10, "code_id": "partnerships"},
    ... ])
    >>> ax = plot_cooccurrence(df, value="count")
    >>> ax.images[0].get_array().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    func = "plot_cooccurrence"
    table = cooccurrence(df, unit=unit, level=level)
    keys = list(table["a"].cat.categories)
    matrix = table.pivot_table(index="a", columns="b", values=value, observed=True,
                               aggfunc="sum").reindex(index=keys, columns=keys)
    if value == "jaccard":
        matrix = matrix.mask(np.eye(len(keys), dtype=bool))
    ax = _axes(ax, figsize=(6.5, 5.5))
    if matrix.size == 0:
        warn(f"{func}: no codings to plot")
        return ax
    labels = [_label(k, codebook, lang) for k in keys]
    _heatmap(ax, matrix, xlabels=labels, ylabels=labels,
             fmt=".2f" if value == "jaccard" else "g",
             colorbar=_TEXT[lang][value], vmax=1.0 if value == "jaccard" else None)
    return ax


@validate_params({**_LANG, "n_chars": [Interval(int, 1, None), None]})
def plot_coding_stripe(
    df: pd.DataFrame,
    doc_id: str,
    *,
    n_chars: int | None = None,
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """One document's coding stripe: a lane per factor, a rectangle per coded span.

    The x axis is the character offset in the document's text; each coding of the document
    is drawn as a rectangle ``[start, end)`` in its factor's lane, in the factor's codebook
    colour (half transparent, so overlapping codings show darker); negative codings are
    hatched.

    Parameters
    ----------
    df : DataFrame
        Codings frame (of any number of documents; only ``doc_id``'s rows are drawn).
    doc_id : str
        The document to draw.
    n_chars : int, optional
        Length of the document's text (the x range); default: the end of its last coding.
    codebook : Codebook, optional
        For lane labels and colours.
    lang : {"en", "id"}, default "en"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One :class:`~matplotlib.patches.Rectangle` in ``ax.patches`` per coding, in the
        frame's order.

    Raises
    ------
    ParameterError
        If the document has no codings and ``n_chars`` is not given.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "start": 10, "end": 50, "code_id": "leadership"},
    ...     {"doc_id": "a", "start": 30, "end": 90, "code_id": "partnerships"},
    ... ])
    >>> ax = plot_coding_stripe(df, "a", n_chars=120)
    >>> [(float(p.get_x()), float(p.get_width())) for p in ax.patches]
    [(10.0, 40.0), (30.0, 60.0)]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    from matplotlib.patches import Rectangle

    doc = df[df["doc_id"] == doc_id]
    if doc.empty and n_chars is None:
        func = "plot_coding_stripe"
        raise ParameterError(f"The 'n_chars' parameter of {func} must be an int in the range "
                             f"[1, inf) when document {doc_id!r} has no codings (nothing else "
                             "gives the stripe's length). Got None instead.",
                             parameter="n_chars", function=func, value=None)
    factors = list(df["factor"].cat.categories)
    lanes = {f: i for i, f in enumerate(factors)}
    ax = _axes(ax, figsize=(10.0, 0.45 * len(factors) + 1.2))
    for start, end, factor, valence in zip(doc["start"], doc["end"], doc["factor"],
                                           doc["valence"], strict=True):
        lane = lanes.get(factor)
        if lane is None:  # a coding without a factor has no lane
            continue
        ax.add_patch(Rectangle((start, lane - 0.4), end - start, 0.8, alpha=0.6,
                               facecolor=_colour(factor, codebook, lane), edgecolor="none",
                               hatch="//" if valence == "negative" else None))
    ax.set_xlim(0, n_chars if n_chars is not None else int(doc["end"].max()))
    ax.set_ylim(len(factors) - 0.5, -0.5)
    ax.set_yticks(range(len(factors)), labels=[_label(f, codebook, lang) for f in factors])
    ax.set_xlabel(_TEXT[lang]["offset"])
    ax.set_title(str(doc_id))
    return ax


@validate_params({**_LANG, "table": [InstanceOf(pd.DataFrame, what="a DataFrame")],
                  "threshold": [Interval(float, -1, 1)]})
def plot_agreement(
    table: pd.DataFrame,
    *,
    threshold: float = 0.6,
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of Cohen's kappa per factor (or code), with value labels and a reference line.

    Parameters
    ----------
    table : DataFrame
        An agreement table with a ``code`` or ``factor`` column and a ``kappa`` column.
    threshold : float, default 0.6
        Where to draw the dashed reference line (0.6: "substantial" agreement on the
        Landis & Koch scale, a common minimum for reporting codes).
    codebook : Codebook, optional
        For labels and bar colours.
    lang : {"en", "id"}, default "en"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per row (a nan kappa is drawn as a zero-height bar labelled "n/a").

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> table = pd.DataFrame({"factor": ["leadership", "partnerships"], "kappa": [0.8, 0.5]})
    >>> ax = plot_agreement(table)
    >>> [float(bar.get_height()) for bar in ax.patches]
    [0.8, 0.5]
    >>> plt.close(ax.figure)
    """
    column = next((c for c in ("code", "factor") if c in table.columns), None)
    if column is None or "kappa" not in table.columns:
        func = "plot_agreement"
        raise ParameterError(f"The 'table' parameter of {func} must be a DataFrame with a "
                             "'code' or 'factor' column and a 'kappa' column. Got a DataFrame "
                             f"with the columns {', '.join(map(repr, table.columns))} instead.",
                             parameter="table", function=func)
    keys = table[column].astype(object).tolist()
    kappa = table["kappa"].astype("float64").to_numpy()
    ax = _axes(ax)
    colours = [_colour(k, codebook, i) for i, k in enumerate(keys)]
    bars = ax.bar(range(len(keys)), np.nan_to_num(kappa, nan=0.0), color=colours)
    ax.bar_label(bars, labels=[_TEXT[lang]["na"] if np.isnan(k) else f"{k:.2f}" for k in kappa],
                 padding=2)
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1)
    low = float(np.nanmin(kappa)) if np.isfinite(kappa).any() else 0.0
    ax.set_ylim(min(0.0, low - 0.1), 1.05)
    ax.set_xticks(range(len(keys)), labels=[_label(k, codebook, lang) for k in keys],
                  rotation=30, ha="right")
    ax.set_ylabel(_TEXT[lang]["kappa"])
    return ax
