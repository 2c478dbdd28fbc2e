"""Charts of codings with matplotlib, in the manner of scikit-learn's ``Display`` helpers.

Every ``plot_*`` function takes a tidy frame, draws on the Axes it is given (making a new
figure only when ``ax`` is None), and returns that Axes; none calls ``plt.show()``.
matplotlib is imported inside the functions, so importing this module stays cheap.

Colours: factors and codes take their colour from the codebook (``codebook.colour(code_id)``,
sub-codes inheriting their parent's as the codebook gives them; grey for a code the codebook
does not know, matplotlib's colour cycle when no codebook is given). Groups (the values of a
``by=`` column) take the colours of :data:`PALETTE` in the order of the column's categories
(or its sorted values), so in every chart of one frame a group keeps its colour, whatever the
study calls it. Labels come from the codebook in English (``lang="en"``) or Indonesian
(``lang="id"``), and so do the axis titles. Every chart of codings takes ``level="factor"``
or ``level="code"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .analysis import LEVELS, UNITS, code_frequencies, cooccurrence, valence_balance
from .analysis._common import (
    _by_values,
    _check_by,
    _check_document_attribute,
    _check_frame,
    _key_name,
    _keys,
)
from .errors import ParameterError, warn
from .params import InstanceOf, Interval, Options, validate_params
from .records import Codebook
from .schema import validate_codings

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage
    from matplotlib.patches import Patch

__all__ = [
    "LANGS",
    "PALETTE",
    "group_colours",
    "plot_agreement",
    "plot_code_document_heatmap",
    "plot_coding_stripe",
    "plot_coding_stripes",
    "plot_cooccurrence",
    "plot_factor_frequencies",
    "plot_valence",
]

LANGS: tuple[str, ...] = ("en", "id")
"""Languages for labels: English and Indonesian."""

PALETTE: tuple[str, ...] = (
    "#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D", "#666666",
)
"""Colours of groups (or other metadata values) in order: ColorBrewer's Dark2, a qualitative
palette chosen to stay apart for colour-blind readers; it repeats after eight values."""

_UNKNOWN_COLOUR = "#777777"

_LANG = {"lang": [Options(*LANGS)]}
"""Every chart's ``lang=`` constraint (see :mod:`uppks_qual.params`)."""

_LEVEL = {"level": [Options(*LEVELS)]}
"""Every chart's ``level=`` constraint."""

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "codings": "Codings",
        "per_1000": "Codings per 1,000 words",
        "factor": "Factor",
        "code": "Code",
        "document": "Document",
        "negative": "negative",
        "positive": "positive",
        "positive_key": "positive (solid, right)",
        "negative_key": "negative (hatched, left)",
        "neutral_key": "neutral (not drawn)",
        "hatched": "negative valence (hatched)",
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
        "positive_key": "positif (penuh, kanan)",
        "negative_key": "negatif (arsir, kiri)",
        "neutral_key": "netral (tidak digambar)",
        "hatched": "valensi negatif (arsir)",
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
    return codebook.colour(str(key)) if key in codebook else _UNKNOWN_COLOUR


def group_colours(values: Iterable[Hashable]) -> dict[Hashable, str]:
    """Colours for group (or other metadata) values: :data:`PALETTE` in the order given.

    Charts pass the values of their ``by`` column in category (or sorted) order, so a group
    has the same colour in every chart of one frame.

    Parameters
    ----------
    values : iterable
        The values to colour, in order (repeats are coloured once); the palette repeats after
        eight values.

    Returns
    -------
    dict
        value -> hex colour.

    Examples
    --------
    >>> group_colours(["north", "south", "east"])
    {'north': '#1B9E77', 'south': '#D95F02', 'east': '#7570B3'}
    """
    unique = dict.fromkeys(values)
    return {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(unique)}


def _check_by_column(func: str, df: pd.DataFrame, by: str) -> list[Any]:
    """``by`` checked against the frame; its values in category (or sorted) order."""
    _check_by(func, df, by)
    return _by_values(df, by)


