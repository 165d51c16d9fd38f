"""DHIS2 indicator and validation-rule expressions: parse, check, list, evaluate, describe.

The syntax is DHIS2's:

- ``#{deUid}`` a data element's total (every disaggregation and attribute summed),
  ``#{deUid.cocUid}`` one category option combo, ``#{deUid.cocUid.aocUid}`` one combo and
  attribute combo, ``#{deUid.*.aocUid}`` every combo of one attribute combo;
- ``C{constantUid}`` a constant, ``[days]`` the number of days in the period;
- numbers, ``+ - * / % ^``, parentheses, unary minus; comparisons ``< <= > >= == !=`` and
  ``&& || !`` (also ``and``, ``or``, ``not``) inside ``if``;
- functions ``if(test, then, else)``, ``isNull(x)``, ``isNotNull(x)``,
  ``firstNonNull(a, b, ...)``, ``greatest(...)``, ``least(...)``, ``abs(x)``, ``log(x)``,
  ``log(x, base)``, ``log10(x)``.

Expressions are tokenised and parsed into a tree here: nothing is ever handed to ``eval``.

Missing values follow DHIS2's missing-value strategies: with
``SKIP_IF_ALL_VALUES_MISSING`` (what indicators use) an expression whose items all lack data
has no value, and an item without data counts as 0 otherwise; ``SKIP_IF_ANY_VALUE_MISSING``
gives no value as soon as one item lacks data; ``NEVER_SKIP`` counts every missing item as
0. ``isNull``/``isNotNull``/``firstNonNull`` see the missing items as missing. A division
by zero (or any undefined arithmetic) gives no value.

Values are handed to ``evaluate`` keyed by the item's canonical text, which is the text
inside ``#{...}`` without spaces: ``"deUid"``, ``"deUid.cocUid"``, ``"deUid.*.aocUid"``,
``"deUid.cocUid.aocUid"`` (``ItemRef.key``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.utils.translation import gettext as _

from doha.analytics.models import MissingValueStrategy
from doha.core.uid import is_valid_uid

__all__ = [
    "ExpressionError",
    "ItemRef",
    "constants_in",
    "describe",
    "evaluate",
    "items",
    "parse",
    "validate",
]


class ExpressionError(ValueError):
    """A syntax error, with the position (0-based) in the expression."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class ItemRef:
    """One ``#{...}`` reference. ``coc`` is None for the total, "*" for every combo."""

    data_element: str
    coc: str | None = None
    aoc: str | None = None

    @cached_property
    def key(self) -> str:
        parts = [self.data_element]
        if self.coc is not None or self.aoc is not None:
            parts.append(self.coc or "*")
        if self.aoc is not None:
            parts.append(self.aoc)
        return ".".join(parts)

    @property
    def is_total(self) -> bool:
        return self.coc in (None, "*") and self.aoc is None

    @classmethod
    def from_key(cls, key: str) -> ItemRef:
        parts = key.split(".")
        if len(parts) == 1:
            return cls(parts[0])
        if len(parts) == 2:
            return cls(parts[0], None if parts[1] == "*" else parts[1])
        coc = parts[1]
        return cls(parts[0], coc if coc != "*" else "*", parts[2])

    def __str__(self):
        return self.key


# ----------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<item>\#\{[^}]*\})
  | (?P<constant>C\{[^}]*\})
  | (?P<days>\[days\])
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||<=|>=|==|!=|[-+*/%^()<>!,])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise ExpressionError(
                _("Unexpected character “%(char)s” at position %(position)s.")
                % {"char": text[position], "position": position + 1},
                position,
            )
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ----------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Item:
    ref: ItemRef
    position: int


@dataclass(frozen=True)
class Const:
    uid: str
    position: int


@dataclass(frozen=True)
class Days:
    pass


