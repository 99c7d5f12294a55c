/**
 * A corpus of malformed import files, made in code: each file's bytes, its
 * name, what it holds (leads or activities), and the issue an import must end
 * with: its code, where it is (row, field), and a fragment of its French
 * message. `corpus_test.ts` runs each through sniffing, mapping, reading and
 * validation.
 */
import type { ImportKind } from "../columns.ts";
import type { IssueCode } from "../messages.ts";
import { buildXlsx, xlsxParts, zip } from "./xlsx_writer.ts";

/** One malformed file and the end it must come to. */
export interface CorpusFile {
  name: string;
  /** What the file is, for test names. */
  about: string;
  kind: ImportKind;
  bytes: Uint8Array;
  expect: {
    code: IssueCode;
    /** The row the issue names, where it is about a row. */
    row?: number;
    /** The field the issue names, where it is about a field. */
    field?: string;
    /** A fragment of the French message. */
    fragment: string;
  };
}

const enc = new TextEncoder();
const utf8 = (s: string) => enc.encode(s);
const crlf = (...lines: string[]) => lines.join("\r\n") + "\r\n";
const cat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** Windows-1252 bytes of Latin-1 text (and €). */
const latin1 = (s: string) => Uint8Array.from(s, (c) => (c === "€" ? 0x80 : c.charCodeAt(0)));
const utf16le = (s: string) =>
  Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]));

const LEAD_HEADER = "Prénom;Nom;Courriel;Téléphone;Société;Montant;Probabilité;Date de création";
const leadRow = (
  i: number,
  o: Partial<Record<"email" | "phone" | "amount" | "proba" | "date", string>> = {},
) =>
  [
    "Émilie",
    `Lefèvre${i}`,
    o.email ?? `emilie.lefevre${i}@exemple.fr`,
    o.phone ?? "06 12 34 56 78",
    "Boulangerie Lefèvre",
    o.amount ?? "1 234,56 €",
    o.proba ?? "40",
    o.date ?? "15/03/2024",
  ].join(";");
const XLSX_HEADER = ["Prénom", "Nom", "Courriel", "Société", "Date de création", "Montant"];

