/**
 * A file's bytes on their way to storage, checked as they pass: the sha1 Odoo recorded and the size.
 * The check ends the stream with an error instead of its last read, so an upload of damaged bytes fails
 * and the store keeps nothing (the ObjectStore contract: a body that fails half-way leaves nothing).
 */
import { createHash } from "node:crypto";
import { PasserelleError } from "../errors.ts";

/** What the bytes must be. */
export interface Expected {
  /** sha1, hex; null when Odoo recorded none (nothing to compare). */
  sha1: string | null;
  /** Byte length. */
  size: number;
  /** The file, for messages (`filestore/ab/ab12...`). */
  where: string;
}

/** A checked stream and what it saw. */
export interface VerifiedBody {
  stream: ReadableStream<Uint8Array>;
  /** The sha1 of what passed, once the stream has ended. */
  sha1(): string | null;
  /**
   * The error that ended the stream, if it did (a mismatch, or the source's own error): stores may wrap
   * a body's error in their own, this keeps the original.
   */
  error(): unknown;
}

/**
 * Wraps `source`, hashing and counting what passes; `onBytes` sees each chunk's size (for progress).
 *
 * @example
 * const body = verifiedBody(file.open(), { sha1: att.checksum, size: file.size, where: file.storeFname });
 * await store.put(key, body.stream, { contentType, size: file.size });
 */
export function verifiedBody(
  source: ReadableStream<Uint8Array>,
  expected: Expected,
  onBytes?: (n: number) => void,
): VerifiedBody {
  const hash = createHash("sha1");
  const reader = source.getReader();
  let seen = 0;
  let digest: string | null = null;
  let failure: unknown = null;
  const fail = (e: unknown) => {
    failure ??= e;
    return e;
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        throw fail(e);
      }
      if (r.done) {
        digest = hash.digest("hex");
        if (seen !== expected.size) {
          throw fail(
            new PasserelleError(
              "checksum_mismatch",
              `${expected.where} holds ${seen} bytes where ${expected.size} were expected`,
            ),
          );
        }
        if (expected.sha1 !== null && digest !== expected.sha1.toLowerCase()) {
          throw fail(
            new PasserelleError(
              "checksum_mismatch",
              `${expected.where} has sha1 ${digest} but Odoo recorded ${expected.sha1}: the file is damaged`,
            ),
          );
        }
        ctrl.close();
        return;
      }
      seen += r.value.length;
      if (seen > expected.size) {
        await reader.cancel().catch(() => {});
        throw fail(
          new PasserelleError(
            "checksum_mismatch",
            `${expected.where} holds more than the ${expected.size} bytes expected`,
          ),
        );
      }
      hash.update(r.value);
      onBytes?.(r.value.length);
      ctrl.enqueue(r.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return { stream, sha1: () => digest, error: () => failure };
}
