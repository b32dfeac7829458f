"""Sample documents: a few on-topic sentences mixed with off-topic ones."""

TURKISH_ARTICLE = (
    "İstanbul, Türkiye'nin en kalabalık şehridir ve ekonomi merkezidir. "
    "Şehrin nüfusu on beş milyonu aşmaktadır. "
    "Dün akşam komşumun kedisi balkona çıktı. "
    "İstanbul Boğazı, şehri Avrupa ve Asya yakası olarak ikiye ayırır. "
    "Boğaz üzerinde üç köprü ve iki tüp geçit bulunmaktadır. "
    "Türkiye ekonomisinin büyük bölümü İstanbul'daki şirketlere bağlıdır. "
    "Prof. Dr. Ayşe Yılmaz'a göre İstanbul'un nüfusu her yıl artmaktadır. "
    "Bugün kahvaltıda peynir ve zeytin yedim. "
    "İstanbul'da trafik, nüfus arttıkça daha da yoğunlaşmaktadır. "
    "Şehirde metro hatları her yıl uzatılmaktadır."
)

ENGLISH_ARTICLE = (
    "The city council approved a new budget for public transport on Monday. "
    "The budget adds three new bus lines and extends the tram network to the airport. "
    "My neighbour painted his fence blue last weekend. "
    "Council members said public transport ridership grew by twenty percent this year. "
    "The new tram line to the airport will open in 2026. "
    "Critics argue the transport budget ignores cycling infrastructure. "
    "It rained for most of the afternoon. "
    "The mayor called the transport budget the largest investment in a decade."
)
