/**
 * A short extractive summary: split the texts into sentences, score each by how frequent its content words are
 * across all texts, and keep the best sentences in their original order.
 */
const STOP_WORDS = new Set(
  (
    'a an and are as at be because by for from has have in is it its of on or than that the their this to was were ' +
    'with again now more next some still today about after new two main only'
  ).split(' '),
);

function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .match(/[a-z0-9]+/g)
      ?.filter((w) => w.length > 2 && !STOP_WORDS.has(w)) ?? []
  );
}

export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Summary {
  readonly subject: string;
  readonly summary: string;
  readonly sources: number;
  readonly keywords: string[];
  readonly summarisedAt: Date;
}

export function summarise(subject: string, texts: readonly string[], now: Date, maxSentences = 2): Summary {
  const frequency = new Map<string, number>();
  for (const text of texts) for (const word of words(text)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const all = texts.flatMap(sentences);
  const scored = all.map((sentence, index) => {
    const content = words(sentence);
    const score = content.length === 0 ? 0 : content.reduce((sum, w) => sum + (frequency.get(w) ?? 0), 0) / Math.sqrt(content.length);
    return { sentence, index, score };
  });
  const chosen = [...scored]
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, maxSentences)
    .sort((a, b) => a.index - b.index);
  const keywords = [...frequency.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([w]) => w);
  return { subject, summary: chosen.map((c) => c.sentence).join(' '), sources: texts.length, keywords, summarisedAt: now };
}
