"""Read the number of people in a VICTIM_COUNT span of Arabic conflict news.

    >>> normalize_count("أكثر من 84 شخصاً")
    CountValue(value=84, lower_bound=84, approximate=True)
    >>> normalize_count("ثلاثة وعشرون قتيلا")
    CountValue(value=23, lower_bound=None, approximate=False)
    >>> normalize_count("عشرات الضحايا")
    CountValue(value=None, lower_bound=10, approximate=True)

The span is first normalized (NFKC; tatweel and tashkeel removed; أ إ آ ٱ -> ا, ى -> ي,
ة -> ه, Persian ی ک -> ي ك; Arabic-Indic and Persian digits -> 0-9) into a new string: the
caller's text is only read. The first number in the span is the count; the rest (the counted
noun, `على الأقل` ...) only qualifies it. Decisions:

Digits and separators. `٬` always groups thousands and `٫` is always a decimal point. `.` and
`,` group thousands when every group after the first has exactly three digits and the first
has one to three (`1,200` = `1.200` = 1200, `1.200.000`); otherwise the last of them, if it
occurs once, is a decimal point (`2.5 مليون`, `2,5 مليون`, `1,200.5`). A number that is not
whole once scaled (`2.5` alone) is not a head count and gives None, as does a malformed one.
Space-separated digit groups (`1 200`) are not joined.

Number words. Units, teens, tens, hundreds, ألف, مليون, مليار in their gender, case,
construct and spelling variants (the tables below), read by a small compound parser: teens
(`ثلاثة عشر`), a unit times مئة (`ثلاث مئة`), a number times a scale word (`ثلاثة آلاف`,
`100 ألف`, `2.5 مليون`), parts joined by the conjunction و, free-standing or glued
(`ثلاثة وعشرون`, `ألف وخمسمائة`, `مليون ونصف`), each place filled once. A و that cannot
continue the compound ends it (`30 و40`). Number words also take the article (`الثلاثة`).
`الفا` is read as the accusative singular (`عشرين ألفاً`), not the construct dual.

Vague quantifiers (value None, approximate). The lower bound is the smallest count the
phrase can stand for, so that summed floors never overstate: a plural of a power of ten
counts at least that power (news writers use `عشرات` for anything past ten, not only for
twenty and more): عشرات 10, مئات 100, آلاف/ألوف 1000, ملايين 1000000; chained they multiply
(`عشرات الآلاف` 10000, `مئات الآلاف` 100000). بضع/بضعة is three to nine: lower bound 3
(`بضعة آلاف` 3000; the upper bound is not kept). عدة and العديد (several): 2.

Qualifiers. `على الأقل` (before or after), `ما لا يقل عن`, `أكثر من`, `أزيد من`,
`ما يزيد عن|على`, `ما يربو على`, `على أقل تقدير`, `أو أكثر`, `فما فوق` and `ونيف` state a
floor: value and lower_bound are both the stated number and approximate is True. `أكثر من 84`
keeps 84, not 85, so that value is never below lower_bound and the reported figure stays
the point estimate, as with `على الأقل`.
`زهاء`, `نحو`, `حوالي`, `قرابة`, `ما يقارب`, `ما يقرب من`, `يناهز`, `في حدود`, `تقريبا` make
the number approximate with no lower bound. A range (`بين 30 و40`, `30 إلى 40`, `30-40`,
`ثلاثة أو أربعة`) has no point estimate: value None, lower_bound its smaller end.

Singular and dual nouns. With no number in the span, a singular person noun counts 1
(`رجل`, `طفل`, `القيادي`) and a dual one 2 (`شخصين`, `امرأتان`). Duals come from an explicit
list: the oblique `-ين` form is listed only for nouns with a broken plural (`طفلين`,
`جنديين`, `قتيلين`); where it is also the sound plural (`مدنيين`, `مسلحين`) only the `-ان`
form counts as dual, and `مدنيين` alone gives None. `مدنيين اثنين` reads the number word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, auto

__all__ = ["CountValue", "normalize_count"]


@dataclass(frozen=True, slots=True)
class CountValue:
    """A count of people.

    value: the point estimate; None when the text gives none (`عشرات`, a range).
    lower_bound: a floor the text states (a lower-bound qualifier, a vague quantifier, a
        range); None when it states none (an exact or an `نحو` number).
    approximate: the true count may differ from `value`.
    """

    value: int | None
    lower_bound: int | None
    approximate: bool


# --- normalization ---------------------------------------------------------------------

_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")  # tatweel, tashkeel, superscript alef
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ة": "ه",
        "ۀ": "ه",
        "ک": "ك",
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},  # Arabic-Indic
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},  # Persian
    }
)
_TOKEN = re.compile(r"[0-9]+(?:[.,٬٫][0-9]+)*|[^\W\d_]+|[-‐‑–—]")


def _tokens(text: str) -> list[str]:
    """Normalized words, digit literals and dashes of `text`."""
    folded = _MARKS.sub("", unicodedata.normalize("NFKC", text)).translate(_FOLD)
    return _TOKEN.findall(folded)


# --- digit literals --------------------------------------------------------------------

_SEPARATOR = re.compile("([.,٬٫])")


def _is_grouping(groups: list[str], separators: list[str]) -> bool:
    """`1,200,000`: one thousands separator, one to three digits first, then threes."""
    return (
        len(set(separators)) == 1
        and separators[0] != "٫"
        and 1 <= len(groups[0]) <= 3
        and all(len(group) == 3 for group in groups[1:])
    )


def _parse_literal(literal: str) -> Decimal | None:
    """The value of a digit literal under the separator rules of the module docstring."""
    parts = _SEPARATOR.split(literal)
    groups, separators = parts[0::2], parts[1::2]
    if not separators:
        return Decimal(literal)
    *heads, last = separators
    if last != "٫" and _is_grouping(groups, separators):
        return Decimal("".join(groups))
    if last != "٬" and last not in heads and (not heads or _is_grouping(groups[:-1], heads)):
        return Decimal(f"{''.join(groups[:-1])}.{groups[-1]}")
    return None


# --- number words ----------------------------------------------------------------------


class _Kind(Enum):
    UNIT = auto()  # 1..9, also the first word of a teen (أحد عشر, اثنا عشر)
    TEN = auto()  # عشر/عشرة: 10 alone, or the second word of a teen
    TENS = auto()  # 20..90
    HUNDREDS = auto()  # 100..900; مئة itself can follow a unit (ثلاث مئة)
    SCALE = auto()  # ألف, مليون, مليار in singular, dual and plural forms
    HALF = auto()  # نصف: نصف مليون, مليون ونصف
    VAGUE = auto()  # عشرات, مئات, بضع, عدة, العديد
    LITERAL = auto()  # digits; never in the lexicon, only as parser state


@dataclass(frozen=True)
class _Lexeme:
    kind: _Kind
    value: int
    # SCALE: how many of the scale the word says by itself (ألف 1, ألفان 2; None for the
    # plural آلاف, which needs a number before it). VAGUE: the least multiple of `value`
    # the word can mean (بضع 3, عشرات 1).
    count: int | None = None


_UNITS = {
    1: ("واحد", "واحده", "احد", "احدي"),
    2: ("اثنان", "اثنين", "اثنتان", "اثنتين", "ثنتان", "ثنتين", "اثنا", "اثني", "اثنتا", "اثنتي"),
    3: ("ثلاث", "ثلاثه"),
    4: ("اربع", "اربعه"),
    5: ("خمس", "خمسه"),
    6: ("ست", "سته"),
    7: ("سبع", "سبعه"),
    8: ("ثمان", "ثماني", "ثمانيه"),
    9: ("تسع", "تسعه"),
}
_TEN_WORDS = ("عشر", "عشره")
_TENS_STEMS = {  # + _TENS_ENDINGS
    20: "عشر", 30: "ثلاث", 40: "اربع", 50: "خمس",
    60: "ست", 70: "سبع", 80: "ثمان", 90: "تسع",
}  # fmt: skip
_TENS_ENDINGS = ("ون", "ين")  # nominative, oblique
_HUNDRED_WORDS = ("مئه", "مائه")
_TWO_HUNDRED_WORDS = ("مئتان", "مئتين", "مئتا", "مئتي", "مائتان", "مائتين", "مائتا", "مائتي")
_HUNDREDS_PREFIXES = {
    3: ("ثلاث", "ثلث"),
    4: ("اربع",),
    5: ("خمس",),
    6: ("ست",),
    7: ("سبع",),
    8: ("ثمان", "ثماني"),
    9: ("تسع",),
}
# scale -> (singular forms, dual forms, plural forms)
_SCALES = {
    1000: (("الف", "الفا"), ("الفان", "الفين", "الفي"), ("الاف", "الوف")),
    10**6: (("مليون", "مليونا"), ("مليونان", "مليونين", "مليوني"), ("ملايين",)),
    10**9: (("مليار", "مليارا"), ("ملياران", "مليارين", "ملياري"), ("مليارات",)),
}
# word -> (unit, least multiple of the unit), see the module docstring
_VAGUE = {
    "عشرات": (10, 1),
    "مئات": (100, 1),
    "بضع": (1, 3),
    "بضعه": (1, 3),
    "عده": (1, 2),
    "عديد": (1, 2),
}
_HALF_WORDS = ("نصف",)


def _build_lexicon() -> dict[str, _Lexeme]:
    lexicon: dict[str, _Lexeme] = {}
    for value, words in _UNITS.items():
        lexicon.update({word: _Lexeme(_Kind.UNIT, value) for word in words})
    lexicon.update({word: _Lexeme(_Kind.TEN, 10) for word in _TEN_WORDS})
    for value, stem in _TENS_STEMS.items():
        lexicon.update({stem + ending: _Lexeme(_Kind.TENS, value) for ending in _TENS_ENDINGS})
    lexicon.update({word: _Lexeme(_Kind.HUNDREDS, 100) for word in _HUNDRED_WORDS})
    lexicon.update({word: _Lexeme(_Kind.HUNDREDS, 200) for word in _TWO_HUNDRED_WORDS})
    for unit, prefixes in _HUNDREDS_PREFIXES.items():
        for prefix in prefixes:
            for hundred in _HUNDRED_WORDS:
                lexicon[prefix + hundred] = _Lexeme(_Kind.HUNDREDS, unit * 100)
    for scale, (singular, dual, plural) in _SCALES.items():
        for words, count in ((singular, 1), (dual, 2), (plural, None)):
            lexicon.update({word: _Lexeme(_Kind.SCALE, scale, count) for word in words})
    for word, (unit, least) in _VAGUE.items():
        lexicon[word] = _Lexeme(_Kind.VAGUE, unit, least)
    lexicon.update({word: _Lexeme(_Kind.HALF, 0) for word in _HALF_WORDS})
    return lexicon


_LEXICON = _build_lexicon()


def _lookup(word: str) -> _Lexeme | None:
    """The number word `word` is, with or without the article."""
    if word in _LEXICON:
        return _LEXICON[word]
    return _LEXICON.get(word[2:]) if word.startswith("ال") else None


def _readings(word: str) -> list[tuple[_Lexeme, bool]]:
    """The number-word readings of `word`, each with whether a conjunction و is glued to it:
    as it stands, then as و + a number word. Both can hold once hamza is folded: `واحد`
    (one) and `وأحد` (and one, in ثلاثمئة وأحد عشر) are both `واحد`."""
    readings = []
    if (whole := _lookup(word)) is not None:
        readings.append((whole, False))
    if word.startswith("و") and (rest := _lookup(word[1:])) is not None:
        readings.append((rest, True))
    return readings


def _is_literal(token: str) -> bool:
    return token[0].isdigit()  # tokens are ASCII digit literals, words or dashes


def _is_numeric(token: str) -> bool:
    return _is_literal(token) or bool(_readings(token))


# --- compound parser -------------------------------------------------------------------

_ALL_PLACES = frozenset({"units", "tens", "hundreds"})


class _Compound:
    """One number expression, fed token by token; a feed that cannot continue it is refused."""

    def __init__(self) -> None:
        self.total = Decimal(0)  # finished scale groups (the ألف and مليون parts)
        self.group = Decimal(0)  # the part not yet multiplied by a scale word
        self.places: set[str] = set()  # places of `group` already filled
        self.last: _Kind | None = None
        self.scale: int | None = None  # the last scale word, each must be smaller
        self.closed = False  # nothing follows مليون ونصف

    @property
    def started(self) -> bool:
        return self.last is not None

    @property
    def value(self) -> Decimal:
        return self.total + self.group

    def feed_literal(self, number: Decimal, joined: bool) -> bool:
        if self.closed or self.group or (self.started and not joined):
            return False
        if self.scale is not None and number >= self.scale:
            return False
        self.group, self.places, self.last = number, set(_ALL_PLACES), _Kind.LITERAL
        return True

    def feed_word(self, lexeme: _Lexeme, joined: bool) -> bool:
        if self.closed:
            return False
        follows = joined or not self.started  # may add a new part here
        kind, value = lexeme.kind, lexeme.value
        after_unit = not joined and self.last is _Kind.UNIT
        if kind is _Kind.UNIT and follows and "units" not in self.places:
            self._add(value, {"units"})
        elif kind is _Kind.TEN and after_unit and "tens" not in self.places:
            self._add(10, {"tens"})  # the teen ثلاثة عشر
        elif kind is _Kind.TEN and follows and not self.places & {"units", "tens"}:
            self._add(10, {"units", "tens"})
        elif kind is _Kind.TENS and follows and "tens" not in self.places:
            self._add(value, {"tens"})
        elif kind is _Kind.HUNDREDS and value == 100 and after_unit and self.places == {"units"}:
            self.group *= 100  # ثلاث مئة
            self.places = {"hundreds"}
        elif kind is _Kind.HUNDREDS and follows and "hundreds" not in self.places:
            self._add(value, {"hundreds"})
        elif kind is _Kind.SCALE and (self.scale is None or value < self.scale):
            if self.group and not joined and lexeme.count != 2:
                self.total += self.group * value  # ثلاثة آلاف, 100 ألف
            elif not self.group and follows and lexeme.count:
                self.total += lexeme.count * value  # ألف, ألفان, وألف
            else:
                return False
            self.group, self.places, self.scale = Decimal(0), set(), value
        elif kind is _Kind.HALF and not self.started:
            self._add(Decimal("0.5"), set(_ALL_PLACES))  # نصف مليون
        elif kind is _Kind.HALF and joined and self.last is _Kind.SCALE and self.scale:
            self.total += Decimal(self.scale) / 2  # مليون ونصف
            self.closed = True
        else:
            return False
        self.last = kind
        return True

    def _add(self, value: Decimal | int, places: set[str]) -> None:
        self.group += value
        self.places |= places


def _read_number(tokens: list[str], start: int) -> tuple[Decimal, int] | None:
    """The exact number expression beginning at tokens[start], and the index after it."""
    compound = _Compound()
    index = start
    while index < len(tokens):
        position, joined = index, False
        if tokens[position] == "و" and compound.started:
            position, joined = position + 1, True
            if position == len(tokens):
                break
        token = tokens[position]
        if _is_literal(token):
            number = _parse_literal(token)
            accepted = number is not None and compound.feed_literal(number, joined)
        else:
            accepted = any(
                compound.feed_word(lexeme, joined or glued) for lexeme, glued in _readings(token)
            )  # a refused feed changes nothing, so the next reading is tried on a clean state
        if not accepted:
            break
        index = position + 1
    return (compound.value, index) if compound.started else None


def _is_plural_power(lexeme: _Lexeme) -> bool:
    """`عشرات`, `مئات`, `آلاف`, `ملايين`: a plural of a power of ten."""
    if lexeme.kind is _Kind.VAGUE:
        return lexeme.count == 1
    return lexeme.kind is _Kind.SCALE and lexeme.count is None


def _read_vague(tokens: list[str], start: int) -> CountValue | None:
    """`عشرات`, `الآلاف`, `بضعة آلاف`, `عشرات الآلاف` beginning at tokens[start]."""
    lexeme = next((lexeme for lexeme, _ in _readings(tokens[start])), None)  # None: digits
    if lexeme is None or not (lexeme.kind is _Kind.VAGUE or _is_plural_power(lexeme)):
        return None
    least = lexeme.value * (lexeme.count or 1)
    for token in tokens[start + 1 :]:
        following = _lookup(token)
        if following is None or not _is_plural_power(following):
            break
        least *= following.value
    return CountValue(value=None, lower_bound=least, approximate=True)


# --- ranges, qualifiers, nouns ---------------------------------------------------------

_RANGE_WORDS = frozenset({"-", "‐", "‑", "–", "—", "الي", "حتي", "او"})  # إلى حتى أو
_RANGE_OPENER = "بين"  # بين 30 و40: here و joins the two ends
_FLOOR_PHRASES = (
    ("علي", "الاقل"),
    ("اقل", "تقدير"),
    ("لا", "يقل"),
    ("لا", "تقل"),
    ("او", "اكثر"),
    ("فما", "فوق"),
    ("نيف",),
    ("ونيف",),
    ("اكثر", "من"),
    ("ازيد", "من"),
    ("يزيد", "عن"),
    ("يزيد", "علي"),
    ("يربو", "علي"),
)
_ABOUT_PHRASES = (
    ("زهاء",),
    ("نحو",),
    ("حوالي",),
    ("قرابه",),
    ("يقارب",),
    ("يقرب", "من"),
    ("يناهز",),
    ("في", "حدود"),
    ("تقريبا",),
)
# Normalized (ة -> ه, أ -> ا, ى -> ي), with or without the article.
_SINGULAR_PERSONS = frozenset(
    """
    رجل امراه سيده طفل طفله رضيع رضيعه فتي فتاه صبي صبيه شاب شابه بنت شيخ مسن مسنه عجوز
    شخص مواطن مواطنه مدني مدنيه جندي مجند عسكري ضابط شرطي عنصر مقاتل مسلح قيادي قائد
    صحفي صحافي صحفيه مصور ناشط ناشطه مسعف طبيب طبيبه ممرض ممرضه مزارع لاجئ نازح طالب
    طالبه تلميذ معلم مدرس مهندس سائق موظف قتيل جريح مصاب مصابه ضحيه اسير معتقل مختطف
    رهينه شقيق شقيقه
    """.split()
)
# Only forms that cannot be a plural: -ين where the noun's plural is broken, else -ان alone.
_DUAL_PERSONS = frozenset(
    """
    رجلان رجلين امراتان امراتين سيدتان سيدتين طفلان طفلين طفلتان طفلتين فتاتان فتاتين
    شابان شابين شخصان شخصين مواطنان مدنيان جنديان جنديين عسكريان ضابطان ضابطين شرطيان
    عنصران عنصرين مقاتلان مسلحان قياديان صحفيان صحافيان ناشطان مسعفان طبيبان طبيبين
    قتيلان قتيلين جريحان جريحين مصابان ضحيتان ضحيتين اسيران اسيرين معتقلان شقيقان
    شقيقين شقيقتان شقيقتين
    """.split()
)


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    width = len(phrase)
    return any(tuple(tokens[i : i + width]) == phrase for i in range(len(tokens) - width + 1))


def _whole(number: Decimal) -> int | None:
    return int(number) if number == number.to_integral_value() else None


def _read_range_end(tokens: list[str], start: int, end: int) -> int | None:
    """The far end of a range whose near end is tokens[start:end], if the span has one."""
    if end == len(tokens):
        return None
    connector = tokens[end]
    opened = _RANGE_OPENER in tokens[:start]
    if connector in _RANGE_WORDS or (opened and connector == "و"):
        far = _read_number(tokens, end + 1)
    elif opened and connector.startswith("و"):
        far = _read_number(tokens, end)  # the glued و of بين ثلاثين وأربعين
    else:
        return None
    return _whole(far[0]) if far else None


def _count_persons(tokens: list[str]) -> CountValue | None:
    """1 for the first singular person noun (`رجل`, `القيادي`), 2 for a dual (`شخصين`)."""
    for token in tokens:
        noun = token[2:] if token.startswith("ال") else token
        if noun in _SINGULAR_PERSONS or noun in _DUAL_PERSONS:
            persons = 1 if noun in _SINGULAR_PERSONS else 2
            return CountValue(value=persons, lower_bound=None, approximate=False)
    return None


def _read_count(tokens: list[str]) -> CountValue | None:
    """The count before qualifiers: the first number in the span, else a person noun."""
    start = next((i for i, token in enumerate(tokens) if _is_numeric(token)), None)
    if start is None:
        return _count_persons(tokens)
    vague = _read_vague(tokens, start)
    if vague is not None:
        return vague
    exact = _read_number(tokens, start)
    value = _whole(exact[0]) if exact else None
    if exact is None or value is None:
        return None
    far = _read_range_end(tokens, start, exact[1])
    if far is not None:
        return CountValue(value=None, lower_bound=min(value, far), approximate=True)
    return CountValue(value=value, lower_bound=None, approximate=False)


def normalize_count(text: str) -> CountValue | None:
    """The number of people a VICTIM_COUNT span states, or None when it states none.

    `30 شخصا` -> 30 exact; `زهاء 300 مسلح` -> 300 approximate; `ما لا يقل عن 21 مدنيا` and
    `21 مدنيا على الأقل` -> 21 with lower bound 21; `عشرات الضحايا` -> no value, lower bound
    10; `شخصين` -> 2. The module docstring lists every reading rule.
    """
    tokens = _tokens(text)
    count = _read_count(tokens)
    if count is None:
        return None
    if any(_contains(tokens, phrase) for phrase in _FLOOR_PHRASES):
        floor = count.lower_bound if count.lower_bound is not None else count.value
        return CountValue(value=count.value, lower_bound=floor, approximate=True)
    if any(_contains(tokens, phrase) for phrase in _ABOUT_PHRASES):
        return CountValue(value=count.value, lower_bound=count.lower_bound, approximate=True)
    return count
