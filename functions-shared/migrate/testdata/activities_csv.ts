/**
 * An activities CSV whose rows name leads of `generateLeadCsv()`'s file by their external id
 * (`EXT-<n>`, its first column), as a user's export from the old CRM would: French headers, `;`.
 */
const TYPES = ["Appel", "Réunion", "Tâche", "E-mail", "RDV"];

/** `rows` activities over leads 1..`leads` of the lead CSV; a stream, never held whole. */
export function generateActivitiesCsv(o: { rows: number; leads: number }): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode("Lead;Type;Résumé;Échéance\r\n"));
    },
    pull(c) {
      if (i >= o.rows) return c.close();
      const lines: string[] = [];
      for (const end = Math.min(o.rows, i + 2000); i < end; i++) {
        const lead = 1 + ((i * 7919) % o.leads);
        const day = String(1 + (i % 28)).padStart(2, "0");
        lines.push(`EXT-${lead};${TYPES[i % TYPES.length]};Relance ${i + 1};${day}/03/2027`);
      }
      c.enqueue(enc.encode(lines.join("\r\n") + "\r\n"));
    },
  });
}
