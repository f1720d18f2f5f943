"""English pages keep the portal's German dates (``01.04.2026``, ``01.04.2026 09:00``).

Every page writes dates the German way, whatever the language; without this, the dates that
follow the active language (the Protokoll's) would read ``04/01/2026`` in English, which a
German-speaking reader takes for the 4th of January.
"""

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
