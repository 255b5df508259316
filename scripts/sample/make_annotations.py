#!/usr/bin/env python3
"""Generate src/exporter/sample/annotations/<user>.jsonld (W3C Web Annotations) for the
sample volume from the compact list below.  Selectors are computed against
the canonical layer text (see canon.py), so they are exact:

  layer text = block texts of the layer div (p, head, quote as direct child
  of the layer, item, dateline, signed, salute, l, ab, label), note content
  excluded, lb = space, whitespace collapsed and stripped, empty blocks
  skipped, joined with "\\n".  Offsets are Python str (code point) offsets.

Run build_tei.py first.  Fictional data, CC0.
"""
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEI_PATH = os.path.join(ROOT, "src", "exporter", "sample", "dolgorukov-diaries-1918.xml")
OUT_DIR = os.path.join(ROOT, "src", "exporter", "sample", "annotations")
VOLUME_URI = "https://archive.example.org/kd/kd1"
BASE = "https://archive.example.org"
CONTEXT = ["http://www.w3.org/ns/anno.jsonld", "https://archive.example.org/ns/exporter.jsonld"]

USERS = {
    "irina": "Irina Sokolova",
    "tomas": "Tomáš Novák",
    "leila": "Leila Haddad",
    "dmitri": "Dmitri Volkov",
}
SEM, SRG = "petrograd-seminar", "sources-reading-group"
CTX = 32