/** Every file of the corpus (built on each call: about 2 MB, plus a 40 MB zip bomb inflated only while read). */
export function buildCorpus(): CorpusFile[] {
  const files: CorpusFile[] = [
    {
      name: "vide.csv",
      about: "an empty file",
      kind: "lead",
      bytes: new Uint8Array(0),
      expect: { code: "file_empty", fragment: "vide.csv : le fichier est vide" },
    },
    {
      name: "lignes-vides.csv",
      about: "only blank lines",
      kind: "lead",
      bytes: utf8("\r\n\r\n   \r\n\r\n"),
      expect: { code: "file_blank", fragment: "ne contient que des lignes vides" },
    },
    {
      name: "entete-seul.csv",
      about: "a header without rows",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER)),
      expect: { code: "file_header_only", fragment: "qu'une ligne d'en-tête (« Prénom », « Nom »" },
    },
    {
      name: "entete-seul-bom.csv",
      about: "a BOM and a header with blank lines under it",
      kind: "lead",
      bytes: utf8("\ufeff" + crlf(LEAD_HEADER, "", ";;;;;;;")),
      expect: { code: "file_header_only", fragment: "aucune ligne de données" },
    },
    {
      name: "binaire.csv",
      about: "binary junk",
      kind: "lead",
      bytes: Uint8Array.from({ length: 8192 }, (_, i) => (i * 7919 + (i >> 3) * 31) % 256),
      expect: {
        code: "file_binary",
        fragment: "ce n'est ni un CSV ni un classeur Excel .xlsx (contenu binaire)",
      },
    },
    {
      name: "leads.xlsx",
      about: "an .xls renamed .xlsx",
      kind: "lead",
      bytes: cat([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], new Uint8Array(504)),
      expect: { code: "file_xls", fragment: "leads.xlsx : ancien format Excel 97-2003 (.xls)" },
    },
    {
      name: "leads.xls",
      about: "an Excel 97-2003 workbook",
      kind: "lead",
      bytes: cat([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00, 0x00], new Uint8Array(1000)),
      expect: { code: "file_xls", fragment: "enregistrez-le au format .xlsx ou CSV UTF-8" },
    },
    {
      name: "unicode.txt",
      about: 'Excel\'s "Unicode text" (UTF-16 with BOM, read like a CSV) with a bad email on row 3',
      kind: "lead",
      bytes: cat(
        [0xff, 0xfe],
        utf16le("Prénom\tNom\tCourriel\r\nÉmilie\tLefèvre\te@x.fr\r\nJean 😀\tDupont\tjean.dupont@\r\n"),
      ),
      expect: {
        code: "email_invalid",
        row: 3,
        field: "email",
        fragment: "« Courriel » : adresse invalide (valeur « jean.dupont@ »)",
      },
    },
    {
      name: "octets-nuls.csv",
      about: "NUL bytes between characters (UTF-16 without BOM)",
      kind: "lead",
      bytes: utf16le("Nom;Courriel\r\nDupont;d@x.fr\r\n"),
      expect: { code: "file_utf16", fragment: "CSV UTF-8" },
    },
    {
      name: "nul-en-tete.csv",
      about: "NUL bytes in the head of a text file",
      kind: "lead",
      bytes: cat(
        utf8("Nom;Courriel\r\nDupont;d@x"),
        [0, 0],
        utf8(".fr\r\n" + "Martin;m@x.fr\r\n".repeat(200)),
      ),
      expect: { code: "file_binary", fragment: "contenu binaire" },
    },
    {
      name: "rapport.csv",
      about: "a PDF renamed .csv",
      kind: "lead",
      bytes: utf8("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
      expect: { code: "file_binary", fragment: "(document PDF)" },
    },
    {
      name: "export-web.xls",
      about: "an HTML table saved as .xls by a web application",
      kind: "lead",
      bytes: utf8("<html><body><table><tr><td>Nom</td></tr><tr><td>Dupont</td></tr></table></body></html>"),
      expect: { code: "file_binary", fragment: "(page HTML)" },
    },
    {
      name: "lettre.xlsx",
      about: "an OpenDocument text renamed .xlsx",
      kind: "lead",
      bytes: zip({ "mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>" }, 0),
      expect: { code: "file_zip_not_xlsx", fragment: "(type application/vnd.oasis.opendocument.text)" },
    },
    {
      name: "courrier.xlsx",
      about: "a Word document renamed .xlsx",
      kind: "lead",
      bytes: zip({ "[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>" }),
      expect: { code: "file_zip_not_xlsx", fragment: "document Word .docx" },
    },
    {
      name: "pipes.csv",
      about: "a pipe-delimited file",
      kind: "lead",
      bytes: utf8(crlf("Prénom|Nom|Courriel", "Émilie|Lefèvre|e@x.fr", "Jean|Dupont|j@x.fr")),
      expect: { code: "delimiter_unsupported", fragment: "séparateur « | » non pris en charge" },
    },
    {
      name: "mauvais-separateur.csv",
      about: "a header in semicolons over rows in commas",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, "Émilie,Lefèvre,e@x.fr,0612345678,ACME,10,5,01/01/2024", leadRow(3))),
      expect: { code: "row_field_count", row: 2, fragment: "1 valeurs au lieu de 8" },
    },
    {
      name: "mac.csv",
      about: "old Mac line ends (CR only)",
      kind: "lead",
      bytes: utf8("Nom;Courriel\rDupont;d@x.fr\rMartin;m@x.fr\r"),
      expect: { code: "file_cr_newlines", fragment: "se terminent par CR seul" },
    },
    {
      name: "encodages-melanges.csv",
      about: "UTF-8 rows followed by a Windows-1252 row",
      kind: "lead",
      bytes: cat(utf8(crlf(LEAD_HEADER, leadRow(2), leadRow(3))), latin1(crlf("Hélène;Côté;h@x.fr;;;;;"))),
      expect: {
        code: "encoding_invalid",
        row: 4,
        fragment: "encodages-melanges.csv, ligne 4 : octets invalides en UTF-8",
      },
    },
    {
      name: "bom-point-virgule.csv",
      about: "BOM and semicolons (read right), then a bad email on row 3",
      kind: "lead",
      bytes: utf8("\ufeff" + crlf(LEAD_HEADER, leadRow(2), leadRow(3, { email: "emilie.lefevre@" }))),
      expect: {
        code: "email_invalid",
        row: 3,
        field: "email",
        fragment: "« Courriel » : adresse invalide (valeur « emilie.lefevre@ »)",
      },
    },
    {
      name: "windows-1252.csv",
      about: "Windows-1252 text (read right), then a bad phone on row 3",
      kind: "lead",
      bytes: latin1(crlf(LEAD_HEADER, leadRow(2), leadRow(3, { phone: "12 34" }))),
      expect: {
        code: "phone_invalid",
        row: 3,
        field: "phone",
        fragment: "« Téléphone » : numéro de téléphone invalide (valeur « 12 34 »)",
      },
    },
    {
      name: "guillemet-ouvert.csv",
      about: "a quote never closed",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, leadRow(2), 'Jean;"Dupont;j@x.fr;;;;;', leadRow(4))),
      expect: {
        code: "csv_unterminated_quote",
        row: 3,
        fragment: "guillemet-ouvert.csv, ligne 3, colonne 2 (« Nom ») : guillemet ouvert jamais fermé",
      },
    },
    {
      name: "champ-enorme.csv",
      about: "a field over 1 MB",
      kind: "lead",
      bytes: utf8(
        crlf("Nom;Courriel;Description", "Dupont;d@x.fr;court", `Martin;m@x.fr;${"x".repeat(1_100_000)}`),
      ),
      expect: {
        code: "csv_field_too_large",
        row: 3,
        fragment: "ligne 3, colonne 3 (« Description ») : champ de plus de 1 Mo",
      },
    },
    {
      name: "doublons-entete.csv",
      about: "two columns for the email",
      kind: "lead",
      bytes: utf8(crlf("Nom;Email;Courriel", "Dupont;d@x.fr;d@y.fr")),
      expect: {
        code: "column_duplicate",
        field: "email",
        fragment: "les colonnes « Email » et « Courriel » correspondent toutes au champ « Courriel »",
      },
    },
    {
      name: "entete-repete.csv",
      about: "the same header twice",
      kind: "lead",
      bytes: utf8(crlf("Nom;Société;Nom", "Dupont;ACME;Durand")),
      expect: { code: "column_duplicate", field: "lastName", fragment: "« Nom » et « Nom »" },
    },
    {
      name: "colonnes-manquantes.csv",
      about: "no column to name the lead by",
      kind: "lead",
      bytes: utf8(crlf("Téléphone;Ville", "0612345678;Lyon")),
      expect: {
        code: "column_missing",
        fragment: "colonne obligatoire absente : « Titre », « Nom du contact »",
      },
    },
    {
      name: "activites-sans-lead.csv",
      about: "activities without a lead column",
      kind: "activity",
      bytes: utf8(crlf("Type;Résumé;Échéance", "Appel;Relancer;15/03/2024")),
      expect: {
        code: "column_missing",
        fragment: "« Courriel lead », « Référence lead » ou « Téléphone lead »",
      },
    },
    {
      name: "lignes-irregulieres.csv",
      about: "a row with a stray delimiter",
      kind: "lead",
      bytes: utf8(
        crlf(
          LEAD_HEADER,
          leadRow(2),
          "Jean;Dupont;j@x.fr;06 12 34 56 78;ACME; SARL;10;5;01/01/2024",
          leadRow(4),
        ),
      ),
      expect: { code: "row_field_count", row: 3, fragment: "9 valeurs au lieu de 8" },
    },
    {
      name: "date-impossible.csv",
      about: "the 31st of February",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, leadRow(2, { date: "31/02/2024" }))),
      expect: {
        code: "date_invalid",
        row: 2,
        field: "createdAt",
        fragment: "« Date de création » : date invalide (valeur « 31/02/2024 »)",
      },
    },
    {
      name: "date-americaine.csv",
      about: "a month-first date",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, leadRow(2), leadRow(3, { date: "03/15/2024" }))),
      expect: { code: "date_invalid", row: 3, field: "createdAt", fragment: "formats acceptés : jj/mm/aaaa" },
    },
    {
      name: "montant-texte.csv",
      about: "an amount in words",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, leadRow(2, { amount: "environ mille" }))),
      expect: {
        code: "amount_invalid",
        row: 2,
        field: "expectedRevenue",
        fragment: "« Montant » : montant invalide (valeur « environ mille »)",
      },
    },
    {
      name: "probabilite.csv",
      about: "a probability over 100",
      kind: "lead",
      bytes: utf8(crlf(LEAD_HEADER, leadRow(2, { proba: "150" }))),
      expect: {
        code: "probability_range",
        row: 2,
        field: "probability",
        fragment: "entre 0 et 100 (valeur « 150 »)",
      },
    },
    {
      name: "lead-anonyme.csv",
      about: "a lead with a phone number only",
      kind: "lead",
      bytes: utf8(crlf("Nom;Téléphone;Ville", "Dupont;0612345678;Lyon", ";0687654321;Paris")),
      expect: { code: "lead_identity_missing", row: 3, fragment: "Il faut au moins un titre" },
    },
    {
      name: "activites-courriel-non-reconnu.csv",
      about: "activities whose lead e-mail is under a header the import does not know",
      kind: "activity",
      bytes: utf8(
        crlf("Référence lead;Adresse du client;Type;Résumé", "L1;;Appel;Relancer", ";b@x.fr;Pigeon;Envoyer"),
      ),
      expect: {
        code: "activity_lead_column_unmapped",
        row: 3,
        fragment:
          "la colonne « Adresse du client », que l'import ne reconnaît pas, semble contenir l'e-mail du lead",
      },
    },
    {
      name: "dates-numeros-serie.xlsx",
      about: "dates typed as Excel serial numbers, one of them the phantom 1900-02-29",
      kind: "lead",
      bytes: buildXlsx({
        rows: [XLSX_HEADER, ["Émilie", "Lefèvre", "e@x.fr", "ACME", 45366, 10], [
          "Jean",
          "Dupont",
          "j@x.fr",
          "ACME",
          60,
          20,
        ]],
      }),
      expect: { code: "date_invalid", row: 3, field: "createdAt", fragment: "date invalide (valeur « 60 »)" },
    },
    {
      name: "formules.xlsx",
      about: "a formula saved without its computed value",
      kind: "lead",
      bytes: buildXlsx({
        rows: [
          XLSX_HEADER,
          ["Émilie", "Lefèvre", "e@x.fr", "ACME", { date: 45366 }, { formula: "10*2", value: 20 }],
          ["Jean", "Dupont", "j@x.fr", "ACME", { date: 45366 }, { formula: "F2*2" }],
        ],
      }),
      expect: {
        code: "xlsx_formula_no_value",
        row: 3,
        fragment: "formules.xlsx, ligne 3, cellule F3 : formule sans valeur calculée (=F2*2)",
      },
    },
    {
      name: "bombe.xlsx",
      about: "a zip bomb: 40 MB of XML in 40 KB",
      kind: "lead",
      bytes: zip({
        ...xlsxParts({ rows: [XLSX_HEADER, ["Émilie", "Lefèvre", "e@x.fr", "ACME", 45366, 10]] }),
        "xl/worksheets/sheet1.xml":
          `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${
            " ".repeat(40 * 1024 * 1024)
          }</sheetData></worksheet>`,
      }, 9),
      expect: { code: "xlsx_zip_bomb", fragment: "bombe.xlsx : le classeur se décompresse en plus de" },
    },
    {
      name: "tronque.xlsx",
      about: "a workbook cut short (an interrupted upload)",
      kind: "lead",
      bytes: buildXlsx({ rows: [XLSX_HEADER, ["Émilie", "Lefèvre", "e@x.fr", "ACME", 45366, 10]] }).subarray(
        0,
        1500,
      ),
      expect: {
        code: "xlsx_corrupt",
        fragment: "tronque.xlsx : classeur .xlsx illisible ou endommagé (archive zip tronquée)",
      },
    },
    {
      name: "sans-classeur.xlsx",
      about: "a workbook without xl/workbook.xml",
      kind: "lead",
      bytes: buildXlsx({ rows: [XLSX_HEADER], omit: ["xl/workbook.xml"] }),
      expect: { code: "xlsx_corrupt", fragment: "partie manquante : xl/workbook.xml" },
    },
    {
      name: "entete-seul.xlsx",
      about: "a sheet with a header only",
      kind: "lead",
      bytes: buildXlsx({ rows: [["Liste des leads"], [], XLSX_HEADER] }),
      expect: {
        code: "file_header_only",
        fragment: "entete-seul.xlsx : le fichier ne contient qu'une ligne d'en-tête",
      },
    },
  ];
  return files;
}
