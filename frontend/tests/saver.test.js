import assert from "node:assert/strict";
import { test } from "node:test";

import { BACKOFF, DELAY, MAX_WAIT, Saver } from "../src/saver.js";
import { Clock, Server, Storage, settled } from "./fakes.js";

function saverWith({ server = new Server(), clock = new Clock(), storage = new Storage() } = {}) {
  const saver = new Saver({
    surveyId: 7,
    fetchJSON: server.fetchJSON,
    storage,
    schedule: clock.schedule,
    cancel: clock.cancel,
    now: clock.now,
    snapshot: () => ({ questions: [] }),
  });
  saver.know("q1", 11, 3);
  return { saver, server, clock, storage };
}

const typed = (text) => ({ type: "patch", entity: "question", key: "q1", fields: { prompt: text } });

test("typing is gathered into one PATCH carrying the revision read", async () => {
  const { saver, server, clock } = saverWith();
  for (const text of ["W", "Wh", "Why"]) {
    saver.enqueue(typed(text));
    await clock.advance(100);
  }
  assert.equal(server.calls.length, 0);
  assert.equal(saver.status(), "saving");
  await clock.advance(DELAY);
  assert.deepEqual(server.calls, [
    { method: "PATCH", url: "/api/v1/questions/11/", body: { prompt: "Why", revision: 3 } },
  ]);
  assert.equal(saver.status(), "saved");
  assert.equal(saver.revisions.q1, 2, "the revision the server answered");
});

test("someone who never stops typing is still saved within MAX_WAIT", async () => {
  const { saver, server, clock } = saverWith();
  let text = "";
  for (let i = 0; i < 12; i += 1) {
    text += "a";
    saver.enqueue(typed(text));
    await clock.advance(100);
  }
  assert.ok(server.calls.length >= 1);
  assert.ok(server.calls[0].body.prompt.length <= MAX_WAIT / 100 + 1);
});

test("a dead server: not saved, kept in storage, tried again later and later, then saved", async () => {
  const { saver, server, clock, storage } = saverWith();
  server.down = true;
  saver.enqueue(typed("Kept"));
  await clock.advance(DELAY);
  assert.equal(saver.status(), "not-saved");
  assert.equal(server.calls.length, 1);
  const kept = JSON.parse(storage.getItem("canvass.builder.7"));
  assert.equal(kept.queue[0].fields.prompt, "Kept");
  await clock.advance(BACKOFF[0] - 1);
  assert.equal(server.calls.length, 1, "not before the back-off");
  await clock.advance(1);
  assert.equal(server.calls.length, 2);
  await clock.advance(BACKOFF[1]);
  assert.equal(server.calls.length, 3, "the second wait is longer");
  server.down = false;
  await clock.advance(BACKOFF[2]);
  assert.equal(saver.status(), "saved");
  assert.equal(server.calls.at(-1).body.prompt, "Kept");
  assert.equal(storage.getItem("canvass.builder.7"), null, "nothing left to keep");
});

test("5xx and 429 are tried again; coming back online sends at once", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 502, body: null }, { status: 429, body: null });
  saver.enqueue(typed("A"));
  await clock.advance(DELAY);
  await clock.advance(BACKOFF[0]);
  assert.equal(server.calls.length, 2);
  assert.equal(saver.status(), "not-saved");
  saver.flush(); // the browser's "online" event
  await settled();
  assert.equal(server.calls.length, 3);
  assert.equal(saver.status(), "saved");
});

test("a 409 with other values is a conflict, never sent over theirs until the person says so", async () => {
  const { saver, server, clock } = saverWith();
  const current = { id: 11, revision: 5, prompt: "Theirs", kind: "single" };
  server.answers.push({ status: 409, body: { detail: "Changed.", current } });
  saver.enqueue(typed("Mine"));
  await clock.advance(DELAY);
  assert.equal(saver.status(), "not-saved");
  assert.deepEqual(saver.conflicts.q1.mine, { prompt: "Mine" });
  assert.equal(saver.conflicts.q1.current.prompt, "Theirs");
  saver.enqueue(typed("Mine, still typing"));
  await clock.advance(5000);
  assert.equal(server.calls.length, 1, "nothing more is sent while it waits to be settled");
  assert.equal(saver.conflicts.q1.mine.prompt, "Mine, still typing");

  saver.settle("q1", "mine");
  await clock.advance(DELAY);
  assert.deepEqual(server.calls[1].body, { prompt: "Mine, still typing", revision: 5 });
  assert.equal(saver.status(), "saved");
});

