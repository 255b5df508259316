"""The 200 mixed English and Russian archival records of the locale goldens.

Deterministic (a fixed seed): Cyrillic names and titles, transliterated names, English titles
with ``original-title`` in Russian, letters, telegrams, diaries and reports in Russian and
English archives, circa and partial dates, editors and translators.  Written to
tests/golden/citations/locales/mixed-records.json by ``regenerate_locales.sh``.
"""

from __future__ import annotations

import json
import random
import sys

CYRILLIC = [("Милюков", "Павел Николаевич"), ("Набоков", "Владимир Дмитриевич"), ("Ёлкин", "Фёдор"),
            ("Елагина", "Анна Петровна"), ("Щербатов", "Николай"), ("Юсупова", "Зинаида"),
            ("Астров", "Николай Иванович"), ("Чернов", "Виктор Михайлович"), ("Эрн", "Владимир"),
            ("Жилинский", "Яков Григорьевич"), ("Терещенко", "Михаил Иванович"), ("Цветаева", "Марина")]
LATIN = [("Miliukov", "Pavel"), ("Nabokov", "Vladimir D."), ("Francis", "David R."),
         ("Lockhart", "R. H. Bruce"), ("Buchanan", "George"), ("Noulens", "Joseph"),
         ("Poole", "DeWitt Clinton"), ("Summers", "Maddin"), ("Robins", "Raymond"),
         ("Tereshchenko", "Mikhail"), ("Yusupova", "Zinaida"), ("Shcherbatov", "Nikolai")]
RU_TITLES = ["Письмо о положении в Петрограде", "Дневник, январь 1918 года", "Донесение о переговорах в Брест-Литовске",
             "Телеграмма министру иностранных дел", "Записка об эвакуации посольства", "О продовольственном кризисе",
             "Воспоминания о Февральской революции", "Отчёт о заседании Учредительного собрания"]
EN_TITLES = ["Letter on the Situation in Petrograd", "Diary, January 1918",
             "Report on the Negotiations at Brest-Litovsk",
             "Telegram to the Minister of Foreign Affairs", "Memorandum on the Evacuation of the Embassy",
             "On the Food Crisis", "Recollections of the February Revolution",
             "Report on the Session of the Constituent Assembly"]
ARCHIVES = [("Государственный архив Российской Федерации (ГАРФ)", "Москва", "ф. Р-{a}, оп. {b}, д. {c}, л. {d}"),
            ("State Archive of the Russian Federation (GARF)", "Moscow", "f. R-{a}, op. {b}, d. {c}, l. {d}"),
            ("Архив внешней политики Российской империи (АВПРИ)", "Москва", "ф. {a}, оп. {b}, д. {c}"),
            ("The National Archives", "Kew", "FO {a}/{b}"),
            ("National Archives and Records Administration", "College Park, MD", "RG 59, File {a}.{b}/{c}")]
CONTAINERS = [("Русские дипломатические документы, 1917–1921", "Наука", "Москва", "ru"),
              ("Papers Relating to the Foreign Relations of the United States, 1918, Russia", "GPO",
               "Washington", "en"),
              ("The Diaries and Correspondence of Konstantin A. Dolgorukov", "Exporter Project Sample Archive",
               "Uppsala", "en")]


def _name(rng: random.Random, pool) -> dict:
    family, given = rng.choice(pool)
    return {"family": family, "given": given}


def make(n: int = 200, seed: int = 1918) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        russian = rng.random() < 0.5
        k = rng.randrange(len(RU_TITLES))
        rec: dict = {"id": f"mixed-{i:03d}", "type": rng.choice(["manuscript", "personal_communication",
                                                                  "manuscript", "book", "chapter"])}
        rec["title"] = RU_TITLES[k] if russian else EN_TITLES[k]
        if not russian and rng.random() < 0.5:
            rec["original-title"] = RU_TITLES[k]
        pool = CYRILLIC if russian else (LATIN if rng.random() < 0.7 else CYRILLIC)
        rec["author"] = [_name(rng, pool) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        if rec["type"] == "personal_communication" and rng.random() < 0.8:
            rec["recipient"] = [_name(rng, pool)]
            rec["genre"] = rng.choice(["Телеграмма", "Письмо"] if russian else ["Telegram", "Letter"])
        year = rng.choice([1916, 1917, 1917, 1918, 1918, 1918, 1919])
        parts = [year, rng.randint(1, 12), rng.randint(1, 28)][:rng.choice([1, 2, 3, 3, 3])]
        if rng.random() < 0.08:
            rec["issued"] = {"date-parts": [parts], "circa": True}
        elif rng.random() < 0.04:
            pass  # undated
        else:
            rec["issued"] = {"date-parts": [parts]}
        if rec["type"] in ("manuscript", "personal_communication"):
            archive, place, location = rng.choice(ARCHIVES)
            rec["archive"] = archive
            rec["archive-place"] = place
            rec["archive_location"] = location.format(a=rng.randint(100, 9999), b=rng.randint(1, 9),
                                                      c=rng.randint(1, 400), d=rng.randint(1, 90))
        if rec["type"] in ("chapter", "personal_communication") or rng.random() < 0.3:
            title, publisher, place, lang = rng.choice(CONTAINERS)
            rec["container-title"] = title
            rec["publisher"] = publisher
            rec["publisher-place"] = place
            rec["editor"] = [_name(rng, CYRILLIC if lang == "ru" else LATIN)]
            start = rng.randint(1, 400)
            rec["page"] = f"{start}-{start + rng.randint(0, 12)}" if rng.random() < 0.7 else str(start)
        if rec["type"] == "book":
            rec["publisher"] = rng.choice(["Наука", "Cambridge University Press", "Издательство Академии наук"])
            rec["publisher-place"] = rng.choice(["Москва", "Cambridge", "Ленинград"])
            if rng.random() < 0.3:
                rec["translator"] = [_name(rng, LATIN)]
        rec["language"] = "ru" if russian else "en"
        out.append(rec)
    return out


if __name__ == "__main__":
    json.dump(make(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