@dataclass(frozen=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    position: int


# name -> (least, most) arguments; None for no upper bound.
FUNCTIONS = {
    "if": (3, 3),
    "isnull": (1, 1),
    "isnotnull": (1, 1),
    "firstnonnull": (1, None),
    "greatest": (1, None),
    "least": (1, None),
    "abs": (1, 1),
    "log": (1, 2),
    "log10": (1, 1),
}
_WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts) -> bool:
        token = self.current
        if token.kind == "op":
            return token.text in texts
        if token.kind == "name":
            return _WORD_OPERATORS.get(token.text.lower()) in texts
        return False

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise self.error(_("“%(expected)s” expected") % {"expected": text})
        self.advance()

    def error(self, message: str) -> ExpressionError:
        token = self.current
        if token.kind == "end":
            return ExpressionError(
                _("%(problem)s at the end of the expression.") % {"problem": message},
                token.position,
            )
        return ExpressionError(
            _("%(problem)s at position %(position)s (“%(text)s”).")
            % {"problem": message, "position": token.position + 1, "text": token.text},
            token.position,
        )

    def parse(self):
        if self.current.kind == "end":
            raise ExpressionError(_("The expression is empty."), 0)
        node = self.logical_or()
        if self.current.kind != "end":
            raise self.error(_("Unexpected text"))
        return node

    def _binary(self, operators, operand):
        node = operand()
        while self.at(*operators):
            token = self.advance()
            op = _WORD_OPERATORS.get(token.text.lower(), token.text)
            node = Binary(op, node, operand())
        return node

    def logical_or(self):
        return self._binary(("||",), self.logical_and)

    def logical_and(self):
        return self._binary(("&&",), self.equality)

    def equality(self):
        return self._binary(("==", "!="), self.comparison)

    def comparison(self):
        return self._binary(("<", "<=", ">", ">="), self.additive)

    def additive(self):
        return self._binary(("+", "-"), self.multiplicative)

    def multiplicative(self):
        return self._binary(("*", "/", "%"), self.unary)

    def unary(self):
        if self.at("-", "+", "!"):
            token = self.advance()
            return Unary(_WORD_OPERATORS.get(token.text.lower(), token.text), self.unary())
        return self.power()

    def power(self):
        node = self.primary()
        if self.at("^"):
            self.advance()
            node = Binary("^", node, self.unary())
        return node

    def primary(self):
        token = self.current
        if token.kind == "number":
            self.advance()
            return Num(float(token.text))
        if token.kind == "item":
            self.advance()
            return Item(_item_ref(token), token.position)
        if token.kind == "constant":
            self.advance()
            uid = token.text[2:-1].strip()
            if not is_valid_uid(uid):
                raise ExpressionError(
                    _("“%(text)s” at position %(position)s is not a constant reference C{uid}.")
                    % {"text": token.text, "position": token.position + 1},
                    token.position,
                )
            return Const(uid, token.position)
        if token.kind == "days":
            self.advance()
            return Days()
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.logical_or()
            self.expect(")")
            return node
        if token.kind == "name" and token.text.lower() in ("true", "false"):
            self.advance()
            return Num(1.0 if token.text.lower() == "true" else 0.0)
        if token.kind == "name" and token.text.lower() not in _WORD_OPERATORS:
            return self.call()
        raise self.error(_("A number, a #{…} item or a function expected"))

    def call(self):
        token = self.advance()
        name = token.text.lower()
        if name not in FUNCTIONS:
            raise ExpressionError(
                _("Unknown function “%(name)s” at position %(position)s.")
                % {"name": token.text, "position": token.position + 1},
                token.position,
            )
        self.expect("(")
        args = []
        if not self.at(")"):
            args.append(self.logical_or())
            while self.at(","):
                self.advance()
                args.append(self.logical_or())
        self.expect(")")
        least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            raise ExpressionError(
                _("%(name)s() at position %(position)s takes %(count)s arguments, not %(given)s.")
                % {
                    "name": token.text,
                    "position": token.position + 1,
                    "count": least if least == most else f"{least}+",
                    "given": len(args),
                },
                token.position,
            )
        return Call(name, tuple(args), token.position)


def _item_ref(token: Token) -> ItemRef:
    inner = re.sub(r"\s+", "", token.text[2:-1])
    parts = inner.split(".")
    bad = ExpressionError(
        _(
            "“%(text)s” at position %(position)s is not a data element reference: write "
            "#{deUid}, #{deUid.cocUid}, #{deUid.cocUid.aocUid} or #{deUid.*.aocUid}."
        )
        % {"text": token.text, "position": token.position + 1},
        token.position,
    )
    if not 1 <= len(parts) <= 3 or not is_valid_uid(parts[0]):
        raise bad
    for part in parts[1:]:
        if part != "*" and not is_valid_uid(part):
            raise bad
    if len(parts) == 3 and parts[2] == "*":
        parts = parts[:2]
    if len(parts) == 1:
        return ItemRef(parts[0])
    if len(parts) == 2:
        return ItemRef(parts[0], None if parts[1] == "*" else parts[1])
    return ItemRef(parts[0], parts[1], parts[2])


@lru_cache(maxsize=2048)
def parse(expression: str):
    """The expression's tree; ExpressionError (with a position) when it does not parse."""
    return _Parser(expression or "").parse()