def _text_colour(rgba: Sequence[float]) -> str:
    """"black" on a light colour, "white" on a dark one, by relative luminance (WCAG 2).

    The threshold 0.179 is where black and white text have the same contrast ratio with the
    background: ``(L + 0.05) / 0.05 == 1.05 / (L + 0.05)``.
    """
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"


def _annotate(ax: Axes, image: AxesImage, matrix: np.ndarray, fmt: str) -> None:
    """Write each cell's value in a heatmap, in black or white by the cell's luminance
    (skipped for big matrices and nan cells)."""
    if matrix.size > 600:
        return
    for (i, j), value in np.ndenumerate(matrix):
        if np.isfinite(value):
            colour = _text_colour(image.cmap(image.norm(value)))
            ax.text(j, i, format(value, fmt), ha="center", va="center", color=colour,
                    fontsize=8)


def _heatmap(ax: Axes, matrix: pd.DataFrame, *, xlabels: list[str], ylabels: list[str],
             fmt: str, colorbar: str, vmax: float | None = None) -> None:
    values = matrix.to_numpy(dtype="float64")
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0, vmax=vmax)
    ax.set_xticks(range(len(xlabels)), labels=xlabels, rotation=60, ha="right")
    ax.set_yticks(range(len(ylabels)), labels=ylabels)
    _annotate(ax, image, values, fmt)
    ax.figure.colorbar(image, ax=ax, label=colorbar)


# --------------------------------------------------------------------------------------
# Group charts
# --------------------------------------------------------------------------------------


def _check_normalise(func: str, df: pd.DataFrame, by: str, normalise: bool,
                     documents: pd.DataFrame | None) -> None:
    """Rates per word need ``documents`` and a ``by`` that is a document attribute."""
    if normalise:
        _check_document_attribute(func, df, by)
    if normalise and documents is None:
        raise ParameterError(f"The 'documents' parameter of {func} must be a DataFrame with "
                             f"'doc_id', 'n_words' and {by!r} when normalise=True (to count "
                             "words). Got None instead.",
                             parameter="documents", function=func, value=None)


@validate_params({**_LANG, **_LEVEL, "normalise": [Options(True, False)],
                  "documents": [InstanceOf(pd.DataFrame, what="a DataFrame"), None]})
def plot_factor_frequencies(
    df: pd.DataFrame,
    *,
    by: str = "group",
    level: str = "factor",
    normalise: bool = False,
    documents: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars: one bar per group within each factor (or code).

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column whose values get one bar each (see
        :func:`~uppks_qual.analysis.metadata_columns`; codings without a value are left
        out). Bars take the colours of :func:`group_colours` in the column's order.
    level : {"factor", "code"}, default "factor"
        One bar group per factor or per code.
    normalise : bool, default False
        Plot codings per 1,000 words of each group's material instead of raw counts; needs
        ``documents`` and a ``by`` that is a document attribute.
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
        Bars in ``ax.patches``: for each group in order, one bar per factor (or code).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "group": "north", "start": 0, "end": 5, "code_id": "leadership"},
    ...     {"doc_id": "m", "group": "south", "start": 0, "end": 5, "code_id": "partnerships"},
    ... ])
    >>> ax = plot_factor_frequencies(df)
    >>> [float(bar.get_height()) for bar in ax.patches]
    [1.0, 0.0, 0.0, 1.0]
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    func = "plot_factor_frequencies"
    colours = group_colours(_check_by_column(func, df, by))
    _check_normalise(func, df, by, normalise, documents)
    freq = code_frequencies(df, by=by, level=level, documents=documents if normalise else None)
    column, name = ("per_1000_words" if normalise else "codings"), _key_name(level)
    keys, groups = list(freq[name].cat.categories), list(freq[by].cat.categories)
    colours = {**group_colours(groups), **colours}  # values only in `documents` come last
    ax = _axes(ax)
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(keys))
    for i, group in enumerate(groups):
        rows = freq[freq[by] == group].set_index(name)[column]
        heights = rows.reindex(keys).fillna(0).to_numpy(dtype="float64")
        ax.bar(x - 0.4 + width * (i + 0.5), heights, width, label=str(group),
               color=colours[group])
    ax.set_xticks(x, labels=[_label(k, codebook, lang) for k in keys], rotation=30,
                  ha="right")
    ax.set_ylabel(_TEXT[lang]["per_1000" if normalise else "codings"])
    ax.set_xlabel(_TEXT[lang][name])
    ax.legend(title=by)
    return ax


