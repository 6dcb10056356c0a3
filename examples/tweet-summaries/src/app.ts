/**
 * Tweet summaries (an example of the original Multinode): a scheduled task summarises each subject's tweets of the last day into the dict
 * `tweet_summaries`, and a service answers GET /summaries/:subject from that dict (404 when there is none).
 */
import { Hono } from 'hono';
import * as mn from 'multinode';
import { summarise, type Summary } from './summarise.js';
import { TWEETS } from './tweets.js';

/** Shared by the scheduled task (writes) and the service (reads). */
export const summaries = mn.dict<Summary>('tweet_summaries');

/** Daily (every 1 day from midnight UTC): summarise the day before the scheduled time. */
export const extractSummaries = mn.scheduledTask({ interval: '1d' }, async (run) => {
  const dayBefore = run.scheduledTime.getTime() - 24 * 3600 * 1000;
  // The bundled sample is from 2023-09-08; older runs (and runs in later years) summarise the whole sample.
  const recent = TWEETS.filter((t) => Date.parse(t.postedAt) >= dayBefore && Date.parse(t.postedAt) < run.scheduledTime.getTime());
  const tweets = recent.length > 0 ? recent : TWEETS;
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
