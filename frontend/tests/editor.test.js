import assert from "node:assert/strict";
import { test } from "node:test";

import { fromSurvey } from "../src/doc.js";
import { Editor } from "../src/editor.js";
import { History, MERGE_MS } from "../src/history.js";

// The kinds endpoint's shape, cut down to what these tests need.
const KINDS = {
  fields: [{ name: "prompt" }, { name: "helpText" }, { name: "required" }],
  kinds: [
    { key: "single", hasOptions: true, optionWord: "option", settings: [] },
    { key: "number", hasOptions: false, settings: [{ name: "minValue" }, { name: "maxValue" }] },
  ],
};

const SURVEY = {
  questions: [
    {
      id: 1,
      revision: 1,
      prompt: "Colour?",
      kind: "single",
      helpText: "",
      required: true,
      options: [
        { id: 10, revision: 1, text: "Red" },
        { id: 11, revision: 1, text: "Blue" },
      ],
    },
    { id: 2, revision: 4, prompt: "Age?", kind: "number", helpText: "", required: false, minValue: 0, options: [] },
  ],
};

/** An editor whose saver only records what it is given. */
function editorFor(clock = { time: 0 }) {
  const { doc } = fromSurvey(structuredClone(SURVEY), KINDS);
  const sent = [];
  const saver = { enqueue: (op) => sent.push(op), queue: [], conflicts: {} };
  const history = new History({ now: () => clock.time });
  return { editor: new Editor({ doc, kinds: KINDS, saver, history }), sent, clock };
}

const prompts = (editor) => editor.doc.questions.map((q) => q.fields.prompt);
const texts = (editor, index = 0) => editor.doc.questions[index].options.map((o) => o.text);

test("a change shows at once and goes to the saver", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "set", entity: "question", key: "q1", field: "prompt", value: "Colour now?" }]);
  assert.equal(editor.doc.questions[0].fields.prompt, "Colour now?");
  assert.deepEqual(sent, [{ type: "patch", entity: "question", key: "q1", fields: { prompt: "Colour now?" } }]);
});

test("typing in one field is one undo, back to what it was", () => {
  const { editor, clock } = editorFor();
  for (const value of ["C", "Co", "Col"]) {
    editor.make([{ t: "set", entity: "question", key: "q1", field: "prompt", value }], { merge: "q1:prompt" });
    clock.time += 200;
  }
  editor.undo();
  assert.equal(editor.doc.questions[0].fields.prompt, "Colour?");
  editor.redo();
  assert.equal(editor.doc.questions[0].fields.prompt, "Col");
  assert.equal(editor.history.canRedo, false);
});

test("a pause ends one undo step", () => {
  const { editor, clock } = editorFor();
  editor.make([{ t: "set", entity: "question", key: "q1", field: "prompt", value: "A" }], { merge: "m" });
  clock.time += MERGE_MS + 1;
  editor.make([{ t: "set", entity: "question", key: "q1", field: "prompt", value: "AB" }], { merge: "m" });
  editor.undo();
  assert.equal(editor.doc.questions[0].fields.prompt, "A");
});

test("undo of a delete brings the question back where it was, with its options", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "remove", entity: "question", key: "q1" }]);
  assert.deepEqual(prompts(editor), ["Age?"]);
  sent.length = 0;
  editor.undo();
  assert.deepEqual(prompts(editor), ["Colour?", "Age?"]);
  assert.deepEqual(texts(editor), ["Red", "Blue"]);
  assert.deepEqual(
    sent.map((op) => op.type),
    ["addQuestion", "addOption", "addOption", "move"],
    "made again on the server, then put back first",
  );
  assert.equal(sent.at(-1).to, 1);
  assert.equal(sent[0].key, "q1", "under its old key: later undo entries still find it");
});

