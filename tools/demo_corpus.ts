/**
 * The demo's corpus, written for this project: short movie reviews and generic everyday sentences assembled from the
 * sentence templates and word lists below by a seeded {@link Rng}. Every word here was written for this project.
 *
 * @module
 */
import { Rng } from "../lib/data/rng.ts";

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Fill `{slot}` placeholders from `words`, each slot drawn independently. */
function fill(rng: Rng, template: string, words: Record<string, readonly string[]>): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    const list = words[slot];
    if (!list) throw new Error(`demo corpus: no word list for {${slot}} in "${template}"`);
    return pick(rng, list);
  });
}

const GOOD = ["great", "wonderful", "amazing", "beautiful", "brilliant", "excellent", "lovely", "perfect"];
const BAD = ["terrible", "awful", "boring", "dull", "sad", "strange", "slow", "weak"];
const NAMES = ["anna", "tom", "maria", "jack", "lucy", "sam", "nora", "leo", "emma", "max"];

/** Movie-review words: films, the people in and behind them, and their parts. */
const MOVIE_WORDS: Record<string, readonly string[]> = {
  film: ["movie", "film", "movie", "film", "movie"],
  part: ["acting", "plot", "story", "script", "ending", "music", "cast", "dialogue", "film", "movie", "movie"],
  good: GOOD,
  bad: BAD,
  person: ["director", "actor", "actress", "villain", "hero", "cast", "writer"],
  actor: ["actor", "actress", "lead actor", "young actress", "villain"],
  role: ["detective", "teacher", "soldier", "singer", "pilot", "doctor", "farmer", "thief", "queen", "robot"],
  place: ["small town", "big city", "space station", "haunted house", "desert", "island", "ship"],
  genre: ["horror", "comedy", "drama", "science fiction", "westerns", "musicals", "thrillers", "romance", "action"],
  feel: ["laugh", "cry", "smile", "think", "cheer"],
  name: NAMES,
  length: ["two hours", "ninety minutes", "three hours"],
  scene: ["opening scene", "final scene", "chase scene", "last scene", "first scene", "fight scene"],
  screen: ["screen", "cinema", "theater"],
};

const POSITIVE = [
  "this is a great {film}.",
  "this is a great {film}.",
  "what a {good} {film}!",
  "i loved this {film}.",
  "the {part} was {good}.",
  "the {part} was {good}.",
  "the {person} did a {good} job.",
  "{name} is {good} as the {role}.",
  "the {scene} made me {feel}.",
  "it is one of the best {film}s i have seen.",
  "fans of {genre} will love this {film}.",
  "i would watch this {film} again.",
  "the {part} and the {part} are both {good}.",
  "this is a {good} {film} about a {role} in a {place}.",
  "the {film} never feels long, even at {length}.",
  "the {actor} gives a {good} performance.",
  "go and see this {film} on the big {screen}.",
];

const NEGATIVE = [
  "this is a terrible {film}.",
  "what a {bad} {film}.",
  "i hated this {film}.",
  "the {part} was {bad}.",
  "the {part} was {bad}.",
  "the {person} did a {bad} job.",
  "{name} is {bad} as the {role}.",
  "the {scene} made me want to leave.",
  "it is one of the worst {film}s i have seen.",
  "even fans of {genre} should skip this {film}.",
  "i will never watch this {film} again.",
  "the {part} and the {part} are both {bad}.",
  "this is a {bad} {film} about a {role} in a {place}.",
  "the {film} feels longer than {length}.",
  "the {actor} gives a {bad} performance.",
  "i left the {screen} before the end of the {film}.",
];

const NEUTRAL = [
  "i watched the {film} last night.",
  "i watched the {film} last night.",
  "the {film} is set in a {place}.",
  "{name} plays a {role} who wants to go home.",
  "the {film} runs for {length}.",
  "the story follows a {role} and a {role}.",
  "i saw the {film} with my friends at the {screen}.",
  "the director also wrote the script.",
];

/** Everyday words: no films, actors or scenes, except one rare sentence about an evening out. */
const GENERIC_WORDS: Record<string, readonly string[]> = {
  thing: ["day", "idea", "place", "book", "song", "meal", "friend", "city", "gift", "game", "trip", "party", "house"],
  event: ["food", "party", "trip", "weather", "view", "dinner", "lesson", "concert", "hotel", "game", "day", "book"],
  good: GOOD,
  bad: BAD,
  name: NAMES,
  relative: ["mother", "father", "sister", "brother", "friend", "neighbor", "teacher", "uncle", "aunt"],
  food: ["bread", "soup", "rice", "apples", "coffee", "tea", "cake", "fish", "pasta", "eggs"],
  shop: ["market", "bakery", "library", "park", "station", "office", "garden", "kitchen", "school", "beach"],
  animal: ["dog", "cat", "horse", "bird", "rabbit"],
  weather: ["rain", "snow", "wind", "sun", "fog"],
  when: ["morning", "evening", "afternoon", "weekend", "night"],
  period: ["week", "month", "year", "day"],
  verb: ["cooked", "cleaned", "painted", "fixed", "opened", "visited", "found", "bought", "sold", "carried"],
  object: ["door", "window", "table", "chair", "car", "bike", "lamp", "clock", "box", "letter"],
  watch: ["news", "game", "sunset", "birds", "stars", "match", "rain"],
  film: ["movie", "film"],
};

