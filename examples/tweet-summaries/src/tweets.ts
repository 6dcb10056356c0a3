/**
 * Sample tweets bundled with the example, so it runs without network access, and a stand-in for the tweets API client
 * that serves them: like the real API, it wants a key.
 */
export interface Tweet {
  readonly subject: string;
  readonly author: string;
  readonly postedAt: string;
  readonly text: string;
}

export const TWEETS: readonly Tweet[] = [
  {
    subject: 'climate',
    author: 'oceanwatch',
    postedAt: '2023-09-08T07:12:00Z',
    text: 'Sea surface temperatures in the North Atlantic hit a record high this week. Marine heatwaves stress coral reefs and fisheries.',
  },
  {
    subject: 'climate',
    author: 'gridnerd',
    postedAt: '2023-09-08T09:40:00Z',
    text: 'Solar output in Europe set a new record on Tuesday. Grid operators curtailed some solar farms at midday because storage is still scarce.',
  },
  {
    subject: 'climate',
    author: 'policydesk',
    postedAt: '2023-09-08T11:05:00Z',
    text: 'Negotiators meet in Bonn to prepare the next climate summit. The main fight is about funding for adaptation in poorer countries.',
  },
  {
    subject: 'climate',
    author: 'oceanwatch',
    postedAt: '2023-09-08T15:30:00Z',
    text: 'Record sea temperatures again today. Scientists link the marine heatwaves to El Nino and to long-term warming.',
  },
  {
    subject: 'climate',
    author: 'farmfacts',
    postedAt: '2023-09-08T18:20:00Z',
    text: 'Drought cut wheat yields in southern Europe. Farmers ask for water storage funding.',
  },
  {
    subject: 'ai',
    author: 'mlweekly',
    postedAt: '2023-09-08T06:00:00Z',
    text: 'A new open model matches larger models on coding benchmarks. Its weights are released under a permissive license.',
  },
  {
    subject: 'ai',
    author: 'chipwire',
    postedAt: '2023-09-08T08:45:00Z',
    text: 'GPU supply remains tight for AI training. Cloud providers ration the largest clusters to long-term customers.',
  },
  {
    subject: 'ai',
    author: 'mlweekly',
    postedAt: '2023-09-08T12:10:00Z',
    text: 'Researchers show that small models trained on curated data beat larger models on reasoning benchmarks. Data quality matters more than size.',
  },
  {
    subject: 'ai',
    author: 'lawbrief',
    postedAt: '2023-09-08T14:55:00Z',
    text: 'The EU AI Act enters its final negotiation round. Rules for foundation models are the main open question.',
  },
  {
    subject: 'ai',
    author: 'chipwire',
    postedAt: '2023-09-08T19:30:00Z',
    text: 'A startup unveils an inference chip that cuts energy per token in half. Benchmarks from independent labs are expected next month.',
  },
  {
    subject: 'football',
    author: 'matchday',
    postedAt: '2023-09-08T10:00:00Z',
    text: 'England beat Ukraine away in a tight qualifier. The midfield controlled the second half.',
  },
  {
    subject: 'football',
    author: 'tacticsboard',
    postedAt: '2023-09-08T13:25:00Z',
    text: 'The midfield press made the difference in the second half. England recovered the ball high up the pitch again and again.',
  },
  {
    subject: 'football',
    author: 'matchday',
    postedAt: '2023-09-08T16:40:00Z',
    text: 'Injury news: the first-choice goalkeeper is out for two weeks. The backup starts the next qualifier.',
  },
  {
    subject: 'football',
    author: 'statszone',
    postedAt: '2023-09-08T21:15:00Z',
    text: 'England have now won five qualifiers in a row. Their defence has conceded only one goal in the group.',
  },
  {
    subject: 'markets',
    author: 'tickertape',
    postedAt: '2023-09-08T07:30:00Z',
    text: 'Oil prices climbed for the third day as supply cuts were extended. Brent crude trades above ninety dollars.',
  },
  {
    subject: 'markets',
    author: 'ratesdesk',
    postedAt: '2023-09-08T10:50:00Z',
    text: 'Bond yields rose after strong services data. Traders now expect central banks to hold rates higher for longer.',
  },
  {
    subject: 'markets',
    author: 'tickertape',
    postedAt: '2023-09-08T14:05:00Z',
    text: 'Technology shares fell as bond yields rose. Chip makers led the decline.',
  },
  {
    subject: 'markets',
    author: 'fxnotes',
    postedAt: '2023-09-08T17:45:00Z',
    text: 'The dollar strengthened against the yen as bond yields rose. Officials in Tokyo warned against rapid currency moves.',
  },
];

/**
 * The tweets posted in [from, to): what a client of the tweets API would fetch with `apiKey` (sent with each request;
 * never logged). This stand-in checks it was given a key, then serves the bundled sample: the whole sample when none
 * of it falls in the window (the sample is from 2023-09-08), so runs on any day have something to summarise.
 */
export async function fetchTweets(apiKey: string, from: Date, to: Date): Promise<readonly Tweet[]> {
  if (apiKey.trim() === '') throw new Error('The tweets API needs a key: set TWEETS_API_KEY (see .env.example).');
  const inWindow = TWEETS.filter((t) => Date.parse(t.postedAt) >= from.getTime() && Date.parse(t.postedAt) < to.getTime());
  return inWindow.length > 0 ? inWindow : TWEETS;
}
