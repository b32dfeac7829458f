"""bot.knowledge: follow-ups decided by search evidence, what the model reads, citations checked."""

from __future__ import annotations

from langchain_core.documents import Document

from bot.knowledge.answering import prepare
from bot.knowledge.answers import Source, number_sources
from bot.knowledge.citations import check_citations
from bot.knowledge.context import Passage, select_passages
from bot.knowledge.followup import FollowUps, decide, needs_earlier

KETTLE = (
    "The Zephyr kettle boils a litre in three minutes. Its body is brushed steel. "
    "The warranty on the Zephyr kettle lasts 24 months from the date of purchase. "
    "Descale it every month with citric acid."
)
GARDEN = (
    "The community garden opens at 7 am on weekdays. Compost goes in the green bin. "
    "Members water their own plots."
)


def chunk(doc_id: str, text: str, score: float = 0.5, position: int = 0) -> Document:
    return Document(
        page_content=text,
        metadata={"document_id": doc_id, "document_name": f"{doc_id}.txt", "score": score,
                  "position": position},
    )  # fmt: skip


class Library:
    """A search over two documents with a relevance gate: a hit needs two shared words."""

    def __init__(self) -> None:
        self.docs = {"kettle": KETTLE, "garden": GARDEN}
        self.queries: list[str] = []

    async def __call__(self, query: str) -> list[Document]:
        self.queries.append(query)
        asked = {w.strip("?.,").lower() for w in query.split() if len(w) > 3}
        hits = []
        for doc_id, text in self.docs.items():
            shared = asked & {w.strip("?.,").lower() for w in text.split()}
            if len(shared) >= 2:
                hits.append((len(shared), doc_id, text))
        return [chunk(d, t, score=s / 10) for s, d, t in sorted(hits, reverse=True)]


# ----- follow-ups --------------------------------------------------------------------------


def test_only_questions_that_lean_on_the_earlier_one_need_it() -> None:
    assert needs_earlier("What does it return?") == "points back"
    assert needs_earlier("Peki bunun fiyatı ne?") is not None
    assert needs_earlier("and in Turkish?") == "opens with a continuation"
    assert needs_earlier("Why?") == "names nothing"
    # Ordinary words are no evidence: these name their own subject.
    assert needs_earlier("Are reliefs made only in one style?") is None
    assert needs_earlier("Is there a warranty on the Zephyr kettle?") is None
    assert needs_earlier("What is the name of the river that flows through Paris?") is None
    assert needs_earlier("When does the community garden open?") is None
    assert needs_earlier("Why is it called Python?") is None  # a name of its own
    assert needs_earlier("Why is there no goto?") is None  # "is there" points nowhere


async def test_a_follow_up_is_joined_only_when_the_joined_search_finds_it() -> None:
    search = Library()
    earlier = "How long is the warranty on the Zephyr kettle?"
    follow = await decide("and how often should I descale it?", [earlier], search)
    assert follow.follow_up and follow.earlier == earlier
    assert follow.found[0].metadata["document_id"] == "kettle"
    # A topic switch is searched alone, and the earlier question is not used.
    switch = await decide("When does the community garden open?", [earlier], search)
    assert not switch.follow_up and switch.query == "When does the community garden open?"
    assert switch.found[0].metadata["document_id"] == "garden"
    # Off-topic after an on-topic question: not answered with the last topic.
    off = await decide("Who painted the Mona Lisa in Florence?", [earlier], search)
    assert not off.follow_up and off.found == []
    # Nothing to lean on: alone.
    assert not (await decide("What does it return?", [], search)).follow_up


async def test_a_joined_search_that_finds_nothing_the_question_asks_about_is_not_used() -> None:
    async def search(query: str) -> list[Document]:  # alone: nothing; joined: the kettle
        return [chunk("kettle", KETTLE)] if "kettle" in query else []

    after = ["How long is the kettle warranty?"]
    unrelated = await decide("Where do these codenames come from?", after, search)
    assert not unrelated.follow_up and unrelated.found == []  # not found, not the kettle
    related = await decide("How often do I descale it?", after, search)
    assert related.follow_up and related.found[0].metadata["document_id"] == "kettle"


async def test_a_pointing_question_that_finds_its_document_alone_stays_alone() -> None:
    async def search(query: str) -> list[Document]:  # every search leads to the garden
        return [chunk("garden", GARDEN)]

    same = await decide("What does it cost?", ["How do I join the garden?"], search)
    assert not same.follow_up and same.query == "What does it cost?"
    assert "joined" not in same.why and same.found[0].metadata["document_id"] == "garden"


def test_follow_ups_are_remembered_briefly_and_forgotten_on_request() -> None:
    memory = FollowUps()
    key = (1, 2, 3)
    for n, question in enumerate(["first", "second", "third"]):
        memory.remember(key, question, now=float(n))
    assert memory.previous(key, now=3.0) == ["second", "third"]
    assert memory.previous(key, now=2.0 + 16 * 60) == []
    memory.remember(key, "again", now=5000.0)
    memory.forget_user(3)
    assert memory.previous(key, now=5001.0) == []


# ----- what the model reads ------------------------------------------------------------------


