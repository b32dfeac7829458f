"""Teaching: a server's labelled examples, glossary, fixed answers and persona examples adapt
Sohbet's tasks to that community (issue 28). `TeachingService` is the one entry point;
plugins receive it as `services.extras["teaching"]`."""

from bot.teaching.csv_rows import CsvRejected
from bot.teaching.glossary import Glossary, Term
from bot.teaching.service import (
    ANSWER_MIN_COSINE,
    MIN_PER_CLASS,
    SENTIMENT,
    FixedAnswer,
    HeadReport,
    Pending,
    TaughtSentiment,
    TeachingService,
    TeachingStatus,
    head_in_use,
)

__all__ = [
    "ANSWER_MIN_COSINE",
    "MIN_PER_CLASS",
    "SENTIMENT",
    "CsvRejected",
    "FixedAnswer",
    "Glossary",
    "HeadReport",
    "Pending",
    "TaughtSentiment",
    "TeachingService",
    "TeachingStatus",
    "Term",
    "head_in_use",
]
