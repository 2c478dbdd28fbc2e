"""Loading and validating ``codebook.yaml`` (the format is documented in its header).

Every problem is a :class:`~uppks_qual.errors.CodebookError` whose message names
``file:line``. Reading a codebook checks its structure (ids, tree, kinds, labels, colours, cue
lists and the keys of token patterns, the ``changelog`` and the ``coding_rules`` for human
coders) and never imports spaCy; the cues are compiled into matchers
where they are used (:func:`uppks_qual.autocode.compile_cues`, which ``uppks-qual check``
runs so that a pattern spaCy rejects is still reported before any coding starts).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from .errors import CodebookError, PatternError, QualError
from .records import (
    CODE_ID,
    CODE_KINDS,
    VALENCES,
    ChangelogEntry,
    Code,
    Codebook,
    CodingRule,
    RuleExample,
    is_date,
    pattern_problem,
)
from .textio import YamlDoc, parse_yaml, read_text

__all__ = ["check_codebook", "load_codebook", "parse_codebook"]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CODE_KEYS = ("id", "parent", "kind", "label", "definition", "use_when", "not_when", "examples",
             "colour", "color", "cues", "positive", "negative", "memo")
CUE_KEYS = ("phrases", "lemmas", "patterns", "persons")
TOP_KEYS = ("version", "name", "codes", "actors", "description", "coding_rules", "changelog")
KINDS = CODE_KINDS
RULE_TOPICS = ("valence", "unit")
RULE_KEYS = ("rule", "examples")
EXAMPLE_KEYS = ("doc_id", "quote", "code", "valence", "note")
CHANGE_KEYS = ("version", "date", "change")


def load_codebook(path: str | Path) -> Codebook:
    """Load and validate a codebook (``.yaml``; REFI-QDA ``.qdc`` via :mod:`uppks_qual.interop`).

    Examples
    --------
    >>> cb = load_codebook("codebook.yaml")                 # doctest: +SKIP
    >>> [c.code_id for c in cb.factors()]                   # doctest: +SKIP
    ['leadership', 'information_clarity', ...]
    """
    path = Path(path)
    if path.suffix.lower() == ".qdc":  # a format reader below this module, like corpus's .docx
        from .interop.refi_read import read_qdc

        return read_qdc(path)
    if not path.exists():
        raise CodebookError("no such codebook file", path=path)
    return parse_codebook(read_text(path), path)


def check_codebook(path: str | Path) -> tuple[Codebook | None, list[QualError]]:
    """Load a codebook returning ``(codebook, problems)`` instead of raising."""
    try:
        return load_codebook(path), []
    except QualError as exc:
        return None, list(getattr(exc, "problems", None) or [exc])


def parse_codebook(text: str, path: str | Path = "<codebook>") -> Codebook:
    """Build a :class:`Codebook` from YAML text; every problem found is reported.

    A single problem raises it; several raise one :class:`CodebookError` listing all
    (``exc.problems``).
    """
    yd = parse_yaml(text, path, error=CodebookError)
    data = yd.data
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookError("a codebook must be a mapping with a `codes:` list", path=path, line=1)
    if data.get("version", 1) != 1:
        raise CodebookError(f"codebook format version {data['version']!r} is not supported; "
                            "this uppks-qual reads version 1", path=path,
                            line=yd.line_of(data, "version"))
    problems: list[QualError] = []
    for key in ("name", "description"):
        try:
            _text(data, key, yd, path, f"the codebook's `{key}`")
        except QualError as exc:
            problems.append(exc)
    raw: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(data["codes"]):
        try:
            _check_entry(item, yd, path, raw, yd.line_of(data["codes"], str(index)))
        except QualError as exc:
            problems.append(exc)
            continue
        raw[item["id"]] = item
    problems += _check_tree(raw, yd, path)
    actors = _actors(data, raw, yd, path, problems)
    codes: list[Code] = []
    if not problems:
        for code_id in raw:
            try:
                codes.append(_make_code(code_id, raw, yd, path, actors.get(code_id, ())))
            except QualError as exc:
                problems.append(exc)
    changelog = _changelog(data, yd, path, problems)
    rules = _rules(data, raw, yd, path, problems)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise CodebookError(f"{len(problems)} problems:\n" + "\n".join(p.message for p in problems),
                            problems=problems)
    return Codebook(tuple(codes), name=str(data.get("name") or Path(str(path)).stem), path=str(path),
                    changelog=changelog, rules=rules)


def _changelog(data: dict[str, Any], yd: YamlDoc, path: str | Path,
               problems: list[QualError]) -> tuple[ChangelogEntry, ...]:
    """``changelog:`` -> entries, oldest first; each problem is added to ``problems``."""
    items = data.get("changelog")
    if items is None:
        return ()
    if not isinstance(items, list):
        problems.append(CodebookError("`changelog` must be a list of entries "
                                      "`{version: \"1.1\", date: 2026-12-02, change: ...}`",
                                      path=path, line=yd.line_of(data, "changelog")))
        return ()
    out: list[ChangelogEntry] = []
    for index, item in enumerate(items):
        try:
            entry = _change_entry(item, yd, path, yd.line_of(items, str(index)))
        except QualError as exc:
            problems.append(exc)
            continue
        _check_change_order(entry, out, path, problems)
        out.append(entry)
    return tuple(out)


def _change_entry(item: Any, yd: YamlDoc, path: str | Path, line: int) -> ChangelogEntry:
    if not isinstance(item, dict):
        raise CodebookError("each changelog entry must be a mapping with keys "
                            f"{', '.join(CHANGE_KEYS)}", path=path, line=line)
    line = yd.line_of(item)
    for key in item:
        if key not in CHANGE_KEYS:
            raise CodebookError(f"unknown key {key!r} in a changelog entry; allowed keys are "
                                f"{', '.join(CHANGE_KEYS)}", path=path, line=yd.line_of(item, key))
    missing = [k for k in CHANGE_KEYS if k not in item]
    if missing:
        raise CodebookError(f"changelog entry lacks {', '.join(missing)}; each entry needs "
                            f"{', '.join(CHANGE_KEYS)}", path=path, line=line)
    version, date, change = item["version"], item["date"], item["change"]
    if not isinstance(version, str) or not version.strip():
        raise CodebookError(f"changelog version {version!r} must be a quoted string such as "
                            '"1.1" (unquoted, YAML reads 1.10 as the number 1.1)', path=path,
                            line=yd.line_of(item, "version"))
    text = date.isoformat() if isinstance(date, _dt.date) else str(date)
    if not (_ISO_DATE.match(text) and is_date(text)):
        raise CodebookError(f"changelog date {date!r} of version {version!r} must be an ISO "
                            "date YYYY-MM-DD", path=path, line=yd.line_of(item, "date"))
    if not isinstance(change, str) or not change.strip():
        raise CodebookError(f"changelog entry {version!r} needs `change:` saying what changed",
                            path=path, line=yd.line_of(item, "change"))
    return ChangelogEntry(version.strip(), text, " ".join(change.split()), line=line)


def _check_change_order(entry: ChangelogEntry, before: list[ChangelogEntry], path: str | Path,
                        problems: list[QualError]) -> None:
    if any(e.version == entry.version for e in before):
        problems.append(CodebookError(f"changelog version {entry.version!r} is listed twice; "
                                      "each version once", path=path, line=entry.line))
    elif before and entry.date < before[-1].date:
        problems.append(CodebookError(
            f"changelog entry {entry.version!r} ({entry.date}) is older than the entry above it "
            f"({before[-1].version}, {before[-1].date}); list entries oldest first, the latest "
            "last", path=path, line=entry.line))


def _rules(data: dict[str, Any], raw: dict[str, Any], yd: YamlDoc, path: str | Path,
           problems: list[QualError]) -> dict[str, tuple[CodingRule, ...]]:
    """``coding_rules: {valence: [...], unit: [...]}`` -> rules by topic."""
    section = data.get("coding_rules")
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.append(CodebookError("`coding_rules` must map a topic (valence, unit) to a list "
                                      "of `{rule: ..., examples: [...]}`", path=path,
                                      line=yd.line_of(data, "coding_rules")))
        return {}
    out: dict[str, tuple[CodingRule, ...]] = {}
    for topic, items in section.items():
        line = yd.line_of(section, topic)
        if topic not in RULE_TOPICS:
            problems.append(CodebookError(f"unknown coding_rules topic {topic!r}; allowed topics "
                                          f"are {', '.join(RULE_TOPICS)}", path=path, line=line))
            continue
        if not isinstance(items, list) or not items:
            problems.append(CodebookError(f"coding_rules.{topic} must be a non-empty list of "
                                          "`{rule: ..., examples: [...]}`", path=path, line=line))
            continue
        rules = []
        for index, item in enumerate(items):
            try:
                rules.append(_rule(str(topic), item, raw, yd, path, yd.line_of(items, str(index))))
            except QualError as exc:
                problems.append(exc)
        out[str(topic)] = tuple(rules)
    return out


def _rule(topic: str, item: Any, raw: dict[str, Any], yd: YamlDoc, path: str | Path,
          line: int) -> CodingRule:
    if not isinstance(item, dict) or not isinstance(item.get("rule"), str) \
            or not item["rule"].strip():
        raise CodebookError(f"each rule of coding_rules.{topic} must be a mapping with `rule:` "
                            "(the rule in plain words) and optional `examples:`", path=path,
                            line=line)
    line = yd.line_of(item)
    for key in item:
        if key not in RULE_KEYS:
            raise CodebookError(f"unknown key {key!r} in a rule of coding_rules.{topic}; allowed "
                                f"keys are {', '.join(RULE_KEYS)}", path=path,
                                line=yd.line_of(item, key))
    examples = item.get("examples") or []
    if not isinstance(examples, list):
        raise CodebookError(f"`examples` of a rule of coding_rules.{topic} must be a list",
                            path=path, line=yd.line_of(item, "examples"))
    made = tuple(_rule_example(topic, e, raw, yd, path, yd.line_of(examples, str(i)))
                 for i, e in enumerate(examples))
    return CodingRule(topic, " ".join(item["rule"].split()), made, line=line)


def _rule_example(topic: str, item: Any, raw: dict[str, Any], yd: YamlDoc, path: str | Path,
                  line: int) -> RuleExample:
    if not isinstance(item, dict):
        raise CodebookError(f"an example of coding_rules.{topic} must be a mapping with "
                            f"{', '.join(EXAMPLE_KEYS)}", path=path, line=line)
    line = yd.line_of(item)
    bad = [k for k in item if k not in EXAMPLE_KEYS]
    if bad:
        raise CodebookError(f"unknown key {bad[0]!r} in an example of coding_rules.{topic}; "
                            f"allowed keys are {', '.join(EXAMPLE_KEYS)}", path=path,
                            line=yd.line_of(item, bad[0]))
    for key in ("doc_id", "quote"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise CodebookError(f"an example of coding_rules.{topic} needs `{key}:` (the "
                                "document and the passage quoted verbatim from it)", path=path,
                                line=yd.line_of(item, key) if key in item else line)
    code, valence = item.get("code"), item.get("valence")
    for key in ("code", "valence"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise CodebookError(f"`{key}` of an example of coding_rules.{topic} must be text, "
                                f"not {_what(item[key])}", path=path,
                                line=yd.line_of(item, key))
    _text(item, "note", yd, path, f"`note` of an example of coding_rules.{topic}")
    if code is not None and code not in raw:
        raise CodebookError(f"example of coding_rules.{topic} names unknown code {code!r}",
                            path=path, line=yd.line_of(item, "code"), code_id=code)
    if valence is not None and valence not in VALENCES:
        raise CodebookError(f"valence {valence!r} of an example of coding_rules.{topic} must be "
                            f"one of {', '.join(VALENCES)}", path=path,
                            line=yd.line_of(item, "valence"))
    if topic == "valence" and valence is None:
        raise CodebookError("an example of a valence rule needs `valence:` (the valence the "
                            "passage gets)", path=path, line=line)
    return RuleExample(item["doc_id"].strip(), item["quote"], code_id=code, valence=valence,
                       note=" ".join(str(item.get("note") or "").split()))


def _actors(data: dict[str, Any], raw: dict[str, Any], yd: YamlDoc, path: str | Path,
            problems: list[QualError]) -> dict[str, tuple[str, ...]]:
    """``actors: {name: code_id}`` -> names per code (they become ``persons`` cues)."""
    for key in data:
        if key not in TOP_KEYS:
            problems.append(CodebookError(f"unknown top-level key {key!r}; allowed keys are "
                                          f"{', '.join(TOP_KEYS)}", path=path,
                                          line=yd.line_of(data, key)))
    actors = data.get("actors") or {}
    if not isinstance(actors, dict):
        problems.append(CodebookError("`actors` must map names to code ids, e.g. "
                                      "`Pak Afrizal: officer_role`", path=path,
                                      line=yd.line_of(data, "actors")))
        return {}
    out: dict[str, list[str]] = {}
    for name, code_id in actors.items():
        if not isinstance(code_id, str):
            problems.append(CodebookError(f"actor {name!r} must name one code id (text such as "
                                          f"officer_role), not {_what(code_id)}", path=path,
                                          line=yd.line_of(actors, name)))
            continue
        if code_id not in raw:
            problems.append(CodebookError(f"actor {name!r} refers to unknown code {code_id!r}",
                                          path=path, line=yd.line_of(actors, name),
                                          code_id=code_id))
            continue
        out.setdefault(code_id, []).append(str(name).strip())
    return {k: tuple(v) for k, v in out.items()}


def _check_entry(item: Any, yd: YamlDoc, path: str | Path, seen: dict[str, Any],
                 item_line: int) -> None:
    if not isinstance(item, dict):
        raise CodebookError("each entry of `codes:` must be a mapping with at least `id:`",
                            path=path, line=item_line)
    line = yd.line_of(item)
    code_id = item.get("id")
    if not isinstance(code_id, str) or not CODE_ID.match(code_id):
        raise CodebookError(f"invalid code id {code_id!r}: use lower-case letters, digits, '_' "
                            "and '.' (e.g. leader_support.formal)", path=path, line=line,
                            code_id=code_id)
    if code_id in seen:
        raise CodebookError(f"duplicate code id {code_id!r} (first defined on line "
                            f"{yd.line_of(seen[code_id])}); code ids must be unique",
                            path=path, line=line, code_id=code_id)
    for key in item:
        if key not in CODE_KEYS:
            raise CodebookError(f"unknown key {key!r} in code {code_id!r}; allowed keys are "
                                f"{', '.join(CODE_KEYS)}", path=path, line=yd.line_of(item, key),
                                code_id=code_id)
    if item.get("parent") is not None and not isinstance(item["parent"], str):
        raise CodebookError(f"`parent` of code {code_id!r} must be the id of one code (text such "
                            f"as leadership), not {_what(item['parent'])}", path=path,
                            line=yd.line_of(item, "parent"), code_id=code_id)
    if item.get("kind") is not None and not isinstance(item["kind"], str):
        raise CodebookError(f"`kind` of code {code_id!r} must be one of {', '.join(KINDS)}, not "
                            f"{_what(item['kind'])}", path=path, line=yd.line_of(item, "kind"),
                            code_id=code_id)
    for key in ("definition", "use_when", "not_when", "memo"):
        _text(item, key, yd, path, f"`{key}` of code {code_id!r}", code_id=code_id)
    examples = item.get("examples")
    if examples is not None and not isinstance(examples, str) and not (
            isinstance(examples, list) and all(isinstance(e, str) for e in examples)):
        raise CodebookError(f"`examples` of code {code_id!r} must be a list of quoted passages "
                            "(text)", path=path, line=yd.line_of(item, "examples"),
                            code_id=code_id)
    label = item.get("label")
    if isinstance(label, dict) and not all(isinstance(label.get(k), str | int | float)
                                           and not isinstance(label.get(k), bool)
                                           for k in ("en", "id")):
        label = None
    if not (isinstance(label, dict) and label.get("en") and label.get("id")) and not (
            isinstance(label, str) and label.strip()):
        raise CodebookError(f"code {code_id!r} needs `label: {{en: ..., id: ...}}`", path=path,
                            line=yd.line_of(item, "label") if "label" in item else line,
                            code_id=code_id)
    colour = item.get("colour", item.get("color"))
    if colour is not None and not (isinstance(colour, str) and _COLOUR.match(colour)):
        raise CodebookError(f"colour {colour!r} of code {code_id!r} must look like '#1b9e77'",
                            path=path, line=yd.line_of(item, "colour" if "colour" in item else "color"),
                            code_id=code_id)
    if item.get("kind") is not None and item.get("parent") is not None:
        raise CodebookError(f"code {code_id!r} has a parent, so it cannot set `kind` (children "
                            "take their top-level code's kind); remove `kind:`", path=path,
                            line=yd.line_of(item, "kind"), code_id=code_id)
    if item.get("kind") is not None and item["kind"] not in KINDS:
        raise CodebookError(f"kind {item['kind']!r} of code {code_id!r} must be one of "
                            f"{', '.join(KINDS)}", path=path, line=yd.line_of(item, "kind"),
                            code_id=code_id)


def _what(value: Any) -> str:
    """What a YAML value is, for messages: "a list", "a mapping", "the number 3" ..."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, _dt.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def _text(where: dict[str, Any], key: str, yd: YamlDoc, path: str | Path, what: str,
          **data: Any) -> str:
    """``where[key]`` as text (numbers and dates are written out); a list, mapping or other
    non-text value is a :class:`CodebookError` naming the line."""
    value = where.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | _dt.date):
        raise CodebookError(f"{what} must be text, not {_what(value)}", path=path,
                            line=yd.line_of(where, key), **data)
    return str(value)


