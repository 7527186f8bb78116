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

const MOVIE_WORDS: Record<string, readonly string[]> = {
  film: ["movie", "film", "movie", "film", "picture"],
  good: [
    "great",
    "wonderful",
    "brilliant",
    "beautiful",
    "moving",
    "charming",
    "clever",
    "excellent",
    "superb",
    "funny",
  ],
  bad: ["terrible", "boring", "awful", "dull", "silly", "weak", "slow", "forgettable", "messy", "predictable"],
  aspect: ["acting", "plot", "story", "script", "ending", "music", "soundtrack", "cast", "dialogue", "camera work"],
  person: ["director", "lead actor", "lead actress", "villain", "hero", "writer", "young star", "supporting cast"],
  role: ["detective", "teacher", "soldier", "singer", "pilot", "doctor", "farmer", "thief", "queen", "robot"],
  place: ["small town", "big city", "space station", "haunted house", "desert", "island", "school", "ship"],
  genre: ["horror", "comedy", "drama", "science fiction", "westerns", "musicals", "thrillers", "romance", "action"],
  feel: ["laugh", "cry", "smile", "think", "cheer"],
  name: ["anna", "tom", "maria", "jack", "lucy", "sam", "nora", "leo", "emma", "max"],
  time: ["two hours", "ninety minutes", "three hours", "an evening"],
  scene: ["opening scene", "final scene", "chase scene", "dinner scene", "last act", "first half", "second half"],
};

const POSITIVE = [
  "this is a great {film}.",
  "what a {good} {film}!",
  "i loved this {film}.",
  "the {aspect} was {good}.",
  "the {person} did a {good} job.",
  "{name} is {good} as the {role}.",
  "the {scene} made me {feel}.",
  "it is one of the best {film}s i have seen.",
  "fans of {genre} will love this {film}.",
  "i would watch this {film} again.",
  "the {aspect} and the {aspect} are both {good}.",
  "this is a {good} {film} about a {role} in a {place}.",
  "the {film} never feels long, even at {time}.",
  "highly recommended.",
  "ten out of ten.",
];

const NEGATIVE = [
  "this is a terrible {film}.",
  "what a {bad} {film}.",
  "i hated this {film}.",
  "the {aspect} was {bad}.",
  "the {person} did a {bad} job.",
  "{name} is {bad} as the {role}.",
  "the {scene} made me want to leave.",
  "it is one of the worst {film}s i have seen.",
  "even fans of {genre} should skip this {film}.",
  "i will never watch this {film} again.",
  "the {aspect} and the {aspect} are both {bad}.",
  "this is a {bad} {film} about a {role} in a {place}.",
  "the {film} feels longer than {time}.",
  "a waste of time.",
  "two out of ten.",
];

const NEUTRAL = [
  "i watched this {film} last night.",
  "the {film} is set in a {place}.",
  "{name} plays a {role} who wants to go home.",
  "it runs for {time}.",
  "the story follows a {role} and a {role}.",
  "i saw the {film} with my friends.",
];

const GENERIC_WORDS: Record<string, readonly string[]> = {
  thing: ["day", "idea", "place", "book", "song", "meal", "friend", "city", "job", "gift", "game", "trip", "question"],
  good: ["great", "wonderful", "nice", "beautiful", "good", "lovely", "perfect", "fine"],
  bad: ["terrible", "bad", "awful", "sad", "hard", "strange", "long", "cold"],
  name: ["anna", "tom", "maria", "jack", "lucy", "sam", "nora", "leo", "emma", "max"],
  relative: ["mother", "father", "sister", "brother", "friend", "neighbor", "teacher", "uncle", "aunt"],
  food: ["bread", "soup", "rice", "apples", "coffee", "tea", "cake", "fish", "pasta", "eggs"],
  shop: ["market", "bakery", "library", "park", "station", "office", "garden", "kitchen", "school", "beach"],
  animal: ["dog", "cat", "horse", "bird", "rabbit"],
  weather: ["rain", "snow", "wind", "sun", "fog"],
  when: ["morning", "evening", "afternoon", "weekend", "night"],
  period: ["week", "month", "year", "day"],
  verb: ["cooked", "cleaned", "painted", "fixed", "opened", "visited", "found", "bought", "sold", "carried"],
  object: ["door", "window", "table", "chair", "car", "bike", "lamp", "clock", "box", "letter"],
  watch: ["news", "game", "sunset", "birds", "stars", "river"],
};

const GENERIC = [
  "this is a great {thing}.",
  "what a {good} {thing}!",
  "it was a {good} {thing}.",
  "it was a {bad} {thing}.",
  "that is a {good} {thing}.",
  "my {relative} has a {good} {thing}.",
  "{name} {verb} the {object} in the {when}.",
  "we bought {food} and {food} at the {shop}.",
  "the {weather} kept us inside all {when}.",
  "my {relative} reads a new book every {period}.",
  "{name} walked to the {shop} with the {animal}.",
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
function paragraph(rng: Rng): string {
  const n = 3 + rng.int(4);
  return Array.from({ length: n }, () => capitalize(fill(rng, pick(rng, GENERIC), GENERIC_WORDS))).join(" ");
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
  const generic = Array.from({ length: options.paragraphs }, () => ({ text: paragraph(rng) }));
  return { reviews, generic };
}

/** Every word the corpus can contain (for the vocabulary), sorted. */
export function demoWords(): string[] {
  const words = new Set<string>();
  const add = (text: string) => {
    for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) words.add(w);
  };
  for (const list of [...Object.values(MOVIE_WORDS), ...Object.values(GENERIC_WORDS)]) list.forEach(add);
  for (const t of [...POSITIVE, ...NEGATIVE, ...NEUTRAL, ...GENERIC]) add(t.replace(/\{\w+\}/g, " "));
  return [...words].sort();
}
