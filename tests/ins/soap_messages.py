"""Hand-written INSi SOAP 1.2 requests for the fault tests (a generated client cannot send broken ones)."""

from __future__ import annotations

S = "http://www.w3.org/2003/05/soap-envelope"
NS = {"S": S, "siram": "urn:siram", "r": "http://www.cnamts.fr/INSiResultat"}
LPS = """<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00">
<ctxlps:Id>5c1f1f4e-1111-4a4a-9b9b-000000000001</ctxlps:Id><ctxlps:Temps>2025-01-01T10:00:00</ctxlps:Temps>
<ctxlps:Emetteur>cabinet</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">{idam}</ctxlps:IDAM>
<ctxlps:Version>1</ctxlps:Version><ctxlps:Instance>i</ctxlps:Instance><ctxlps:Nom>urn:lps:t:1</ctxlps:Nom>
</ctxlps:LPS></ctxlps:ContexteLPS>"""
BAM = """<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02">
<ctxbam:Id>b</ctxbam:Id><ctxbam:Temps>2025-01-01T10:00:00</ctxbam:Temps><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>"""
MESSAGE_ID = "uuid:7d4c9a52-0000-4000-8000-000000000042"
WSA = f'<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">{MESSAGE_ID}</wsa:MessageID>'
TRAITS = """<RECSANSVITALE xmlns="http://www.cnamts.fr/INSiRecSans"><NomNaissance>{name}</NomNaissance>
<Prenom>{first}</Prenom><Sexe>{sex}</Sexe><DateNaissance>{date}</DateNaissance>{place}</RECSANSVITALE>"""


def envelope(
    *,
    lps: str | None = None,
    bam: str | None = BAM,
    wsa: str | None = WSA,
    body: str | None = None,
    idam: str = "LOGICIEL-1",
) -> str:
    lps = LPS.format(idam=idam) if lps is None else lps
    body = body if body is not None else traits()
    header = "".join(part for part in (lps, bam, wsa) if part)
    return f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{S}"><soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>'


def traits(
    name: str = "ADRUN", first: str = "ZOE", sex: str = "F", date: str = "1975-12-31", place: str = ""
) -> str:
    return TRAITS.format(name=name, first=first, sex=sex, date=date, place=place)