def _check_tree(raw: dict[str, dict[str, Any]], yd: YamlDoc, path: str | Path) -> list[QualError]:
    problems: list[QualError] = []
    for code_id, item in raw.items():
        parent = item.get("parent")
        if parent is not None and parent not in raw:
            problems.append(CodebookError(
                f"unknown parent code {parent!r} for code {code_id!r}; define {parent!r} or fix "
                "the parent", path=path, line=yd.line_of(item, "parent"), code_id=code_id))
    if problems:
        return problems
    for code_id, item in raw.items():
        chain, current = [code_id], item.get("parent")
        while current is not None:
            if current in chain:
                cycle = " -> ".join([*chain[chain.index(current):], current])
                problems.append(CodebookError(
                    f"parent cycle {cycle}: a code cannot be its own ancestor", path=path,
                    line=yd.line_of(item, "parent"), code_id=code_id))
                break
            chain.append(current)
            current = raw[current].get("parent")
    return problems


def _root(code_id: str, raw: dict[str, dict[str, Any]]) -> str:
    while raw[code_id].get("parent") is not None:
        code_id = raw[code_id]["parent"]
    return code_id


def _strings(item: dict[str, Any], key: str, yd: YamlDoc, path: str | Path, code_id: str,
             container: dict[str, Any] | None = None) -> tuple[str, ...]:
    where = item if container is None else container
    value = where.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PatternError(f"`{key}` of code {code_id!r} must be a list of non-empty strings",
                           path=path, line=yd.line_of(where, key), code_id=code_id)
    return tuple(v.strip() for v in value)


