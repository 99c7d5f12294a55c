import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { importKit, JWT_SECRET, SERVICE_KEY } from "../../../scripts/testing/import_kit.ts";

const MB = 1_000_000;
const BOUNDARY = "----passerelle-memory-test";

/** A multipart start whose CSV file part is `size` bytes of lead rows, generated as it is sent. */
function multipartBody(companyId: number, size: number, hash: ReturnType<typeof createHash>) {
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="companyId"\r\n\r\n${companyId}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="options"\r\n\r\n{"autoCommit": false}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="gros.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${BOUNDARY}--\r\n`);
  const line = enc.encode("Dupont;jean.dupont@exemple.fr;06 12 34 56 78;Boulangerie Dupont;1 234,56\r\n");
  const chunk = new Uint8Array(Math.floor((64 * 1024) / line.length) * line.length);
  for (let i = 0; i < chunk.length; i += line.length) chunk.set(line, i);
  const header = enc.encode("Nom;Courriel;Téléphone;Société;Montant\r\n");
  let sent = 0, stage = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (stage === 0) {
        stage = 1;
        c.enqueue(head);
        c.enqueue(header);
        hash.update(header);
        sent = header.length;
      } else if (sent < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        hash.update(part);
        sent += part.length;
        c.enqueue(part.slice());
      } else {
        c.enqueue(tail);
        c.close();
      }
    },
  });
}

Deno.test("a 300 MB CSV sent as multipart streams to Storage: the server's memory stays within 100 MB of idle", async () => {
  const kit = await importKit("imp_multipart_mem");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./testdata/upload_server_child.ts", import.meta.url).pathname,
      kit.db.url,
      kit.dir,
      JWT_SECRET,
      SERVICE_KEY,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { port } = JSON.parse((await reader.read()).value!.trim());
    const url = `http://127.0.0.1:${port}`;
    const token = await kit.token(kit.admin);
    const upload = async (size: number) => {
      const hash = createHash("sha256");
      const res = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
        },
        body: multipartBody(kit.company, size, hash),
      });
      return { status: res.status, body: await res.json(), sha256: hash.digest("hex") };
    };
    // Warm up (modules compiled, database pool open), then take the idle level.
    assert.equal((await upload(2 * MB)).status, 202);
    const { idle } = await (await fetch(`${url}/memory`, { method: "PUT" })).json();

    const size = 300 * MB;
    const r = await upload(size);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const { peak } = await (await fetch(`${url}/memory`)).json();
    const growth = peak - idle;
    console.log(
      `server RSS: idle ${(idle / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB (+${
        (growth / MB).toFixed(1)
      } MB) for a ${size / MB} MB upload`,
    );
    assert.ok(growth < 100 * MB, `the server's RSS grew by ${(growth / MB).toFixed(1)} MB`);

    // Every byte arrived: the job's file is the file sent.
    const [job] = await kit.db
      .sql`select file_size, file_sha256, file_path from public.import_jobs where id = ${r.body.jobId}`;
    assert.equal(Number(job.file_size), size);
    assert.equal(job.file_sha256, r.sha256);
    assert.equal((await kit.store.stat(job.file_path))?.size, size);
    await reader.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await kit.close();
  }
});
