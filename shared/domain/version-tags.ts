/**
 * Tags and description: the only metadata of a dataset version that changes after it is written. A tag
 * is a label people put on versions ("baseline", "prod", "2026-q4"); it may sit on many versions at once
 * and never moves by itself.
 */
import { InvalidInputError } from '../errors.js';

/** 1–64 of letters, digits, `.`, `_`, `-`: safe in a URL query and in a DynamoDB key. */
export const TAG_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const MAX_TAGS = 20;
export const MAX_DESCRIPTION_LENGTH = 2000;

/** `tags` replaces the set; `add`/`remove` edit it. Either form, not both. */
export interface TagChange {
  tags?: readonly string[] | undefined;
  add?: readonly string[] | undefined;
  remove?: readonly string[] | undefined;
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/**
 * The version's tags after `change`: duplicates collapse, the order is the order tags were first given
 * (kept ones, then added ones). Adding a tag already there or removing one that is not changes nothing.
 * Throws InvalidInputError for a malformed tag, a change that both replaces and edits, a tag both added
 * and removed, or more than MAX_TAGS tags in the result.
 */
export function nextTags(current: readonly string[], change: TagChange): string[] {
  const given = [...(change.tags ?? []), ...(change.add ?? []), ...(change.remove ?? [])];
  const invalid = given.filter((tag) => !isValidTag(tag));
  if (invalid.length > 0) {
    throw new InvalidInputError(
      `invalid tag ${JSON.stringify(invalid[0])}: 1–64 of letters, digits, '.', '_', '-'`,
    );
  }
  if (change.tags !== undefined && (change.add !== undefined || change.remove !== undefined)) {
    throw new InvalidInputError('give either tags (replaces them all) or add_tags/remove_tags, not both');
  }
  const removed = new Set(change.remove ?? []);
  const both = (change.add ?? []).filter((tag) => removed.has(tag));
  if (both.length > 0) {
    throw new InvalidInputError(`tag "${both[0]}" is both added and removed`);
  }
  const next =
    change.tags !== undefined
      ? [...new Set(change.tags)]
      : [...new Set([...current, ...(change.add ?? [])])].filter((tag) => !removed.has(tag));
  if (next.length > MAX_TAGS) {
    throw new InvalidInputError(
      `a version carries at most ${MAX_TAGS} tags; this change would give it ${next.length}`,
    );
  }
  return next;
}

/** The tags `next` has and `current` lacks, and the other way round: what a tag index must change. */
export function tagDelta(
  current: readonly string[],
  next: readonly string[],
): { added: string[]; removed: string[] } {
  const before = new Set(current);
  const after = new Set(next);
  return {
    added: [...after].filter((tag) => !before.has(tag)),
    removed: [...before].filter((tag) => !after.has(tag)),
  };
}
