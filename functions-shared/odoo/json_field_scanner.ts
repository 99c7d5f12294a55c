/**
 * Finds where a string value at a given path starts in a JSON text that
 * arrives in chunks, without parsing (or keeping) anything but object keys:
 * for `["result", 0, "datas"]` and `{"jsonrpc": "2.0", "id": 1, "result":
 * [{"id": 812, "datas": "iVBOR...` it stops right after the quote that opens
 * `iVBOR`. The answer's structure (JSON-RPC envelope or JSON-2 bare result,
 * key order, whitespace, escaped keys) does not matter: the scanner follows
 * the nesting as a JSON parser would.
 *
 * It does not validate: on text that is not JSON it may stop anywhere or never.
 * Callers check the whole answer afterwards (with the value cut out, it is
 * small enough for JSON.parse).
 */

/** A step of a path: an object key or an array index. */
export type JsonPathStep = string | number;

/** What a push found. */
export type ScanResult =
  /** The value starts at `offset` in the chunk (the byte after its opening quote). */
  | { found: true; offset: number }
  /** Not yet; `ended` when the text is over (or unreadable) and can hold no such value any more. */
  | { found: false; ended: boolean };

/** An incremental scanner for one path. */
export interface JsonFieldScanner {
  push(chunk: Uint8Array): ScanResult;
}

const enum State {
  Value, // a value may start here
  ValueOrClose, // just after "[": a value or "]"
  KeyOrClose, // just after "{": a key or "}"
  Key, // after "," in an object: a key
  Colon,
  AfterValue, // "," or a closing bracket (or the end, at the root)
  String,
  Literal, // a number, true, false or null
  Done, // the root value ended, or the text is not JSON
}

interface Frame {
  array: boolean;
  /** Current key (objects) or index (arrays). */
  step: JsonPathStep | null;
}

const decoder = new TextDecoder();

/** Creates a scanner for the string value at `path` (keys and indexes from the root). */
export function createJsonFieldScanner(path: readonly JsonPathStep[]): JsonFieldScanner {
  const stack: Frame[] = [];
  let state = State.Value;
  let inKey = false;
  let escaped = false;
  let key: number[] = [];

  const atTarget = () => stack.length === path.length && stack.every((f, i) => f.step === path[i]);

  const afterValue = () => {
    state = stack.length === 0 ? State.Done : State.AfterValue;
  };

  const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

  return {
    push(chunk: Uint8Array): ScanResult {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        switch (state) {
          case State.String:
            if (escaped) escaped = false;
            else if (c === 0x5c) escaped = true;
            else if (c === 0x22) {
              if (inKey) {
                try {
                  stack[stack.length - 1].step = JSON.parse(`"${decoder.decode(new Uint8Array(key))}"`);
                } catch {
                  state = State.Done;
                  break;
                }
                key = [];
                inKey = false;
                state = State.Colon;
                break;
              }
              afterValue();
              break;
            }
            if (inKey) key.push(c);
            break;

          case State.Literal:
            if (c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c)) {
              afterValue();
              i--; // the delimiter belongs to the container
            }
            break;

          case State.Value:
          case State.ValueOrClose:
            if (isSpace(c)) break;
            if (c === 0x5d && state === State.ValueOrClose) {
              stack.pop();
              afterValue();
            } else if (c === 0x22) {
              if (atTarget()) return { found: true, offset: i + 1 };
              state = State.String;
            } else if (c === 0x7b) {
              stack.push({ array: false, step: null });
              state = State.KeyOrClose;
            } else if (c === 0x5b) {
              stack.push({ array: true, step: 0 });
              state = State.ValueOrClose;
            } else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a)) {
              state = State.Literal;
            } else state = State.Done;
            break;

          case State.KeyOrClose:
          case State.Key:
            if (isSpace(c)) break;
            if (c === 0x7d && state === State.KeyOrClose) {
              stack.pop();
              afterValue();
            } else if (c === 0x22) {
              inKey = true;
              state = State.String;
            } else state = State.Done;
            break;

          case State.Colon:
            if (isSpace(c)) break;
            state = c === 0x3a ? State.Value : State.Done;
            break;

          case State.AfterValue: {
            if (isSpace(c)) break;
            const top = stack[stack.length - 1];
            if (c === 0x2c) {
              if (top.array) {
                top.step = (top.step as number) + 1;
                state = State.Value;
              } else state = State.Key;
            } else if ((c === 0x5d && top.array) || (c === 0x7d && !top.array)) {
              stack.pop();
              afterValue();
            } else state = State.Done;
            break;
          }

          case State.Done:
            return { found: false, ended: true };
        }
      }
      return { found: false, ended: state === State.Done };
    },
  };
}
