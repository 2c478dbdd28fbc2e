"""Write the REFI-QDA fixture projects in this folder (run once; the output is committed).

Each folder mimics what one tool's REFI-QDA export looks like, following the QDA-XML 1.0
schema and the tools' published descriptions of their exports:

``nvivo/project.qde``
    Text embedded as ``PlainTextContent``; a three-level code tree; lower-case GUIDs;
    memos as embedded Notes; case classification values on Cases; an AudioSource and a
    Set (both skipped by uppks-qual with a warning).
``atlasti/``
    ``internal://<GUID>.txt`` sources in ``sources/``; upper-case and ``{braced}`` GUIDs;
    quotations with names and comments (Description); a free quotation (no coding); Cases
    with Variables (Group, Village, Informant role, Date); Links and code-group Sets; a memo
    stored as ``internal://`` note file.
``maxqda/``
    ``relative://`` and plain relative ``plainTextPath`` under ``Interviews/``; document
    variables as ``VariableValue`` on the TextSource; a Windows (CRLF) transcript with emoji,
    positions counted in code points of the CRLF text.
``qualcoder/``
    One text source (``internal://…txt``) and one Word source given only as
    ``richTextPath="internal://…docx"`` (the .docx is made by the tests from
    :data:`QUALCODER_DOCX_PARAGRAPHS`); non-codable category codes; Cases with attributes; a
    memo on a coding.
``unnamed/``
    Like a project another QDA program wrote for a user: TextSources with **no** ``name``,
    only ``plainTextPath="internal://board_2017.txt"`` (the file name is the only human
    name), lower-case GUIDs; Cases with typed variables (Text, Integer, Boolean, Float, Date)
    whose names are not valid attribute names (``Jenis Kelamin``, ``text``, ``Tanggal
    rapat``) next to one that fills a document field (``Group``).

Positions are computed here from the quotes, in Unicode code points of the exact text each
tool would have counted, so the tests can check every imported coding against its quote.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent

NVIVO_TEXTS = {
    "ketua": "Ketua kelompok rajin memanggil rapat setiap bulan.\n"
             "Kami menabung di koperasi, tapi kadang-kadang pengurus lupa mencatat.\n",
    "dinas": "Petugas lapangan dari Dinas datang sekali setahun.\n"
             "Dana bantuan «cair» terlambat — kata Bu Siti, café di desa sudah tutup.\n",
}
ATLAS_TEXTS = {
    "A1": "P: Bagaimana rapat kelompok?\nI: Rapat jalan terus, ninik mamak ikut hadir.\n"
          "I: Tapi bukunya tidak pernah diperiksa.\n",
    "B2": "Catatan observasi: pertemuan batal karena ketua ke kebun.\n"
          "Anggota pulang sebelum jam sepuluh.\n",
}
MAXQDA_CRLF = ("I: Saya senang 😀 ikut UPPKS.\r\nI: Tapi pinjaman susah 👍🏽 dikembalikan.\r\n"
               "P: Kenapa?\r\nI: Harga getah turun.\r\n")
MAXQDA_NOTES = "Observasi: papan pengumuman kosong.\nTidak ada jadwal arisan.\n"
QUALCODER_TEXT = "Notes from village visit.\nThe treasurer keeps the cash box at home.\n"
QUALCODER_DOCX_PARAGRAPHS = (
    "Interview with the group secretary.",
    "She says the meetings stopped after the harvest.",
    "Nobody trusts the new chair yet.",
)


def span(text: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    """Code-point ``(start, end)`` of the ``occurrence``-th ``quote`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def sel(text: str, quote: str, guid: str, body: str, **attrs: str) -> str:
    start, end = span(text, quote)
    extra = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}"'
            f"{extra}>{body}</PlainTextSelection>")


def coding(guid: str, code: str, user: str, notes: str = "") -> str:
    return (f'<Coding guid="{guid}" creatingUser="{user}"><CodeRef targetGUID="{code}"/>'
            f"{notes}</Coding>")


def nvivo() -> str:
    k, d = NVIVO_TEXTS["ketua"], NVIVO_TEXTS["dinas"]
    u1, u2 = "8a1f3c2e-0b4d-4e5f-9a6b-7c8d9e0f1a2b", "1b2c3d4e-5f60-4718-89ab-cdef01234567"
    lead, meet, attend = ("c1000000-0000-4000-8000-000000000001",
                          "c1000000-0000-4000-8000-000000000002",
                          "c1000000-0000-4000-8000-000000000003")
    records, support = ("c1000000-0000-4000-8000-000000000004",
                        "c1000000-0000-4000-8000-000000000005")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="UPPKS NVivo" origin="NVivo 14.23.0 (Windows)"
         creatingUserGUID="{u1}" creationDateTime="2023-05-02T09:15:00Z">
  <Users>
    <User guid="{u1}" name="Ana Rahma"/>
    <User guid="{u2}" name="Budi S"/>
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{lead}" name="Leadership" isCodable="true" color="#E69F00">
        <Description>How the group is led.</Description>
        <NoteRef targetGUID="a0000000-0000-4000-8000-0000000000aa"/>
        <Code guid="{meet}" name="Meetings" isCodable="true" color="#F0E442">
          <Code guid="{attend}" name="Attendance" isCodable="true"/>
        </Code>
      </Code>
      <Code guid="{records}" name="Record keeping" isCodable="true" color="#56B4E9"/>
      <Code guid="{support}" name="Outside support" isCodable="true" color="#009E73">
        <Description>Help from the district office.</Description>
      </Code>
    </Codes>
  </CodeBook>
  <Variables>
    <Variable guid="e0000000-0000-4000-8000-000000000001" name="Group" typeOfVariable="Text"/>
    <Variable guid="e0000000-0000-4000-8000-000000000002" name="Village" typeOfVariable="Text"/>
    <Variable guid="e0000000-0000-4000-8000-000000000003" name="Age" typeOfVariable="Integer"/>
  </Variables>
  <Cases>
    <Case guid="f0000000-0000-4000-8000-000000000001" name="Ibu Rina">
      <VariableValue><VariableRef targetGUID="e0000000-0000-4000-8000-000000000001"/><TextValue>Asoka</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="e0000000-0000-4000-8000-000000000002"/><TextValue>Durian Daun</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="e0000000-0000-4000-8000-000000000003"/><IntegerValue>41</IntegerValue></VariableValue>
      <SourceRef targetGUID="b0000000-0000-4000-8000-000000000001"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="b0000000-0000-4000-8000-000000000001" name="Interview Ibu Rina" creatingUser="{u1}">
      <Description>First interview, March 2004</Description>
      <PlainTextContent>{escape(k)}</PlainTextContent>
      {sel(k, "rajin memanggil rapat", "d0000000-0000-4000-8000-000000000001",
           coding("d1000000-0000-4000-8000-000000000001", meet, u1)
           + coding("d1000000-0000-4000-8000-000000000002", lead, u2))}
      {sel(k, "pengurus lupa mencatat", "d0000000-0000-4000-8000-000000000002",
           coding("d1000000-0000-4000-8000-000000000003", records, u2), creatingUser=u2)}
      <NoteRef targetGUID="a0000000-0000-4000-8000-0000000000bb"/>
    </TextSource>
    <TextSource guid="b0000000-0000-4000-8000-000000000002" name="Dinas visit">
      <PlainTextContent>{escape(d)}</PlainTextContent>
      {sel(d, "Dana bantuan «cair» terlambat", "d0000000-0000-4000-8000-000000000003",
           coding("d1000000-0000-4000-8000-000000000004", support, u1))}
      {sel(d, "café di desa", "d0000000-0000-4000-8000-000000000004",
           coding("d1000000-0000-4000-8000-000000000005", attend, u1))}
    </TextSource>
    <AudioSource guid="b0000000-0000-4000-8000-000000000003" name="Rapat.m4a" path="internal://rapat.m4a">
      <AudioSelection guid="d0000000-0000-4000-8000-000000000009" begin="1000" end="5000">
        <Coding guid="d1000000-0000-4000-8000-000000000009" creatingUser="{u1}"><CodeRef targetGUID="{meet}"/></Coding>
      </AudioSelection>
    </AudioSource>
  </Sources>
  <Notes>
    <Note guid="a0000000-0000-4000-8000-0000000000aa" name="Leadership memo" creatingUser="{u1}">
      <PlainTextContent>Leadership seems to depend on the chair's own energy.</PlainTextContent>
    </Note>
    <Note guid="a0000000-0000-4000-8000-0000000000bb" name="Interview memo" creatingUser="{u2}">
      <PlainTextContent>Recorded at her house; husband present.</PlainTextContent>
    </Note>
  </Notes>
  <Sets>
    <Set guid="90000000-0000-4000-8000-000000000001" name="Governance">
      <MemberCode targetGUID="{lead}"/>
      <MemberCode targetGUID="{records}"/>
    </Set>
  </Sets>
</Project>
"""


def atlasti() -> tuple[str, dict[str, str]]:
    a1, b2 = ATLAS_TEXTS["A1"], ATLAS_TEXTS["B2"]
    user = "5F2D1C9A-3B4E-4F60-8A7B-9C0D1E2F3A4B"
    src_a, src_b = "2C9E6A10-7D3B-4C2A-9E1F-0A1B2C3D4E5F", "7E4F2B81-1A2B-4C3D-8E9F-A0B1C2D3E4F5"
    lead, meet, adat, books = ("11111111-AAAA-4BBB-8CCC-000000000001",
                               "11111111-AAAA-4BBB-8CCC-000000000002",
                               "11111111-AAAA-4BBB-8CCC-000000000003",
                               "11111111-AAAA-4BBB-8CCC-000000000004")
    var = {n: f"33333333-AAAA-4BBB-8CCC-00000000000{i}" for i, n in
           enumerate(["Group", "Village", "Informant role", "Date"], start=1)}

    def value(name: str, text: str, tag: str = "TextValue") -> str:
        return (f'<VariableValue><VariableRef targetGUID="{var[name]}"/><{tag}>{text}</{tag}>'
                "</VariableValue>")

    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:QDA-XML:project:1.0 Project-mrt2019.xsd"
         origin="ATLAS.ti Windows 23.2.1" name="UPPKS ATLAS" creatingUserGUID="{user}" xmlns="urn:QDA-XML:project:1.0">
  <Users>
    <User guid="{user}" name="Citra"/>
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{lead}" name="Kepemimpinan" isCodable="false" color="#C04000">
        <Code guid="{meet}" name="Rapat" isCodable="true"/>
        <Code guid="{adat}" name="Ninik mamak" isCodable="true" color="#800080"/>
      </Code>
      <Code guid="{books}" name="Pembukuan" isCodable="true" color="#008000">
        <Description>Buku kas dan catatan simpan pinjam.</Description>
      </Code>
    </Codes>
  </CodeBook>
  <Variables>
    <Variable guid="{var['Group']}" name="Group" typeOfVariable="Text"/>
    <Variable guid="{var['Village']}" name="Village" typeOfVariable="Text"/>
    <Variable guid="{var['Informant role']}" name="Informant role" typeOfVariable="Text"/>
    <Variable guid="{var['Date']}" name="Date" typeOfVariable="Date"/>
  </Variables>
  <Cases>
    <Case guid="44444444-AAAA-4BBB-8CCC-000000000001" name="Asoka chair">
      {value("Group", "Asoka")}{value("Village", "Durian Daun")}{value("Informant role", "chair")}
      {value("Date", "2004-03-11", "DateValue")}
      <SourceRef targetGUID="{{{src_a}}}"/>
    </Case>
    <Case guid="44444444-AAAA-4BBB-8CCC-000000000002" name="Melati meeting">
      {value("Group", "Melati")}{value("Village", "Padang Olo")}
      <SourceRef targetGUID="{src_b.lower()}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{src_a}" name="A1 Ketua Asoka.docx" plainTextPath="internal://{src_a}.txt" creatingUser="{user}">
      {sel(a1, "Rapat jalan terus", "55555555-AAAA-4BBB-8CCC-000000000001",
           "<Description>Chair is proud of this.</Description>"
           + coding("66666666-AAAA-4BBB-8CCC-000000000001", meet, user),
           name="1:1 Rapat jalan terus")}
      {sel(a1, "ninik mamak ikut hadir", "55555555-AAAA-4BBB-8CCC-000000000002",
           coding("66666666-AAAA-4BBB-8CCC-000000000002", "{" + adat.lower() + "}", user),
           name="1:2 ninik mamak")}
      {sel(a1, "bukunya tidak pernah diperiksa", "55555555-AAAA-4BBB-8CCC-000000000003",
           coding("66666666-AAAA-4BBB-8CCC-000000000003", books, user), name="1:3 bukunya")}
      {sel(a1, "Bagaimana rapat kelompok?", "55555555-AAAA-4BBB-8CCC-000000000004", "",
           name="1:4 free quotation")}
    </TextSource>
    <TextSource guid="{src_b}" name="B2 Observasi Melati" plainTextPath="internal://{src_b}.txt">
      {sel(b2, "pertemuan batal karena ketua ke kebun", "55555555-AAAA-4BBB-8CCC-000000000005",
           coding("66666666-AAAA-4BBB-8CCC-000000000005", meet, user),
           name="2:1 pertemuan batal")}
      <NoteRef targetGUID="77777777-AAAA-4BBB-8CCC-000000000001"/>
    </TextSource>
  </Sources>
  <Notes>
    <Note guid="77777777-AAAA-4BBB-8CCC-000000000001" name="Observasi Melati" plainTextPath="internal://77777777-AAAA-4BBB-8CCC-000000000001.txt" creatingUser="{user}"/>
    <Note guid="77777777-AAAA-4BBB-8CCC-000000000002" name="Research question" creatingUser="{user}">
      <PlainTextContent>Why do some groups keep meeting?</PlainTextContent>
    </Note>
  </Notes>
  <Links>
    <Link guid="88888888-AAAA-4BBB-8CCC-000000000001" name="is associated with" direction="Associative" originGUID="{meet}" targetGUID="{adat}"/>
  </Links>
  <Sets>
    <Set guid="99999999-AAAA-4BBB-8CCC-000000000001" name="Governance codes">
      <MemberCode targetGUID="{books}"/>
    </Set>
  </Sets>
</Project>
"""
    files = {f"sources/{src_a}.txt": a1, f"sources/{src_b}.txt": b2,
             "sources/77777777-AAAA-4BBB-8CCC-000000000001.txt":
                 "Semua anggota perempuan; ketua tidak datang.\n"}
    return qde, files


def maxqda() -> tuple[str, dict[str, str]]:
    user = "0D1E2F3A-4B5C-4D6E-8F70-8192A3B4C5D6"
    kep, pinjam, ekon = ("ABCDEF01-2345-4678-89AB-000000000001",
                         "ABCDEF01-2345-4678-89AB-000000000002",
                         "ABCDEF01-2345-4678-89AB-000000000003")
    var = {"informant_role": "ABCDEF01-2345-4678-89AB-0000000000A2",
           "Group": "ABCDEF01-2345-4678-89AB-0000000000A3",
           "Pages": "ABCDEF01-2345-4678-89AB-0000000000A4"}

    def value(name: str, text: str, tag: str = "TextValue") -> str:
        return (f'<VariableValue><VariableRef targetGUID="{var[name]}"/><{tag}>{text}</{tag}>'
                "</VariableValue>")

    crlf, notes = MAXQDA_CRLF, MAXQDA_NOTES
    s1 = sel(crlf, "Saya senang 😀 ikut UPPKS", "ABCDEF01-2345-4678-89AB-0000000000E1",
             coding("ABCDEF01-2345-4678-89AB-0000000000F1", kep, user))
    s2 = sel(crlf, "pinjaman susah 👍🏽 dikembalikan.\r\n", "ABCDEF01-2345-4678-89AB-0000000000E2",
             coding("ABCDEF01-2345-4678-89AB-0000000000F2", pinjam, user))
    s3 = sel(crlf, "Harga getah turun.", "ABCDEF01-2345-4678-89AB-0000000000E3",
             coding("ABCDEF01-2345-4678-89AB-0000000000F3", ekon, user))
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="UPPKS MAXQDA" origin="MAXQDA 2022 (Release 22.7.0)" basePath="">
  <Users>
    <User guid="{user}" name="Dewi" id="DW"/>
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{kep}" name="1. Kepuasan &amp; Kepercayaan" isCodable="true" color="#ff0000">
        <Code guid="{pinjam}" name="Pinjaman macet" isCodable="true" color="#f0a"/>
      </Code>
      <Code guid="{ekon}" name="Ekonomi (harga)" isCodable="true" color="#0000ff"/>
    </Codes>
  </CodeBook>
  <Variables>
    <Variable guid="{var['Group']}" name="Group" typeOfVariable="Text"/>
    <Variable guid="{var['informant_role']}" name="informant_role" typeOfVariable="Text"/>
    <Variable guid="{var['Pages']}" name="Pages" typeOfVariable="Integer"/>
  </Variables>
  <Sources>
    <TextSource guid="ABCDEF01-2345-4678-89AB-0000000000D1" name="Interview Pak Joni" plainTextPath="relative://Interviews/Interview%20Pak%20Joni.txt" creatingUser="{user}">
      {s1}
      {s2}
      {s3}
      {value("Group", "Melati")}{value("informant_role", "member")}
    </TextSource>
    <TextSource guid="ABCDEF01-2345-4678-89AB-0000000000D2" name="Observasi papan" plainTextPath="Interviews/observasi.txt">
      {sel(notes, "Tidak ada jadwal arisan.", "ABCDEF01-2345-4678-89AB-0000000000E4",
           coding("ABCDEF01-2345-4678-89AB-0000000000F4", kep, user))}
      <NoteRef targetGUID="ABCDEF01-2345-4678-89AB-0000000000C1"/>
      {value("Group", "Melati")}{value("Pages", "2", "IntegerValue")}
    </TextSource>
  </Sources>
  <Notes>
    <Note guid="ABCDEF01-2345-4678-89AB-0000000000C1" name="Dokumentmemo" creatingUser="{user}">
      <PlainTextContent>Foto papan ada di folder lapangan.</PlainTextContent>
    </Note>
  </Notes>
</Project>
"""
    return qde, {"Interviews/Interview Pak Joni.txt": crlf, "Interviews/observasi.txt": notes}


def qualcoder() -> tuple[str, dict[str, str]]:
    user = "9C8B7A65-4321-4FED-8CBA-987654321000"
    text_src, docx_src = ("12345678-1234-4234-8234-123456789001",
                          "12345678-1234-4234-8234-123456789002")
    cat, cash, trust, meet = ("12345678-1234-4234-8234-1234567890C0",
                              "12345678-1234-4234-8234-1234567890C1",
                              "12345678-1234-4234-8234-1234567890C2",
                              "12345678-1234-4234-8234-1234567890C3")
    docx_text = "\n".join(QUALCODER_DOCX_PARAGRAPHS)
    role = "12345678-1234-4234-8234-1234567890A1"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="urn:QDA-XML:project:1.0 http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd"
 name="uppks_qc.qda" origin="QualCoder 3.5" creatingUserGUID="{user}" creationDateTime="2024-02-01T10:00:00Z">
<Users>
<User guid="{user}" name="default"/>
</Users>
<CodeBook>
<Codes>
<Code guid="{cat}" name="Group functioning" isCodable="false">
<Code guid="{cash}" name="cash handling" isCodable="true" color="#FFAA00">
<Description>Where the money is kept.</Description>
</Code>
<Code guid="{meet}" name="meetings" isCodable="true" color="#00AAFF"/>
</Code>
<Code guid="{trust}" name="trust" isCodable="true" color="#AA00FF"/>
</Codes>
</CodeBook>
<Variables>
<Variable guid="{role}" name="Informant Role" typeOfVariable="Text"/>
</Variables>
<Cases>
<Case guid="12345678-1234-4234-8234-1234567890B1" name="secretary">
<VariableValue><VariableRef targetGUID="{role}"/><TextValue>secretary</TextValue></VariableValue>
<SourceRef targetGUID="{docx_src}"/>
</Case>
</Cases>
<Sources>
<TextSource guid="{text_src}" name="notes1.txt" plainTextPath="internal://{text_src}.txt" creatingUser="{user}">
{sel(QUALCODER_TEXT, "The treasurer keeps the cash box at home.", "12345678-1234-4234-8234-1234567890E1",
     coding("12345678-1234-4234-8234-1234567890F1", cash, user))}
</TextSource>
<TextSource guid="{docx_src}" name="interview2.docx" richTextPath="internal://{docx_src}.docx" creatingUser="{user}">
{sel(docx_text, "the meetings stopped after the harvest", "12345678-1234-4234-8234-1234567890E2",
     coding("12345678-1234-4234-8234-1234567890F2", meet, user,
            '<NoteRef targetGUID="12345678-1234-4234-8234-1234567890D1"/>'))}
{sel(docx_text, "Nobody trusts the new chair yet.", "12345678-1234-4234-8234-1234567890E3",
     coding("12345678-1234-4234-8234-1234567890F3", trust, user))}
</TextSource>
</Sources>
<Notes>
<Note guid="12345678-1234-4234-8234-1234567890D1" name="coding memo" creatingUser="{user}">
<PlainTextContent>Harvest season: rubber prices.</PlainTextContent>
</Note>
</Notes>
</Project>
"""
    return qde, {f"sources/{text_src}.txt": QUALCODER_TEXT}


UNNAMED_TEXTS = {
    "board_2017": "Rapat pengurus 2017.\nKas bulanan diperiksa ketua; notulen lengkap.\n",
    "admin-1": "Admin kabupaten: laporan masuk terlambat.\nDana cair bulan Juni.\n",
}
UNNAMED_SOURCES = {"board_2017": "5d0a6c1e-8b2f-4c3d-9e4f-0a1b2c3d4e01",
                   "admin-1": "5d0a6c1e-8b2f-4c3d-9e4f-0a1b2c3d4e02"}


def unnamed() -> tuple[str, dict[str, str]]:
    user = "6e1b7d2f-9c30-4d4e-8f50-1b2c3d4e5f60"
    kas, dana = "7f2c8e30-ad41-4e5f-9061-2c3d4e5f6071", "7f2c8e30-ad41-4e5f-9061-2c3d4e5f6072"
    names = ["Group", "Jenis Kelamin", "text", "Umur", "Aktif", "Skor", "Tanggal rapat"]
    types = ["Text", "Text", "Text", "Integer", "Boolean", "Float", "Date"]
    var = {n: f"8a3d9f41-be52-4f60-a172-3d4e5f60718{i}" for i, n in enumerate(names)}

    def value(name: str, text: str) -> str:
        tag = f"{types[names.index(name)]}Value"
        return (f'<VariableValue><VariableRef targetGUID="{var[name]}"/><{tag}>{text}</{tag}>'
                "</VariableValue>")

    board, admin = UNNAMED_TEXTS["board_2017"], UNNAMED_TEXTS["admin-1"]
    variables = "\n    ".join(f'<Variable guid="{var[n]}" name="{n}" typeOfVariable="{t}"/>'
                              for n, t in zip(names, types, strict=True))
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="UPPKS board" origin="Some QDA 2.0" creatingUserGUID="{user}">
  <Users>
    <User guid="{user}" name="Eka"/>
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{kas}" name="Kas" isCodable="true" color="#E69F00"/>
      <Code guid="{dana}" name="Dana" isCodable="true"/>
    </Codes>
  </CodeBook>
  <Variables>
    {variables}
  </Variables>
  <Cases>
    <Case guid="9b4e0a52-cf63-4071-b283-4e5f60718291" name="Board 2017">
      {value("Group", "Asoka")}{value("Jenis Kelamin", "P")}{value("text", "transkrip")}
      {value("Umur", "52")}{value("Aktif", "true")}{value("Skor", "3.5")}
      {value("Tanggal rapat", "2017-06-01")}
      <SourceRef targetGUID="{UNNAMED_SOURCES['board_2017']}"/>
    </Case>
    <Case guid="9b4e0a52-cf63-4071-b283-4e5f60718292" name="Admin 1">
      {value("Jenis Kelamin", "L")}{value("text", "catatan")}{value("Umur", "38")}
      {value("Aktif", "false")}{value("Skor", "-1.25")}
      <SourceRef targetGUID="{UNNAMED_SOURCES['admin-1']}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{UNNAMED_SOURCES['board_2017']}" plainTextPath="internal://board_2017.txt" creatingUser="{user}">
      {sel(board, "Kas bulanan diperiksa ketua", "0c5f1b63-d074-4182-8394-5f6071829301",
           coding("1d602c74-e185-4293-94a5-607182930401", kas, user))}
    </TextSource>
    <TextSource guid="{UNNAMED_SOURCES['admin-1']}" plainTextPath="internal://admin-1.txt" creatingUser="{user}">
      {sel(admin, "Dana cair bulan Juni", "0c5f1b63-d074-4182-8394-5f6071829302",
           coding("1d602c74-e185-4293-94a5-607182930402", dana, user))}
    </TextSource>
  </Sources>
</Project>
"""
    return qde, {"sources/board_2017.txt": board, "sources/admin-1.txt": admin}


def write(folder: str, qde: str, files: dict[str, str] | None = None) -> None:
    base = HERE / folder
    base.mkdir(exist_ok=True)
    (base / "project.qde").write_text(qde, encoding="utf-8", newline="")
    for name, text in (files or {}).items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    write("nvivo", nvivo())
    write("atlasti", *atlasti())
    write("maxqda", *maxqda())
    write("qualcoder", *qualcoder())
    write("unnamed", *unnamed())