def _walk(node):
    yield node
    if isinstance(node, Unary):
        yield from _walk(node.operand)
    elif isinstance(node, Binary):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _walk(arg)


def items(expression: str) -> list[ItemRef]:
    """The data element references of the expression, each once, in order of appearance."""
    seen = {}
    for node in _walk(parse(expression)):
        if isinstance(node, Item):
            seen.setdefault(node.ref, None)
    return list(seen)


def constants_in(expression: str) -> list[str]:
    """The constant UIDs the expression uses, each once."""
    seen = {}
    for node in _walk(parse(expression)):
        if isinstance(node, Const):
            seen.setdefault(node.uid, None)
    return list(seen)


# ----------------------------------------------------------------------------- checking


def validate(expression: str) -> list[str]:
    """Every problem of the expression, as sentences naming the position or the UID:
    syntax, unknown data elements, option combos, attribute combos and constants, option
    combos that are not a disaggregation of their data element. Empty when it is sound."""
    from doha.aggregate.models import CategoryOptionCombo, DataElement
    from doha.analytics.models import Constant

    try:
        refs = items(expression)
        constants = constants_in(expression)
    except ExpressionError as error:
        return [error.message]
    errors = []
    elements = {
        de.uid: de
        for de in DataElement.objects.filter(uid__in={r.data_element for r in refs}).only(
            "uid", "name", "category_combo_id", "value_type"
        )
    }
    combo_uids = {r.coc for r in refs if r.coc not in (None, "*")} | {
        r.aoc for r in refs if r.aoc is not None
    }
    combos = {
        c.uid: c
        for c in CategoryOptionCombo.objects.filter(uid__in=combo_uids).only(
            "uid", "name", "category_combo_id"
        )
    }
    for ref in refs:
        element = elements.get(ref.data_element)
        if element is None:
            errors.append(_("Data element %(uid)s does not exist.") % {"uid": ref.data_element})
            continue
        if not element.is_numeric and element.value_type not in ("BOOLEAN", "TRUE_ONLY"):
            errors.append(
                _("Data element “%(name)s” (%(uid)s) holds text, not numbers.")
                % {"name": element.name, "uid": element.uid}
            )
        if ref.coc not in (None, "*"):
            combo = combos.get(ref.coc)
            if combo is None:
                errors.append(_("Category option combo %(uid)s does not exist.") % {"uid": ref.coc})
            elif combo.category_combo_id != element.category_combo_id:
                errors.append(
                    _(
                        "Category option combo “%(combo)s” (%(uid)s) is not a "
                        "disaggregation of data element “%(name)s”."
                    )
                    % {"combo": combo.name, "uid": combo.uid, "name": element.name}
                )
        if ref.aoc is not None and ref.aoc not in combos:
            errors.append(_("Attribute option combo %(uid)s does not exist.") % {"uid": ref.aoc})
    known = set(Constant.objects.filter(uid__in=constants).values_list("uid", flat=True))
    for uid in constants:
        if uid not in known:
            errors.append(_("Constant %(uid)s does not exist.") % {"uid": uid})
    return errors


def describe(expression: str, display_property: str = "NAME") -> str:
    """The expression as a reader sees it: names in place of UIDs (“Lượt khám (Nam) / 12”).
    Unknown UIDs are left as they are."""
    from doha.aggregate.models import CategoryOptionCombo, DataElement
    from doha.analytics.models import Constant

    text = expression or ""
    try:
        refs = items(text)
        constants = constants_in(text)
    except ExpressionError:
        return text

    def label(obj):
        if display_property.upper() == "SHORTNAME" and getattr(obj, "short_name", ""):
            return obj.short_name
        return obj.name

    elements = {
        de.uid: label(de)
        for de in DataElement.objects.filter(uid__in={r.data_element for r in refs})
    }
    combos = {
        c.uid: c.name
        for c in CategoryOptionCombo.objects.filter(
            uid__in={r.coc for r in refs if r.coc not in (None, "*")}
            | {r.aoc for r in refs if r.aoc is not None}
        )
    }
    names = {c.uid: label(c) for c in Constant.objects.filter(uid__in=constants)}

    def item_text(match):
        try:
            ref = _item_ref(Token("item", match.group(), match.start()))
        except ExpressionError:
            return match.group()
        name = elements.get(ref.data_element, ref.data_element)
        details = []
        if ref.coc not in (None, "*"):
            details.append(combos.get(ref.coc, ref.coc))
        if ref.aoc is not None:
            details.append(combos.get(ref.aoc, ref.aoc))
        return f"{name} ({', '.join(details)})" if details else name

    def constant_text(match):
        uid = match.group(1).strip()
        return names.get(uid, match.group())

    text = re.sub(r"#\{[^}]*\}", item_text, text)
    text = re.sub(r"C\{([^}]*)\}", constant_text, text)
    return text.replace("[days]", _("[days]"))


