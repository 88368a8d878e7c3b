import { randomInt } from 'node:crypto';

// MLflow names runs it was not given a name for "<adjective>-<noun>-<number>".
const ADJECTIVES = ['able', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'grand', 'happy', 'keen', 'kind', 'lively', 'loud', 'lucky', 'merry', 'neat', 'nimble', 'polite', 'proud', 'quick', 'quiet', 'rare', 'sharp', 'shy', 'silent', 'smart', 'steady', 'swift', 'tidy', 'vast', 'warm', 'wise', 'witty'];
const NOUNS = ['ant', 'bass', 'bat', 'bear', 'bee', 'cat', 'colt', 'crab', 'crow', 'deer', 'dove', 'duck', 'eel', 'elk', 'fox', 'frog', 'goat', 'gull', 'hare', 'hawk', 'hen', 'horse', 'jay', 'koi', 'lark', 'lion', 'lynx', 'mole', 'moth', 'newt', 'owl', 'ox', 'ram', 'seal', 'shark', 'snail', 'swan', 'toad', 'trout', 'wolf', 'wren', 'yak'];

export function generateRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
