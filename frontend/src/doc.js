// The survey as the builder holds it, and the changes a person makes to it. Pure
// functions: the page applies a change, the saver sends its operations, the history keeps
// its inverse for undo (frontend/tests/doc.test.js).
//
// doc = {questions: [{key, fields: {prompt, kind, helpText, required, ...settings},
//                     options: [{key, text}]}]}
// Keys are the builder's own names for rows ("q12" for question 12, "n…" for one not yet
// saved): an undo that brings a deleted question back gives it its old key, and the saver
// maps the key to whatever id the server gives it this time.

let made = 0;
const session = Math.random().toString(36).slice(2, 8);

/** A key for a row not yet on the server, unlike any other in this or another tab. */
export function newKey() {
  made += 1;
  return `n${session}${made}`;
}

/** The question fields a builder edits: the common ones and every kind's settings, as the
 * kinds endpoint names them. */
export function questionFields(kinds) {
  const names = ["prompt", "kind", "helpText", "required"];
  for (const kind of kinds.kinds) for (const setting of kind.settings) names.push(setting.name);
  return [...new Set(names)];
}

export function kindOf(kinds, key) {
  return kinds.kinds.find((kind) => kind.key === key);
}

function pick(row, names) {
  return Object.fromEntries(names.map((name) => [name, row[name] ?? null]));
}

/** The doc for the survey's JSON, and the rows' ids and revisions for the saver. */
export function fromSurvey(survey, kinds) {
  const names = questionFields(kinds);
  const known = [];
  const questions = survey.questions.map((question) => {
    const key = `q${question.id}`;
    known.push([key, question.id, question.revision]);
    return {
      key,
      fields: pick(question, names),
      options: question.options.map((option) => {
        known.push([`o${option.id}`, option.id, option.revision]);
        return { key: `o${option.id}`, text: option.text };
      }),
    };
  });
  return { doc: { questions }, known };
}

export function findQuestion(doc, key) {
  const index = doc.questions.findIndex((question) => question.key === key);
  return [doc.questions[index], index];
}

export function findOption(doc, key) {
  for (const question of doc.questions) {
    const index = question.options.findIndex((option) => option.key === key);
    if (index >= 0) return [question.options[index], index, question];
  }
  return [undefined, -1, undefined];
}

function withQuestion(doc, key, change) {
  return { questions: doc.questions.map((q) => (q.key === key ? change(q) : q)) };
}

function moved(list, from, to) {
  const copy = list.slice();
  copy.splice(to, 0, ...copy.splice(from, 1));
  return copy;
}

function inserted(list, index, item) {
  const copy = list.slice();
  copy.splice(index, 0, item);
  return copy;
}

/** The doc after `change`. */
export function apply(doc, change, kinds) {
  switch (change.t) {
    case "set": {
      if (change.entity === "option") {
        const [, , question] = findOption(doc, change.key);
        return withQuestion(doc, question.key, (q) => ({
          ...q,
          options: q.options.map((o) => (o.key === change.key ? { ...o, text: change.value } : o)),
        }));
      }
      return withQuestion(doc, change.key, (q) => {
        const fields = { ...q.fields, [change.field]: change.value };
        // A kind without options loses them (the server deletes them too).
        const keeps = change.field !== "kind" || kindOf(kinds, change.value).hasOptions;
        return { ...q, fields, options: keeps ? q.options : [] };
      });
    }
    case "addQuestion": {
      const question = { key: change.key, fields: { ...change.fields }, options: change.options };
      return { questions: inserted(doc.questions, change.index, question) };
    }
    case "duplicate": {
      const [source, index] = findQuestion(doc, change.sourceKey);
      const options = source.options.map((o, i) => ({ key: change.optionKeys[i], text: o.text }));
      const copy = { key: change.key, fields: { ...source.fields }, options };
      return { questions: inserted(doc.questions, index + 1, copy) };
    }
    case "addOption":
      return withQuestion(doc, change.questionKey, (q) => ({
        ...q,
        options: inserted(q.options, change.index, { key: change.key, text: change.text }),
      }));
    case "remove":
      if (change.entity === "question") {
        return { questions: doc.questions.filter((q) => q.key !== change.key) };
      }
      return {
        questions: doc.questions.map((q) => ({
          ...q,
          options: q.options.filter((o) => o.key !== change.key),
        })),
      };
    case "move": {
      if (change.entity === "question") {
        const [, from] = findQuestion(doc, change.key);
        return { questions: moved(doc.questions, from, change.to) };
      }
      const [, from, question] = findOption(doc, change.key);
      return withQuestion(doc, question.key, (q) => ({
        ...q,
        options: moved(q.options, from, change.to),
      }));
    }
    default:
      throw new Error(`unknown change ${change.t}`);
  }
}

/** The changes that undo `change`, read off the doc before it. */
export function inverse(doc, change, kinds) {
  switch (change.t) {
    case "set": {
      if (change.entity === "option") {
        const [option] = findOption(doc, change.key);
        return [{ ...change, value: option.text }];
      }
      const [question] = findQuestion(doc, change.key);
      const back = [{ ...change, value: question.fields[change.field] }];
      if (change.field === "kind" && !kindOf(kinds, change.value).hasOptions) {
        question.options.forEach((option, index) => {
          back.push({ t: "addOption", questionKey: question.key, index, ...option });
        });
      }
      return back;
    }
    case "addQuestion":
    case "duplicate":
      return [{ t: "remove", entity: "question", key: change.key }];
    case "addOption":
      return [{ t: "remove", entity: "option", key: change.key }];
    case "remove": {
      if (change.entity === "question") {
        const [question, index] = findQuestion(doc, change.key);
        return [{ t: "addQuestion", ...structuredClone(question), index }];
      }
      const [option, index, question] = findOption(doc, change.key);
      return [{ t: "addOption", questionKey: question.key, index, ...option }];
    }
    case "move": {
      const [, from] =
        change.entity === "question" ? findQuestion(doc, change.key) : findOption(doc, change.key);
      return [{ ...change, to: from }];
    }
    default:
      throw new Error(`unknown change ${change.t}`);
  }
}

/** What the saver sends for `change`, read off the doc after it. */
export function operations(doc, change) {
  switch (change.t) {
    case "set":
      if (change.entity === "option") {
        return [{ type: "patch", entity: "option", key: change.key, fields: { text: change.value } }];
      }
      return [
        { type: "patch", entity: "question", key: change.key, fields: { [change.field]: change.value } },
      ];
    case "addQuestion": {
      const ops = [{ type: "addQuestion", key: change.key, fields: change.fields }];
      for (const option of change.options) {
        ops.push({ type: "addOption", key: option.key, questionKey: change.key, text: option.text });
      }
      if (change.index < doc.questions.length - 1) {
        ops.push({ type: "move", entity: "question", key: change.key, to: change.index + 1 });
      }
      return ops;
    }
    case "duplicate":
      return [{ type: "duplicate", key: change.key, sourceKey: change.sourceKey, optionKeys: change.optionKeys }];
    case "addOption": {
      const ops = [{ type: "addOption", key: change.key, questionKey: change.questionKey, text: change.text }];
      const [question] = findQuestion(doc, change.questionKey);
      if (change.index < question.options.length - 1) {
        ops.push({ type: "move", entity: "option", key: change.key, to: change.index + 1 });
      }
      return ops;
    }
    case "remove":
      return [{ type: "remove", entity: change.entity, key: change.key }];
    case "move":
      return [{ type: "move", entity: change.entity, key: change.key, to: change.to + 1 }];
    default:
      throw new Error(`unknown change ${change.t}`);
  }
}
