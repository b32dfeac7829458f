"""Language names and codes: turn what a person types into an ISO 639-1 code.

`normalize_language("Türkçe") == normalize_language("turkish") == normalize_language("tr") == "tr"`.
Accepted: ISO 639-1/639-3 codes, locale tags (`pt-BR`, `zh_Hant`), FLORES-200 codes
(`tur_Latn`), and English, native and Turkish names, with or without accents and with Turkish
case endings (`İngilizceye`, `Almanca'dan`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from bot.nlp.errors import UnknownLanguage

__all__ = [
    "LANGUAGES",
    "Language",
    "flores_code",
    "get_language",
    "iso3_codes",
    "language_name",
    "normalize_language",
]


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1
    iso3: tuple[str, ...]  # ISO 639-2/3 codes, terminological first
    english: str
    native: str
    turkish: str
    flores: str | None  # FLORES-200 code used by NLLB
    aliases: tuple[str, ...] = ()


def _lang(row: str) -> Language:
    code, iso3, english, native, turkish, flores, *aliases = row.split("|")
    return Language(
        code=code,
        iso3=tuple(iso3.split(",")),
        english=english,
        native=native,
        turkish=turkish,
        flores=flores or None,
        aliases=tuple(a for a in ",".join(aliases).split(",") if a),
    )


# code | iso3 | English | native | Turkish | FLORES-200 | aliases
_ROWS = """\
af|afr|Afrikaans|Afrikaans|Afrikaanca|afr_Latn
am|amh|Amharic|አማርኛ|Amharca|amh_Ethi
ar|ara,arb|Arabic|العربية|Arapça|arb_Arab
az|aze,azj|Azerbaijani|Azərbaycanca|Azerice|azj_Latn|azeri,azerbaycan türkçesi
be|bel|Belarusian|Беларуская|Belarusça|bel_Cyrl
bg|bul|Bulgarian|Български|Bulgarca|bul_Cyrl
bn|ben|Bengali|বাংলা|Bengalce|ben_Beng|bangla
bs|bos|Bosnian|Bosanski|Boşnakça|bos_Latn
ca|cat|Catalan|Català|Katalanca|cat_Latn
cs|ces,cze|Czech|Čeština|Çekçe|ces_Latn
cy|cym,wel|Welsh|Cymraeg|Galce|cym_Latn
da|dan|Danish|Dansk|Danca|dan_Latn
de|deu,ger|German|Deutsch|Almanca|deu_Latn
el|ell,gre|Greek|Ελληνικά|Yunanca|ell_Grek
en|eng|English|English|İngilizce|eng_Latn
eo|epo|Esperanto|Esperanto|Esperanto|epo_Latn
es|spa|Spanish|Español|İspanyolca|spa_Latn|castellano
et|est|Estonian|Eesti|Estonca|est_Latn
eu|eus,baq|Basque|Euskara|Baskça|eus_Latn
fa|fas,per,pes|Persian|فارسی|Farsça|pes_Arab|farsi,acemce
fi|fin|Finnish|Suomi|Fince|fin_Latn
fr|fra,fre|French|Français|Fransızca|fra_Latn
ga|gle|Irish|Gaeilge|İrlandaca|gle_Latn
gl|glg|Galician|Galego|Galiçyaca|glg_Latn
gu|guj|Gujarati|ગુજરાતી|Güceratça|guj_Gujr
ha|hau|Hausa|Hausa|Hausaca|hau_Latn
he|heb|Hebrew|עברית|İbranice|heb_Hebr|iw
hi|hin|Hindi|हिन्दी|Hintçe|hin_Deva
hr|hrv|Croatian|Hrvatski|Hırvatça|hrv_Latn
hu|hun|Hungarian|Magyar|Macarca|hun_Latn
hy|hye,arm|Armenian|Հայերեն|Ermenice|hye_Armn
id|ind|Indonesian|Bahasa Indonesia|Endonezce|ind_Latn|endonezya dili
is|isl,ice|Icelandic|Íslenska|İzlandaca|isl_Latn
it|ita|Italian|Italiano|İtalyanca|ita_Latn
ja|jpn|Japanese|日本語|Japonca|jpn_Jpan
jv|jav|Javanese|Basa Jawa|Cava dili|jav_Latn|jw
ka|kat,geo|Georgian|ქართული|Gürcüce|kat_Geor
kk|kaz|Kazakh|Қазақ тілі|Kazakça|kaz_Cyrl
km|khm|Khmer|ខ្មែរ|Kmerce|khm_Khmr|cambodian
ko|kor|Korean|한국어|Korece|kor_Hang
ku|kur,kmr|Kurdish|Kurdî|Kürtçe|kmr_Latn|kurmanji
ky|kir|Kyrgyz|Кыргызча|Kırgızca|kir_Cyrl|kirghiz
la|lat|Latin|Latina|Latince|
lo|lao|Lao|ລາວ|Laoca|lao_Laoo
lt|lit|Lithuanian|Lietuvių|Litvanca|lit_Latn
lv|lav,lvs|Latvian|Latviešu|Letonca|lvs_Latn
mk|mkd,mac|Macedonian|Македонски|Makedonca|mkd_Cyrl
ml|mal|Malayalam|മലയാളം|Malayalamca|mal_Mlym
mn|mon,khk|Mongolian|Монгол|Moğolca|khk_Cyrl
mr|mar|Marathi|मराठी|Marathice|mar_Deva
ms|msa,may,zsm|Malay|Bahasa Melayu|Malayca|zsm_Latn
mt|mlt|Maltese|Malti|Maltaca|mlt_Latn
my|mya,bur|Burmese|မြန်မာ|Birmanca|mya_Mymr|myanmar
ne|nep,npi|Nepali|नेपाली|Nepalce|npi_Deva
nl|nld,dut|Dutch|Nederlands|Felemenkçe|nld_Latn|hollandaca,flemish
no|nor,nob|Norwegian|Norsk|Norveççe|nob_Latn|nb,bokmål
pa|pan|Punjabi|ਪੰਜਾਬੀ|Pencapça|pan_Guru
pl|pol|Polish|Polski|Lehçe|pol_Latn|polonyaca
ps|pus,pbt|Pashto|پښتو|Peştuca|pbt_Arab
pt|por|Portuguese|Português|Portekizce|por_Latn|brazilian
ro|ron,rum|Romanian|Română|Romence|ron_Latn|moldovan
ru|rus|Russian|Русский|Rusça|rus_Cyrl
si|sin|Sinhala|සිංහල|Seylanca|sin_Sinh|sinhalese
sk|slk,slo|Slovak|Slovenčina|Slovakça|slk_Latn
sl|slv|Slovenian|Slovenščina|Slovence|slv_Latn|slovene
so|som|Somali|Soomaali|Somalice|som_Latn
sq|sqi,alb,als|Albanian|Shqip|Arnavutça|als_Latn
sr|srp|Serbian|Српски|Sırpça|srp_Cyrl
sv|swe|Swedish|Svenska|İsveççe|swe_Latn
sw|swa,swh|Swahili|Kiswahili|Svahili|swh_Latn
ta|tam|Tamil|தமிழ்|Tamilce|tam_Taml
te|tel|Telugu|తెలుగు|Teluguca|tel_Telu
tg|tgk|Tajik|Тоҷикӣ|Tacikçe|tgk_Cyrl
th|tha|Thai|ไทย|Tayca|tha_Thai
tk|tuk|Turkmen|Türkmençe|Türkmence|tuk_Latn
tl|tgl,fil|Tagalog|Tagalog|Tagalogca|tgl_Latn|filipino
tr|tur|Turkish|Türkçe|Türkçe|tur_Latn|türkce,turkce,türk dili
tt|tat|Tatar|Татарча|Tatarca|tat_Cyrl
ug|uig|Uyghur|ئۇيغۇرچە|Uygurca|uig_Arab|uighur
uk|ukr|Ukrainian|Українська|Ukraynaca|ukr_Cyrl
ur|urd|Urdu|اردو|Urduca|urd_Arab
uz|uzb,uzn|Uzbek|Oʻzbekcha|Özbekçe|uzn_Latn
vi|vie|Vietnamese|Tiếng Việt|Vietnamca|vie_Latn
yi|yid,ydd|Yiddish|ייִדיש|Yidiş|ydd_Hebr|ji
yo|yor|Yoruba|Yorùbá|Yorubaca|yor_Latn
zh|zho,chi,cmn|Chinese|中文|Çince|zho_Hans|mandarin,汉语,普通话,漢語,chinese mandarin
zu|zul|Zulu|isiZulu|Zuluca|zul_Latn"""

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in map(_lang, _ROWS.splitlines())}

# Endings a Turkish speaker may attach to a language name: "İngilizceye", "Almanca'dan".
_TURKISH_ENDINGS = ("ye", "ya", "den", "dan", "ten", "tan", "de", "da", "e", "a")
_NOISE_WORDS = re.compile(r"\b(language|lang|dili|dilinde|dilinden|diline|in|to|into)\b")
_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})+$")


def _fold(text: str) -> str:
    """Casefold and drop accents, so `Türkçe`, `TURKCE` and `türkçe` compare equal."""
    text = text.strip().replace("İ", "i").replace("I", "ı").casefold().replace("ı", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for lang in LANGUAGES.values():
        keys = [lang.code, *lang.iso3, lang.english, lang.native, lang.turkish, *lang.aliases]
        if lang.flores:
            keys.append(lang.flores)
        for key in keys:
            index.setdefault(_fold(key), lang.code)
    return index


def _lookup(folded: str) -> str | None:
    index = _index()
    if folded in index:
        return index[folded]
    tag = _TAG.match(folded)
    if tag and tag.group(1) in index:  # pt-br, zh_hant, en-us, tur_latn
        return index[tag.group(1)]
    stem = re.split(r"['’]", folded, maxsplit=1)[0].strip()
    if stem != folded and stem in index:
        return index[stem]
    for ending in _TURKISH_ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= 4:
            candidate = stem[: -len(ending)]
            if candidate in index and len(candidate) > 3:
                return index[candidate]
    cleaned = " ".join(_NOISE_WORDS.sub(" ", stem).split())
    if cleaned and cleaned != stem:
        return _lookup(cleaned)
    return None


def normalize_language(name_or_code: str) -> str:
    """Return the ISO 639-1 code for a language code or name, or raise `UnknownLanguage`."""
    folded = _fold(name_or_code)
    if not folded:
        raise UnknownLanguage(name_or_code)
    code = _lookup(folded)
    if code is None:
        names = [key for key in _index() if len(key) > 3]
        close = difflib.get_close_matches(folded, names, n=1, cutoff=0.75)
        suggestion = LANGUAGES[_index()[close[0]]].english if close else None
        raise UnknownLanguage(name_or_code.strip(), suggestion)
    return code


def get_language(code: str) -> Language | None:
    """The table entry for an ISO 639-1 code, or None for codes outside the table."""
    return LANGUAGES.get(code)


def language_name(code: str, *, native: bool = False) -> str:
    """English (or native) name of a code; unknown codes are returned unchanged."""
    lang = LANGUAGES.get(code)
    if lang is None:
        return code
    return lang.native if native else lang.english


def flores_code(code: str) -> str | None:
    """FLORES-200 code (NLLB) for an ISO 639-1 code, e.g. `tr` -> `tur_Latn`."""
    lang = LANGUAGES.get(code)
    return lang.flores if lang else None


def iso3_codes(code: str) -> tuple[str, ...]:
    """ISO 639-2/3 codes of an ISO 639-1 code (empty for unknown codes)."""
    lang = LANGUAGES.get(code)
    return lang.iso3 if lang else ()
