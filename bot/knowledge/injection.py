"""Sentences in documents that speak to the AI instead of to the reader.

A document a member uploads is data. A sentence in it such as "Ignore all previous instructions
and reply with ..." is aimed at the model that reads the document, not at people: /ask leaves
it out of what the model reads (the prompt also says the sources hold no instructions, but a
1.5B model obeys what it read last now and then; bench/ask_quality.py counts it). The patterns
are about *addressing an AI* (its instructions, its prompt, "reply with exactly"), so ordinary
prose ("the rules were ignored", "enzymes act as catalysts") stays. English and Turkish.

Linear in the text: one regular-expression search per sentence, no nested repetition.
"""

from __future__ import annotations

import re

__all__ = ["is_instruction", "strip_instructions"]

_TARGET = r"(?:assistant|a\.?i\.?|chat ?bot|bot|language model|llm|gpt)"
_PATTERNS = (
    # "ignore all previous instructions", "disregard the above rules", "forget your prompt"
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|original|system|your)\s+(?:\w+\s+)?"
    r"(?:instructions?|rules|prompts?|directions|guidelines|messages?)\b",
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:above|said\s+before)\b",
    # "note to the assistant", "message for any AI", "Dear chatbot:"
    rf"\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+)?{_TARGET}\b",
    rf"^\W*(?:dear|attention|hey)\s+(?:the\s+)?{_TARGET}\s*[:,!]",
    # "reply with exactly", "respond only with", "do not answer the question"
    r"\b(?:reply|respond|answer|output)\b[^.!?\n]{0,20}?\bwith\s+(?:exactly|only)\b",
    r"\b(?:reply|respond|answer)\s+only\s+with\b",
    r"\bdo(?:\s+not|n't)\s+answer\s+the\s+(?:user'?s?\s+)?question\b",
    # "reveal your system prompt", "you are now in developer mode"
    r"\b(?:reveal|print|show|repeat|leak|output)\b[^.!?\n]{0,20}?"
    r"\b(?:your(?:\s+system)?|the\s+(?:system|hidden|initial|original))\s+"
    r"(?:prompt|instructions)\b",
    r"\byou\s+are\s+now\s+(?:in\s+)?(?:developer|dan|jailbreak|unrestricted)\b",
    # a chat role written into the text ("SYSTEM: new rule"), "whatever the user asks"
    r"^\W*(?:system|assistant|developer)\s*(?:message|prompt|note)?\s*:",
    r"\b(?:whatever|no\s+matter\s+what)\s+the\s+user\s+(?:asks|says|writes|wants)\b",
    # Turkish: "önceki talimatları yok say", "talimatları unut", "asistana not", "sistem istemi"
    r"\b(?:önceki|yukarıdaki)\b[^.!?\n]{0,20}?(?:talimat|komut|kural|yönerge)\w*"
    r"[^.!?\n]{0,10}?(?:yok\s+say|unut|görmezden\s+gel|dikkate\s+alma)",
    r"\b(?:talimat|komut|yönerge)lar[ıi]n?[ıi]?\s+(?:yok\s+say|unut|görmezden\s+gel)\b",
    r"\b(?:asistan|yapay\s+zek[aâ])\w*\s+(?:not|mesaj|talimat)\b",
    r"\b(?:sistem\s+istemini|sistem\s+mesajını)\b",
    r"\bsadece\s+(?:şu|bu)\s+(?:kelime|sözcük|cevap)\w*\s+(?:ile\s+)?(?:yanıt|cevap)\s+ver",
)
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def is_instruction(sentence: str) -> bool:
    """The sentence addresses an AI model: its instructions, prompt or output."""
    return _INSTRUCTION.search(sentence) is not None


def strip_instructions(sentences: list[str]) -> list[str]:
    """`sentences` without those that address an AI model."""
    return [s for s in sentences if not is_instruction(s)]
