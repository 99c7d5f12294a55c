/**
 * The user's migration at a chosen scale, made from the project's own pieces: the Odoo simulator's
 * dataset (`generateDataset`), its backup written by the project's backup writer (pg_dump of
 * `ir_attachment`, filestore by sha1, checklist markers, zipped as Odoo zips it), the lead CSV generator
 * and an activities CSV naming those leads.
 *
 * `full` is the migration: 2,661 leads, 17,366 attachments of 50 KB–50 MB summing to 12.6 GB,
 * 5 orphans (their lead deleted in Odoo), 3 links, 5 % shared content, 40 checklist markers, a
 * 200,000-row lead CSV and a 50,000-row activities CSV. `small` keeps every kind of case, smaller.
 */
import { join } from "node:path";
import {
  type DatasetBackup,
  writeDatasetZip,
} from "../../functions-shared/backup/testdata/dataset_backup.ts";
import { generateLeadCsv } from "../../functions-shared/imports/testdata/lead_csv.ts";
import { generateActivitiesCsv } from "../../functions-shared/migrate/testdata/activities_csv.ts";
import { generateDataset, type OdooDataset } from "../odoo_simulator/dataset.ts";

/** The figures of one scale. */
export interface Scale {
  leads: number;
  attachments: number;
  minBytes: number;
  maxBytes: number;
  totalBytes: number;
  orphans: number;
  links: number;
  sharedRatio: number;
  checklist: number;
  leadRows: number;
  activityRows: number;
}

export const SCALES: Record<"small" | "full", Scale> = {
  full: {
    leads: 2_661,
    attachments: 17_366,
    minBytes: 50_000,
    maxBytes: 50_000_000,
    totalBytes: 12_600_000_000,
    orphans: 5,
    links: 3,
    sharedRatio: 0.05,
    checklist: 40,
    leadRows: 200_000,
    activityRows: 50_000,
  },
  small: {
    leads: 300,
    attachments: 600,
    minBytes: 50_000,
    maxBytes: 8_000_000,
    totalBytes: 150_000_000,
    orphans: 5,
    links: 3,
    sharedRatio: 0.05,
    checklist: 40,
    leadRows: 10_000,
    activityRows: 3_000,
  },
};

/** A scenario written to disk. */
export interface Scenario {
  dataset: OdooDataset;
  backup: DatasetBackup;
  leadsCsv: string;
  activitiesCsv: string;
  scale: Scale;
  /** Read from the cache (an earlier run wrote it). */
  cached: boolean;
}

/** The dataset's seed: with the scale, it keys the cache. */
export const SEED = 2026;

/**
 * Where a scenario is kept between runs: `$PASSERELLE_BENCH_CACHE` (default `/tmp/passerelle-bench-cache`),
 * one folder per scale and seed, so a 12.6 GB backup is written once.
 */
export function scenarioDir(scaleName: string): string {
  const root = Deno.env.get("PASSERELLE_BENCH_CACHE") ?? "/tmp/passerelle-bench-cache";
  return join(root, `migration-${scaleName}-seed${SEED}-v1`);
}

async function readCached(meta: string): Promise<Omit<DatasetBackup, "folder" | "zip"> | null> {
  try {
    return JSON.parse(await Deno.readTextFile(meta));
  } catch {
    return null;
  }
}

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/**
 * Sizes between min and max whose sum is `total`: `min·(max/min)^(u^k)` for uniform u, k found by
 * bisection (k = 1 is log-uniform; a larger k makes most files small and a few big, as a CRM's are).
 */
export function fileSizes(n: number, s: Pick<Scale, "minBytes" | "maxBytes" | "totalBytes">, seed = 7) {
  const random = rng(seed);
  const us = Array.from({ length: n }, () => random());
  const sizes = (k: number) => us.map((u) => Math.round(s.minBytes * (s.maxBytes / s.minBytes) ** (u ** k)));
  const sum = (k: number) => sizes(k).reduce((a, b) => a + b, 0);
  let lo = 0.05, hi = 200;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (sum(mid) > s.totalBytes) lo = mid;
    else hi = mid;
  }
  return sizes(Math.sqrt(lo * hi));
}