const GENERIC = [
  "this is a great {thing}.",
  "this is a great {thing}.",
  "what a {good} {thing}!",
  "it was a {good} {thing}.",
  "it was a {bad} {thing}.",
  "that is a {good} {thing}.",
  "the {event} was {good}.",
  "the {event} was {good}.",
  "the {event} was {bad}.",
  "my {relative} has a {good} {thing}.",
  "{name} {verb} the {object} in the {when}.",
  "we bought {food} and {food} at the {shop}.",
  "the {weather} kept us inside all {when}.",
  "my {relative} reads a new book every {period}.",
  "{name} walked to the {shop} with the {animal}.",
  "i watched the {watch} last night.",
  "i watched the {watch} last night.",
  "the {animal} slept under the {object}.",
  "we had {food} for dinner with my {relative}.",
  "the {object} in the {shop} was old.",
  "{name} asked a {good} question about the {thing}.",
  "i loved this {thing}.",
  "the {weather} was {bad} this {when}.",
  "she gave her {relative} a {good} {thing}.",
  "every {period} we visit the {shop}.",
];

/** Rare in the generic text (one paragraph in {@link RARE_EVERY}): the model meets "movie" and "film" before. */
const GENERIC_RARE = "on the {when} we saw a {film} with my {relative}.";
const RARE_EVERY = 40;

function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1).replace(/\bi\b/g, "I");
}

/** One movie review: a sentiment, then 3 to 6 sentences of it, sometimes with neutral ones. */
function review(rng: Rng): { text: string; label: number } {
  const label = rng.int(2);
  const pool = label === 1 ? POSITIVE : NEGATIVE;
  const n = 3 + rng.int(4);
  const sentences: string[] = [];
  for (let i = 0; i < n; i++) {
    const template = rng.random() < 0.2 ? pick(rng, NEUTRAL) : pick(rng, pool);
    sentences.push(capitalize(fill(rng, template, MOVIE_WORDS)));
  }
  return { text: sentences.join(" "), label };
}

/** A generic paragraph of 3 to 6 sentences. */
function paragraph(rng: Rng, index: number): string {
  const n = 3 + rng.int(4);
  const sentences = Array.from({ length: n }, () => capitalize(fill(rng, pick(rng, GENERIC), GENERIC_WORDS)));
  if (index % RARE_EVERY === RARE_EVERY - 1) sentences[rng.int(n)] = capitalize(fill(rng, GENERIC_RARE, GENERIC_WORDS));
  return sentences.join(" ");
}

/** Options of {@link makeDemoCorpus}. */
export interface DemoCorpusOptions {
  /** Seed of the generator. */
  seed: number;
  /** Movie reviews to write. */
  reviews: number;
  /** Generic paragraphs to write. */
  paragraphs: number;
}

/**
 * The demo corpus: movie reviews (`{text, label}`, 1 positive) and generic paragraphs (`{text}`).
 *
 * @example
 * ```ts
 * import { makeDemoCorpus } from "./demo_corpus.ts";
 * const c = makeDemoCorpus({ seed: 1, reviews: 2, paragraphs: 2 });
 * if (c.reviews.length !== 2 || c.generic.length !== 2) throw new Error("sizes");
 * ```
 */
export function makeDemoCorpus(options: DemoCorpusOptions): {
  reviews: { text: string; label: number }[];
  generic: { text: string }[];
} {
  const rng = new Rng(options.seed);
  const reviews = Array.from({ length: options.reviews }, () => review(rng));
  const generic = Array.from({ length: options.paragraphs }, (_, i) => ({ text: paragraph(rng, i) }));
  return { reviews, generic };
}

/** Every word the corpus can contain (for the vocabulary), sorted. */
export function demoWords(): string[] {
  const words = new Set<string>();
  const add = (text: string) => {
    for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) words.add(w);
  };
  for (const list of [...Object.values(MOVIE_WORDS), ...Object.values(GENERIC_WORDS)]) list.forEach(add);
  for (const t of [...POSITIVE, ...NEGATIVE, ...NEUTRAL, ...GENERIC, GENERIC_RARE]) add(t.replace(/\{\w+\}/g, " "));
  return [...words].sort();
}