test("keeping theirs sends nothing and takes their revision", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 409, body: { detail: "Changed.", current: { revision: 9, prompt: "T" } } });
  saver.enqueue(typed("M"));
  await clock.advance(DELAY);
  saver.settle("q1", "theirs");
  await clock.advance(5000);
  assert.equal(server.calls.length, 1);
  assert.equal(saver.revisions.q1, 9);
  assert.equal(saver.status(), "saved");
});

test("a 409 whose current values are ours (applied before the answer was lost) counts as saved", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 409, body: { detail: "Changed.", current: { revision: 4, prompt: "Same" } } });
  saver.enqueue(typed("Same"));
  await clock.advance(DELAY);
  assert.equal(saver.status(), "saved");
  assert.equal(saver.revisions.q1, 4);
});

test("a refused value stays refused at its field until a change to it is saved", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 400, body: { maxChoices: ["Must not be below the lowest."] } });
  saver.enqueue({ type: "patch", entity: "question", key: "q1", fields: { maxChoices: "1" } });
  await clock.advance(DELAY);
  assert.deepEqual(saver.errors.q1, { maxChoices: ["Must not be below the lowest."] });
  assert.equal(saver.status(), "not-saved");
  await clock.advance(10000);
  assert.equal(server.calls.length, 1, "a 400 is not tried again as it is");
  saver.enqueue({ type: "patch", entity: "question", key: "q1", fields: { maxChoices: "3" } });
  await clock.advance(DELAY);
  assert.equal(saver.errors.q1, undefined);
  assert.equal(saver.status(), "saved");
});

test("a new row's later changes use the id its creation answered", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push(
    { status: 201, body: { id: 40, revision: 1 } },
    { status: 201, body: { id: 90, revision: 1 } },
    { status: 200, body: { id: 40, revision: 2 } },
  );
  saver.enqueue({ type: "addQuestion", key: "n1", fields: { prompt: "New", kind: "single" } });
  saver.enqueue({ type: "addOption", key: "n2", questionKey: "n1", text: "Yes" });
  saver.enqueue({ type: "patch", entity: "question", key: "n1", fields: { prompt: "Newer" } });
  await clock.advance(DELAY);
  assert.deepEqual(
    server.calls.map((c) => `${c.method} ${c.url}`),
    ["POST /api/v1/surveys/7/questions/", "POST /api/v1/questions/40/options/", "PATCH /api/v1/questions/40/"],
  );
  assert.equal(server.calls[2].body.revision, 1);
});

test("a creation refused drops what was to be done to that row", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 400, body: { prompt: ["This field may not be blank."] } });
  saver.enqueue({ type: "addQuestion", key: "n1", fields: { prompt: "" } });
  saver.enqueue({ type: "addOption", key: "n2", questionKey: "n1", text: "Yes" });
  await clock.advance(DELAY);
  assert.equal(server.calls.length, 1);
  assert.deepEqual(saver.errors.n1, { prompt: ["This field may not be blank."] });
});

test("deleting what is already gone is done", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 404, body: { detail: "Not found." } });
  saver.enqueue({ type: "remove", entity: "question", key: "q1" });
  await clock.advance(1);
  assert.equal(saver.status(), "saved");
});

test("a survey started elsewhere stops the saving and says why", async () => {
  const { saver, server, clock } = saverWith();
  server.answers.push({ status: 409, body: { detail: "This survey has started." } });
  saver.enqueue({ type: "move", entity: "question", key: "q1", to: 2 });
  saver.enqueue(typed("After"));
  await clock.advance(5000);
  assert.equal(saver.status(), "stopped");
  assert.equal(saver.stopped, "This survey has started.");
  assert.equal(server.calls.length, 1);
});

test("what a closed tab kept is sent when restored", async () => {
  const storage = new Storage();
  const first = saverWith({ storage });
  first.server.down = true;
  first.saver.enqueue(typed("Typed before closing"));
  await first.clock.advance(DELAY);

  const second = saverWith({ storage });
  const kept = second.saver.saved();
  assert.equal(kept.queue.length, 1);
  second.saver.restore(kept);
  await second.clock.advance(DELAY);
  assert.deepEqual(second.server.calls[0].body, { prompt: "Typed before closing", revision: 3 });
  assert.equal(second.saver.status(), "saved");
  assert.equal(storage.getItem("canvass.builder.7"), null);
});

test("unreadable storage counts as nothing kept", () => {
  const storage = new Storage();
  storage.setItem("canvass.builder.7", "{not json");
  const { saver } = saverWith({ storage });
  assert.equal(saver.saved(), null);
});
