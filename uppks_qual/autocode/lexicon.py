"""The word lists of the valence rules (:mod:`uppks_qual.autocode.valence`, whose docstring
says how each list is read): negators, contrast and concessive words, hedges, wishes,
conditions, negation scope stops, fixed phrases that are neither negators nor polarity words,
the general polarity words every code reads, and the pronouns that refer back to a person.

:func:`uppks_qual.autocode.matchers.build_matchers` compiles every list into the phrase
matchers, next to the codebook's cues. Plain data: this module imports nothing.
"""

from __future__ import annotations

NEGATORS = frozenset(["tidak", "tak", "tdk", "nggak", "ngga", "gak", "ga", "ndak", "indak", "nda", "enggak", "belum", "alun", "bukan", "kurang", "jarang", "tanpa", "tiada", "takkan", "jangan", "tiado"])
#: Contrast words: the clause after one has the final say (see the module docstring).
ADVERSATIVES = frozenset(["tapi", "tetapi", "namun", "padahal", "sedangkan", "melainkan",
                          "tapinyo", "sayangnya"])
#: Contrast words that contrast only at the start of a clause ("cuma dua orang" is "only").
INITIAL_ADVERSATIVES = ("cuma", "cuman", "hanya saja")
#: Concessive words: the clause they open yields to the other clause(s) of the sentence.
CONCESSIVES = frozenset(["walaupun", "meskipun", "biarpun", "kendati", "kendatipun", "walau",
                         "meski", "sungguhpun", "sekalipun"])
CLAUSE_BREAKS = ADVERSATIVES | CONCESSIVES | {"sementara"}
#: Hedges: a clause holding one is less certain (confidence x HEDGE_CERTAINTY).
HEDGES = ("mungkin", "barangkali", "kalau tidak salah", "kalau ndak salah", "kalau indak salah",
          "kalau nggak salah", "agak", "sedikit", "kira-kira", "kayaknya", "sepertinya",
          "rasanya", "entah", "seingat saya", "kalau saya tidak salah", "kalau saya ndak salah",
          "kalau ambo indak salah")
#: Wishes and "should": the thing wished for is lacking, so the clause counts -1.
WISHES = ("ingin", "pengen", "pingin", "mestinya", "semestinya", "seharusnya", "harusnya",
          "semoga", "mudah-mudahan", "moga-moga", "andaikan", "seandainya", "kalau saja",
          "coba kalau", "sebaiknya", "hendaknya", "alangkah baiknya", "kalau bisa",
          "perlu ada", "diharapkan", "disarankan", "mohon", "sabaiknyo", "harusnyo",
          "labiah elok", "saran saya", "harapan saya")
#: Conditions: "if not X, (bad)" says X is needed (both clauses count +1).
CONDITIONS = ("kalau", "kalo", "jika", "jikalau", "bila", "apabila", "seandainya", "andaikan",
              "tanpa")
#: Words that end the scope of a negator inside a clause (subordinators and coordinators).
SCOPE_STOPS = ("bahwa", "karena", "sebab", "sehingga", "supaya", "agar", "biar", "kalau", "kalo",
               "jika", "bila", "apabila", "dan", "atau", "lalu", "terus", "kemudian", "serta",
               "sambil", "ketika", "sesudah", "setelah", "sebelum", "makanya", "jadi")
#: Fixed phrases whose words are neither negators nor polarity words.
NEUTRAL_PHRASES = ("salah satu", "salah seorang", "salah satunya", "tidak hanya", "bukan hanya",
                   "tidak cuma", "bukan cuma", "bukan saja", "tidak saja", "mau tidak mau",
                   "tidak lain", "tak lain", "atau tidak", "atau ndak", "atau belum", "apa tidak",
                   "paling lambat", "selambat-lambatnya", "kurang lebih", "lebih kurang",
                   "tidak tentu", "sedikit-sedikit", "sedikit demi sedikit", "cadiak pandai",
                   "cerdik pandai", "naik turun")
# General Indonesian (and Minang) evaluative words, for every code; matched like the codes'
# positive/negative cues (see :func:`_add_polarity`). Negated phrases ("tidak jelas") and the
# negators themselves (kurang, jarang) are not listed: the negation rules score them.
GENERAL_POSITIVE = (*"""lancar berhasil maju berkembang meningkat bertambah rutin aktif
    tertib rajin bagus baik mantap terbantu sukses lunas jelas paham mengerti dukung bantu
    senang puas bangga untung laku laris teratur kompak rukun semangat percaya jujur
    terbuka lengkap rapi beres cocok mudah gampang akrab sabar ramah hormat peduli perhatian
    dorong giat tekun disiplin tegas cerdas pandai bijak adil sanggup syukur alhamdulillah
    mampu cukup tambah besar berkah rancak elok baiak tanggap sigap ringan
    membantu menolong mendukung terang""".split(),
    "tepat waktu", "tiap bulan", "setiap bulan", "selalu datang", "terima kasih")
GENERAL_NEGATIVE = (*"""macet gagal rugi bubar berhenti menunggak tunggakan terlambat telat
    malas kecewa bingung kacau susah sulit mandek seret terbengkalai lupa hilang bangkrut rusak
    masalah ribut cekcok curiga takut marah kesal capek sepi lambat tertunda ditunda batal
    tertahan terhenti mahal bohong tipu ragu pusing repot payah lalai abai cuek acuh berantakan
    mogok tunggak sendat kusut tersendat menurun merosot kandas binguang sansai susah-payah
    keliru salah putus gelap absen kekurangan keberatan kesulitan kemacetan keterlambatan""".split(),
    "simpang siur", "salah paham", "kabar burung", "mulut ke mulut")
PRONOUNS = frozenset("dia ia beliau inyo nyo dianya beliaunya iyo".split())