# ----------------------------------------------------------------------------- evaluation


class _Undefined(Exception):
    """Arithmetic without a value (division by zero, log of a negative number)."""


_MISSING = object()


def evaluate(
    expression: str,
    values: Mapping[str, float],
    missing_value_strategy: str = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    constants: Mapping[str, float] | None = None,
    days: int | None = None,
) -> float | None:
    """The expression's value, or None when it has none.

    ``values`` maps item keys (``ItemRef.key``) to numbers; an item absent from it has no
    data. ``constants`` maps constant UIDs to values (looked up when not given).
    """
    tree = parse(expression)
    refs = items(expression)
    present = [ref for ref in refs if values.get(ref.key) is not None]
    if refs:
        if missing_value_strategy == MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING:
            if len(present) < len(refs):
                return None
        elif missing_value_strategy != MissingValueStrategy.NEVER_SKIP and not present:
            return None
    if constants is None:
        from doha.analytics.models import Constant

        uids = constants_in(expression)
        constants = dict(Constant.objects.filter(uid__in=uids).values_list("uid", "value"))
    try:
        result = _eval(tree, values, constants, days)
    except _Undefined:
        return None
    if result is _MISSING:
        # The strategy let the expression be computed: a lone missing item counts as 0.
        return 0.0
    if isinstance(result, float) and (math.isnan(result) or math.isinf(result)):
        return None
    return float(result)


def _number(value):
    """A missing item counts as 0 in arithmetic (the strategy decided it may be computed)."""
    return 0.0 if value is _MISSING else value


def _eval(node, values, constants, days):
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Item):
        value = values.get(node.ref.key)
        return _MISSING if value is None else float(value)
    if isinstance(node, Const):
        if node.uid not in constants:
            raise _Undefined
        return float(constants[node.uid])
    if isinstance(node, Days):
        if days is None:
            raise _Undefined
        return float(days)
    if isinstance(node, Unary):
        operand = _number(_eval(node.operand, values, constants, days))
        if node.op == "-":
            return -operand
        if node.op == "!":
            return 0.0 if operand else 1.0
        return operand
    if isinstance(node, Binary):
        return _binary(node, values, constants, days)
    if isinstance(node, Call):
        return _call(node, values, constants, days)
    raise _Undefined


def _binary(node, values, constants, days):
    op = node.op
    if op in ("&&", "||"):
        left = _number(_eval(node.left, values, constants, days))
        if op == "&&" and not left:
            return 0.0
        if op == "||" and left:
            return 1.0
        return 1.0 if _number(_eval(node.right, values, constants, days)) else 0.0
    left = _number(_eval(node.left, values, constants, days))
    right = _number(_eval(node.right, values, constants, days))
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op in ("/", "%"):
        if right == 0:
            raise _Undefined
        return left / right if op == "/" else math.fmod(left, right)
    if op == "^":
        try:
            result = math.pow(left, right)
        except (OverflowError, ValueError):
            raise _Undefined from None
        return result
    comparisons = {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "==": math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12),
        "!=": not math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12),
    }
    return 1.0 if comparisons[op] else 0.0


def _call(node, values, constants, days):
    name = node.name
    if name == "if":
        test = _number(_eval(node.args[0], values, constants, days))
        return _eval(node.args[1] if test else node.args[2], values, constants, days)
    if name in ("isnull", "isnotnull"):
        value = _eval(node.args[0], values, constants, days)
        missing = value is _MISSING
        return 1.0 if missing == (name == "isnull") else 0.0
    if name == "firstnonnull":
        for arg in node.args:
            value = _eval(arg, values, constants, days)
            if value is not _MISSING:
                return value
        return _MISSING
    args = [_eval(arg, values, constants, days) for arg in node.args]
    if name in ("greatest", "least"):
        present = [a for a in args if a is not _MISSING]
        if not present:
            return _MISSING
        return max(present) if name == "greatest" else min(present)
    numbers = [_number(a) for a in args]
    if name == "abs":
        return abs(numbers[0])
    try:
        if name == "log10":
            return math.log10(numbers[0])
        if len(numbers) == 2:
            return math.log(numbers[0], numbers[1])
        return math.log(numbers[0])
    except (ValueError, ZeroDivisionError):
        raise _Undefined from None
