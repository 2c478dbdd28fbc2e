"""Suggesting codes with a model trained on manual codings: the learned auto-coder.

Like NVivo's "autocode from existing coding patterns", but reproducible and measured.
:class:`CodeSuggester` is a scikit-learn estimator. For each sentence it combines

* the words of the sentence (names masked, lemmatised; TF-IDF of uni- and bigrams),
* its context: the previous and next sentence and the interviewer's last question (TF-IDF,
  weighted by ``context_weight``),
* the rule-based coder's output (:mod:`uppks_qual.autocode`) for the sentence and the
  previous one: which factors its cues found, and their valence (weighted by
  ``rules_weight``),

in one logistic regression per factor (class weights balanced), plus logistic regressions for
the valence of a (sentence, factor) pair (one per valence, the most probable wins).

**Nothing about who speaks.** Names of groups, villages, places and people are replaced by
``KELOMPOK``, ``TEMPAT`` and ``NAMA`` before anything is featurised (``mask``, a
:class:`~uppks_qual.masking.Masker`; :func:`study_masker` builds the study's from its
manifest, documents and codebook), so the model cannot learn which group a sentence comes
from instead of what it says.

**Nothing fitted outside the training passages.** Every vectoriser is part of the
estimator's :class:`~sklearn.pipeline.Pipeline` and is fitted in :meth:`CodeSuggester.fit` on
the passages given, so in cross-validation (:func:`uppks_qual.evaluation.evaluate_coder`) and
cross-fitting (:func:`cross_fit_predict`) only on the training fold. The default
hyper-parameters were chosen by ``scripts/evaluate_coder.py`` (``GridSearchCV`` grouped by
document on the training passages ``data/coding/train*.csv`` only, never on the gold sample).

Inputs: a frame of passages (:func:`sentence_table` / :func:`passage_table`: text, context
and rules columns), a list of plain strings, or a list of
:class:`~uppks_qual.records.Document` (split into sentences, coded by the rules, and every
informant sentence coded). It codes any text: a new document, a new corpus, an abstract.

Examples
--------
>>> import pandas as pd
>>> from uppks_qual.learn import CodeSuggester
>>> train = pd.DataFrame({"text": [
...     "Ketua rajin memimpin rapat.", "Rapat sering batal, ketua jarang datang.",
...     "Modal kelompok bertambah tiap putaran.", "Modal macet, angsuran tidak dibayar.",
...     "Cuaca hari itu panas.", "Anak saya sekolah di kota."],
...     "codes": [{"leadership": "positive"}, {"leadership": "negative"},
...               {"capital": "positive"}, {"capital": "negative"}, {}, {}]})
>>> model = CodeSuggester(min_df=1).fit(train)
>>> model.factors_
('capital', 'leadership')
>>> model.predict(["Ketua kami rajin memimpin rapat."])[["factor", "valence"]]
       factor   valence
0  leadership  positive
"""

from __future__ import annotations

# The package's parts import one way: tables <- features <- estimator. Every name of the
# former module learn.py stays importable from here: models pickled before the split name
# their classes uppks_qual.learn.<name>, and tests clear the caches (_LEMMAS ...) here.
from .estimator import _MODEL_FORMAT as _MODEL_FORMAT
from .estimator import PREDICTION_COLUMNS as PREDICTION_COLUMNS
from .estimator import CodeSuggester as CodeSuggester
from .estimator import DocumentKFold as DocumentKFold
from .estimator import RuleCoder as RuleCoder
from .estimator import _Constant as _Constant
from .estimator import _PassageInput as _PassageInput
from .estimator import coding_rows as coding_rows
from .estimator import cross_fit_predict as cross_fit_predict
from .estimator import learned_codings as learned_codings
from .features import _LEMMAS as _LEMMAS
from .features import _MASK_FEATURES as _MASK_FEATURES
from .features import _MASKED as _MASKED
from .features import _TYPES as _TYPES
from .features import _TYPES_VOCAB as _TYPES_VOCAB
from .features import PassageText as PassageText
from .features import _lemma_strings as _lemma_strings
from .features import _lemmas as _lemmas
from .features import _masked as _masked
from .features import _plain_words as _plain_words
from .features import _Vectorizer as _Vectorizer
from .features import _word_counts as _word_counts
from .features import _word_type as _word_type
from .tables import _VALENCE_ORDER as _VALENCE_ORDER
from .tables import RULE_COLUMNS as RULE_COLUMNS
from .tables import TEXT_COLUMNS as TEXT_COLUMNS
from .tables import _as_document as _as_document
from .tables import _last_question as _last_question
from .tables import _passage_frame as _passage_frame
from .tables import _rule_tokens as _rule_tokens
from .tables import _top as _top
from .tables import documents_table as documents_table
from .tables import labelled_passages as labelled_passages
from .tables import parse_rules as parse_rules
from .tables import passage_table as passage_table
from .tables import rules_frame as rules_frame
from .tables import sentence_table as sentence_table
from .tables import study_masker as study_masker
from .tables import training_files as training_files

__all__ = ["CodeSuggester", "DocumentKFold", "PassageText", "RuleCoder", "coding_rows",
           "cross_fit_predict", "documents_table", "learned_codings", "passage_table",
           "rules_frame", "sentence_table", "study_masker", "training_files"]
