-- The statements one submission makes (surveys/services.py submit_response), for pgbench:
-- the survey row read first, then one transaction with the submission, its ten answers in
-- one multi-row insert, and the three sharded tally upserts in their fixed order. Question
-- ids come in as q1..q10, each question's option ids as the range low1..high1 and so on
-- (loadtest/bench.py passes them with -D).
\set shard random(0, 7)
\set o1 random(:low1, :high1)
\set o2 random(:low2, :high2)
\set o3 random(:low3, :high3)
\set o4 random(:low4, :high4)
\set o5 random(:low5, :high5)
\set o6 random(:low6, :high6)
\set o7 random(:low7, :high7)
\set o8 random(:low8, :high8)
\set o9 random(:low9, :high9)
\set o10 random(:low10, :high10)
SELECT id, status, closes_at, max_responses, public_token FROM surveys_survey WHERE id = :survey;
BEGIN;
INSERT INTO surveys_submission (survey_id, token, created_at)
  VALUES (:survey, md5(random()::text || clock_timestamp()::text), now()) RETURNING id \gset
INSERT INTO surveys_answer (submission_id, question_id, option_id, text, number) VALUES
  (:id, :q1, :o1, '', NULL), (:id, :q2, :o2, '', NULL), (:id, :q3, :o3, '', NULL),
  (:id, :q4, :o4, '', NULL), (:id, :q5, :o5, '', NULL), (:id, :q6, :o6, '', NULL),
  (:id, :q7, :o7, '', NULL), (:id, :q8, :o8, '', NULL), (:id, :q9, :o9, '', NULL),
  (:id, :q10, :o10, '', NULL);
INSERT INTO surveys_surveytally (survey_id, shard, count) VALUES (:survey, :shard, 1)
  ON CONFLICT (survey_id, shard) DO UPDATE SET count = surveys_surveytally.count + 1;
INSERT INTO surveys_questiontally (question_id, shard, count) VALUES
  (:q1, :shard, 1), (:q2, :shard, 1), (:q3, :shard, 1), (:q4, :shard, 1), (:q5, :shard, 1),
  (:q6, :shard, 1), (:q7, :shard, 1), (:q8, :shard, 1), (:q9, :shard, 1), (:q10, :shard, 1)
  ON CONFLICT (question_id, shard) DO UPDATE SET count = surveys_questiontally.count + 1;
INSERT INTO surveys_optiontally (option_id, shard, count) VALUES
  (:o1, :shard, 1), (:o2, :shard, 1), (:o3, :shard, 1), (:o4, :shard, 1), (:o5, :shard, 1),
  (:o6, :shard, 1), (:o7, :shard, 1), (:o8, :shard, 1), (:o9, :shard, 1), (:o10, :shard, 1)
  ON CONFLICT (option_id, shard) DO UPDATE SET count = surveys_optiontally.count + 1;
END;