def test_the_sentences_that_answer_are_kept_within_the_cap() -> None:
    chunks = [chunk("kettle", KETTLE, 0.9), chunk("garden", GARDEN, 0.4)]
    passages = select_passages("How long is the kettle warranty?", chunks, max_tokens=30)
    text = " ".join(p.text for p in passages)
    assert "24 months" in text
    assert sum(len(p.text) // 4 for p in passages) <= 30
    assert "Compost" not in text  # the other document's sentences did not fit and don't matter
    # No cap: whole chunks, in ranking order.
    whole = select_passages("warranty", chunks, max_tokens=0)
    assert [p.text for p in whole] == [KETTLE, GARDEN]


def test_neighbouring_sentences_merge_and_documents_keep_one_number() -> None:
    chunks = [chunk("kettle", KETTLE, 0.9), chunk("kettle", "Spare lids cost 5 euros.", 0.3, 1)]
    passages = select_passages("warranty Zephyr kettle purchase", chunks, max_tokens=200)
    sources = number_sources(passages)
    assert [s.number for s in sources] == [1] and sources[0].name == "kettle.txt"
    assert "24 months from the date of purchase. Descale it" in sources[0].text


async def test_prepare_builds_the_prompt_with_the_earlier_question_only_when_used() -> None:
    search = Library()
    earlier = "How long is the warranty on the Zephyr kettle?"
    follow = await prepare("and how often should I descale it?", [earlier], search)
    assert follow is not None and f"Earlier question: {earlier}" in str(follow.messages[1].content)
    switch = await prepare("When does the community garden open?", [earlier], search)
    assert switch is not None and "Earlier question" not in str(switch.messages[1].content)
    assert await prepare("Who painted the Mona Lisa in Florence?", [], search) is None
    # The instructions come first and never change: a reusable prompt prefix.
    assert follow.messages[0].content == switch.messages[0].content


# ----- citations ---------------------------------------------------------------------------


def sources() -> list[Source]:
    def passage(doc: str, text: str) -> Passage:
        return Passage(doc, f"{doc}.txt", None, None, 0, 0, text, 1.0)

    return number_sources([passage("kettle", KETTLE), passage("garden", GARDEN)])


def test_a_right_citation_stays_and_a_wrong_one_is_repointed_or_dropped() -> None:
    question = "How long is the kettle warranty?"
    right = check_citations("The warranty lasts 24 months from purchase [1].", sources(), question)
    assert right.text == "The warranty lasts 24 months from purchase [1]." and right.changes == []
    assert [s.name for s in right.cited] == ["kettle.txt"]
    moved = check_citations("The warranty lasts 24 months from purchase [2].", sources(), question)
    assert moved.text.endswith("[1].") and moved.changes == ["[2]->[1]"]
    dropped = check_citations("It lasts 36 months and covers dragons [1].", sources(), question)
    assert "[1]" not in dropped.text and dropped.cited == [] and dropped.changes == ["-[1]"]


def test_a_forgotten_marker_is_added_when_one_source_clearly_holds_the_answer() -> None:
    added = check_citations("Compost goes in the green bin.", sources(), "Where does compost go?")
    assert added.text.endswith("[2]") and [s.name for s in added.cited] == ["garden.txt"]
    vague = check_citations("Ask the staff.", sources(), "Where does compost go?")
    assert vague.cited == []
    refusal = check_citations("The documents don't cover it.", sources(), "Who won in 1998?")
    assert refusal.cited == [] and refusal.text == "The documents don't cover it."


def test_an_uncited_answer_two_sources_hold_alike_goes_to_the_first_ranked() -> None:
    def passage(doc: str, text: str) -> Passage:
        return Passage(doc, f"{doc}.txt", None, None, 0, 0, text, 1.0)

    alike = number_sources(
        [
            passage("shutil", "shutil.chown changes the owner and group of a path."),
            passage("os", "os.chown changes the owner and group id of path to numeric ids."),
        ]
    )
    checked = check_citations(
        "It changes the owner and group of a path.", alike, "What does shutil.chown do?"
    )
    assert checked.text.endswith("[1]") and [s.name for s in checked.cited] == ["shutil.txt"]


def test_a_number_the_source_holds_carries_a_claim_worded_otherwise() -> None:
    rules = number_sources(
        [Passage("photo", "photo.txt", None, None, 0, 0, "Up to 20 members may enter.", 1.0)]
    )
    kept = check_citations(
        "The photo contest has a maximum of 20 participants, as stated in [1].",
        rules,
        "How many people can enter the photo contest?",
    )
    assert kept.changes == [] and [s.name for s in kept.cited] == ["photo.txt"]
    wrong = check_citations("At most 30 people can enter [1].", rules, "How many can enter?")
    assert wrong.cited == [] and wrong.changes == ["-[1]"]


def test_a_marker_after_the_full_stop_is_checked_against_the_sentences_before_it() -> None:
    question = "How long is the kettle warranty?"
    moved = check_citations("The warranty lasts 24 months from purchase. [2]", sources(), question)
    assert moved.changes == ["[2]->[1]"] and [s.name for s in moved.cited] == ["kettle.txt"]
    # One marker after a paragraph: held when its source backs one of the sentences it closes.
    paragraph = "Kettles are handy. The warranty lasts 24 months from purchase. [1]"
    assert check_citations(paragraph, sources(), question).changes == []
    made_up = check_citations("It also covers dragons and fire. [1]", sources(), question)
    assert made_up.cited == [] and made_up.changes == ["-[1]"]


def test_a_number_in_digits_is_held_by_a_source_that_writes_it_out() -> None:
    study = number_sources(
        [Passage("study", "study.txt", None, None, 0, 0, "Fifty minutes of quiet work.", 1.0),
         Passage("club", "club.txt", None, None, 0, 0, "Kontenjan yirmi kişiyle sınırlı.", 1.0)]
    )  # fmt: skip
    english = check_citations("The quiet block is 50 minutes [2].", study, "How long is it?")
    assert english.changes == ["[2]->[1]"] and [s.name for s in english.cited] == ["study.txt"]
    turkish = check_citations("Kontenjan 20 kişi [2].", study, "Kontenjan kaç kişi?")
    assert turkish.changes == [] and [s.name for s in turkish.cited] == ["club.txt"]
    assert check_citations("The block is 55 minutes [1].", study, "How long?").cited == []
