"""Word tokens for scoring and similarity (TF-IDF, ROUGE): casefolded, optionally stemmed."""

from __future__ import annotations

import re

__all__ = ["STOPWORDS", "casefold", "content_words", "rough_stem", "rough_stems", "words"]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Agglutinative languages: keeping the first 5 letters is a strong, simple stemmer for Turkish.
_PREFIX_STEM = {"tr": 5, "az": 5, "tk": 5, "uz": 5, "kk": 5, "ky": 5, "fi": 6, "hu": 6, "et": 6}


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _set(
        """a an and are as at be been but by can could did do does for from had has have he her
        his i if in into is it its me my no not of on or our she so than that the their them
        then there these they this those to too us was we were what when which who will with
        would you your"""
    ),
    "tr": _set(
        """acaba ama ancak bana bazı belki ben beni benim bir biraz birkaç biz bize bu buna bunu
        bunun da daha de defa diye en gibi hem hep her hiç için ile ise işte kez ki kim mi mu mü
        mı na ne neden nasıl o olan olarak oldu olduğu olmak ona onu onun sen siz şey şu ve veya
        ya yani"""
    ),
    "de": _set(
        """aber als am an auch auf aus bei bin bis das dass dem den der des die du ein eine einem
        einen einer er es für hat ich ihr im in ist ja mit nicht noch nur oder sie sind so und
        von war was wie wir zu zum zur"""
    ),
    "fr": _set(
        """au aux avec ce ces dans de des du elle en est et il ils je la le les leur lui ma mais
        me mon ne nous on ou par pas pour qu que qui sa se ses son sur ta te tu un une
        vous"""
    ),
}


def casefold(text: str, lang: str | None = None) -> str:
    """Casefold; Turkish and Azerbaijani map I->ı and İ->i first."""
    if lang in {"tr", "az"}:
        text = text.replace("I", "ı").replace("İ", "i")
    return text.casefold()


def words(text: str, lang: str | None = None) -> list[str]:
    """Casefolded word tokens; CJK characters count as one token each."""
    folded = casefold(text, lang)
    tokens: list[str] = []
    for token in _WORD.findall(folded):
        if _CJK.search(token):
            tokens.extend(token)
        else:
            tokens.append(token)
    return tokens


def content_words(text: str, lang: str | None = None) -> list[str]:
    """Tokens without stopwords, prefix-stemmed for agglutinative languages."""
    stop = STOPWORDS.get(lang or "", frozenset())
    keep = _PREFIX_STEM.get(lang or "")
    tokens = [re.split(r"['’]", t, maxsplit=1)[0] for t in words(text, lang)]
    out = [t for t in tokens if t and t not in stop and not t.isdigit()]
    return [t[:keep] for t in out] if keep else out


def rough_stem(word: str, keep: int = 5) -> str:
    """Language-blind and crude, enough to match word forms across a question, an answer and
    a source ("opens"/"open", "gardens"/"garden", "döndürür"/"döndür"): no plural s, then
    the first `keep` letters."""
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    return word[:keep]


def rough_stems(text: str) -> set[str]:
    """`rough_stem` of every content word of `text`, whatever its language: no English,
    Turkish or German stopwords, digits or one-letter words."""
    common = _COMMON_STOPWORDS
    return {
        rough_stem(w) for w in words(text) if len(w) > 1 and not w.isdigit() and w not in common
    }


_COMMON_STOPWORDS = STOPWORDS["en"] | STOPWORDS["tr"] | STOPWORDS["de"]
