/**
 * Tweet summaries (an example of the original Multinode): a scheduled task summarises each subject's tweets of the last day into the dict
 * `tweet_summaries`, and a service answers GET /summaries/:subject from that dict (404 when there is none). The task reads the tweets with
 * an API key kept as a secret, and the length of the summaries is a config setting.
 */
import { Hono } from 'hono';
import * as mn from 'multinode';
import { summarise, type Summary } from './summarise.js';
import { fetchTweets } from './tweets.js';

/** Shared by the scheduled task (writes) and the service (reads). */
export const summaries = mn.dict<Summary>('tweet_summaries');

/** The tweets API key: `.env` locally (see .env.example), a Secrets Manager secret in AWS. */
export const tweetsApiKey = mn.secret('TWEETS_API_KEY');

/** How many sentences a summary keeps. */
export const summarySentences = mn.config('SUMMARY_SENTENCES', { default: '2' });

/** Daily (every 1 day from midnight UTC): summarise the day before the scheduled time. Only this task may read the key. */
export const extractSummaries = mn.scheduledTask({ interval: '1d', secrets: [tweetsApiKey] }, async (run) => {
  const dayBefore = new Date(run.scheduledTime.getTime() - 24 * 3600 * 1000);
  const tweets = await fetchTweets(await tweetsApiKey.value(), dayBefore, run.scheduledTime);
  const sentences = Number(summarySentences.value());
  if (!Number.isInteger(sentences) || sentences < 1)
    throw new Error(`SUMMARY_SENTENCES must be a whole number of at least 1, got "${summarySentences.value()}".`);
  const bySubject = new Map<string, typeof tweets>();
  for (const tweet of tweets) bySubject.set(tweet.subject, [...(bySubject.get(tweet.subject) ?? []), tweet]);
  const entries = [...bySubject].map(
    ([subject, items]) =>
      [
        subject,
        summarise(
          subject,
          items.map((t) => t.text),
          run.scheduledTime,
          sentences,
        ),
      ] as const,
  );
  await summaries.setMany(entries);
  console.log(`summarised ${entries.length} subjects from ${tweets.length} tweets`);
});

const app = new Hono();
app.get('/summaries', async (c) => {
  const subjects: string[] = [];
  for await (const key of summaries.keys()) subjects.push(key);
  return c.json({ subjects });
});
app.get('/summaries/:subject', async (c) => {
  const subject = c.req.param('subject');
  const summary = await summaries.get(subject);
  return summary ? c.json(summary) : c.json({ error: `no summary for "${subject}"` }, 404);
});

export const api = mn.service({}, app.fetch);