# (user, entry id suffix, layer t|r, exact, visibility, group, tags, comment[, occurrence])
# visibility: P = private, G = group, U = public
A = [
    # --- concentrated on the first March pages (translation pp. 20-27) ---
    ("irina", "03-03a", "t", "Halvorsen telephoned at eight, the telephone having, for once, decided to work", "G", SEM,
     ["brest-litovsk", "halvorsen"], "The Norwegian wireless again. How did the neutral legations relay news from Stockholm in 1918?"),
    ("tomas", "03-03a", "t", "A third of the population of the empire, Halvorsen says, and half of its industry, and nearly all of its coal.", "U", None,
     ["brest-litovsk", "statistics"], "These are the figures usually quoted for the treaty; worth comparing with the standard estimates."),
    ("leila", "03-03a", "t", "A state may be beaten and keep its dignity; it cannot sign without reading and keep anything at all.", "P", None,
     [], "Key sentence for my seminar paper."),
    ("dmitri", "03-03a", "t", "Our grandfathers at Paris in 1856 lost the Black Sea", "U", None,
     ["diplomacy", "historical-memory"], "Interesting that a diplomat's frame of reference is 1856, not 1905."),
    ("irina", "03-03a", "t", "and us, who are gone already.\nFyokla has made tea from dried carrot.", "U", None,
     ["daily-life", "style"], "The bathos across the paragraph break is deliberate: from the fate of the ministry to carrot tea."),
    ("tomas", "03-03a", "t", "Kars, Ardahan and Batum to the Turks", "G", SRG,
     ["brest-litovsk"], "The Caucasus clauses. He has them right, which suggests Halvorsen read him the text."),
    ("leila", "03-03b", "t", '"This is the peace conference," he said, and we drank it in silence, standing, like a toast at a funeral.', "G", SEM,
     ["brest-litovsk", "translation"], "Compare the Russian «Вот и мирная конференция»: the translation loses the «и»."),
    ("dmitri", "03-03b", "t", "explain to an American what it does not say", "P", None,
     ["vologda", "self-fashioning"], "His self-description as a job applicant."),
    ("irina", "03-03b", "t", "because the electricity has been cut in our quarter since six o'clock, perhaps in celebration", "P", None,
     ["daily-life", "irony"], "Check the dates of the electricity cuts in Petrograd."),
    ("tomas", "03-06", "t", "the bread ration", "U", None,
     ["grain-supply", "rationing"], "Second occurrence: the ration as the only legal bread, set against the speculators.", 2),
    ("irina", "03-06", "t", "The bread ration for the third category is now an eighth of a pound a day", "G", SEM,
     ["grain-supply", "rationing", "statistics"], "An eighth of a pound is about 51 g. Compare the Petrograd ration tables for March 1918."),
    ("leila", "03-06", "t", "the Germans had not troubled him at all: they had waved to him from their lorries", "U", None,
     ["demobilisation"], "This sentence runs across the page break (pp. 24-25)."),
    ("dmitri", "03-06", "t", "What peace? There has been no war since the summer.", "G", SRG,
     ["demobilisation", "sources"], 'Is this a real quotation or the diarist\'s <b>bold?</b> invention? Cf. "voting with their feet" & similar tropes.'),
    ("tomas", "03-06", "t", "He is right, and the treaty only wrote down what he had already done with his feet.", "P", None,
     ["demobilisation"], "Use as epigraph?"),
    ("irina", "03-10", "t", "The government goes to Moscow, at night, without announcement, as a tenant leaves who owes the rent.", "U", None,
     ["capital-move", "irony"], "The move of 10-11 March; the simile is typical of him."),
    ("leila", "03-10", "t", "as a tenant leaves who owes the rent. Petrograd, which was the capital for two hundred years, is to be a provincial town", "G", SEM,
     ["capital-move"], "The point is the demotion of Petrograd, not the flight itself."),
    ("dmitri", "03-10", "t", "a Jewish watchmaker called Blumenfeld, who played chess with him on a board scratched on the floor", "U", None,
     ["berg", "chess"], "Blumenfeld comes back in the entry of 19 June."),
    # --- rest of the volume ---
    ("irina", "03-14", "t", "any relief which does arrive will be consumed by those who distribute it", "P", None,
     ["grain-supply", "aid"], "Pessimistic but borne out in 1919."),
    ("tomas", "03-14", "t", "This last measure, which has already been announced in principle, will set the village against the town more surely than any propaganda of the enemies of the government.", "G", SRG,
     ["grain-supply", "requisitioning"], "Two months before the food dictatorship decree; see the memorandum of 23 May."),
    ("dmitri", "03-14", "r", "Украина теперь в руках немцев.", "P", None,
     ["brest-litovsk", "ukraine"], "Ср. с текстом договора: формально Украина признана независимой."),
    ("irina", "03-06", "r", "Хлебный паёк для третьей категории теперь восьмушка фунта в день", "U", None,
     ["rationing"], "«Восьмушка» — одна восьмая фунта, около 51 грамма."),
    ("leila", "01-19", "r", "«караул устал»", "U", None,
     ["constituent-assembly"], "The famous phrase, with the guillemets of the manuscript."),
    ("tomas", "01-19", "t", "not by principles, not even by force, but by fatigue", "U", None,
     ["constituent-assembly", "irony"], "Fatigue as a principle of government."),
    ("dmitri", "01-03", "t", "pretend that we are a ministry in exile without having left the capital", "G", SRG,
     ["ministry-strike"], "The officials' strike seen from inside."),
    ("irina", "01-03", "t", "a quarter of a pound of something grey that crumbles like peat", "G", SEM,
     ["rationing", "daily-life"], "Compare Fyokla's bread in March."),
    ("leila", "01-08", "t", "Everything has been going to be decided since February, and nothing has been, except the price of eggs.", "P", None,
     ["irony"], "Quote this in the introduction."),
    ("tomas", "01-24", "t", "A hidden cipher will be found; a burned one will not.", "P", None,
     [], "Practical archival destruction."),
    ("dmitri", "01-29", "r", "сожгли шифры в кухонной плите у Берга", "U", None,
     ["ciphers"], "Ср. записку от 24 января, п. 2: акт об уничтожении."),
    ("irina", "01-31", "t", "Thirteen days are abolished.", "U", None,
     ["calendar"], "The calendar reform of February 1918."),
    ("tomas", "02-14", "t", "The German General Staff is not a body that declines such invitations.", "G", SRG,
     ["brest-litovsk"], "He predicted the offensive of 18 February four days early."),
    ("leila", "02-22", "t", "the socialist fatherland is in danger", "G", SEM,
     ["propaganda"], "Italicised in the edition, underlined in the manuscript."),
    ("dmitri", "02-26", "r", "с молчанием, которое было хуже брани", "P", None,
     ["departure"], "Crosses the leaf boundary in the manuscript."),
    ("irina", "02-28", "t", "but that horses have four legs, even in Kislovodsk", "P", None,
     ["family"], "A rare moment of humour with the children."),
    ("tomas", "02-19", "t", "NO RESISTANCE WORTH THE NAME", "U", None,
     ["telegram", "brest-litovsk"], "Original English of the telegram."),
    ("leila", "03-17", "t", "My mother, who gave away everything, would have given that as well.", "U", None,
     ["family"], "The approximately dated fragment."),
    ("dmitri", "03-20", "r", "человеком, который всё понимает и которого никто не слушает", "G", SRG,
     ["family", "self-fashioning"], "Лучшая характеристика Долгорукова во всём томе — и написала её жена."),
    ("irina", "03-20", "r", "Левитана я тебе ещё прощу, а Серова — никогда", "G", SEM,
     ["art", "family"], "The pictures sold in January: the Levitan went to Halvorsen."),
    ("tomas", "03-23", "t", "the pay is in dollars and the food is in the form of rumour", "P", None,
     ["vologda"], "Arsenyev's letter is not printed."),
    ("leila", "03-28", "t", '"one basket of linen, the property of Mr D."', "P", None,
     ["halvorsen", "archives"], "Where did the papers go? Not traced, says the note."),
    ("dmitri", "03-28", "t", "in a Russia which will be neither the old nor the new one", "U", None,
     ["berg"], "Berg's farewell."),
    ("irina", "04-02", "t", "which is the only passenger with a proper ticket", "U", None,
     ["railways", "daily-life"], "The goat recurs in the undated list."),
    ("tomas", "04-02", "r", "«Иди, дядя»", "G", SRG,
     ["railways"], "Upside-down paper, right-side-up stamp."),
    ("leila", "04-05", "t", "and their flags hang over the wooden pavements in a row, like laundry", "G", SEM,
     ["vologda", "diplomatic-colony"], "The diplomatic colony in one image."),
    ("dmitri", "04-09", "t", "so that I am paid to read in the morning and to guess in the afternoon", "P", None,
     ["vologda"], "His job description."),
    ("irina", "04-13", "t", "The town seems to regard it as a form of tax.", "P", None,
     ["vologda"], "Short entry continuing on the letter's page."),
    ("tomas", "04-22", "t", "which is, I believe, the English method in everything", "U", None,
     ["intervention", "irony"], "Compare his portrait of the British in the April notes."),
    ("leila", "04-27", "t", "In one village I was shown the same empty barn three times, by three different peasants, each of whom claimed it as his own.", "U", None,
     ["grain-supply", "requisitioning", "peasants"], "The barn is remembered in the undated list too."),
    ("dmitri", "04", "t", "He is the only one who is not waiting for anything, and he is therefore the only one who sees what is there.", "G", SRG,
     ["halvorsen", "diplomatic-colony"], "The month-dated notes on the colony."),
    ("irina", "04-27", "r", "Этот обмен незаконен и всеобщ.", "G", SEM,
     ["grain-supply"], "Cf. the English \"illegal and universal\"."),
    ("tomas", "05-01", "t", "which the children pelted with snowballs", "P", None,
     ["may-day"], "Snow on 1 May in Vologda: plausible."),
    ("leila", "05-06", "r", "запрету можно подчиниться только после того, как его нарушил", "P", None,
     ["family"], "Прекрасная фраза о русской почте."),
    ("dmitri", "05-10", "t", "If the answer is no, you may have the ports; you will not have the people.", "U", None,
     ["intervention"], "Written in English to Pemberton."),
    ("irina", "05-14", "t", '"Nor have I," he said, "that is why I ask."', "U", None,
     ["cheka"], "The Chekist's joke."),
    ("tomas", "05-23", "t", "a divided village cannot hide its grain, because every neighbour knows where it is", "G", SRG,
     ["grain-supply", "requisitioning"], "Committees of the village poor, in one sentence."),
    ("leila", "05-27a", "t", "bread, news, armies and typhus", "G", SEM,
     ["czech-legion", "railways"], "Everything comes along the railway."),
    ("dmitri", "05-31", "t", "She is right, of course. I cannot manage without her.", "P", None,
     ["orlova"], "Cf. the entry of 28 June."),
    ("irina", "06-07", "t", "The Americans are at work; the British are at breakfast; the French are writing to Paris; the Japanese are photographing the town.", "P", None,
     ["diplomatic-colony", "irony"], "The missions at eleven in the morning."),
    ("tomas", "06-15", "t", "The worst course is to decide nothing, because then the decision will be taken by the railway.", "U", None,
     ["diplomacy"], "Sentence crosses pp. 75-76."),
    ("leila", "06-19", "r", "в гробу, сделанном из платяного шкафа", "U", None,
     ["petrograd", "orlova"], "Petrograd in June 1918."),
    ("dmitri", "06-28", "t", "Konstantin Alexandrovich, you have not eaten", "G", SRG,
     ["orlova"], "Echoes the entry of 7 June."),
    ("irina", "undated-1", "t", "One does not choose one's century; one chooses only how to behave in it.", "G", SEM,
     ["historical-memory"], "The father's saying, set as a block quotation."),
    ("tomas", "undated-1", "r", "Века себе не выбирают", "P", None,
     [], "Ср. позднейшее стихотворение Кушнера — совпадение?"),
    ("tomas", "03-03b", "t", "Lidia Orlova will tell you that I am also bad-tempered in the mornings.", "G", SEM,
     ["orlova"], "First mention of Orlova as a confidante."),
]