def _make_code(code_id: str, raw: dict[str, dict[str, Any]], yd: YamlDoc, path: str | Path,
               actors: tuple[str, ...] = ()) -> Code:
    item = raw[code_id]
    root = _root(code_id, raw)
    label = item["label"]
    label_en, label_id = (label, label) if isinstance(label, str) else (label["en"], label["id"])
    colour = item.get("colour", item.get("color"))
    parent = item.get("parent")
    while colour is None and parent is not None:
        colour = raw[parent].get("colour", raw[parent].get("color"))
        parent = raw[parent].get("parent")
    cues = item.get("cues") or {}
    if not isinstance(cues, dict) or any(k not in CUE_KEYS for k in cues):
        raise PatternError(f"`cues` of code {code_id!r} must be a mapping with keys "
                           f"{', '.join(CUE_KEYS)}", path=path, line=yd.line_of(item, "cues"),
                           code_id=code_id)
    patterns = _patterns(cues, yd, path, code_id)
    examples = item.get("examples") or []
    if isinstance(examples, str):
        examples = [examples]
    return Code(
        code_id=code_id, parent=item.get("parent"), factor=root,
        kind=str(raw[root].get("kind") or "factor"), label_en=str(label_en), label_id=str(label_id),
        definition=str(item.get("definition") or "").strip(),
        use_when=str(item.get("use_when") or "").strip(),
        not_when=str(item.get("not_when") or "").strip(),
        examples=tuple(str(e).strip() for e in examples), colour=str(colour or "#777777"),
        phrases=_strings(item, "phrases", yd, path, code_id, cues),
        lemmas=_strings(item, "lemmas", yd, path, code_id, cues), patterns=patterns,
        persons=_strings(item, "persons", yd, path, code_id, cues) + actors,
        positive=_strings(item, "positive", yd, path, code_id),
        negative=_strings(item, "negative", yd, path, code_id), line=yd.line_of(item),
    )


def _patterns(cues: dict[str, Any], yd: YamlDoc, path: str | Path, code_id: str) -> tuple:
    value = cues.get("patterns") or []
    line = yd.line_of(cues, "patterns")
    if not isinstance(value, list):
        raise PatternError(f"`patterns` of code {code_id!r} must be a list of token patterns",
                           path=path, line=line, code_id=code_id)
    out = []
    for i, pattern in enumerate(value):
        problem = pattern_problem(pattern)
        if problem:
            raise PatternError(f"pattern {i + 1} of code {code_id!r}: {problem}", path=path,
                               line=line, code_id=code_id)
        out.append(tuple(pattern))
    return tuple(out)