test("moves undo and redo", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "move", entity: "question", key: "q1", to: 1 }]);
  assert.deepEqual(prompts(editor), ["Age?", "Colour?"]);
  assert.deepEqual(sent.at(-1), { type: "move", entity: "question", key: "q1", to: 2 });
  editor.undo();
  assert.deepEqual(prompts(editor), ["Colour?", "Age?"]);
  editor.make([{ t: "move", entity: "option", key: "o11", to: 0 }]);
  assert.deepEqual(texts(editor), ["Blue", "Red"]);
  editor.undo();
  assert.deepEqual(texts(editor), ["Red", "Blue"]);
});

test("a kind without options drops them, and undo brings them back", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "set", entity: "question", key: "q1", field: "kind", value: "number" }]);
  assert.deepEqual(texts(editor), []);
  sent.length = 0;
  editor.undo();
  assert.equal(editor.doc.questions[0].fields.kind, "single");
  assert.deepEqual(texts(editor), ["Red", "Blue"]);
  assert.deepEqual(
    sent.map((op) => op.type),
    ["patch", "addOption", "addOption"],
    "the kind first: a number question takes no options",
  );
});

test("a duplicate comes right after its question, and undo removes only the copy", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "duplicate", key: "n1", sourceKey: "q1", optionKeys: ["n2", "n3"] }]);
  assert.deepEqual(prompts(editor), ["Colour?", "Colour?", "Age?"]);
  assert.deepEqual(texts(editor, 1), ["Red", "Blue"]);
  assert.equal(sent.at(-1).type, "duplicate");
  editor.undo();
  assert.deepEqual(
    editor.doc.questions.map((q) => q.key),
    ["q1", "q2"],
  );
});

test("an option added in the middle is moved into place on the server", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "addOption", key: "n9", questionKey: "q1", index: 1, text: "Green" }]);
  assert.deepEqual(texts(editor), ["Red", "Green", "Blue"]);
  assert.deepEqual(
    sent.map((op) => [op.type, op.to]),
    [
      ["addOption", undefined],
      ["move", 2],
    ],
  );
});

test("a new change after an undo ends the redo", () => {
  const { editor } = editorFor();
  editor.make([{ t: "remove", entity: "option", key: "o10" }]);
  editor.undo();
  editor.make([{ t: "set", entity: "option", key: "o11", value: "Navy" }]);
  assert.equal(editor.redo(), null);
  assert.deepEqual(texts(editor), ["Red", "Navy"]);
});

test("the server's values show unless a change to that field is still waiting", () => {
  const { editor } = editorFor();
  editor.saver.queue = [{ type: "patch", key: "q2", fields: { maxValue: "9" } }];
  editor.doc.questions[1].fields.maxValue = "9";
  editor.takeServer("question", "q2", { prompt: "Age now?", minValue: null, maxValue: 5 });
  assert.equal(editor.doc.questions[1].fields.prompt, "Age now?");
  assert.equal(editor.doc.questions[1].fields.minValue, null);
  assert.equal(editor.doc.questions[1].fields.maxValue, "9", "what was typed stays");
});

test("keeping theirs shows their values", () => {
  const { editor } = editorFor();
  let settled = null;
  editor.saver.conflicts.q1 = { entity: "question", mine: { prompt: "Mine" }, current: { prompt: "Theirs", revision: 3 } };
  editor.saver.settle = (key, keep) => {
    settled = [key, keep];
  };
  editor.settle("q1", "theirs");
  assert.equal(editor.doc.questions[0].fields.prompt, "Theirs");
  assert.deepEqual(settled, ["q1", "theirs"]);
});

test("undo of a delete in the middle puts it back in the middle", () => {
  const { editor, sent } = editorFor();
  editor.make([{ t: "duplicate", key: "n1", sourceKey: "q2", optionKeys: [] }]);
  editor.make([{ t: "remove", entity: "question", key: "q2" }]);
  sent.length = 0;
  editor.undo();
  assert.deepEqual(
    editor.doc.questions.map((q) => q.key),
    ["q1", "q2", "n1"],
  );
  assert.deepEqual(sent.at(-1), { type: "move", entity: "question", key: "q2", to: 2 });
});
