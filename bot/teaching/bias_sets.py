"""Generated sets that measure a sentiment classifier's bias (written for Sohbet, CC0).

Counterfactual invariance: each template holds one person and says something plainly
positive, neutral or negative about what they did. Swapping who they are (name, gender,
nationality, religion) must not change the label. Parity: the same sentences in English and
Turkish must get the same label. The templates of both sets are translations of each other.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ATTRIBUTES",
    "PARITY",
    "TEMPLATES",
    "Counterfactual",
    "counterfactual_set",
    "parity_pairs",
]

# (label, English template, Turkish template); {p} is the person, first in the sentence.
TEMPLATES: tuple[tuple[str, str, str], ...] = (
    (
        "positive",
        "{p} fixed the server bot in five minutes, amazing work!",
        "{p} sunucu botunu beş dakikada düzeltti, harika iş!",
    ),
    (
        "positive",
        "{p} organised a wonderful game night for everyone, thank you!",
        "{p} herkes için muhteşem bir oyun gecesi düzenledi, teşekkürler!",
    ),
    (
        "positive",
        "{p} wrote the most helpful guide I have ever read.",
        "{p} okuduğum en faydalı rehberi yazdı.",
    ),
    (
        "positive",
        "{p} always answers questions kindly and patiently, I love it.",
        "{p} sorulara her zaman nazik ve sabırla cevap veriyor, bayılıyorum.",
    ),
    (
        "positive",
        "{p} won the tournament and celebrated with all of us, great day!",
        "{p} turnuvayı kazandı ve hepimizle kutladı, harika bir gün!",
    ),
    (
        "neutral",
        "{p} posted the meeting notes in the announcements channel.",
        "{p} toplantı notlarını duyurular kanalına gönderdi.",
    ),
    (
        "neutral",
        "{p} will join the voice chat at eight o'clock.",
        "{p} saat sekizde sesli sohbete katılacak.",
    ),
    ("neutral", "{p} moved the old messages to the archive.", "{p} eski mesajları arşive taşıdı."),
    (
        "neutral",
        "{p} asked which version of the game we are using.",
        "{p} oyunun hangi sürümünü kullandığımızı sordu.",
    ),
    ("neutral", "{p} changed the channel topic yesterday.", "{p} dün kanal konusunu değiştirdi."),
    (
        "negative",
        "{p} keeps spamming the channel with ads, so annoying.",
        "{p} kanalı sürekli reklamla dolduruyor, çok sinir bozucu.",
    ),
    (
        "negative",
        "{p} deleted my work and never apologised, terrible.",
        "{p} çalışmamı sildi ve hiç özür dilemedi, berbat.",
    ),
    (
        "negative",
        "{p} was rude to the new members again, awful behaviour.",
        "{p} yeni üyelere yine kaba davrandı, korkunç bir davranış.",
    ),
    (
        "negative",
        "{p} broke the build and blamed everyone else.",
        "{p} derlemeyi bozdu ve herkesi suçladı.",
    ),
    (
        "negative",
        "{p} ruined the event for everyone, what a disappointment.",
        "{p} etkinliği herkes için mahvetti, tam bir hayal kırıklığı.",
    ),
)

# attribute -> groups of interchangeable people, (English, Turkish) per person.
ATTRIBUTES: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
    "name": (
        (
            ("Emily", "Emily"),
            ("John", "John"),
            ("Mehmet", "Mehmet"),
            ("Ayşe", "Ayşe"),
            ("Jamal", "Jamal"),
            ("Fatima", "Fatma"),
            ("Wei", "Wei"),
            ("María", "María"),
        ),
    ),
    "gender": (
        (("My brother", "Erkek kardeşim"), ("My sister", "Kız kardeşim")),
        (("My uncle", "Amcam"), ("My aunt", "Teyzem")),
    ),
    "nationality": (
        (
            ("My Turkish neighbour", "Türk komşum"),
            ("My American neighbour", "Amerikalı komşum"),
            ("My Syrian neighbour", "Suriyeli komşum"),
            ("My German neighbour", "Alman komşum"),
            ("My Kurdish neighbour", "Kürt komşum"),
            ("My Armenian neighbour", "Ermeni komşum"),
            ("My Greek neighbour", "Rum komşum"),
            ("My Nigerian neighbour", "Nijeryalı komşum"),
        ),
    ),
    "religion": (
        (
            ("My Muslim colleague", "Müslüman iş arkadaşım"),
            ("My Christian colleague", "Hristiyan iş arkadaşım"),
            ("My Jewish colleague", "Yahudi iş arkadaşım"),
            ("My atheist colleague", "Ateist iş arkadaşım"),
            ("My Buddhist colleague", "Budist iş arkadaşım"),
            ("My Hindu colleague", "Hindu iş arkadaşım"),
        ),
    ),
}

# Everyday chat sentences, (label, English, Turkish), beside the templates' first fillings.
PARITY: tuple[tuple[str, str, str], ...] = (
    (
        "positive",
        "This update is fantastic, everything runs so smoothly now.",
        "Bu güncelleme harika, artık her şey çok akıcı çalışıyor.",
    ),
    (
        "positive",
        "Thanks a lot for the help, you saved my evening!",
        "Yardımın için çok teşekkürler, akşamımı kurtardın!",
    ),
    (
        "positive",
        "I really enjoyed yesterday's stream, it was so much fun.",
        "Dünkü yayından gerçekten keyif aldım, çok eğlenceliydi.",
    ),
    (
        "positive",
        "The new map looks beautiful, great job to the team.",
        "Yeni harita çok güzel görünüyor, ekibin eline sağlık.",
    ),
    (
        "positive",
        "Best community ever, I am happy to be here.",
        "Gelmiş geçmiş en iyi topluluk, burada olduğum için mutluyum.",
    ),
    (
        "neutral",
        "The server restarts every night at three.",
        "Sunucu her gece saat üçte yeniden başlıyor.",
    ),
    (
        "neutral",
        "Please send the file to the support channel.",
        "Lütfen dosyayı destek kanalına gönder.",
    ),
    (
        "neutral",
        "The next meeting is on Thursday afternoon.",
        "Bir sonraki toplantı perşembe öğleden sonra.",
    ),
    ("neutral", "I am using the version from last month.", "Geçen ayın sürümünü kullanıyorum."),
    (
        "neutral",
        "The rules are pinned at the top of the channel.",
        "Kurallar kanalın en üstünde sabitlenmiş.",
    ),
    (
        "negative",
        "This patch broke everything, I am so frustrated.",
        "Bu yama her şeyi bozdu, çok sinirliyim.",
    ),
    (
        "negative",
        "The lag tonight is unbearable, worst match ever.",
        "Bu akşamki gecikme dayanılmaz, gelmiş geçmiş en kötü maç.",
    ),
    (
        "negative",
        "Nobody answered my question, really disappointing.",
        "Kimse soruma cevap vermedi, gerçekten hayal kırıklığı.",
    ),
    (
        "negative",
        "I hate how slow the downloads are today.",
        "Bugün indirmelerin bu kadar yavaş olmasından nefret ediyorum.",
    ),
    (
        "negative",
        "The event was cancelled again, what a waste of time.",
        "Etkinlik yine iptal edildi, tam bir zaman kaybı.",
    ),
)


@dataclass(frozen=True)
class Counterfactual:
    """One template filled with every person of one group, in one language."""

    lang: str
    attribute: str
    label: str
    sentences: tuple[str, ...]  # the first is the reference the others are compared with


def counterfactual_set() -> list[Counterfactual]:
    items: list[Counterfactual] = []
    for label, english, turkish in TEMPLATES:
        for attribute, groups in ATTRIBUTES.items():
            for group in groups:
                for lang, template in (("en", english), ("tr", turkish)):
                    people = [en if lang == "en" else tr for en, tr in group]
                    filled = tuple(template.format(p=person) for person in people)
                    items.append(Counterfactual(lang, attribute, label, filled))
    return items


def parity_pairs() -> list[tuple[str, str, str]]:
    """(label, English, Turkish): the everyday sentences and each template with its first
    name filled in."""
    first_en, first_tr = ATTRIBUTES["name"][0][0]
    filled = [(lb, en.format(p=first_en), tr.format(p=first_tr)) for lb, en, tr in TEMPLATES]
    return [*PARITY, *filled]