/**
 * Builds the dataset (sizes only: contents are generated when read) and writes the backup and the CSVs
 * under `dir`, or finds them there from an earlier run (`scenarioDir()`).
 */
export async function writeScenario(clusterUrl: string, scale: Scale, dir: string): Promise<Scenario> {
  // The simulator's own specials (one orphan, hostile names) come with its attachments; ours are added.
  const dataset = generateDataset({
    leads: scale.leads,
    attachments: 0,
    activities: 0,
    seed: SEED,
    idGaps: false,
  });
  const leadIds = dataset.table("crm.lead").rows.map((r) => r.id as number);
  const sizes = fileSizes(scale.attachments - scale.orphans - scale.links, scale);
  const random = rng(11);
  const ids: number[] = [];
  for (const [k, size] of sizes.entries()) {
    const lead = leadIds[Math.floor(random() * leadIds.length)];
    ids.push(
      dataset.addAttachment(lead, {
        name: `pièce ${k + 1}.pdf`,
        mimetype: "application/pdf",
        size,
        seed: k + 1,
      }),
    );
  }
  // Shared content: the same bytes attached again elsewhere (Odoo stores them once).
  const shared = Math.round(ids.length * scale.sharedRatio);
  // Generated content is a function of (seed, size, type): the same three give the same bytes.
  for (let k = 0; k < shared; k++) {
    const of = Math.floor(random() * (sizes.length - shared));
    const lead = leadIds[Math.floor(random() * leadIds.length)];
    dataset.deleteAttachment(ids[ids.length - 1 - k]);
    dataset.addAttachment(lead, {
      name: `copie ${k + 1}.pdf`,
      mimetype: "application/pdf",
      size: sizes[of],
      seed: of + 1,
    });
  }
  const attachments = dataset.table("ir.attachment");
  // Links: url attachments, no bytes.
  for (let k = 0; k < scale.links; k++) {
    const id = attachments.nextId;
    attachments.insert({
      ...attachments.get(ids[0])!,
      id,
      name: `Lien ${k + 1}`,
      type: "url",
      url: `https://exemple.fr/document-${k + 1}`,
      file_size: 0,
      checksum: false,
      store_fname: false,
      res_id: leadIds[k],
    });
  }
  // Orphans: attachments whose lead was deleted in Odoo (the simulator's one is among them).
  const existing = attachments.rows.filter((a) => a.name === "orphelin.pdf").length;
  for (let k = existing; k < scale.orphans; k++) {
    const gone = dataset.createLead({ name: `supprimé ${k}` });
    dataset.addAttachment(gone, { name: `orphelin ${k}.pdf`, mimetype: "application/pdf", size: 20_000 + k });
    dataset.deleteLead(gone, { keepAttachments: true });
  }
  const zip = join(dir, "odoo_backup.zip");
  const leadsCsv = join(dir, "leads.csv");
  const activitiesCsv = join(dir, "activites.csv");
  const meta = join(dir, "scenario.json");
  const cached = await readCached(meta);
  if (cached) {
    // Written by an earlier run of the same scale and seed: the dataset is the same, and so are its bytes.
    for (const r of cached.rows) if (r.checksum) dataset.knownChecksum(r.id, r.checksum);
    return { dataset, backup: { ...cached, folder: "", zip }, leadsCsv, activitiesCsv, scale, cached: true };
  }
  await Deno.mkdir(dir, { recursive: true });
  const backup = await writeDatasetZip(clusterUrl, dataset, zip, { checklist: scale.checklist });
  await generateLeadCsv({ rows: scale.leadRows, seed: 5 }).pipeTo((await Deno.create(leadsCsv)).writable);
  await generateActivitiesCsv({ rows: scale.activityRows, leads: scale.leadRows })
    .pipeTo((await Deno.create(activitiesCsv)).writable);
  // Written last: a scenario interrupted while being written is written again.
  await Deno.writeTextFile(
    meta,
    JSON.stringify({
      rows: backup.rows,
      filestoreBytes: backup.filestoreBytes,
      filestoreFiles: backup.filestoreFiles,
    }),
  );
  return { dataset, backup, leadsCsv, activitiesCsv, scale, cached: false };
}
