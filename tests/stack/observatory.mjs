// Grades a loopback server with the MDN HTTP Observatory's own retriever, tests and grader.
// Its CLI takes a bare hostname (ports 80 and 443), so this repeats the short scan() of
// src/scanner/index.js with the ports passed on. Usage: node observatory.mjs HOST HTTP HTTPS [PATH]
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { retrieve } from "@mdn/mdn-http-observatory/src/retriever/retriever.js";
import { ALL_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import {
  getGradeForScore,
  getScoreModifier,
} from "@mdn/mdn-http-observatory/src/grader/grader.js";

// The package's install script downloads Chromium's HSTS preload list, which can't be
// reached here (npm runs with --ignore-scripts). A loopback host is on no preload list, so
// an empty one grades it exactly as the full list would.
const preload = fileURLToPath(
  new URL("../conf/hsts-preload.json", import.meta.resolve("@mdn/mdn-http-observatory"))
);
if (!existsSync(preload)) writeFileSync(preload, "{}");

const [hostname, httpPort, httpsPort, path = ""] = process.argv.slice(2);
const retrieved = await retrieve(hostname, { httpPort, httpsPort, path });
if (!retrieved.responses.auto) {
  console.log(JSON.stringify({ error: "the site could not be reached" }));
  process.exit(1);
}

let withExtraCredit = 100;
let uncurved = 100;
const tests = {};
for (const test of ALL_TESTS) {
  const result = test(retrieved);
  const modifier = getScoreModifier(result.result);
  withExtraCredit += modifier;
  if (modifier < 0) uncurved += modifier;
  tests[result.constructor.name] = { pass: result.pass, result: result.result, modifier };
}
const score = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved;
const { grade } = getGradeForScore(score);
console.log(JSON.stringify({ grade, score, status: retrieved.responses.auto.status, tests }));