SPECIAL = {
    "twice": ("03-06", "the bread ration"),
    "across_pb": ("03-06", "the Germans had not troubled him at all"),
    "across_note": ("03-03a", "Halvorsen telephoned at eight"),
    "cross_paragraph": ("03-03a", "and us, who are gone already.\n"),
    "overlap_a": ("03-10", "The government goes to Moscow"),
    "overlap_b": ("03-10", "as a tenant leaves who owes the rent. Petrograd"),
    "markup_body": ("03-06", "What peace?"),
}


def find_nth(text, sub, n):
    pos = -1
    for _ in range(n):
        pos = text.find(sub, pos + 1)
        if pos < 0:
            raise ValueError(f"occurrence {n} of {sub!r} not found")
    return pos


def is_cyrillic(s):
    return bool(re.search("[\u0400-\u04FF]", s))


def main():
    layers = canon.load_layers(TEI_PATH)
    base_time = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC)
    per_user = {u: [] for u in USERS}
    special_ids = {}
    for i, row in enumerate(A, start=1):
        user, suffix, lay, exact, vis, group, tags, comment = row[:8]
        occ = row[8] if len(row) > 8 else 1
        entry = "kd1-" + (suffix if suffix.startswith("undated") else "1918-" + suffix)
        layer = "translation" if lay == "t" else "transcription"
        text = layers[(entry, layer)]
        count = text.count(exact)
        if occ == 1 and count != 1:
            raise SystemExit(f"a{i:04d}: {exact!r} occurs {count} times in {entry}/{layer}")
        start = find_nth(text, exact, occ)
        end = start + len(exact)
        assert text[start:end] == exact
        aid = f"a{i:04d}"
        for key, (s_suf, s_start) in SPECIAL.items():
            if s_suf == suffix and exact.startswith(s_start) and (key != "markup_body" or "<b>" in comment):
                special_ids[key] = aid
        created = base_time + datetime.timedelta(hours=27 * i + (i * 7) % 60 / 60)
        ann = {
            "@context": CONTEXT,
            "id": f"{BASE}/kd/annotations/{aid}",
            "type": "Annotation",
            "motivation": "commenting",
            "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if i % 3 == 0:
            ann["modified"] = (created + datetime.timedelta(days=1, hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ann["creator"] = {"id": f"{BASE}/users/{user}", "type": "Person",
                          "name": USERS[user], "nickname": user}
        body = [{"type": "TextualBody", "value": comment, "format": "text/plain",
                 "language": "ru" if is_cyrillic(comment) else "en", "purpose": "commenting"}]
        body += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in tags]
        ann["body"] = body
        ann["target"] = {
            "source": f"{VOLUME_URI}/{entry}/{layer}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": exact,
                 "prefix": text[max(0, start - CTX):start], "suffix": text[end:end + CTX]},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        }
        ann["visibility"] = {"P": "private", "G": "group", "U": "public"}[vis]
        if vis == "G":
            ann["group"] = group
        per_user[user].append(ann)
    os.makedirs(OUT_DIR, exist_ok=True)
    for user, anns in per_user.items():
        with open(os.path.join(OUT_DIR, user + ".jsonld"), "w", encoding="utf-8") as f:
            json.dump(anns, f, ensure_ascii=False, indent=2)
            f.write("\n")
    print(f"{len(A)} annotations; special cases: {json.dumps(special_ids)}", file=sys.stderr)


if __name__ == "__main__":
    main()
