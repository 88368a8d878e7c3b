/**
 * A UTF-16 surrogate without its pair: not Unicode at all (JSON's "\ud800"). PostgreSQL cannot
 * store it (pg silently writes U+FFFD instead, Prisma refuses it).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);
