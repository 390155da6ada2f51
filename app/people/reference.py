"""Starting content of the lists admins edit (skills, need categories) and version 1 of the
privacy notice and the consent texts. Loaded by `flask load-reference` and `seed-demo`;
idempotent: what exists (also what admins changed) is left alone."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.people.models import ChoiceItem, ConsentPurpose, ConsentText

SKILLS = [
    ("teaching_german", "Deutsch unterrichten", "Teaching German"),
    ("accompanying", "Begleitung zu Ämtern oder Ärzten", "Accompanying to authorities or doctors"),
    ("homework", "Hausaufgabenhilfe", "Homework help"),
    ("translating", "Übersetzen und Dolmetschen", "Translating and interpreting"),
    ("childcare", "Kinderbetreuung", "Childcare"),
    ("arts", "Theater und Kunst", "Theatre and arts"),
    ("sports", "Sport", "Sports"),
    ("cooking", "Kochen", "Cooking"),
    ("driving", "Fahren (Führerschein)", "Driving (licence)"),
    ("crafts", "Handwerk und Möbel", "Crafts and furniture"),
    ("events", "Hilfe bei Festen und Veranstaltungen", "Event help"),
]

NEED_CATEGORIES = [
    ("accompaniment", "Begleitung zu einem Amt oder Arzt", "Accompaniment to an authority or doctor"),
    ("language_partner", "Sprachpartnerschaft", "Language practice partner"),
    ("homework", "Hausaufgabenhilfe", "Homework help"),
    ("translation", "Übersetzung bei einem Termin", "Translation at an appointment"),
    ("letters", "Hilfe bei Briefen und Formularen", "Help with letters and forms"),
    ("furniture", "Wohnung und Möbel", "Flat and furniture"),
    ("childcare", "Kinderbetreuung", "Childcare"),
    ("leisure", "Freizeit- oder Sportpartnerschaft", "Leisure or sports buddy"),
    ("other", "Sonstiges", "Other"),
]

PRIVACY_DE = """## Wer ist verantwortlich?

Das Integrationsnetzwerk der Stadt Dortmund und der Wohlfahrtsverbände betreibt diese Plattform.
Die Kontaktdaten stehen unten auf dieser Seite und im Impressum.

## Was speichern wir?

Nur, was wir für die Koordination des Ehrenamts brauchen: Ihren Namen, Ihre E-Mail-Adresse, einen
Hash Ihres Passworts, Ihre Sprache und – wenn Sie sie angeben – Ihren Stadtbezirk, Ihre Sprachen,
Fähigkeiten, Zeiten und eine Telefonnummer. Von Neuzugewanderten speichern wir keine Namen.

## Wozu?

Damit Sie sich für Angebote eintragen können und die Büros Sie erreichen. Für alles Weitere
(Nachrichten über neue Einsätze, Weitergabe an Partner, Fotos) fragen wir Sie einzeln; diese
Einwilligungen können Sie jederzeit in Ihrem Profil widerrufen.

## Ihre Rechte

Unter „Meine Daten“ sehen Sie alles, was wir über Sie speichern, laden es als Datei herunter
oder löschen Ihr Konto. Sie können sich außerdem bei der Landesbeauftragten für Datenschutz
NRW beschweren.

Diese Seite lädt nichts von anderen Servern: keine Schriften, keine Skripte, keine Statistik.
"""

PRIVACY_EN = """## Who is responsible?

The integration network of the City of Dortmund and the welfare associations runs this platform.
The contact details are at the bottom of this page and in the legal notice.

## What do we store?

Only what we need to coordinate volunteering: your name, your e-mail address, a hash of your
password, your language and – if you give them – your district, languages, skills, times and a
phone number. We store no names of newcomers.

## What for?

So that you can sign up for offerings and the offices can reach you. For anything more (messages
about new opportunities, sharing with partners, photos) we ask you separately; you can withdraw
these consents at any time in your profile.

## Your rights

Under "My data" you see everything we store about you, download it as a file or delete your
account. You can also complain to the data protection authority of North Rhine-Westphalia.

This page loads nothing from other servers: no fonts, no scripts, no statistics.
"""

CONSENTS = {
    ConsentPurpose.PRIVACY: ("Datenschutzhinweise", "Privacy notice", PRIVACY_DE, PRIVACY_EN),
    ConsentPurpose.CONTACT: (
        "Nachrichten über neue Einsätze",
        "Messages about new opportunities",
        "Ich bin einverstanden, dass mich die Büros des Integrationsnetzwerks per E-Mail über neue "
        "Angebote, Einsätze und Bedarfe informieren, die zu meinem Profil passen. Ohne diese "
        "Einwilligung bekomme ich nur E-Mails zu meinem Konto und zu dem, wofür ich mich eingetragen habe.",
        "I agree that the offices of the integration network tell me by e-mail about new offerings, "
        "opportunities and needs that fit my profile. Without this consent I only get mails about my "
        "account and what I signed up for.",
    ),
    ConsentPurpose.SHARE_WITH_PARTNER: (
        "Name und Telefon für Partnerorganisationen",
        "Name and phone for partner organisations",
        "Ich bin einverstanden, dass mein Name und meine Telefonnummer an die Partnerorganisation "
        "weitergegeben werden, die ein Angebot durchführt, für das ich mich eingetragen habe.",
        "I agree that my name and phone number are passed on to the partner organisation that runs an "
        "offering I signed up for.",
    ),
    ConsentPurpose.PHOTOS: (
        "Fotos bei Theaterprojekten und Festen",
        "Photos at theatre projects and festivals",
        "Ich bin einverstanden, dass ich auf Fotos von Theaterprojekten und Festen zu sehen sein darf, "
        "die das Netzwerk für seine Öffentlichkeitsarbeit nutzt.",
        "I agree that I may appear in photos of theatre projects and festivals that the network uses "
        "for its public relations.",
    ),
}


def load_people_reference() -> dict[str, int]:
    created = {"skills": 0, "need_categories": 0, "consent_texts": 0}
    for list_name, items, counter in ((ChoiceItem.SKILLS, SKILLS, "skills"),
                                      (ChoiceItem.NEED_CATEGORIES, NEED_CATEGORIES, "need_categories")):
        known = set(db.session.scalars(select(ChoiceItem.key).where(ChoiceItem.list_name == list_name)))
        for position, (key, de, en) in enumerate(items):
            if key not in known:
                db.session.add(ChoiceItem(list_name=list_name, key=key, label_de=de, label_en=en,
                                          position=position * 10))
                created[counter] += 1
    have = set(db.session.scalars(select(ConsentText.purpose)))
    for purpose, (title_de, title_en, body_de, body_en) in CONSENTS.items():
        if purpose not in have:
            db.session.add(ConsentText(purpose=purpose, version=1, title_de=title_de, title_en=title_en,
                                       body_de=body_de, body_en=body_en))
            created["consent_texts"] += 1
    db.session.commit()
    return created
