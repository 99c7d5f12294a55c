import assert from "node:assert/strict";
import { byteBudget } from "./byte_budget.ts";

Deno.test("byteBudget() admits small holders together, big ones one at a time, and never refuses one over the limit", async () => {
  const b = byteBudget(10);
  const small = await Promise.all([b.acquire(3), b.acquire(3), b.acquire(3)]);
  assert.equal(b.used(), 9);
  let bigIn = false;
  const big = b.acquire(8).then((r) => {
    bigIn = true;
    return r;
  });
  await Promise.resolve();
  assert.equal(bigIn, false, "8 more do not fit beside 9");
  small.forEach((r) => r());
  const releaseBig = await big;
  assert.equal(b.used(), 8);
  let hugeIn = false;
  const huge = b.acquire(50).then((r) => ((hugeIn = true), r));
  await Promise.resolve();
  assert.equal(hugeIn, false);
  releaseBig();
  const releaseHuge = await huge;
  assert.equal(b.used(), 50, "alone, a holder over the limit goes");
  releaseHuge();
  releaseHuge();
  assert.equal(b.used(), 0, "releasing twice gives back once");
});