def _valence_handles(groups: Sequence[Any], colours: dict[Hashable, str],
                     lang: str) -> list[Patch]:
    """Legend handles: one per group, then what solid, hatched and missing bars mean."""
    from matplotlib.patches import Patch

    text, grey = _TEXT[lang], "0.35"
    return [*(Patch(facecolor=colours[g], label=str(g)) for g in groups),
            Patch(facecolor=grey, label=text["positive_key"]),
            Patch(facecolor=grey, alpha=0.45, hatch="//", edgecolor=grey,
                  label=text["negative_key"]),
            Patch(facecolor="none", edgecolor="none", label=text["neutral_key"])]


@validate_params({**_LANG, **_LEVEL})
def plot_valence(
    df: pd.DataFrame,
    *,
    by: str = "group",
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Diverging bars: positive codings to the right, negative to the left, per factor and group.

    Neutral codings are not drawn (the legend says so). Each group has one bar slot per
    factor; its positive bar is solid in the group's colour, its negative bar lighter and
    hatched. The legend lists the groups, then what "positive", "negative" and "neutral"
    look like.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column whose values get one slot each (codings without a value are left
        out).
    level : {"factor", "code"}, default "factor"
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
    ...     {"doc_id": "a", "group": "north", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": v} for v in ("positive", "positive", "negative")
    ... ])
    >>> ax = plot_valence(df)
    >>> [float(bar.get_width()) for bar in ax.patches]
    [2.0, -1.0]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['north', 'positive (solid, right)', 'negative (hatched, left)', 'neutral (not drawn)']
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    from matplotlib.ticker import FuncFormatter

    colours = group_colours(_check_by_column("plot_valence", df, by))
    with warnings.catch_warnings():  # an undefined balance does not matter for the counts
        warnings.simplefilter("ignore", RuntimeWarning)
        table = valence_balance(df, by=by, level=level)
    name = _key_name(level)
    keys, groups = list(table[name].cat.categories), list(table[by].cat.categories)
    ax = _axes(ax)
    height = 0.8 / max(len(groups), 1)
    y = np.arange(len(keys))
    for i, group in enumerate(groups):
        rows = table[table[by] == group].set_index(name).reindex(keys)
        slot, colour = y - 0.4 + height * (i + 0.5), colours[group]
        ax.barh(slot, rows["positive"].fillna(0).to_numpy(dtype="float64"), height,
                color=colour)
        ax.barh(slot, -rows["negative"].fillna(0).to_numpy(dtype="float64"), height,
                color=colour, alpha=0.45, hatch="//", edgecolor=colour)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels=[_label(k, codebook, lang) for k in keys])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):g}"))
    text = _TEXT[lang]
    ax.set_xlabel(f"\u2190 {text['negative']}   {text['codings']}   {text['positive']} \u2192")
    ax.legend(handles=_valence_handles(groups, colours, lang), title=by, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


# --------------------------------------------------------------------------------------
# Heatmaps
# --------------------------------------------------------------------------------------


@validate_params({**_LANG, **_LEVEL})
def plot_code_document_heatmap(
    df: pd.DataFrame,
    *,
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of codings per factor (or code) and document.

    Counts are written in the cells of small matrices, black on light cells and white on dark
    ones (by the cell colour's relative luminance).

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
    >>> [t.get_color() for t in ax.texts]
    ['white', 'black', 'black', 'black']
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    name = _key_name(level)
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


@validate_params({**_LANG, **_LEVEL, "unit": [Options(*UNITS)],
                  "value": [Options("jaccard", "count")]})
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

    Values are written in the cells of small matrices, black on light cells and white on dark
    ones.

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


# --------------------------------------------------------------------------------------
# Coding stripes
# --------------------------------------------------------------------------------------


def _lanes(df: pd.DataFrame, level: str) -> list[Any]:
    """The stripe's lanes: every factor category, or every code of the frame."""
    return list(df["factor"].cat.categories) if level == "factor" else _keys(df, "code")


def _draw_stripe(ax: Axes, df: pd.DataFrame, doc_id: Any, n_chars: int | None, level: str,
                 codebook: Codebook | None, lang: str) -> dict[Any, str]:
    """Draw one document's stripe on ``ax``; return the keys drawn -> their colour."""
    from matplotlib.patches import Rectangle

    doc = df[df["doc_id"] == doc_id]
    lanes = _lanes(df, level)
    position = {k: i for i, k in enumerate(lanes)}
    shown: dict[Any, str] = {}
    column = "factor" if level == "factor" else "code_id"
    for start, end, key, valence in zip(doc["start"], doc["end"], doc[column], doc["valence"],
                                        strict=True):
        lane = position.get(key)
        if lane is None:  # a coding without a factor has no lane
            continue
        shown[key] = _colour(key, codebook, lane)
        ax.add_patch(Rectangle((start, lane - 0.4), end - start, 0.8, alpha=0.6,
                               facecolor=shown[key], edgecolor="none",
                               hatch="//" if valence == "negative" else None))
    ax.set_xlim(0, n_chars if n_chars is not None else int(doc["end"].max()))
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_yticks(range(len(lanes)), labels=[_label(k, codebook, lang) for k in lanes])
    ax.set_xlabel(_TEXT[lang]["offset"])
    return {k: shown[k] for k in lanes if k in shown}  # in lane order


def _stripe_handles(shown: dict[Any, str], codebook: Codebook | None, lang: str) -> list[Patch]:
    """Legend handles: one per code shown, then the hatching of negative codings."""
    from matplotlib.patches import Patch

    return [*(Patch(facecolor=c, alpha=0.6, label=_label(k, codebook, lang))
              for k, c in shown.items()),
            Patch(facecolor="white", edgecolor="0.3", hatch="//", label=_TEXT[lang]["hatched"])]


@validate_params({**_LANG, **_LEVEL, "n_chars": [Interval(int, 1, None), None]})
def plot_coding_stripe(
    df: pd.DataFrame,
    doc_id: str,
    *,
    n_chars: int | None = None,
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """One document's coding stripe: a lane per factor (or code), a rectangle per coded span.

    The x axis is the character offset in the document's text; each coding of the document
    is drawn as a rectangle ``[start, end)`` in its lane, in the codebook colour of its factor
    (or code; half transparent, so overlapping codings show darker); negative codings are
    hatched. The legend has one entry per factor (or code) drawn, then one for the hatching.

    Parameters
    ----------
    df : DataFrame
        Codings frame (of any number of documents; only ``doc_id``'s rows are drawn).
    doc_id : str
        The document to draw.
    n_chars : int, optional
        Length of the document's text (the x range); default: the end of its last coding.
    level : {"factor", "code"}, default "factor"
        A lane per factor category, or per code of the frame.
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
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['leadership', 'partnerships', 'negative valence (hatched)']
    >>> plt.close(ax.figure)
    """
    validate_codings(df)
    if n_chars is None and not (df["doc_id"] == doc_id).any():
        func = "plot_coding_stripe"
        raise ParameterError(f"The 'n_chars' parameter of {func} must be an int in the range "
                             f"[1, inf) when document {doc_id!r} has no codings (nothing else "
                             "gives the stripe's length). Got None instead.",
                             parameter="n_chars", function=func, value=None)
    ax = _axes(ax, figsize=(10.0, 0.45 * len(_lanes(df, level)) + 1.2))
    shown = _draw_stripe(ax, df, doc_id, n_chars, level, codebook, lang)
    if shown:
        ax.legend(handles=_stripe_handles(shown, codebook, lang), loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.set_title(str(doc_id))
    return ax


def _stripe_documents(func: str, documents: pd.DataFrame,
                      doc_ids: Sequence[Any] | None) -> pd.DataFrame:
    """The rows of ``documents`` to draw, in the order of ``doc_ids`` (default: all)."""
    docs = _check_frame(func, "documents", documents, ("doc_id", "n_chars"))
    docs = docs.drop_duplicates("doc_id").set_index("doc_id", drop=False)
    wanted = list(docs.index) if doc_ids is None else list(doc_ids)
    unknown = [d for d in wanted if d not in docs.index]
    if unknown or not wanted:
        raise ParameterError(
            f"The 'doc_ids' parameter of {func} must list at least one document of "
            f"'documents'. Got {doc_ids!r}"
            + (f", with {', '.join(map(repr, unknown))} unknown," if unknown else "")
            + " instead.", parameter="doc_ids", function=func, value=doc_ids)
    return docs.loc[wanted]


def _stripe_title(row: pd.Series) -> str:
    """The document id, and its group when it has one."""
    group = row.get("group")
    if group is None or pd.isna(group) or str(group) == "":
        return str(row["doc_id"])
    return f"{row['doc_id']} ({group})"


@validate_params({**_LANG, **_LEVEL,
                  "documents": [InstanceOf(pd.DataFrame, what="a DataFrame")],
                  "doc_ids": [InstanceOf(list, tuple, what="a list of document ids"), None]})
def plot_coding_stripes(
    df: pd.DataFrame,
    *,
    documents: pd.DataFrame,
    level: str = "factor",
    codebook: Codebook | None = None,
    lang: str = "en",
    doc_ids: Sequence[Any] | None = None,
    fig: Figure | None = None,
) -> np.ndarray:
    """Small multiples of coding stripes: one per document, sharing one legend.

    Each stripe is drawn as :func:`plot_coding_stripe` draws it, over the document's whole
    length (``n_chars``), with the same lanes in every stripe, and titled with the document
    id (and its group, when ``documents`` has a ``group`` column). One legend for the figure
    lists every factor (or code) drawn in any stripe, then the hatching of negative codings.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    documents : DataFrame
        One row per document with ``doc_id``, ``n_chars`` and optionally ``group``
        (``project.documents()``).
    level : {"factor", "code"}, default "factor"
    codebook : Codebook, optional
        For lane labels and colours.
    lang : {"en", "id"}, default "en"
    doc_ids : sequence, optional
        The documents to draw, in order (default: every row of ``documents``).
    fig : matplotlib Figure, optional
        An empty figure to draw on; a new one is made if None.

    Returns
    -------
    numpy array of matplotlib Axes
        One Axes per document, top to bottom; ``axes[0].figure`` is the figure.

    Raises
    ------
    ParameterError
        If ``documents`` lacks a column, or ``doc_ids`` is empty or names a document not in
        ``documents``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "n1", "group": "north", "start": 0, "end": 40, "code_id": "leadership"},
    ...     {"doc_id": "s1", "group": "south", "start": 5, "end": 20, "code_id": "partnerships",
    ...      "valence": "negative"},
    ... ])
    >>> docs = pd.DataFrame({"doc_id": ["n1", "s1"], "group": ["north", "south"],
    ...                      "n_chars": [100, 60]})
    >>> axes = plot_coding_stripes(df, documents=docs)
    >>> [ax.get_title() for ax in axes]
    ['n1 (north)', 's1 (south)']
    >>> [t.get_text() for t in axes[0].figure.legends[0].get_texts()]
    ['leadership', 'partnerships', 'negative valence (hatched)']
    >>> plt.close(axes[0].figure)
    """
    validate_codings(df)
    rows = _stripe_documents("plot_coding_stripes", documents, doc_ids)
    if fig is None:
        import matplotlib.pyplot as plt

        height = len(rows) * (0.35 * len(_lanes(df, level)) + 0.9) + 0.6
        fig = plt.figure(figsize=(10.0, height), layout="constrained")
    axes = np.asarray(fig.subplots(len(rows), 1, squeeze=False))[:, 0]
    shown: dict[Any, str] = {}
    for ax, (_, row) in zip(axes, rows.iterrows(), strict=True):
        shown.update(_draw_stripe(ax, df, row["doc_id"], int(row["n_chars"]), level, codebook,
                                  lang))
        ax.set_title(_stripe_title(row), fontsize="medium")
        if ax is not axes[-1]:
            ax.set_xlabel("")
    order = _lanes(df, level)
    shown = {k: shown[k] for k in order if k in shown}
    fig.legend(handles=_stripe_handles(shown, codebook, lang), loc="outside right upper",
               fontsize="small")
    return axes


# --------------------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------------------


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
